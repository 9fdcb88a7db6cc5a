// Today: the planned round (filled in next).
import { h } from "../dom.js";
import { t } from "../i18n/index.js";
import { registerRoute } from "../router.js";

registerRoute("#/today", () => h("section", { class: "screen" }, h("h1", { text: t("nav.today") })), {
  nav: { label: "nav.today", icon: "today", order: 10 },
});
