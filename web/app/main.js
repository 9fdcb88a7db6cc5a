// Start-up: open the local store, restore the session, register the service worker, start
// the router and the sync engine. Screens register their routes by being imported here.
import { loadSession, isLoggedIn } from "./session.js";
import { startRouter, show } from "./router.js";
import { startSync, syncNow, state as syncState } from "./sync.js";
import { mountSyncBar } from "./syncbar.js";
import { watchForUpdates } from "./update.js";
import "./screens/login.js";
import "./screens/today.js";
import "./screens/customers.js";
import "./screens/customer.js";
import "./screens/visit.js";
import "./screens/prospect.js";
import "./screens/syncpage.js";
import "./screens/backoffice.js";

let syncStarted = false;

/** Start syncing once a user is logged in (called at start-up and after login). */
export async function afterLogin() {
  // The outbox must not be evicted under storage pressure: ask for persistent storage
  // (granted to installed or engaged apps; a refusal changes nothing else).
  navigator.storage?.persist?.().catch(() => {});
  if (!syncStarted) {
    syncStarted = true;
    await startSync();
  } else {
    syncState.needsLogin = false;
    await syncNow("login");
  }
}

async function boot() {
  await loadSession();
  mountSyncBar(document.getElementById("syncbar"));
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" })
      .then((registration) => watchForUpdates(registration, document.getElementById("banner")))
      .catch((e) => console.warn("service worker", e));
  }
  const ready = startRouter();
  if (isLoggedIn()) afterLogin();
  await ready;
  document.documentElement.dataset.ready = "1"; // tests and the bench wait for this
  // Build the customer search index once the round is on screen and the phone is idle.
  if (isLoggedIn()) {
    setTimeout(() => (window.requestIdleCallback || setTimeout)(() => import("./queries.js").then((q) => q.customerIndex())), 1500);
  }
}

window.addEventListener("tournee:login", () => afterLogin().then(show));
boot();
