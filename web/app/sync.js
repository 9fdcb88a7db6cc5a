// The sync engine: push the outbox, then pull (or bootstrap) the replica, per
// docs/sync-protocol.md. One run at a time (across tabs too, with Web Locks); runs on start,
// when the network comes back, when the app is shown again, on the button, every few minutes
// while open, and when the service worker relays a Background Sync event (Chromium only; the
// other triggers never depend on it). Failures retry with exponential backoff. A 410 means
// "resync": the outbox is pushed first, then the replica is downloaded again. A 426 means
// "upgrade": nothing is sent any more until the app updates, and the outbox stays.
import { api, ApiError, describeError } from "./api.js";
import { t } from "./i18n/index.js";
import { session } from "./session.js";
import {
  applyServerEntries, clearReplica, getMeta, onStoreChange, outboxBatch, pendingCount,
  reserveMidsAbove, setMeta, settle,
} from "./store.js";

export const PROTOCOL = 1;
export const APP_VERSION = "web-1";
const PUSH_BATCH = 200;
const PAGE = 1000;
const PERIOD_MS = 3 * 60 * 1000;
const LOCAL_DELAY_MS = 1500;
const BACKOFF_BASE_MS = 2000;
const BACKOFF_MAX_MS = 5 * 60 * 1000;
const REST_PATH = {
  account: "accounts", contact: "contacts", interaction: "interactions", note: "notes",
  followup: "followups", opportunity: "opportunities", order: "orders",
};

/** What the sync bar shows. */
export const state = {
  online: navigator.onLine,
  running: false,
  pending: 0,
  lastSyncAt: null,
  error: null,          // plain French sentence, or null
  retryAt: null,        // when the next automatic try happens after a failure
  needsLogin: false,    // 401: the token is gone; the outbox waits for the next login
  upgradeRequired: false,
  downloading: null,    // records received so far during a first download
  runs: 0,              // finished sync runs (tests wait on it)
};

const listeners = new Set();
let failures = 0;
let retryTimer = null;
let periodicTimer = null;
let runPromise = null;
let again = false;

/** Call `fn(state)` whenever the sync state changes; returns an unsubscribe function. */
export function onSyncState(fn) {
  listeners.add(fn);
  fn(state);
  return () => listeners.delete(fn);
}

function emit() {
  for (const fn of listeners) {
    try { fn(state); } catch (e) { console.error(e); }
  }
}

async function refreshPending() {
  state.pending = await pendingCount();
  emit();
}

/** Start the triggers. Call once, after login. */
export async function startSync() {
  state.lastSyncAt = (await getMeta("lastSyncAt")) || null;
  await refreshPending();
  let soon = null;
  onStoreChange((kind) => {
    refreshPending();
    if (kind !== "local") return;
    // A change made online goes out within seconds (batched with the ones that follow).
    clearTimeout(soon);
    soon = setTimeout(() => syncNow("local-change"), LOCAL_DELAY_MS);
  });
  window.addEventListener("online", () => { state.online = true; emit(); syncNow("online"); });
  window.addEventListener("offline", () => { state.online = false; emit(); });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncNow("visible");
  });
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data?.type === "sync") syncNow("background-sync");
  });
  clearInterval(periodicTimer);
  periodicTimer = setInterval(() => {
    if (document.visibilityState === "visible") syncNow("periodic");
  }, PERIOD_MS);
  return syncNow("start");
}

/**
 * Run a sync now (or join the one running; a request during a run schedules one more run).
 * Resolves when done; never throws (errors land in state.error).
 */
export function syncNow(reason = "button") {
  if (!session.token || state.upgradeRequired) return Promise.resolve();
  if (!navigator.onLine) {
    // Known offline: no request, no error; the "online" event starts the next sync.
    state.online = false;
    state.error = null;
    emit();
    if (state.pending) registerBackgroundSync();
    return Promise.resolve();
  }
  if (runPromise) {
    again = true;
    return runPromise;
  }
  state.running = true; // at once, not after the lock: the bar shows it on the tap
  emit();
  runPromise = (async () => {
    do {
      again = false;
      await exclusive(() => runOnce(reason));
    } while (again && !state.error);
  })().finally(() => { runPromise = null; });
  return runPromise;
}

/** Run `fn` holding the cross-tab sync lock when the browser has Web Locks. */
function exclusive(fn) {
  return navigator.locks ? navigator.locks.request("tournee-sync", fn) : fn();
}

async function runOnce(reason) {
  clearTimeout(retryTimer);
  state.running = true;
  state.retryAt = null;
  emit();
  try {
    await push();
    await pull();
    failures = 0;
    state.error = null;
    state.needsLogin = false;
    state.online = true;
    state.lastSyncAt = new Date().toISOString();
    await setMeta("lastSyncAt", state.lastSyncAt);
  } catch (error) {
    handleFailure(error, reason);
  } finally {
    state.running = false;
    state.downloading = null;
    state.runs += 1;
    await refreshPending();
    if (state.pending && !state.online) registerBackgroundSync();
  }
}

function handleFailure(error, reason) {
  console.warn("sync failed", reason, error);
  if (error instanceof ApiError && error.status === 401) {
    state.needsLogin = true;
    state.error = t("login.expired");
    return; // no retry: the next login syncs
  }
  if (error instanceof ApiError && error.status === 426) {
    state.upgradeRequired = true;
    state.error = t("app.upgrade_required");
    navigator.serviceWorker?.getRegistration().then((r) => r?.update()).catch(() => {});
    return;
  }
  if (error instanceof ApiError && error.kind === "network") state.online = false;
  state.error = describeError(error);
  failures += 1;
  const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1)) * (0.75 + Math.random() / 2);
  state.retryAt = Date.now() + delay;
  retryTimer = setTimeout(() => syncNow("retry"), delay);
}

/** Push the outbox in batches, oldest first, until it is empty. */
async function push() {
  for (;;) {
    const batch = await outboxBatch(PUSH_BATCH);
    if (!batch.length) return;
    const total = await pendingCount();
    const answer = await api("/api/sync/push", {
      method: "POST",
      body: {
        protocol: PROTOCOL,
        app_version: APP_VERSION,
        pending: total,
        mutations: batch.map((m) => ({
          mid: m.mid, entity: m.entity, op: m.op, id: m.id, fields: m.fields, base_version: m.base_version,
        })),
      },
    });
    await reserveMidsAbove(answer.last_mid || 0);
    const answered = new Set((answer.outcomes || []).map((o) => o.mid));
    if (!batch.some((m) => answered.has(m.mid))) throw new Error("push answered none of the batch");
    await settle(batch, answer.outcomes);
    await refetchRefused(batch, answer.outcomes);
  }
}

/** A refused update or delete left the server's record as it was: fetch it back. */
async function refetchRefused(batch, outcomes) {
  const refused = new Map(outcomes.filter((o) => o.status === "rejected" || o.status === "blocked").map((o) => [o.mid, o]));
  for (const m of batch) {
    if (!refused.has(m.mid) || m.op === "create" || !REST_PATH[m.entity]) continue;
    try {
      const data = await api(`/api/${REST_PATH[m.entity]}/${m.id}`);
      await applyServerEntries([{ entity: m.entity, id: m.id, op: "put", version: data.version, data }]);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        await applyServerEntries([{ entity: m.entity, id: m.id, op: "drop" }]);
      } else throw error;
    }
  }
}

/** Pull from the cursor; without one, download the slice (resuming an interrupted download). */
async function pull() {
  let cursor = await getMeta("cursor");
  if (!cursor) cursor = await bootstrap();
  let resyncs = 0;
  for (;;) {
    let page;
    try {
      page = await api("/api/sync/pull", { query: { protocol: PROTOCOL, cursor, limit: PAGE } });
    } catch (error) {
      if (error instanceof ApiError && error.status === 410 && resyncs++ === 0) {
        state.error = t("sync.resync");
        emit();
        await push(); // nothing the user did may be lost or come back
        await setMeta("cursor", null);
        await setMeta("bootstrapCursor", null);
        await clearReplica();
        cursor = await bootstrap();
        continue;
      }
      throw error;
    }
    await applyServerEntries(page.changes);
    cursor = page.cursor;
    await setMeta("cursor", cursor);
    if (!page.has_more) return;
  }
}

async function bootstrap() {
  let cursor = await getMeta("bootstrapCursor");
  let received = 0;
  for (;;) {
    let page;
    try {
      page = await api("/api/sync/bootstrap", { query: { protocol: PROTOCOL, cursor, limit: PAGE } });
    } catch (error) {
      if (error instanceof ApiError && error.status === 410 && cursor) {
        // The slice changed under an interrupted download: start it again.
        await setMeta("bootstrapCursor", null);
        await clearReplica();
        cursor = null;
        continue;
      }
      throw error;
    }
    await applyServerEntries(page.changes);
    received += page.changes.length;
    state.downloading = received;
    emit();
    if (!page.has_more) {
      await setMeta("bootstrapCursor", null);
      await setMeta("cursor", page.cursor);
      return page.cursor;
    }
    cursor = page.cursor;
    await setMeta("bootstrapCursor", cursor);
  }
}

/** Ask for a Background Sync (Chromium); the service worker relays it to an open page. */
async function registerBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register("tournee-sync");
  } catch {
    /* not supported or not allowed: the other triggers cover it */
  }
}

