// Customers: instant search and filters over the whole local slice (offline), then the sheet.
import { h, replace } from "../dom.js";
import { fmt, t } from "../i18n/index.js";
import { customerIndex, searchCustomers } from "../queries.js";
import { registerRoute } from "../router.js";
import { statusBadge } from "./common.js";

const SHOWN = 100;
const STATUS_GROUPS = ["suspect", "prospect", "client", "partner", "former_client"];
let lastFilters = { q: "", status: "", temperature: "", city: "", overdue: false };

registerRoute("#/customers", async () => {
  const idx = await customerIndex();
  const results = h("ul", { class: "list", dataset: { test: "customers" } });
  const count = h("p", { class: "muted", attrs: { "aria-live": "polite" }, dataset: { test: "count" } });
  const filters = { ...lastFilters };

  const render = () => {
    lastFilters = { ...filters };
    const found = searchCustomers(idx, filters);
    count.textContent = t("rep.customers.count", { count: found.length });
    replace(results, found.slice(0, SHOWN).map((r) =>
      h("li", {},
        h("a", { class: "card customer-row", href: `#/customers/${r.id}`, dataset: { test: "customer" } },
          h("div", { class: "row" }, h("span", { class: "name grow", text: r.name }), statusBadge(r.status)),
          h("div", { class: "row muted" },
            h("span", { class: "grow", text: [r.postal_code, r.city].filter(Boolean).join(" ") }),
            r.overdue && h("span", { class: "badge overdue", text: t("rep.customers.overdue") }),
            h("span", { text: r.lastVisit ? t("rep.customers.last_visit", { date: fmt.date(r.lastVisit) }) : t("rep.customers.never_visited") }))))),
    found.length > SHOWN && h("li", { class: "muted center", text: t("rep.customers.more", { count: found.length - SHOWN }) }));
  };
  const select = (name, options) => h("select", {
    name, attrs: { "aria-label": t(`rep.customers.filter_${name}`) },
    on: { change: (e) => { filters[name] = e.target.value; render(); } },
  }, options.map(([value, label]) => h("option", { value, text: label, selected: filters[name] === value })));

  render();
  return h("section", { class: "screen customers" },
    h("header", {}, h("h1", { text: t("nav.customers") }),
      h("a", { class: "button small primary", href: "#/prospect/new", text: t("rep.prospect.new") })),
    h("div", { class: "search" },
      h("input", {
        type: "search", name: "q", value: filters.q, placeholder: t("rep.customers.search"), autocomplete: "off",
        enterKeyHint: "search", attrs: { "aria-label": t("rep.customers.search") },
        on: { input: (e) => { filters.q = e.target.value; render(); } },
      }),
      h("div", { class: "filters" },
        select("status", [["", t("rep.customers.all_statuses")], ...STATUS_GROUPS.map((s) => [s, t(`enum.status_group.${s}`)])]),
        select("temperature", [["", t("rep.customers.all_temperatures")], ...["hot", "warm", "cold"].map((s) => [s, t(`enum.temperature.${s}`)])]),
        select("city", [["", t("rep.customers.all_cities")], ...idx.cities.map((c) => [c, c])]),
        h("label", { class: "check" },
          h("input", { type: "checkbox", name: "overdue", checked: filters.overdue, on: { change: (e) => { filters.overdue = e.target.checked; render(); } } }),
          t("rep.customers.overdue_only")))),
    count,
    results,
  );
}, { nav: { label: "nav.customers", icon: "customers", order: 20 } });
