// Tour board (managers and admins): one day's plan for each rep of the caller's scope, as
// lists and on one map; plan a preview, re-plan (a new search), accept.
// API: GET /api/plans?date=, POST /api/plans, POST /api/plans/{id}/accept.
import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { fmt, t } from "../i18n/index.js";
import { registerRoute } from "../router.js";
import { REVIEWERS, apiAll, directory, errorBox, guarded, screen } from "./common.js";
import { COLOURS, routesMap } from "./routes-map.js";

/** The board's day survives navigation; it starts as tomorrow (local). */
let boardDay = null;

function isoDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function tomorrow() {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  return isoDay(d);
}

function duration(seconds) {
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")}`;
}

function accountName(plan, id) {
  return plan.accounts?.[id]?.name || t("backoffice.board.unknown_account");
}

function stopItem(plan, stop) {
  const account = plan.accounts?.[stop.account_id];
  return [
    stop.lunch_before && h("li", { class: "bo-lunch muted", text: t("backoffice.board.lunch") }),
    h("li", { class: "bo-stop", dataset: { test: "plan-stop", kind: stop.kind } },
      h("span", { class: "bo-stop-time", text: fmt.time(stop.start) }),
      h("span", { class: "bo-stop-number", text: String(stop.position) }),
      h("span", { class: "grow" },
        h("span", { class: "bo-stop-name", text: accountName(plan, stop.account_id) }),
        h("span", { class: "muted", text: [account?.city, stop.kind === "appointment" ? t("backoffice.board.appointment") : stop.priority !== null && t("backoffice.board.priority", { priority: stop.priority })].filter(Boolean).join(" · ") }))),
  ];
}

function planBody(plan, day) {
  if (!day) return h("p", { class: "muted", text: t("backoffice.board.no_plan") });
  return h("div", {},
    h("p", { class: "muted", dataset: { test: "plan-summary" }, text: t("backoffice.board.summary", {
      visits: t("backoffice.board.visits", { count: day.stops.length }),
      km: fmt.number(Math.round(day.driving_metres / 1000)),
      driving: duration(day.driving_seconds),
      from: fmt.time(day.departure), to: fmt.time(day.arrival),
    }) }),
    h("ol", { class: "list bo-stops", dataset: { test: "plan-stops" } }, day.stops.map((s) => stopItem(plan, s))),
    plan.dropped?.length > 0 && h("details", { class: "bo-dropped" },
      h("summary", { text: t("backoffice.board.dropped", { count: plan.dropped.length }) }),
      h("ul", { class: "list" }, plan.dropped.map((d) =>
        h("li", { class: "muted", text: `${accountName(plan, d.account_id)} — ${t(`backoffice.board.reason.${d.reason}`)}` })))));
}

function repCard(rep, index, entry, actions) {
  const { plan, seed } = entry;
  const day = plan?.days.find((d) => d.day === boardDay);
  const status = h("div", {}, entry.error && errorBox(entry.error),
    entry.noStart && h("p", { class: "form-error", attrs: { role: "alert" }, text: t("backoffice.board.no_start") }));
  const busy = h("p", { class: "muted", hidden: true, attrs: { role: "status" }, text: t("backoffice.board.planning") });
  const buttons = h("div", { class: "actions" },
    h("button", { type: "button", class: ["small", !plan && "primary"], dataset: { test: plan ? "replan" : "plan" },
      on: { click: () => run(() => actions.plan(rep, seed)) }, text: plan ? t("backoffice.board.replan") : t("backoffice.board.plan") }),
    plan?.status === "preview" && h("button", { type: "button", class: "small primary", dataset: { test: "accept" },
      on: { click: () => run(() => actions.accept(plan)) }, text: t("backoffice.board.accept") }),
    day && h("button", { type: "button", class: "small", on: { click: () => actions.focus(index) }, text: t("backoffice.board.show_on_map") }));
  async function run(fn) {
    for (const b of buttons.querySelectorAll("button")) b.disabled = true;
    busy.hidden = false;
    try {
      await fn(); // re-renders the board on success
    } catch (error) {
      busy.hidden = true;
      status.append(errorBox(error));
      for (const b of buttons.querySelectorAll("button")) b.disabled = false;
    }
  }
  return h("li", { class: "card bo-rep", dataset: { test: "rep-plan", rep: rep.id, status: plan?.status || "none" } },
    h("div", { class: "row" },
      h("span", { class: `bo-swatch bo-c${index % COLOURS.length}`, attrs: { "aria-hidden": "true" } }),
      h("strong", { class: "grow", text: rep.name }),
      plan && h("span", { class: ["badge", plan.status === "accepted" ? "done" : "pending"], dataset: { test: "plan-status" }, text: t(`backoffice.board.status.${plan.status}`) })),
    planBody(plan || {}, day),
    plan?.status === "accepted" && h("p", { class: "hint", text: t("backoffice.board.accepted_note") }),
    status, busy, buttons);
}

async function board(_params, ctx) {
  boardDay = boardDay || tomorrow();
  const dir = await directory();
  const reps = dir.reps;
  const entries = new Map(reps.map((r) => [r.id, { plan: null, seed: 0, error: null, noStart: false }]));
  const mapEl = h("div", { class: "map bo-map", attrs: { role: "img", "aria-label": t("backoffice.board.map_label") }, dataset: { test: "board-map" } });
  const cards = h("ul", { class: "list", dataset: { test: "board" } });
  let map = null;
  ctx.onLeave(() => map?.dispose());

  async function load() {
    const plans = await apiAll("/api/plans", { date: boardDay });
    for (const entry of entries.values()) Object.assign(entry, { plan: null, seed: 0 });
    for (const plan of plans) {
      const entry = entries.get(plan.rep_id);
      if (!entry) continue;
      entry.seed += 1; // a new search for each re-plan of the day
      if (!entry.plan && plan.status !== "superseded") entry.plan = plan; // newest first
    }
    render();
  }

  const actions = {
    async plan(rep, seed) {
      const entry = entries.get(rep.id);
      Object.assign(entry, { error: null, noStart: false });
      try {
        await api("/api/plans", { method: "POST", body: { rep_id: rep.id, date_from: boardDay, days: 1, seed } });
      } catch (error) {
        const fields = (error.problem?.errors || []).map((e) => e.field);
        if (error.status === 422 && fields.includes("start")) entry.noStart = true;
        else entry.error = error;
      }
      await load();
    },
    async accept(plan) {
      const entry = entries.get(plan.rep_id);
      entry.error = null;
      try {
        await api(`/api/plans/${plan.id}/accept`, { method: "POST" });
      } catch (error) {
        entry.error = error;
      }
      await load();
    },
    focus(index) {
      map?.focus(index);
      mapEl.scrollIntoView({ block: "nearest" });
    },
  };

  function render() {
    if (!ctx.isCurrent()) return;
    replace(cards, reps.length === 0
      ? h("li", { class: "empty", text: t("backoffice.board.no_reps") })
      : reps.map((rep, i) => repCard(rep, i, entries.get(rep.id), actions)));
    map?.dispose();
    map = null;
    const routes = reps.map((rep) => {
      const plan = entries.get(rep.id).plan;
      const day = plan?.days.find((d) => d.day === boardDay);
      if (!day) return { name: rep.name, stops: [] };
      return {
        name: rep.name,
        start: { lat: day.start_lat, lon: day.start_lon },
        end: { lat: day.end_lat, lon: day.end_lon },
        stops: day.stops.map((s) => ({ lat: s.lat, lon: s.lon, label: String(s.position), title: accountName(plan, s.account_id) })),
      };
    });
    requestAnimationFrame(() => {
      if (!ctx.isCurrent() || !mapEl.isConnected) return;
      try {
        map = routesMap(mapEl, routes, { attribution: t("backoffice.board.attribution") });
      } catch (error) {
        console.warn("map", error);
      }
    });
  }

  const dayInput = h("input", { type: "date", name: "day", value: boardDay, required: true, dataset: { test: "board-day" } });
  dayInput.addEventListener("change", () => {
    if (!dayInput.value) return;
    boardDay = dayInput.value;
    load().catch((error) => replace(cards, errorBox(error)));
  });
  const planAll = h("button", { type: "button", class: "small", dataset: { test: "plan-all" }, text: t("backoffice.board.plan_all") });
  planAll.addEventListener("click", async () => {
    planAll.disabled = true;
    for (const rep of reps) {
      const entry = entries.get(rep.id);
      if (!entry.plan) await actions.plan(rep, entry.seed);
    }
    planAll.disabled = false;
  });
  await load();
  return screen("board", t("backoffice.board.title"),
    h("label", { class: "bo-inline" }, t("backoffice.board.date"), dayInput),
    h("div", { class: "bo-board" },
      h("div", { class: "bo-board-map" }, mapEl, h("div", { class: "actions" }, planAll)),
      cards));
}

registerRoute("#/board", guarded(board), { roles: REVIEWERS });
