// Sync review (managers and admins): conflicts, rejected and blocked device changes, with
// the choice per field; devices (last sync, version, pending, revoke); a record's audit trail.
// API: /api/sync/review, /api/sync/review/{id}/resolve, /api/devices, /api/sync/audit/...
import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { fmt, has, t } from "../i18n/index.js";
import { registerRoute } from "../router.js";
import { session } from "../session.js";
import {
  REVIEWERS, apiPage, deviceName, directory, errorBox, guarded, label, pager, screen, select, userName, valueText,
} from "./common.js";

const ENTITIES = ["account", "contact", "consent", "interaction", "note", "followup", "opportunity", "order", "status_change", "custom_field"];
const PAGE_SIZE = 20;
/** The list's filters survive a visit to an item and back. */
const filters = { status: "open", kind: "", user_id: "", device_id: "", entity: "", since: "", until: "", page: 1 };

function entityLabel(entity) {
  return has(`enum.entity.${entity}`) ? t(`enum.entity.${entity}`) : entity;
}

function kindBadge(kind) {
  const tone = { conflict: "warm", rejected: "hot", blocked: "pending" }[kind] || "";
  return h("span", { class: ["badge", tone], dataset: { test: "kind" }, text: t(`backoffice.review.kind.${kind}`) });
}

function itemLabel(item) {
  return item.account_name || item.payload?.name || item.payload?.body || entityLabel(item.entity);
}

/** A local date (yyyy-mm-dd) as the UTC instant of its midnight in this browser's zone. */
function dayStart(value, plusDays = 0) {
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString();
}

// --- the list ------------------------------------------------------------------------------

function filterForm(dir, onApply) {
  const form = h("form", { class: "filters bo-filters", dataset: { test: "review-filters" } },
    h("label", {}, t("backoffice.review.filter_status"),
      select("status", ["open", "resolved", "discarded"].map((s) => [s, t(`backoffice.review.status.${s}`)]), filters.status)),
    h("label", {}, t("backoffice.review.filter_kind"),
      select("kind", ["conflict", "rejected", "blocked"].map((k) => [k, t(`backoffice.review.kind.${k}`)]), filters.kind)),
    h("label", {}, t("backoffice.review.filter_rep"),
      select("user_id", dir.users.map((u) => [u.id, u.name]), filters.user_id)),
    h("label", {}, t("backoffice.review.filter_device"),
      select("device_id", dir.devices.map((d) => [d.id, `${d.name} ${t("backoffice.devices.short_id", { id: d.id.slice(0, 8) })} (${userName(dir, d.user_id)})`]), filters.device_id)),
    h("label", {}, t("backoffice.review.filter_entity"),
      select("entity", ENTITIES.map((e) => [e, entityLabel(e)]), filters.entity)),
    h("label", {}, t("backoffice.review.filter_since"), h("input", { type: "date", name: "since", value: filters.since })),
    h("label", {}, t("backoffice.review.filter_until"), h("input", { type: "date", name: "until", value: filters.until })),
    h("div", { class: "bo-filter-actions" },
      h("button", { type: "submit", class: "small primary", text: t("backoffice.apply_filters") }),
      h("button", { type: "reset", class: "small", text: t("backoffice.reset_filters") })));
  form.addEventListener("change", () => form.requestSubmit());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const name of ["status", "kind", "user_id", "device_id", "entity", "since", "until"]) filters[name] = form.elements[name].value;
    filters.page = 1;
    onApply();
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    Object.assign(filters, { status: "open", kind: "", user_id: "", device_id: "", entity: "", since: "", until: "", page: 1 });
    for (const el of form.elements) if (el.name) el.value = filters[el.name] ?? "";
    onApply();
  });
  return form;
}

/** Are filters other than the default (open items) set? Then they show on arrival. */
function filtersActive() {
  return ["kind", "user_id", "device_id", "entity", "since", "until"].some((name) => filters[name]) || filters.status !== "open";
}

function summary(item) {
  if (item.kind === "conflict") {
    const names = Object.keys(item.conflicts || {}).map(label);
    return t("backoffice.review.conflict_fields", { count: names.length, fields: names.join(", ") });
  }
  if (item.kind === "blocked") return t("backoffice.review.reason_blocked");
  const why = has(`backoffice.review.why.${item.reason}`) ? t(`backoffice.review.why.${item.reason}`) : item.detail || item.reason || "";
  return t("backoffice.review.reason", { reason: why });
}

function itemCard(item, dir) {
  return h("li", {},
    h("a", { class: "card bo-item", href: `#/review/${item.id}`, dataset: { test: "review-item", kind: item.kind, id: item.id } },
      h("div", { class: "row" }, kindBadge(item.kind),
        h("strong", { class: "grow bo-ellipsis", text: itemLabel(item) }),
        item.status !== "open" && h("span", { class: "badge done", text: t(`backoffice.review.status.${item.status}`) })),
      h("p", { class: "muted", text: t("backoffice.review.what", { op: t(`backoffice.review.op.${item.op}`), entity: entityLabel(item.entity) }) }),
      h("p", { text: summary(item) }),
      h("p", { class: "muted", text: t("backoffice.review.by", { user: userName(dir, item.user_id), device: deviceName(dir, item.device_id), when: fmt.ago(item.created_at) }) })));
}

async function reviewList(_params, ctx) {
  const dir = await directory();
  const results = h("div", { dataset: { test: "review-results" } }, h("p", { class: "muted", text: t("backoffice.loading") }));
  async function load() {
    const query = { page: filters.page, page_size: PAGE_SIZE };
    for (const name of ["status", "kind", "user_id", "device_id", "entity"]) if (filters[name]) query[name] = filters[name];
    if (filters.since) query.since = dayStart(filters.since);
    if (filters.until) query.until = dayStart(filters.until, 1);
    try {
      const page = await apiPage("/api/sync/review", query);
      if (!ctx.isCurrent()) return;
      replace(results,
        page.items.length === 0
          ? h("p", { class: "empty", dataset: { test: "review-empty" }, text: t("backoffice.review.empty") })
          : h("ul", { class: "list" }, page.items.map((item) => itemCard(item, dir))),
        page.total > PAGE_SIZE && pager(page, (n) => { filters.page = n; load(); }));
    } catch (error) {
      replace(results, errorBox(error));
    }
  }
  load();
  return screen("review", t("backoffice.review.title"), null,
    h("details", { class: "bo-filter-box", open: window.matchMedia("(min-width: 720px)").matches || filtersActive() },
      h("summary", { dataset: { test: "filters-toggle" }, text: t("backoffice.filters") }), filterForm(dir, load)),
    results);
}

// --- one item ------------------------------------------------------------------------------

/** The value typed in an edit box, in the type the field had (string, number, JSON). */
function parseTyped(text, sample, field) {
  if (typeof sample === "number") {
    const n = Number(text.replace(",", "."));
    if (text.trim() === "") return null;
    if (Number.isNaN(n)) throw new Error(t("backoffice.review.bad_json", { field: label(field) }));
    return n;
  }
  if (sample === null || sample === undefined || typeof sample === "string") return text === "" ? null : text;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(t("backoffice.review.bad_json", { field: label(field) }));
  }
}

function editText(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function valueCell(kind, value, winner) {
  return h("div", { class: ["bo-value", winner && "winner"], dataset: { test: `value-${kind}` } },
    h("span", { class: "bo-value-side", text: t(`backoffice.review.col_${kind}`) }),
    h("span", { class: "bo-value-text", text: valueText(value) }));
}

function conflictForm(item, onDone) {
  const rows = Object.entries(item.conflicts || {}).map(([field, c]) => {
    const sample = c.device ?? c.server ?? c.base;
    const radios = ["server", "device", "value"].map((choice) =>
      h("label", { class: "row bo-choice" },
        h("input", { type: "radio", name: `choice-${field}`, value: choice, checked: choice === (c.winner || "server"), dataset: { test: `choose-${choice}` } }),
        t(`backoffice.review.choose_${choice}`)));
    const edit = h("input", {
      name: `value-${field}`, value: editText(c.winner === "device" ? c.device : c.server),
      attrs: { "aria-label": t("backoffice.review.value_for", { field: label(field) }) }, dataset: { test: "edit" },
    });
    edit.addEventListener("input", () => { radios[2].querySelector("input").checked = true; });
    return {
      field, sample,
      node: h("fieldset", { class: "bo-conflict", dataset: { test: "conflict-field", field } },
        h("legend", { text: label(field) }),
        h("div", { class: "bo-sides" },
          valueCell("base", c.base, false), valueCell("server", c.server, c.winner === "server"), valueCell("device", c.device, c.winner === "device")),
        c.winner && h("p", { class: "hint", text: t("backoffice.review.winner", { side: t(`backoffice.review.col_${c.winner}`) }) }),
        h("div", { class: "bo-choices" }, radios), edit),
    };
  });
  const status = h("div", {});
  const form = h("form", { class: "bo-resolve", dataset: { test: "conflict-form" } },
    h("p", { class: "hint", text: t("backoffice.review.conflict_help") }),
    rows.map((r) => r.node), status,
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary", dataset: { test: "resolve" }, text: t("backoffice.review.resolve") }),
      h("button", { type: "button", class: "danger", dataset: { test: "discard" }, on: { click: () => send({ action: "discard" }) }, text: t("backoffice.review.discard") })));
  const send = resolutionSender(form, status, item, onDone);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const fields = {};
    try {
      for (const { field, sample } of rows) {
        const choice = form.elements[`choice-${field}`].value;
        fields[field] = choice === "value" ? { value: parseTyped(form.elements[`value-${field}`].value, sample, field) } : choice;
      }
    } catch (error) {
      replace(status, h("p", { class: "form-error", attrs: { role: "alert" }, text: error.message }));
      return;
    }
    send({ action: "choose", fields });
  });
  return form;
}

/** Posts a resolution of `item`: the form's buttons wait meanwhile, an error shows in `status`. */
function resolutionSender(form, status, item, onDone) {
  return async (body) => {
    for (const b of form.querySelectorAll("button")) b.disabled = true;
    try {
      onDone(await api(`/api/sync/review/${item.id}/resolve`, { method: "POST", body }));
    } catch (error) {
      replace(status, errorBox(error));
      for (const b of form.querySelectorAll("button")) b.disabled = false;
    }
  };
}

function applyForm(item, onDone) {
  const entries = Object.entries(item.payload || {});
  const errors = item.errors || {};
  const inputs = entries.map(([field, value]) => {
    const blamed = errors[field] || errors[`json.${field}`];
    const multiline = typeof value === "string" && value.length > 60;
    return h("label", { dataset: { test: "payload-field", field } }, label(field),
      h(multiline ? "textarea" : "input", { name: field, value: editText(value) }),
      blamed && h("span", { class: "form-error", text: [].concat(blamed).join(" ") }));
  });
  const status = h("div", {});
  const form = h("form", { class: "bo-resolve", dataset: { test: "apply-form" } },
    h("h2", { text: t("backoffice.review.payload") }),
    item.op !== "delete" && h("p", { class: "hint", text: t("backoffice.review.payload_help") }),
    inputs, status,
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary", dataset: { test: "apply" }, text: t("backoffice.review.apply") }),
      h("button", { type: "button", class: "danger", dataset: { test: "discard" }, on: { click: () => send({ action: "discard" }) }, text: t("backoffice.review.discard") })));
  const send = resolutionSender(form, status, item, onDone);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = {};
    try {
      for (const [field, original] of entries) {
        const text = form.elements[field].value;
        if (text !== editText(original)) values[field] = parseTyped(text, original, field);
      }
    } catch (error) {
      replace(status, h("p", { class: "form-error", attrs: { role: "alert" }, text: error.message }));
      return;
    }
    send({ action: "apply", values });
  });
  return form;
}

function decided(item, dir) {
  return h("div", { class: "card", dataset: { test: "decision" } },
    h("p", { text: t("backoffice.review.resolved_by", { status: t(`backoffice.review.status.${item.status}`), user: userName(dir, item.resolved_by_id), when: fmt.ago(item.resolved_at) }) }),
    item.kind === "conflict" && item.resolution?.fields && h("ul", { class: "list" },
      Object.entries(item.resolution.fields).map(([field, choice]) =>
        h("li", { text: `${label(field)} : ${typeof choice === "string" ? t(`backoffice.review.choose_${choice}`) : valueText(choice.value)}` }))));
}

async function reviewItem({ id }) {
  const [item, dir] = await Promise.all([api(`/api/sync/review/${id}`), directory()]);
  const body = h("div", {});
  function render(current, justDone) {
    replace(body,
      h("div", { class: "card" },
        h("div", { class: "row" }, kindBadge(current.kind), h("span", { class: "badge", text: t(`backoffice.review.status.${current.status}`) })),
        h("p", { class: "muted", text: t("backoffice.review.what", { op: t(`backoffice.review.op.${current.op}`), entity: entityLabel(current.entity) }) }),
        h("p", { class: "muted", text: t("backoffice.review.by", { user: userName(dir, current.user_id), device: deviceName(dir, current.device_id), when: fmt.ago(current.created_at) }) }),
        current.kind !== "conflict" && h("p", { dataset: { test: "reason" }, text: summary(current) }),
        current.kind !== "conflict" && current.detail && h("p", { class: "muted", text: t("backoffice.review.server_detail", { detail: current.detail }) }),
        h("div", { class: "actions" },
          h("a", { class: "button small", href: `#/audit/${current.entity}/${current.record_id}`, dataset: { test: "audit-link" }, text: t("backoffice.review.audit_link") }),
          current.account_name && h("a", { class: "button small", href: `#/base/${current.account_id}`, text: t("backoffice.review.account_link") }))),
      justDone && h("p", { class: "notice", attrs: { role: "status" }, dataset: { test: "resolved" }, text: t("backoffice.review.done") }),
      current.status !== "open"
        ? decided(current, dir)
        : current.kind === "conflict"
          ? conflictForm(current, (next) => render(next, true))
          : applyForm(current, (next) => render(next, true)));
  }
  render(item, false);
  return screen("review-item", t("backoffice.review.item_title", { kind: t(`backoffice.review.kind.${item.kind}`), label: itemLabel(item) }),
    h("a", { class: "button small", href: "#/review", text: t("backoffice.review.back") }),
    body);
}

// --- devices -------------------------------------------------------------------------------

function deviceCard(device, dir) {
  const card = h("li", { class: "card", dataset: { test: "device", id: device.id } });
  const mine = device.id === session.deviceId;
  function render(d, confirming) {
    replace(card,
      h("div", { class: "row" },
        h("strong", { class: "grow bo-ellipsis", text: d.name }),
        h("span", { class: "muted", text: t("backoffice.devices.short_id", { id: d.id.slice(0, 8) }) }),
        mine && h("span", { class: "badge", text: t("backoffice.devices.this_one") }),
        d.revoked_at && h("span", { class: "badge hot", dataset: { test: "revoked" }, text: t("backoffice.devices.revoked", { when: fmt.ago(d.revoked_at) }) })),
      h("p", { text: t("backoffice.devices.owner", { user: userName(dir, d.user_id) }) }),
      h("p", { class: "muted", text: [
        t("backoffice.devices.last_sync", { when: d.last_sync_at ? fmt.ago(d.last_sync_at) : t("common.never") }),
        t("backoffice.devices.version", { version: d.app_version || "—" }),
      ].join(" · ") }),
      h("p", { class: d.pending_reported ? "bo-warn" : "muted", dataset: { test: "pending" },
        text: d.pending_reported === null || d.pending_reported === undefined ? t("backoffice.devices.pending_unknown") : t("backoffice.devices.pending", { count: d.pending_reported }) }),
      !d.revoked_at && !mine && !confirming &&
        h("button", { type: "button", class: "small danger", dataset: { test: "revoke" }, on: { click: () => render(d, true) }, text: t("backoffice.devices.revoke") }),
      confirming && h("div", { class: "notice", attrs: { role: "alertdialog" }, dataset: { test: "confirm" } },
        h("p", { text: t("backoffice.devices.confirm", { name: d.name }) }),
        h("div", { class: "actions" },
          h("button", { type: "button", class: "danger", dataset: { test: "confirm-revoke" }, on: { click: () => revoke(d) }, text: t("backoffice.devices.confirm_yes") }),
          h("button", { type: "button", on: { click: () => render(d, false) }, text: t("common.cancel") }))));
  }
  async function revoke(d) {
    try {
      render(await api(`/api/devices/${d.id}/revoke`, { method: "POST" }), false);
    } catch (error) {
      card.append(errorBox(error));
    }
  }
  render(device, false);
  return card;
}

async function devicesScreen() {
  const dir = await directory();
  const devices = [...dir.devices].sort((a, b) => (b.last_sync_at || "").localeCompare(a.last_sync_at || ""));
  return screen("devices", t("backoffice.devices.title"), null,
    devices.length === 0
      ? h("p", { class: "empty", text: t("backoffice.devices.empty") })
      : h("ul", { class: "list bo-grid", dataset: { test: "devices" } }, devices.map((d) => deviceCard(d, dir))));
}

// --- audit trail ---------------------------------------------------------------------------

async function auditScreen({ entity, id }) {
  const entries = await api(`/api/sync/audit/${encodeURIComponent(entity)}/${encodeURIComponent(id)}`);
  return screen("audit", t("backoffice.audit.title", { entity: entityLabel(entity) }),
    h("button", { type: "button", class: "small", on: { click: () => history.back() }, text: t("common.back") }),
    entries.length === 0
      ? h("p", { class: "empty", text: t("backoffice.audit.empty") })
      : h("ol", { class: "list", dataset: { test: "audit" } }, [...entries].reverse().map((e) =>
        h("li", { class: "card", dataset: { test: "audit-entry", op: e.op, version: e.version } },
          h("strong", { text: t("backoffice.audit.entry", { op: t(`backoffice.audit.op.${e.op}`), version: e.version }) }),
          h("p", { class: "muted", text: t("backoffice.audit.who", {
            user: e.user_name || t("backoffice.audit.server"), device: e.device_name || "—", when: `${fmt.date(e.at)} ${fmt.time(e.at)}`,
          }) }),
          h("dl", { class: "bo-changes" }, Object.entries(e.fields || {}).map(([field, change]) => [
            h("dt", { text: label(field) }),
            h("dd", {}, h("span", { class: "bo-old", text: valueText(change.old) }), " → ", h("span", { class: "bo-new", text: valueText(change.new) })),
          ]))))));
}

registerRoute("#/review", guarded(reviewList), { roles: REVIEWERS, nav: { label: "backoffice.nav.office", icon: "office", order: 50 } });
registerRoute("#/review/:id", guarded(reviewItem), { roles: REVIEWERS });
registerRoute("#/devices", guarded(devicesScreen), { roles: REVIEWERS });
registerRoute("#/audit/:entity/:id", guarded(auditScreen), { roles: REVIEWERS });

