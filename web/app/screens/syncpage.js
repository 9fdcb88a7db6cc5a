// Sync details: what happened to merged, conflicting, rejected and blocked changes, what is
// still waiting, this device, and logging out.
import { api, fieldLabel } from "../api.js";
import { h } from "../dom.js";
import { fmt, t } from "../i18n/index.js";
import { registerRoute, show, navigate } from "../router.js";
import { endSession, session } from "../session.js";
import { dismissOutcomes, get, label, outboxBatch, pendingCount, unseenOutcomes } from "../store.js";
import { state as syncState } from "../sync.js";
import { enumLabel } from "./common.js";

/** One sentence for an outcome, in plain French. */
export function describeOutcome(o) {
  const fields = Object.keys(o.fields || o.errors || {}).map(fieldLabel).join(", ");
  if (o.status === "merged") return t("sync.outcome.merged", { label: o.label });
  if (o.status === "conflict") {
    const kept = Object.values(o.fields || {});
    const key = kept.length && kept.every((w) => w === "device") ? "sync.outcome.conflict_yours" : "sync.outcome.conflict";
    return t(key, { label: o.label, fields });
  }
  if (o.status === "blocked") return t("sync.outcome.blocked", { label: o.label });
  const onlyAccount = Object.keys(o.errors || {}).join() === "account_id";
  const reason = onlyAccount ? t("sync.reason.not_found")
    : o.reason === "invalid" ? t("sync.reason.invalid", { fields })
    : o.reason === "forbidden" ? t("sync.reason.forbidden")
      : o.reason === "not_found" ? t("sync.reason.not_found") : t("sync.reason.other");
  return t("sync.outcome.rejected", { label: o.label, reason });
}

registerRoute("#/sync", async () => {
  const outcomes = await unseenOutcomes();
  const waiting = await outboxBatch(200);
  // Name each waiting change after the record as the device has it now (an update's own
  // fields may say little: a check-in is only a time and a position).
  const records = await Promise.all(waiting.map((m) => get(m.entity, m.id)));
  const what = (m, i) => {
    if (m.fields.checked_out_at) return t("rep.sync.what.check_out", { label: label(m.entity, records[i] || m.fields) });
    if (m.fields.checked_in_at) return t("rep.sync.what.check_in", { label: label(m.entity, records[i] || m.fields) });
    return `${t(`rep.sync.op.${m.op}`)} ${enumLabel("entity", m.entity)} « ${label(m.entity, records[i] || m.fields)} »`;
  };
  const total = await pendingCount();
  return h("section", { class: "screen sync-page" },
    h("header", {}, h("h1", { text: t("rep.sync.title") })),
    h("h2", { text: t("sync.outcomes_title") }),
    outcomes.length === 0
      ? h("p", { class: "muted", text: t("rep.sync.no_outcomes") })
      : [
        h("ul", { class: "list", dataset: { test: "outcomes" } }, outcomes.map((o) => h("li", { class: "card" },
          h("p", { class: "row" }, h("span", { class: ["badge", o.status === "merged" ? "done" : "overdue"], text: t(`rep.sync.status.${o.status}`) }),
            h("span", { class: "muted", text: fmt.ago(o.at) })),
          h("p", { class: "note-body", dataset: { test: "outcome" }, text: describeOutcome(o) })))),
        h("button", { type: "button", text: t("sync.outcome.dismiss"), on: { click: async () => { await dismissOutcomes(); show(); } } }),
      ],
    h("h2", { text: t("sync.pending", { count: total }) }),
    h("ul", { class: "list", dataset: { test: "outbox" } }, waiting.map((m, i) => h("li", { class: "card row" },
      h("span", { class: "grow", text: what(m, i) }),
      h("span", { class: "muted", text: fmt.time(m.made_at) })))),
    h("h2", { text: t("rep.sync.device") }),
    h("p", { class: "muted", text: t("rep.sync.device_line", { user: session.user?.name || "", device: session.deviceId || "" }) }),
    h("p", { class: "muted", text: syncState.lastSyncAt ? t("sync.last", { when: fmt.ago(syncState.lastSyncAt) }) : t("sync.never") }),
    h("button", {
      type: "button", class: "danger", text: t("nav.logout"),
      on: {
        click: async () => {
          const pending = await pendingCount();
          if (pending && !confirm(t("logout.confirm_pending", { count: pending }))) return;
          await api("/api/auth/logout", { method: "POST", timeout: 5000 }).catch(() => {}); // offline: the token just stays unused
          await endSession();
          navigate("#/login");
        },
      },
    }),
  );
}, { nav: { label: "nav.sync", icon: "sync", order: 90 } });
