// A Leaflet map of stops (OpenStreetMap tiles when online, with attribution). Without tiles
// (offline) the markers and the line still show on a plain background: the list is the truth.
import * as L from "/vendor/leaflet/dist/leaflet-src.esm.js";
import { h } from "./dom.js";
import { t } from "./i18n/index.js";

const TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
const CSS = "/vendor/leaflet/dist/leaflet.css";

// Leaflet's style sheet comes with the map, so it never blocks the first paint of the app.
if (!document.querySelector(`link[href="${CSS}"]`)) {
  document.head.append(h("link", { attrs: { rel: "stylesheet" }, href: CSS }));
}

/** Draw `stops` ([{lat, lon, label, state}]) in `el`; returns a dispose function. */
export function stopsMap(el, stops) {
  const map = L.map(el, { zoomControl: true, attributionControl: true });
  map.attributionControl.setPrefix(false);
  L.tileLayer(TILES, { maxZoom: 18, attribution: t("rep.map.attribution") }).addTo(map);
  const points = [];
  for (const stop of stops) {
    const marker = h("div", { class: ["map-marker", stop.state], text: stop.label });
    const icon = L.divIcon({ html: marker, className: "", iconSize: [26, 26], iconAnchor: [13, 13] });
    L.marker([stop.lat, stop.lon], { icon, title: stop.title, keyboard: false }).addTo(map);
    points.push([stop.lat, stop.lon]);
  }
  if (points.length > 1) L.polyline(points, { color: "#0f5d6b", weight: 3, opacity: 0.6, dashArray: "6 6" }).addTo(map);
  if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 14 });
  else map.setView([45.75, 4.85], 8);
  // The container may get its size after insertion: measure again once laid out.
  requestAnimationFrame(() => map.invalidateSize());
  return () => map.remove();
}
