// The update flow: a new service worker installs in the background and waits. We tell the user,
// and only when they accept (and after a last push of the outbox) let it take over and reload.
// The outbox is in IndexedDB, which the new version opens as it is: nothing unsynced is lost.
import { h, replace } from "./dom.js";
import { t } from "./i18n/index.js";
import { syncNow } from "./sync.js";

let accepted = false;

export function watchForUpdates(registration, banner) {
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (accepted) location.reload();
  });
  if (registration.waiting && navigator.serviceWorker.controller) offer(banner, registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker?.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) offer(banner, worker);
    });
  });
  // Look for a new version when the app comes back to the foreground (hours may have passed).
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && navigator.onLine) registration.update().catch(() => {});
  });
}

function offer(banner, worker) {
  banner.hidden = false;
  const button = h("button", {
    class: "primary small",
    text: t("app.update_now"),
    on: {
      click: async () => {
        button.disabled = true;
        button.textContent = t("app.update_waiting");
        await syncNow("update"); // best effort; offline, the outbox simply stays in IndexedDB
        accepted = true;
        worker.postMessage({ type: "SKIP_WAITING" });
      },
    },
  });
  replace(banner, h("span", { text: t("app.update_ready") }), button);
}
