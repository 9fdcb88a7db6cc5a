// Customer base (managers and admins): the accounts of the caller's scope with search,
// filters and pages; edit one (If-Match with its ETag: a 412 means someone changed it
// meanwhile), create one. API: /api/accounts.
import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { fmt, t } from "../i18n/index.js";
import { navigate, registerRoute, show } from "../router.js";
import { session } from "../session.js";
import { duplicateReasons, enumLabel, statusBadge } from "../screens/common.js";
import { REVIEWERS, apiPage, directory, errorBox, getWithEtag, guarded, label, pager, screen, select, userName } from "./common.js";

const STATUSES = ["suspect", "prospect_cold", "prospect_warm", "prospect_hot", "client", "partner", "former_client"];
const SORTS = ["name", "city", "-updated_at", "status"];
const PAGE_SIZE = 25;
const list = { q: "", status: "", owner_id: "", city: "", postal_code: "", sort: "name", page: 1 };
/** A message to show once on the next screen (after a create). */
let flash = null;

// --- the list ------------------------------------------------------------------------------

/** "69003 Lyon · Camille Martin": where an account is and whose it is. */
function placeAndOwner(account, dir) {
  return [[account.postal_code, account.city].filter(Boolean).join(" "), userName(dir, account.owner_id)].filter(Boolean).join(" · ");
}

function accountRow(account, dir) {
  return h("li", {},
    h("a", { class: "card bo-account", href: `#/base/${account.id}`, dataset: { test: "account-row", id: account.id } },
      h("div", { class: "row" },
        h("strong", { class: "grow bo-ellipsis", dataset: { test: "account-name" }, text: account.name }),
        statusBadge(account.status)),
      h("p", { class: "muted", text: placeAndOwner(account, dir) }),
      h("p", { class: "muted bo-updated", text: fmt.ago(account.updated_at) })));
}

async function baseList(_params, ctx) {
  const dir = await directory();
  const results = h("div", { dataset: { test: "base-results" } }, h("p", { class: "muted", text: t("backoffice.loading") }));
  let seq = 0;
  async function load() {
    const mine = ++seq;
    const query = { page: list.page, page_size: PAGE_SIZE, sort: list.sort };
    for (const name of ["q", "status", "owner_id", "city", "postal_code"]) if (list[name]) query[name] = list[name];
    try {
      const page = await apiPage("/api/accounts", query);
      if (mine !== seq || !ctx.isCurrent()) return; // a newer search answered first
      replace(results,
        h("p", { class: "muted", dataset: { test: "base-count" }, text: t("backoffice.base.count", { count: page.total }) }),
        page.items.length === 0
          ? h("p", { class: "empty", text: t("backoffice.base.empty") })
          : h("ul", { class: "list bo-grid" }, page.items.map((a) => accountRow(a, dir))),
        page.pages > 1 && pager(page, (n) => { list.page = n; load(); }, "backoffice.base.count"));
    } catch (error) {
      replace(results, errorBox(error));
    }
  }
  const search = h("input", { type: "search", name: "q", value: list.q, placeholder: t("backoffice.base.search"), attrs: { "aria-label": t("backoffice.base.search") }, enterKeyHint: "search" });
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { list.q = search.value.trim(); list.page = 1; load(); }, 250);
  });
  ctx.onLeave(() => clearTimeout(timer));
  const form = h("form", { class: "filters bo-filters", dataset: { test: "base-filters" } },
    h("label", {}, label("status"), select("status", STATUSES.map((s) => [s, enumLabel("status", s)]), list.status)),
    h("label", {}, t("backoffice.base.owner"), select("owner_id", dir.users.map((u) => [u.id, u.name]), list.owner_id)),
    h("label", {}, label("city"), h("input", { name: "city", value: list.city })),
    h("label", {}, label("postal_code"), h("input", { name: "postal_code", value: list.postal_code, inputMode: "numeric" })),
    h("label", {}, t("backoffice.base.sort"), select("sort", SORTS.map((s) => [s, t(`backoffice.base.sort.${s}`)]), list.sort, { all: false })));
  form.addEventListener("change", () => {
    for (const name of ["status", "owner_id", "city", "postal_code", "sort"]) list[name] = form.elements[name].value.trim();
    list.page = 1;
    load();
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  load();
  return screen("base", t("backoffice.base.title"),
    h("div", { class: "row" },
      h("a", { class: "button small primary", href: "#/base/new", dataset: { test: "new-account" }, text: t("backoffice.base.new") }),
      h("a", { class: "button small", href: "#/base/duplicates", dataset: { test: "duplicates-link" }, text: t("backoffice.base.pairs_link") })),
    h("div", { class: "search" }, search),
    h("details", { class: "bo-filter-box", open: window.matchMedia("(min-width: 720px)").matches || ["status", "owner_id", "city", "postal_code"].some((n) => list[n]) },
      h("summary", { dataset: { test: "filters-toggle" }, text: t("backoffice.filters") }), form),
    results);
}

// --- the form ------------------------------------------------------------------------------

/** Editable fields: name, input kind, section. */
const FIELDS = [
  ["kind", "kind", "identity"], ["name", "text", "identity"], ["first_name", "text", "identity"], ["last_name", "text", "identity"],
  ["trade_name", "text", "identity"], ["siret", "text", "identity"], ["naf_code", "text", "identity"], ["phone", "tel", "identity"],
  ["email", "email", "identity"], ["website", "url", "identity"],
  ["address_line1", "text", "address"], ["address_line2", "text", "address"], ["postal_code", "text", "address"], ["city", "text", "address"],
  ["status", "status", "follow"], ["owner_id", "owner", "follow"], ["territory", "text", "follow"], ["tags", "tags", "follow"],
  ["visit_frequency_days", "number", "follow"], ["description", "textarea", "follow"],
];

function input(name, kind, value, dir) {
  if (kind === "kind") return select(name, ["company", "person"].map((k) => [k, t(`backoffice.kind.${k}`)]), value, { all: false });
  if (kind === "status") return select(name, STATUSES.map((s) => [s, enumLabel("status", s)]), value, { all: false });
  if (kind === "owner") {
    const owners = dir.users.filter((u) => u.active !== false);
    return select(name, owners.map((u) => [u.id, u.name]), value, { all: false });
  }
  if (kind === "textarea") return h("textarea", { name, value: value ?? "" });
  if (kind === "tags") return h("input", { name, value: (value || []).join(", "), placeholder: t("backoffice.base.tags_hint") });
  if (kind === "number") return h("input", { name, type: "number", min: "1", max: "3650", inputMode: "numeric", value: value ?? "" });
  return h("input", { name, type: kind, value: value ?? "", autocomplete: "off" });
}

/** The form's value of a field, in the API's type. */
function read(form, name, kind) {
  const raw = form.elements[name].value;
  if (kind === "tags") return raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (kind === "number") return raw.trim() === "" ? null : Number(raw);
  if (kind === "kind" || kind === "status" || kind === "owner") return raw;
  return raw.trim() === "" ? null : raw.trim();
}

function same(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function warningsBox(account) {
  if (!account.warnings?.length) return null;
  return h("div", { class: "notice", dataset: { test: "address-warnings" } },
    h("strong", { text: t("backoffice.base.warnings") }),
    h("ul", {}, account.warnings.map((w) => h("li", {}, w.detail,
      (w.suggestions || []).slice(0, 3).map((s) => h("div", { class: "muted", text: t("backoffice.base.suggestion", s) }))))));
}

function accountForm(account, dir, { etag, onSaved }) {
  const creating = !account.id;
  const status = h("div", { attrs: { "aria-live": "polite" } });
  const fieldNodes = new Map();
  const sections = ["identity", "address", "follow"].map((section) =>
    h("fieldset", {}, h("legend", { text: t(`backoffice.base.section_${section}`) }),
      FIELDS.filter(([, , s]) => s === section).map(([name, kind]) => {
        const error = h("span", { class: "form-error", dataset: { test: `error-${name}` } });
        const node = h("label", { dataset: { field: name } }, label(name), input(name, kind, account[name], dir), error);
        fieldNodes.set(name, { node, error });
        return node;
      })));
  // The answer shows right above the sticky save button: visible wherever the user scrolled.
  const form = h("form", { class: "bo-account-form", dataset: { test: "account-form" }, attrs: { novalidate: true } },
    warningsBox(account), sections,
    h("div", { class: "sticky-actions" }, status,
      h("button", { type: "submit", class: "primary block", dataset: { test: "save" }, text: t("common.save") })));
  const personOnly = ["first_name", "last_name", "civility"];
  const companyOnly = ["siret", "naf_code", "trade_name"];
  function toggleKind() {
    const person = form.elements.kind.value === "person";
    for (const name of personOnly) fieldNodes.get(name)?.node.toggleAttribute("hidden", !person);
    for (const name of companyOnly) fieldNodes.get(name)?.node.toggleAttribute("hidden", person);
  }
  form.elements.kind.addEventListener("change", toggleKind);
  toggleKind();

  function showErrors(error) {
    for (const { error: box, node } of fieldNodes.values()) {
      box.textContent = "";
      node.querySelector("input, select, textarea")?.removeAttribute("aria-invalid");
    }
    for (const e of error?.problem?.errors || []) {
      const target = fieldNodes.get((e.field || "").split(".")[0]);
      if (!target) continue;
      target.error.textContent = e.detail || "";
      target.node.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    replace(status);
    document.querySelector("[data-test=saved]")?.remove(); // an earlier "Enregistré." no longer holds
    const body = {};
    for (const [name, kind] of FIELDS) {
      if (fieldNodes.get(name).node.hidden) continue;
      const value = read(form, name, kind);
      if (creating ? value !== null && !(Array.isArray(value) && !value.length) : !same(value, account[name])) body[name] = value;
    }
    if (!creating && Object.keys(body).length === 0) {
      replace(status, h("p", { class: "notice", text: t("backoffice.base.nothing_changed") }));
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const saved = creating
        ? await api("/api/accounts", { method: "POST", body })
        : await api(`/api/accounts/${account.id}`, { method: "PATCH", body, headers: { "If-Match": etag } });
      showErrors(null);
      onSaved(saved);
    } catch (error) {
      button.disabled = false;
      showErrors(error);
      if (error.status === 412) {
        replace(status, h("div", { class: "notice", attrs: { role: "alert" }, dataset: { test: "stale" } },
          h("p", { text: t("backoffice.base.stale") }),
          h("button", { type: "button", class: "small", dataset: { test: "reload" }, on: { click: () => show() }, text: t("backoffice.base.reload") })));
      } else {
        replace(status, errorBox(error));
      }
    }
  });
  return form;
}

/** Accounts that look like this one (GET /api/accounts/{id}/duplicates); none if it fails. */
async function duplicatesOf(id) {
  try {
    return await api(`/api/accounts/${encodeURIComponent(id)}/duplicates`);
  } catch (error) {
    console.warn("duplicates unavailable", error);
    return [];
  }
}

function duplicatesBox(candidates, dir) {
  if (!candidates.length) return null;
  return h("div", { class: "notice", dataset: { test: "duplicates" } },
    h("strong", { text: t("backoffice.base.duplicates") }),
    h("ul", {}, candidates.map((c) => h("li", { dataset: { test: "duplicate", id: c.account.id } },
      h("a", { href: `#/base/${c.account.id}`, text: c.account.name }),
      h("span", { class: "muted", text: ` · ${placeAndOwner(c.account, dir)}` }),
      h("div", { class: "muted", dataset: { test: "duplicate-reasons" }, text: duplicateReasons(c) })))));
}

async function editAccount({ id }) {
  const [{ record, etag }, dir, candidates] = await Promise.all([
    getWithEtag(`/api/accounts/${encodeURIComponent(id)}`), directory(), duplicatesOf(id)]);
  const holder = h("div", {});
  function render(account, tag, message) {
    replace(holder,
      message && h("p", { class: "notice", attrs: { role: "status" }, dataset: { test: "saved" }, text: message }),
      h("p", { class: "muted", dataset: { test: "version" }, text: t("backoffice.base.updated", { when: fmt.ago(account.updated_at), version: account.version }) }),
      duplicatesBox(candidates, dir),
      accountForm(account, dir, {
        etag: tag,
        // The PATCH answer carries the new version; read it again for its ETag.
        onSaved: async () => {
          const fresh = await getWithEtag(`/api/accounts/${account.id}`);
          render(fresh.record, fresh.etag, t("backoffice.base.saved"));
        },
      }));
  }
  render(record, etag, flash);
  flash = null;
  return screen("account", t("backoffice.base.edit_title"),
    h("div", { class: "row" },
      h("a", { class: "button small", href: "#/base", text: t("backoffice.base.back") }),
      h("a", { class: "button small", href: `#/audit/account/${record.id}`, dataset: { test: "audit-link" }, text: t("backoffice.base.history") })),
    holder);
}

/** The base's likely duplicates, surest first (GET /api/accounts/duplicates). */
async function duplicatePairs() {
  const [dir, listed] = await Promise.all([directory(), api("/api/accounts/duplicates", { query: { limit: 200 } })]);
  const side = (a) => h("div", {},
    h("a", { href: `#/base/${a.id}`, dataset: { test: "pair-account", id: a.id }, text: a.name }),
    h("span", { class: "muted", text: ` · ${placeAndOwner(a, dir)}` }));
  return screen("base", t("backoffice.base.pairs_title"),
    h("a", { class: "button small", href: "#/base", text: t("backoffice.base.back") }),
    h("p", { class: "muted", dataset: { test: "pairs-count" }, text: t("backoffice.base.pairs_count", { count: listed.length }) }),
    listed.length === 0
      ? h("p", { class: "empty", text: t("backoffice.base.pairs_empty") })
      : h("ul", { class: "list" }, listed.map((p) => h("li", { class: "card", dataset: { test: "pair" } },
        side(p.first), side(p.second),
        h("p", { class: "muted", dataset: { test: "pair-reasons" }, text: duplicateReasons(p) })))));
}

async function newAccount() {
  const dir = await directory();
  const defaults = { kind: "company", status: "prospect_cold", owner_id: dir.reps[0]?.id || session.user?.id, tags: [] };
  return screen("account", t("backoffice.base.new_title"),
    h("a", { class: "button small", href: "#/base", text: t("backoffice.base.back") }),
    accountForm(defaults, dir, {
      onSaved: (created) => {
        flash = t("backoffice.base.created");
        navigate(`#/base/${created.id}`);
      },
    }));
}

registerRoute("#/base", guarded(baseList), { roles: REVIEWERS });
registerRoute("#/base/new", guarded(newAccount), { roles: REVIEWERS });
registerRoute("#/base/duplicates", guarded(duplicatePairs), { roles: REVIEWERS });
registerRoute("#/base/:id", guarded(editAccount), { roles: REVIEWERS });
