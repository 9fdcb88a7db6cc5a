// A visit: check in and check out with the phone's GPS position and the time, the report
// (summary, outcome, objections, motivations, competitor and contract end, next step,
// follow-up), and a quick note. Everything is saved on the device first.
import { formValues, h } from "../dom.js";
import { fmt, t } from "../i18n/index.js";
import { isoDay } from "../queries.js";
import { navigate, registerRoute, show } from "../router.js";
import { session } from "../session.js";
import { api, ApiError, describeError } from "../api.js";
import { applyServerEntries, get, mutate } from "../store.js";
import { enumLabel, currentPosition } from "./common.js";
import { noteForm } from "./customer.js";

const OUTCOMES = ["order", "positive", "neutral", "negative", "no_decision"];
const REPORT_FIELDS = ["summary", "outcome", "objections", "motivations", "competitor", "competitor_contract_end", "next_step"];

/** The fields of a check-in or check-out ("in" / "out"): time, and the GPS fix if any. */
function presence(moment, at, position) {
  return {
    [`checked_${moment}_at`]: at,
    [`check${moment}_lat`]: position ? position.lat : null,
    [`check${moment}_lon`]: position ? position.lon : null,
    [`check${moment}_accuracy_m`]: position ? Math.min(position.accuracy_m, 100000) : null,
  };
}

function fixText(visit, moment) {
  const lat = visit[`check${moment}_lat`];
  if (lat === null || lat === undefined) return t("rep.visit.no_position");
  return t("rep.visit.position", {
    lat: lat.toFixed(5), lon: visit[`check${moment}_lon`].toFixed(5), accuracy: visit[`check${moment}_accuracy_m`] ?? "?",
  });
}

async function checkIn(visit) {
  const at = new Date().toISOString();
  const position = await currentPosition();
  // The visit starts when the rep arrives, earlier or later than planned: the report
  // says when it happened (and a check-out before the planned start stays valid).
  await mutate("interaction", "update", { ...presence("in", at, position), starts_at: at }, visit.id);
  show();
}

async function saveReport(visit, form, { checkOut = false } = {}) {
  const values = formValues(form);
  const changes = {};
  for (const name of REPORT_FIELDS) {
    const value = values[name] ?? null;
    if ((visit[name] ?? null) !== value) changes[name] = value;
  }
  if (checkOut) {
    const at = new Date().toISOString();
    Object.assign(changes, presence("out", at, await currentPosition()), { ends_at: at, status: "done" });
    // Checked out without checking in, before the planned start: it happened now.
    if (visit.starts_at && Date.parse(visit.starts_at) > Date.parse(at)) changes.starts_at = at;
  }
  if (Object.keys(changes).length) await mutate("interaction", "update", changes, visit.id);
  if (values.followup_date && values.followup_reason) {
    await mutate("followup", "create", {
      account_id: visit.account_id, interaction_id: visit.id, due_date: values.followup_date,
      reason: values.followup_reason, done: false, assignee_id: session.user?.id,
    });
  }
  return Object.keys(changes).length > 0;
}

/** A precise check-in fix at an account placed only at its commune: offer it as the
 *  account's position (online: the server checks it lies within the commune's reach). */
function placeHere(visit, account) {
  const accurate = visit.checkin_lat !== null && visit.checkin_lat !== undefined && (visit.checkin_accuracy_m ?? 1e9) <= 250;
  const vague = !account.geocode_precision || account.geocode_precision === "municipality";
  if (!accurate || !vague) return null;
  const status = h("span", { class: "muted", attrs: { role: "status" } });
  const button = h("button", {
    type: "button", class: "small", dataset: { test: "place-here" }, text: t("rep.visit.place_here"),
    on: {
      click: async () => {
        if (!navigator.onLine) return (status.textContent = t("rep.visit.place_offline"));
        button.disabled = true;
        try {
          const data = await api(`/api/accounts/${account.id}/position-from-checkin`, {
            method: "POST", body: { lat: visit.checkin_lat, lon: visit.checkin_lon, accuracy_m: visit.checkin_accuracy_m },
          });
          await applyServerEntries([{ entity: "account", id: account.id, op: "put", version: data.version, data }]);
          status.textContent = t("rep.visit.placed");
        } catch (error) {
          status.textContent = error instanceof ApiError && error.status === 422 ? t("rep.visit.place_refused") : describeError(error);
          button.disabled = false;
        }
      },
    },
  });
  return h("p", { class: "row" }, button, status);
}

function field(name, label, input) {
  return h("label", { text: label }, input);
}

registerRoute("#/visit/:id", async ({ id }) => {
  const visit = await get("interaction", id);
  if (!visit) return h("p", { class: "empty", text: t("rep.visit.gone") });
  const account = await get("account", visit.account_id);
  const checkedIn = Boolean(visit.checked_in_at);
  const done = visit.status === "done";
  const saved = h("p", { class: "notice", hidden: true, attrs: { role: "status" }, dataset: { test: "report-saved" }, text: t("rep.visit.saved") });
  const text = (name, rows = 3, max = 5000) => h("textarea", { name, rows, maxLength: max, value: visit[name] || "" });

  const form = h("form", {
    class: "card", dataset: { test: "report-form" },
    on: {
      submit: async (e) => {
        e.preventDefault();
        await saveReport(visit, form, { checkOut: e.submitter?.name === "checkout" });
        if (e.submitter?.name === "checkout") return navigate("#/today");
        saved.hidden = false;
        show();
      },
    },
  },
  h("h2", { text: t("rep.visit.report") }),
  field("summary", t("rep.visit.summary"), text("summary", 5, 20000)),
  field("outcome", t("rep.visit.outcome"), h("select", { name: "outcome" },
    h("option", { value: "", text: t("common.none") }),
    OUTCOMES.map((o) => h("option", { value: o, text: enumLabel("outcome", o), selected: visit.outcome === o })))),
  field("objections", t("rep.visit.objections"), text("objections")),
  field("motivations", t("rep.visit.motivations"), text("motivations")),
  field("competitor", t("rep.visit.competitor"), h("input", { name: "competitor", maxLength: 120, value: visit.competitor || "" })),
  field("competitor_contract_end", t("rep.visit.contract_end"), h("input", { type: "date", name: "competitor_contract_end", value: visit.competitor_contract_end || "" })),
  field("next_step", t("rep.visit.next_step"), text("next_step", 2, 2000)),
  h("fieldset", {},
    h("legend", { text: t("rep.visit.followup") }),
    field("followup_date", t("rep.followup.due"), h("input", { type: "date", name: "followup_date", min: isoDay(new Date()) })),
    field("followup_reason", t("rep.followup.reason"), h("input", { name: "followup_reason", maxLength: 500 }))),
  h("div", { class: "actions sticky-actions" },
    h("button", { type: "submit", name: "save", dataset: { test: "save-report" }, text: t("rep.visit.save") }),
    !done && h("button", { type: "submit", name: "checkout", class: "primary", dataset: { test: "check-out" }, text: t("rep.visit.check_out") })),
  );

  return h("section", { class: "screen visit", dataset: { test: "visit" } },
    h("header", {}, h("h1", { text: account ? account.name : t("rep.visit.title") })),
    h("p", { class: "muted", text: `${enumLabel("kind", visit.kind)} — ${fmt.day(visit.starts_at)} ${fmt.time(visit.starts_at)}` }),
    visit.subject && h("p", { text: visit.subject }),
    h("div", { class: "card", dataset: { test: "visit-status" } },
      checkedIn
        ? h("p", { text: t("rep.visit.checked_in", { time: fmt.time(visit.checked_in_at) }) }, h("br"), h("span", { class: "muted", text: fixText(visit, "in") }))
        : h("button", { class: "primary block", type: "button", dataset: { test: "check-in" }, text: t("rep.visit.check_in"), on: { click: (e) => { e.target.disabled = true; checkIn(visit); } } }),
      checkedIn && account && placeHere(visit, account),
      visit.checked_out_at && h("p", { text: t("rep.visit.checked_out", { time: fmt.time(visit.checked_out_at) }) }, h("br"), h("span", { class: "muted", text: fixText(visit, "out") })),
      done && h("span", { class: "badge done", text: enumLabel("interaction_status", "done") })),
    saved,
    form,
    h("h2", { text: t("rep.note.title") }),
    noteForm(visit.account_id, visit.id),
    account && h("p", {}, h("a", { href: `#/customers/${account.id}`, text: t("rep.visit.open_sheet") })),
  );
});
