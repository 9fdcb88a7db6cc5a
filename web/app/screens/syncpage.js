// Sync details: what happened to merged, conflicting, rejected and blocked changes (next).
import { h } from "../dom.js";
import { t } from "../i18n/index.js";
import { registerRoute } from "../router.js";

registerRoute("#/sync", () => h("section", { class: "screen" }, h("h1", { text: t("sync.outcomes_title") })), {
  nav: { label: "nav.sync", icon: "sync", order: 90 },
});
