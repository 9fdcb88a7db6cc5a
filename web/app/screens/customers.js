// Customers: local search and filters (filled in next).
import { h } from "../dom.js";
import { t } from "../i18n/index.js";
import { registerRoute } from "../router.js";

registerRoute("#/customers", () => h("section", { class: "screen" }, h("h1", { text: t("nav.customers") })), {
  nav: { label: "nav.customers", icon: "customers", order: 20 },
});
