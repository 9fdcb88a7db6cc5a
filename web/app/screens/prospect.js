// A new prospect with its first contact, created offline (client UUIDs) and, by default,
// visited now: account, contact and visit are queued in that order and sync in that order.
// Online, the company's fields are compared with the rep's customers as they are typed
// (POST /api/accounts/duplicates/check): a customer that looks the same is shown with a
// link to its sheet, before a second one is created. Offline nothing is shown.
import { api } from "../api.js";
import { formValues, h, replace } from "../dom.js";
import { t } from "../i18n/index.js";
import { navigate, registerRoute } from "../router.js";
import { session } from "../session.js";
import { mutate } from "../store.js";
import { duplicateReasons, enumLabel } from "./common.js";

const STATUSES = ["prospect_hot", "prospect_warm", "prospect_cold", "suspect"];

/** The company fields compared with existing customers. */
const COMPARED = ["name", "address_line1", "postal_code", "city", "phone", "email"];
const CHECK_DELAY_MS = 400;

function input(name, label, props = {}) {
  return h("label", { text: label }, h("input", { name, ...props }));
}

registerRoute("#/prospect/new", () => {
  const error = h("p", { class: "form-error", hidden: true, attrs: { role: "alert" } });
  const duplicates = h("div", { class: "notice", hidden: true, dataset: { test: "prospect-duplicates" }, attrs: { "aria-live": "polite" } });
  let checks = 0;
  let timer = null;
  async function checkDuplicates() {
    const mine = ++checks;
    const v = formValues(form);
    const body = Object.fromEntries(COMPARED.filter((name) => v[name]).map((name) => [name, v[name]]));
    let found = [];
    if ((body.name || body.phone || body.email) && navigator.onLine) {
      try {
        found = await api("/api/accounts/duplicates/check", { method: "POST", body, timeout: 5000 });
      } catch {
        found = []; // offline after all, or a number half typed (422): nothing to say
      }
    }
    if (mine !== checks) return; // a later check is on its way
    replace(duplicates, h("strong", { text: t("rep.prospect.duplicates") }),
      h("ul", {}, found.map((c) => h("li", { dataset: { test: "prospect-duplicate", id: c.account.id } },
        h("a", { href: `#/customers/${c.account.id}`, text: c.account.name }),
        h("div", { class: "muted", text: [[c.account.postal_code, c.account.city].filter(Boolean).join(" "), duplicateReasons(c)].filter(Boolean).join(" · ") })))));
    duplicates.hidden = !found.length;
  }
  const form = h("form", {
    class: "card", dataset: { test: "prospect-form" },
    on: {
      submit: async (e) => {
        e.preventDefault();
        const v = formValues(form);
        if (!v.name || !v.last_name) {
          error.hidden = false;
          error.textContent = t("rep.prospect.required");
          return;
        }
        const account = await mutate("account", "create", {
          kind: "company", name: v.name, status: v.status || "prospect_warm", owner_id: session.user?.id,
          address_line1: v.address_line1, postal_code: v.postal_code, city: v.city, country: "FR",
          phone: v.phone, email: v.email,
        });
        const contact = await mutate("contact", "create", {
          account_id: account.id, civility: v.civility, first_name: v.first_name, last_name: v.last_name,
          job_title: v.job_title, mobile: v.mobile, email: v.contact_email, is_primary: true,
        });
        if (v.visit_now) {
          const visit = await mutate("interaction", "create", {
            account_id: account.id, user_id: session.user?.id, contact_ids: [contact.id], kind: "visit",
            status: "planned", starts_at: new Date().toISOString(), channel: "in_person", initiated_by: "us",
            subject: t("rep.prospect.first_visit"),
          });
          return navigate(`#/visit/${visit.id}`);
        }
        navigate(`#/customers/${account.id}`);
      },
    },
  },
  h("h2", { text: t("rep.prospect.company") }),
  input("name", t("field.name"), { required: true, maxLength: 200, autocomplete: "organization" }),
  duplicates,
  h("label", { text: t("field.status") }, h("select", { name: "status" },
    STATUSES.map((s) => h("option", { value: s, text: enumLabel("status", s), selected: s === "prospect_warm" })))),
  input("address_line1", t("field.address_line1"), { maxLength: 200, autocomplete: "address-line1" }),
  h("div", { class: "row" },
    h("div", { class: "grow" }, input("postal_code", t("field.postal_code"), { maxLength: 10, inputMode: "numeric", autocomplete: "postal-code" })),
    h("div", { class: "grow" }, input("city", t("field.city"), { maxLength: 100 }))),
  input("phone", t("field.phone"), { type: "tel", autocomplete: "tel" }),
  input("email", t("field.email"), { type: "email" }),
  h("h2", { text: t("rep.prospect.contact") }),
  h("label", { text: t("field.civility") }, h("select", { name: "civility" },
    h("option", { value: "", text: t("common.none") }), h("option", { value: "Mme", text: "Mme" }), h("option", { value: "M.", text: "M." }))),
  input("first_name", t("field.first_name"), { maxLength: 100 }),
  input("last_name", t("field.last_name"), { required: true, maxLength: 100 }),
  input("job_title", t("field.job_title"), { maxLength: 120 }),
  input("mobile", t("field.mobile"), { type: "tel" }),
  input("contact_email", t("field.email"), { type: "email" }),
  h("label", { class: "row" }, h("input", { type: "checkbox", name: "visit_now", checked: true }), t("rep.prospect.visit_now")),
  error,
  h("div", { class: "sticky-actions" }, h("button", { type: "submit", class: "primary block", dataset: { test: "create-prospect" }, text: t("rep.prospect.create") })),
  );
  form.addEventListener("change", (event) => {
    if (!COMPARED.includes(event.target.name)) return;
    clearTimeout(timer);
    timer = setTimeout(checkDuplicates, CHECK_DELAY_MS);
  });
  return h("section", { class: "screen prospect" }, h("header", {}, h("h1", { text: t("rep.prospect.new") })), form);
}, { nav: { label: "nav.new_prospect", icon: "prospect", order: 30 } });
