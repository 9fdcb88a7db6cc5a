// The sync bar, always visible: online or not, changes waiting, last sync, the error in plain
// words, the "Synchroniser" button, and a link to what happened to refused or merged changes.
import { h, replace } from "./dom.js";
import { fmt, t } from "./i18n/index.js";
import { isLoggedIn } from "./session.js";
import { onSyncState, syncNow } from "./sync.js";
import { onStoreChange, unseenOutcomes } from "./store.js";

export function mountSyncBar(root) {
  let outcomes = 0;
  const render = (state) => {
    if (!isLoggedIn() && !state.pending) {
      root.hidden = true;
      return;
    }
    root.hidden = false;
    const online = state.online && navigator.onLine;
    let status;
    if (state.running && state.downloading !== null) status = t("sync.first_download", { count: state.downloading });
    else if (state.running) status = t("sync.running");
    else status = state.lastSyncAt ? t("sync.last", { when: fmt.ago(state.lastSyncAt) }) : t("sync.never");
    replace(
      root,
      h("div", { class: "syncbar-main" },
        h("span", { class: ["pill", online ? "online" : "offline"], dataset: { test: "network" }, text: online ? t("sync.online") : t("sync.offline") }),
        h("span", { class: ["pending", state.pending && "has-pending"], dataset: { test: "pending", count: String(state.pending) },
          text: state.pending ? t("sync.pending_short", { count: state.pending }) : t("sync.nothing_pending") }),
        h("button", {
          class: "sync-button", type: "button", disabled: state.running, dataset: { test: "sync-now", runs: String(state.runs) },
          text: state.running ? t("sync.running") : t("sync.now"),
          on: { click: () => syncNow("button") },
        }),
      ),
      h("div", { class: "syncbar-detail" },
        h("span", { dataset: { test: "last-sync" }, text: status }),
        state.error && h("span", { class: "sync-error", attrs: { role: "alert" }, dataset: { test: "sync-error" }, text: state.error }),
        state.needsLogin && h("a", { href: "#/login", class: "sync-outcomes", dataset: { test: "relogin" }, text: t("login.again") }),
        outcomes > 0 && h("a", { href: "#/sync", class: "sync-outcomes", dataset: { test: "outcomes-link" }, text: t("sync.outcomes_title") + ` (${outcomes})` }),
      ),
    );
  };
  let last = null;
  onSyncState((state) => { last = state; render(state); });
  const countOutcomes = async () => {
    outcomes = (await unseenOutcomes()).length;
    if (last) render(last);
  };
  onStoreChange(countOutcomes);
  countOutcomes();
  setInterval(() => last && !last.running && render(last), 30000); // "il y a N min" moves on
}
