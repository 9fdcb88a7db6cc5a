// The customer sheet: identity, contacts (tap to call or e-mail), figures, timeline of
// interactions, notes, follow-ups and orders; a quick note, a follow-up, a new visit. Offline.
import { formValues, h } from "../dom.js";
import { fmt, t } from "../i18n/index.js";
import { customerSheet, isoDay, wazeUrl } from "../queries.js";
import { navigate, registerRoute, show } from "../router.js";
import { session } from "../session.js";
import { mutate, pendingIds } from "../store.js";
import { enumLabel, reachLinks, statusBadge } from "./common.js";

function figure(what, value, test) {
  return h("div", { class: "figure", dataset: { test } }, h("div", { class: "value", text: value }), h("div", { class: "what", text: what }));
}

function pendingBadge(pending, id) {
  return pending.has(id) && h("span", { class: "badge pending", text: t("common.pending_badge") });
}

/** A quick note on the account (optionally on a visit): saved on the device, synced later. */
export function noteForm(accountId, interactionId = null, after = show) {
  const form = h("form", {
    class: "card", dataset: { test: "note-form" },
    on: {
      submit: async (e) => {
        e.preventDefault();
        const { body } = formValues(form);
        if (!body) return;
        await mutate("note", "create", { account_id: accountId, interaction_id: interactionId, body });
        form.reset();
        after();
      },
    },
  },
  h("label", { text: t("rep.note.label") }, h("textarea", { name: "body", rows: 3, required: true, maxLength: 20000 })),
  h("button", { type: "submit", class: "primary block", text: t("rep.note.save") }));
  return form;
}

/** A follow-up (relance) on the account: due date and reason. */
export function followupForm(accountId, interactionId = null, after = show) {
  const tomorrow = isoDay(new Date(Date.now() + 86400000));
  const form = h("form", {
    class: "card", dataset: { test: "followup-form" },
    on: {
      submit: async (e) => {
        e.preventDefault();
        const { due_date: due, reason } = formValues(form);
        if (!due || !reason) return;
        await mutate("followup", "create", {
          account_id: accountId, interaction_id: interactionId, due_date: due, reason, done: false, assignee_id: session.user?.id,
        });
        form.reset();
        after();
      },
    },
  },
  h("label", { text: t("rep.followup.due") }, h("input", { type: "date", name: "due_date", value: tomorrow, required: true })),
  h("label", { text: t("rep.followup.reason") }, h("input", { name: "reason", required: true, maxLength: 500 })),
  h("button", { type: "submit", class: "block", text: t("rep.followup.save") }));
  return form;
}

/** Start a visit now on this account and open the visit screen. */
async function newVisit(accountId) {
  const visit = await mutate("interaction", "create", {
    account_id: accountId, user_id: session.user?.id, kind: "visit", status: "planned",
    starts_at: new Date().toISOString(), channel: "in_person", initiated_by: "us", contact_ids: [],
  });
  navigate(`#/visit/${visit.id}`);
}

registerRoute("#/customers/:id", async ({ id }) => {
  const sheet = await customerSheet(id);
  if (!sheet) return h("p", { class: "empty", text: t("rep.customer.gone") });
  const { account: a, figures } = sheet;
  const pending = await pendingIds();
  const address = [a.address_line1, a.address_line2, [a.postal_code, a.city].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  const hasPosition = a.latitude !== null && a.latitude !== undefined;

  return h("section", { class: "screen customer", dataset: { test: "customer-sheet" } },
    h("header", {},
      h("h1", { text: a.name }), statusBadge(a.status), pendingBadge(pending, a.id)),
    a.trade_name && h("p", { class: "muted", text: a.trade_name }),
    address && h("p", { text: address }),
    h("div", { class: "actions" },
      h("button", { class: "primary", type: "button", dataset: { test: "new-visit" }, text: t("rep.customer.new_visit"), on: { click: () => newVisit(a.id) } }),
      hasPosition && h("a", { class: "button", href: wazeUrl(a.latitude, a.longitude), attrs: { target: "_blank", rel: "noopener" }, text: "Waze" }),
      reachLinks({ phone: a.phone, email: a.email })),

    h("div", { class: "figures" },
      figure(t("rep.customer.revenue"), fmt.money(figures.revenue), "revenue"),
      figure(t("rep.customer.margin"), fmt.money(figures.margin), "margin"),
      figure(t("rep.customer.unpaid"), fmt.money(figures.unpaid), "unpaid"),
      figure(t("rep.customer.last_visit"), figures.lastVisit ? fmt.date(figures.lastVisit) : t("rep.customers.never_visited"), "last-visit")),

    h("h2", { text: t("rep.customer.contacts") }),
    sheet.contacts.length === 0 && h("p", { class: "muted", text: t("rep.customer.no_contacts") }),
    h("ul", { class: "list" }, sheet.contacts.map((c) => h("li", { class: "card" },
      h("div", { class: "row" },
        h("strong", { class: "grow", text: [c.civility, c.first_name, c.last_name].filter(Boolean).join(" ") }),
        pendingBadge(pending, c.id)),
      c.job_title && h("p", { class: "muted", text: c.job_title }),
      h("div", { class: "actions" }, reachLinks({ phone: c.mobile || c.phone, email: c.email }))))),

    h("h2", { text: t("rep.customer.followups") }),
    h("ul", { class: "list", dataset: { test: "followups" } }, sheet.followups.map((f) => h("li", { class: "card" },
      h("p", { class: "note-body", text: f.reason }),
      h("div", { class: "row" },
        h("span", { class: ["badge", f.done ? "done" : f.due_date < isoDay(new Date()) ? "overdue" : ""], text: fmt.date(f.due_date) }),
        h("span", { class: "grow" }),
        pendingBadge(pending, f.id),
        !f.done && h("button", { class: "small", type: "button", text: t("rep.followup.mark_done"),
          on: { click: async () => { await mutate("followup", "update", { done: true }, f.id); show(); } } }))))),
    followupForm(a.id),

    h("h2", { text: t("rep.customer.notes") }),
    h("ul", { class: "list", dataset: { test: "notes" } }, sheet.notes.map((n) => h("li", { class: "card" },
      h("p", { class: "note-body", dataset: { test: "note-body" }, text: n.body }),
      h("p", { class: "muted row" }, h("span", { class: "grow", text: fmt.date(n.created_at) }), pendingBadge(pending, n.id))))),
    noteForm(a.id),

    h("h2", { text: t("rep.customer.timeline") }),
    sheet.interactions.length === 0 && h("p", { class: "muted", text: t("rep.customer.no_interactions") }),
    h("ul", { class: "list timeline", dataset: { test: "timeline" } }, sheet.interactions.map((i) => h("li", {},
      h("a", { class: "customer-row", href: `#/visit/${i.id}` },
        h("div", { class: "row" },
          h("strong", { class: "grow", text: `${enumLabel("kind", i.kind)} — ${fmt.date(i.starts_at)}` }),
          h("span", { class: ["badge", i.status === "done" && "done"], text: enumLabel("interaction_status", i.status) }),
          pendingBadge(pending, i.id)),
        (i.summary || i.subject) && h("p", { class: "note-body", text: i.summary || i.subject }),
        i.outcome && h("p", { class: "muted", text: enumLabel("outcome", i.outcome) }))))),

    h("h2", { text: t("rep.customer.orders") }),
    sheet.orders.length === 0 && h("p", { class: "muted", text: t("rep.customer.no_orders") }),
    h("ul", { class: "list" }, sheet.orders.slice(0, 20).map((o) => h("li", { class: "card row" },
      h("span", { class: "grow", text: `${o.reference || ""} ${fmt.date(o.order_date)}` }),
      h("strong", { text: fmt.money(o.amount_excl_vat) }),
      h("span", { class: ["badge", o.paid ? "done" : "overdue"], text: o.paid ? t("rep.customer.paid") : t("rep.customer.unpaid_badge") })))),
  );
}, { roles: null });
