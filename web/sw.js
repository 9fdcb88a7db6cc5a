// Tournée's service worker: the app shell and its vendor modules in a versioned cache, so the
// app opens without network. The server fills in VERSION (a hash of the app's files) and
// ASSETS when it serves this file: any change to the app is a new worker.
//
// Updates never lose unsynced work: the outbox lives in IndexedDB, not here, and a new worker
// waits (no skipWaiting at install) until the page, having pushed what it could, tells it
// {type: "SKIP_WAITING"}. The API is never cached: it is the sync engine's business.
"use strict";

const VERSION = "__VERSION__";
const ASSETS = ["__ASSETS__"];
const SHELL = `tournee-shell-${VERSION}`;
const RUNTIME = "tournee-runtime"; // vendor files fetched on demand (Leaflet's images)
const EXPECTED = new Set([SHELL, RUNTIME]);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(ASSETS.map((url) => new Request(url, { cache: "reload" })))),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("tournee-") && !EXPECTED.has(n)).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
  if (event.data?.type === "VERSION") event.source?.postMessage({ type: "VERSION", version: VERSION });
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return; // tiles, POSTs
  if (url.pathname.startsWith("/api/") || url.pathname === "/sw.js") return;
  if (request.mode === "navigate") {
    // One page: every navigation gets the shell; the hash router does the rest.
    event.respondWith(caches.match("/", { cacheName: SHELL }).then((hit) => hit || fetch(request)));
    return;
  }
  event.respondWith(
    caches.match(request, { ignoreSearch: true }).then((hit) => {
      if (hit) return hit;
      return fetch(request).then((response) => {
        if (response.ok && url.pathname.startsWith("/vendor/")) {
          const copy = response.clone();
          event.waitUntil(caches.open(RUNTIME).then((cache) => cache.put(request, copy)));
        }
        return response;
      });
    }),
  );
});

// Background Sync (Chromium): wake an open page so its sync engine pushes the outbox.
self.addEventListener("sync", (event) => {
  if (event.tag !== "tournee-sync") return;
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((clients) => {
      for (const client of clients) client.postMessage({ type: "sync" });
    }),
  );
});
