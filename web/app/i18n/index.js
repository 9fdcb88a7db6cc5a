// The one catalogue of user-facing strings: each area keeps its module under fr/, merged here.
// A key defined twice is a bug, reported at start-up rather than silently overwritten.
import common from "./fr/common.js";
import rep from "./fr/rep.js";
import backoffice from "./fr/backoffice.js";

const LOCALE = "fr-FR";
const catalogue = {};
for (const part of [common, rep, backoffice]) {
  for (const [key, value] of Object.entries(part)) {
    if (key in catalogue) throw new Error(`i18n: duplicate key ${key}`);
    catalogue[key] = value;
  }
}
const plural = new Intl.PluralRules(LOCALE);

/** The French text of `key`, with `{name}` placeholders filled from `params`.
 *  A value may be {one, other} (chosen by params.count) for plurals. */
export function t(key, params = {}) {
  let text = catalogue[key];
  if (text === undefined) {
    console.warn(`i18n: missing key ${key}`);
    return key;
  }
  if (typeof text === "object") text = text[plural.select(params.count ?? 0)] ?? text.other;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/** Does the catalogue have `key`? (for optional labels such as enum values) */
export function has(key) {
  return key in catalogue;
}

const dateFormat = new Intl.DateTimeFormat(LOCALE, { weekday: "long", day: "numeric", month: "long" });
const shortDate = new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short", year: "numeric" });
const timeFormat = new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit" });
const money = new Intl.NumberFormat(LOCALE, { style: "currency", currency: "EUR", maximumFractionDigits: 0 });

export const fmt = {
  day: (d) => dateFormat.format(new Date(d)),
  date: (d) => (d ? shortDate.format(new Date(d)) : "—"),
  time: (d) => (d ? timeFormat.format(new Date(d)) : "—"),
  money: (n) => (n === null || n === undefined || n === "" ? "—" : money.format(Number(n))),
  number: (n) => new Intl.NumberFormat(LOCALE).format(n),
  /** "il y a 3 min", "à 14:05", or the date. */
  ago(d) {
    if (!d) return t("common.never");
    const seconds = (Date.now() - new Date(d).getTime()) / 1000;
    if (seconds < 60) return t("common.just_now");
    if (seconds < 3600) return t("common.minutes_ago", { count: Math.round(seconds / 60) });
    if (seconds < 86400) return t("common.at_time", { time: timeFormat.format(new Date(d)) });
    return shortDate.format(new Date(d));
  },
};
