// Small pieces shared by the rep screens.
import { h } from "../dom.js";
import { has, t } from "../i18n/index.js";

/** The label of an enum value ("enum.<name>.<value>"), or the value itself. */
export function enumLabel(name, value) {
  if (value === null || value === undefined) return t("common.none");
  return has(`enum.${name}.${value}`) ? t(`enum.${name}.${value}`) : String(value);
}

/** A coloured badge for an account's lifecycle status (prospect temperature shows). */
export function statusBadge(status) {
  const tone = { prospect_hot: "hot", prospect_warm: "warm", prospect_cold: "cold", client: "done", partner: "done" }[status] || "";
  return h("span", { class: ["badge", tone], text: enumLabel("status", status) });
}

/** A tel: link and a mailto: link, when the values exist. */
export function reachLinks({ phone, email }) {
  return [
    phone && h("a", { class: "button small", href: `tel:${phone.replace(/\s+/g, "")}`, text: t("common.call") }),
    email && h("a", { class: "button small", href: `mailto:${email}`, text: t("common.email") }),
  ];
}

/** Ask the phone for its position (null when refused, unavailable or too slow). */
export function currentPosition(timeout = 10000) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: Math.round(p.coords.accuracy) }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout, maximumAge: 0 }, // a fresh fix: the rep may have just driven here
    );
  });
}

/** Why an account looks like another: "95 % : nom proche, même adresse". */
export function duplicateReasons(candidate) {
  return t("duplicates.why", {
    score: candidate.score, reasons: candidate.reasons.map((r) => t(`duplicates.reason.${r}`)).join(", "),
  });
}
