// Today: the planned round (planned visits the device received by sync), as a map and a list,
// next stop first, with navigation (Waze for one stop, Google Maps for the round in legs of 10),
// call and e-mail. Works offline: everything comes from the local store.
import { h } from "../dom.js";
import { fmt, t } from "../i18n/index.js";
import { googleMapsLegs, nextRoundDay, roundOf, wazeUrl } from "../queries.js";
import { registerRoute, show } from "../router.js";
import { onStoreChange, pendingIds } from "../store.js";

function contactLinks(contact, account) {
  const phone = contact?.mobile || contact?.phone || account.phone;
  const email = contact?.email || account.email;
  return [
    phone && h("a", { class: "button small", href: `tel:${phone}`, text: t("common.call") }),
    email && h("a", { class: "button small", href: `mailto:${email}`, text: t("common.email") }),
  ];
}

function stopCard(stop, n, { next, pending }) {
  const { visit, account, contact } = stop;
  const hasPosition = account.latitude !== null && account.latitude !== undefined;
  return h("li", { class: ["card stop", stop.done && "done", next && "next"], dataset: { test: "stop", id: visit.id } },
    h("span", { class: "stop-number", text: String(n) }),
    h("div", { class: "grow" },
      h("div", { class: "row" },
        h("a", { class: "stop-title grow", href: `#/customers/${account.id}`, text: account.name }),
        h("span", { class: "muted", text: fmt.time(visit.starts_at) })),
      h("p", { class: "muted", text: [account.address_line1, [account.postal_code, account.city].filter(Boolean).join(" ")].filter(Boolean).join(", ") }),
      contact && h("p", { text: [contact.civility, contact.first_name, contact.last_name].filter(Boolean).join(" ") + (contact.job_title ? ` — ${contact.job_title}` : "") }),
      visit.subject && h("p", { class: "muted", text: visit.subject }),
      h("div", { class: "row" },
        next && h("span", { class: "badge warm", text: t("rep.today.next") }),
        stop.done && h("span", { class: "badge done", text: t("rep.today.done") }),
        pending.has(visit.id) && h("span", { class: "badge pending", text: t("common.pending_badge") })),
      h("div", { class: "actions" },
        h("a", { class: ["button small", next && "primary"], href: `#/visit/${visit.id}`, dataset: { test: "open-visit" }, text: stop.done ? t("rep.today.see_report") : t("rep.today.visit") }),
        hasPosition && h("a", { class: "button small", href: wazeUrl(account.latitude, account.longitude), attrs: { target: "_blank", rel: "noopener" }, text: "Waze" }),
        contactLinks(contact, account)),
    ),
  );
}

registerRoute("#/today", async (_params, ctx) => {
  const today = new Date();
  let day = today;
  let stops = await roundOf(today);
  let heading = t("rep.today.title", { day: fmt.day(today) });
  if (!stops.length) {
    const next = await nextRoundDay(today);
    if (next) {
      day = next;
      stops = await roundOf(next);
      heading = t("rep.today.next_round", { day: fmt.day(next) });
    }
  }
  const pending = await pendingIds();
  const todo = stops.filter((s) => !s.done);
  const done = stops.filter((s) => s.done);
  const ordered = [...todo, ...done];
  const placed = todo.filter((s) => s.account.latitude !== null && s.account.latitude !== undefined)
    .map((s) => ({ lat: s.account.latitude, lon: s.account.longitude }));
  const legs = googleMapsLegs(placed);
  const mapEl = h("div", { class: "map", attrs: { role: "img", "aria-label": t("rep.today.map_label") } });
  const numbers = new Map(stops.map((s, i) => [s.visit.id, i + 1]));

  const screen = h("section", { class: "screen today", dataset: { day: day.toISOString() } },
    h("header", {}, h("h1", { text: heading })),
    stops.length === 0
      ? h("p", { class: "empty", dataset: { test: "no-round" }, text: t("rep.today.empty") })
      : h("div", { class: "today-layout" },
        h("div", {},
          mapEl,
          h("p", { class: "muted", text: t("rep.today.summary", { count: stops.length, done: done.length }) }),
          legs.length > 0 && h("div", { class: "actions" }, legs.map((leg) =>
            h("a", { class: "button small", href: leg.url, attrs: { target: "_blank", rel: "noopener" }, dataset: { test: "gmaps-leg" },
              text: legs.length === 1 ? t("rep.today.gmaps") : t("rep.today.gmaps_leg", { from: leg.from, to: leg.to }) })))),
        h("ol", { class: "list", dataset: { test: "round" } },
          ordered.map((stop, i) => stopCard(stop, numbers.get(stop.visit.id), { next: i === 0 && !stop.done, pending })))),
  );
  if (stops.length) {
    const markers = stops.filter((s) => s.account.latitude !== null && s.account.latitude !== undefined).map((s) => ({
      lat: s.account.latitude, lon: s.account.longitude, label: String(numbers.get(s.visit.id)), title: s.account.name,
      state: s.done ? "done" : s === todo[0] ? "next" : "",
    }));
    requestAnimationFrame(() => {
      if (!ctx.isCurrent() || !mapEl.isConnected) return;
      // Leaflet loads after the list is on screen: the round must not wait for the map.
      import("../map.js").then(({ stopsMap }) => {
        if (ctx.isCurrent() && mapEl.isConnected) ctx.onLeave(stopsMap(mapEl, markers));
      }).catch((error) => console.warn("map", error));
    });
  }
  // New planned visits may arrive by sync while the screen is open.
  let timer = null;
  ctx.onLeave(onStoreChange(() => {
    clearTimeout(timer);
    timer = setTimeout(() => ctx.isCurrent() && document.activeElement?.tagName !== "INPUT" && show(), 300);
  }));
  ctx.onLeave(() => clearTimeout(timer));
  return screen;
}, { nav: { label: "nav.today", icon: "today", order: 10 } });
