// Several reps' routes on one Leaflet map, one colour each (OpenStreetMap tiles with their
// attribution when online). Without tiles the numbered markers and the lines still show on a
// plain background; the lists next to the map stay the reference.
import * as L from "/vendor/leaflet/dist/leaflet-src.esm.js";
import { h } from "../dom.js";

const TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
export const COLOURS = ["#0f5d6b", "#b3261e", "#6a3fa0", "#1e7a3a", "#c05f00", "#1f4f99", "#8a1c5a", "#4d5b00"];

/**
 * Draw `routes` ([{colour, start, end, stops: [{lat, lon, label, title}]}]) in `el`.
 * Returns {focus(i), dispose()}: focus fits the map to route i (all routes for null).
 */
export function routesMap(el, routes, { attribution }) {
  const map = L.map(el, { zoomControl: true, attributionControl: true });
  map.attributionControl.setPrefix(false);
  L.tileLayer(TILES, { maxZoom: 18, attribution }).addTo(map);
  const bounds = [];
  routes.forEach((route, index) => {
    const colour = COLOURS[index % COLOURS.length];
    const points = [];
    if (route.start) {
      const home = h("div", { class: `bo-home bo-c${index % COLOURS.length}` });
      L.marker([route.start.lat, route.start.lon], {
        icon: L.divIcon({ html: home, className: "", iconSize: [14, 14], iconAnchor: [7, 7] }), keyboard: false, title: route.name,
      }).addTo(map);
      points.push([route.start.lat, route.start.lon]);
    }
    for (const stop of route.stops) {
      const marker = h("div", { class: `map-marker bo-c${index % COLOURS.length}`, text: stop.label });
      L.marker([stop.lat, stop.lon], {
        icon: L.divIcon({ html: marker, className: "", iconSize: [26, 26], iconAnchor: [13, 13] }), title: stop.title, keyboard: false,
      }).addTo(map);
      points.push([stop.lat, stop.lon]);
    }
    if (route.end) points.push([route.end.lat, route.end.lon]);
    if (points.length > 1) L.polyline(points, { color: colour, weight: 3, opacity: 0.75 }).addTo(map);
    bounds[index] = points;
  });
  const all = bounds.flat();
  function focus(index) {
    const points = index === null || index === undefined ? all : bounds[index] || [];
    if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.15), { maxZoom: 13 });
    else map.setView([45.75, 4.85], 8);
  }
  focus(null);
  requestAnimationFrame(() => map.invalidateSize());
  return { focus, dispose: () => map.remove() };
}
