// Read models for the rep screens, computed from the local store only (they work offline).
import Dexie from "/vendor/dexie/dist/dexie.mjs";
import { db, storeGeneration } from "./store.js";
import { session } from "./session.js";

const DAY_MS = 86400000;
const VISIT_KINDS = new Set(["visit", "appointment", "store_visit"]);

/** Lower-case, accent-free text for search ("Épicerie Müller" -> "epicerie muller"). */
export function fold(text) {
  return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

/** Local midnight of `date` (a Date), as a Date. */
export function startOfDay(date) {
  const d = new Date(date);
  d.setHours(0, 0, 0, 0);
  return d;
}

/** ISO date (YYYY-MM-DD) of a local day. */
export function isoDay(date) {
  const d = new Date(date);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/**
 * The round of a local day: the user's planned (and done) visits that day, with their account
 * and first contact, in time order. Uses the starts_at index over a slightly wider range, then
 * exact times (the server and the device format timestamps differently).
 */
export async function roundOf(day) {
  const start = startOfDay(day);
  const end = new Date(start.getTime() + DAY_MS);
  const lo = new Date(start.getTime() - DAY_MS).toISOString().slice(0, 10);
  const hi = new Date(end.getTime() + DAY_MS).toISOString().slice(0, 10);
  const rows = await db.interaction.where("starts_at").between(lo, hi).toArray();
  const mine = rows.filter((i) => {
    const t = new Date(i.starts_at);
    return t >= start && t < end && VISIT_KINDS.has(i.kind) && i.status !== "cancelled"
      && (!i.user_id || i.user_id === session.user?.id);
  });
  mine.sort((a, b) => new Date(a.starts_at) - new Date(b.starts_at));
  const accounts = await db.account.bulkGet(mine.map((i) => i.account_id));
  const stops = [];
  for (const [n, visit] of mine.entries()) {
    const account = accounts[n];
    if (!account) continue;
    const contactId = (visit.contact_ids || [])[0];
    const contact = contactId ? await db.contact.get(contactId) : (await db.contact.where("account_id").equals(account.id).first());
    stops.push({ visit, account, contact, done: visit.status === "done" || visit.status === "no_show" });
  }
  return stops;
}

/** The next local day (after `from`, within `days`) that has planned visits, or null. */
export async function nextRoundDay(from, days = 21) {
  const start = new Date(startOfDay(from).getTime() + DAY_MS);
  const end = new Date(start.getTime() + days * DAY_MS);
  const rows = await db.interaction.where("starts_at").between(start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)).toArray();
  const planned = rows
    .filter((i) => i.status === "planned" && VISIT_KINDS.has(i.kind) && (!i.user_id || i.user_id === session.user?.id))
    .map((i) => new Date(i.starts_at))
    .filter((t) => t >= start)
    .sort((a, b) => a - b);
  return planned.length ? startOfDay(planned[0]) : null;
}

// ------------------------------------------------------------------ customer index

let index = null;
let indexGeneration = -1;
let building = null;

/**
 * Every account with what the list needs (search text, last visit, overdue), kept in memory
 * and rebuilt only after the store changed: searching is then a loop over an array.
 */
export async function customerIndex({ rebuild = false } = {}) {
  if (!rebuild && index && indexGeneration === storeGeneration()) return index;
  if (building) return building;
  const generation = storeGeneration();
  building = (async () => {
    const visitKeys = [...VISIT_KINDS].map((kind) => db.interaction
      .where("[status+kind+account_id+starts_at]")
      .between(["done", kind, Dexie.minKey, Dexie.minKey], ["done", kind, Dexie.maxKey, Dexie.maxKey])
      .keys());
    const [accounts, contacts, ...keyLists] = await Promise.all([db.account.toArray(), db.contact.toArray(), ...visitKeys]);
    const lastVisit = new Map();
    for (const keys of keyLists) {
      for (const [, , accountId, startsAt] of keys) {
        const t = Date.parse(startsAt);
        if (!(lastVisit.get(accountId) >= t)) lastVisit.set(accountId, t);
      }
    }
    const names = new Map();
    for (const c of contacts) names.set(c.account_id, `${names.get(c.account_id) || ""} ${c.first_name || ""} ${c.last_name || ""}`);
    const now = Date.now();
    const rows = accounts.map((a) => {
      const last = lastVisit.get(a.id) || null;
      const due = a.visit_frequency_days ? (last || 0) + a.visit_frequency_days * DAY_MS : null;
      return {
        id: a.id, name: a.name, trade_name: a.trade_name, city: a.city, postal_code: a.postal_code,
        status: a.status, lastVisit: last, overdue: due !== null && due < now,
        search: fold(`${a.name} ${a.trade_name || ""} ${a.city || ""} ${a.postal_code || ""} ${a.siret || ""} ${names.get(a.id) || ""}`),
      };
    });
    rows.sort((x, y) => x.name.localeCompare(y.name, "fr"));
    const cities = [...new Set(rows.map((r) => r.city).filter(Boolean))].sort((x, y) => x.localeCompare(y, "fr"));
    index = { rows, cities };
    indexGeneration = generation;
    return index;
  })().finally(() => { building = null; });
  return building;
}

/** Filter the index: words of `q` all present; status group, temperature, city, overdue. */
export function searchCustomers(idx, { q = "", status = "", temperature = "", city = "", overdue = false } = {}) {
  const words = fold(q).split(/\s+/).filter(Boolean);
  return idx.rows.filter((r) =>
    (!status || (status === "prospect" ? r.status.startsWith("prospect") : r.status === status))
    && (!temperature || r.status === `prospect_${temperature}`)
    && (!city || r.city === city)
    && (!overdue || r.overdue)
    && words.every((w) => r.search.includes(w)));
}

// ------------------------------------------------------------------ customer sheet

/** Everything the customer sheet shows, from the local store. */
export async function customerSheet(accountId) {
  const account = await db.account.get(accountId);
  if (!account) return null;
  const [contacts, interactions, notes, followups, orders, opportunities] = await Promise.all(
    ["contact", "interaction", "note", "followup", "order", "opportunity"].map((e) => db.table(e).where("account_id").equals(accountId).toArray()),
  );
  const yearAgo = Date.now() - 365 * DAY_MS;
  const recent = orders.filter((o) => new Date(o.order_date).getTime() >= yearAgo);
  const sum = (list, key) => list.reduce((s, o) => s + Number(o[key] || 0), 0);
  const visitsDone = interactions.filter((i) => i.status === "done" && VISIT_KINDS.has(i.kind));
  const lastVisit = visitsDone.reduce((m, i) => Math.max(m, new Date(i.starts_at).getTime()), 0) || null;
  const desc = (key) => (a, b) => String(b[key] || "").localeCompare(String(a[key] || ""));
  return {
    account,
    contacts: contacts.sort((a, b) => Number(Boolean(b.is_primary)) - Number(Boolean(a.is_primary))),
    interactions: interactions.sort((a, b) => new Date(b.starts_at) - new Date(a.starts_at)),
    notes: notes.sort(desc("created_at")),
    followups: followups.sort((a, b) => Number(a.done) - Number(b.done) || String(a.due_date).localeCompare(String(b.due_date))),
    orders: orders.sort(desc("order_date")),
    opportunities,
    figures: {
      revenue: sum(recent, "amount_excl_vat"),
      margin: sum(recent, "margin"),
      unpaid: sum(orders.filter((o) => !o.paid), "amount_excl_vat"),
      lastVisit,
    },
  };
}

// ------------------------------------------------------------------ navigation links

/** Waze: drive to one place. */
export function wazeUrl(lat, lon) {
  return `https://waze.com/ul?ll=${lat},${lon}&navigate=yes`;
}

/**
 * Google Maps directions for a round, in chained legs of at most `size` places each (the
 * URL's limit: origin, 8 waypoints, destination); each leg starts where the previous ended.
 */
export function googleMapsLegs(places, size = 10) {
  const legs = [];
  if (!places.length) return legs;
  let start = 0;
  while (start < places.length - 1 || (legs.length === 0 && places.length === 1)) {
    const chunk = places.slice(start, start + size);
    const destination = chunk[chunk.length - 1];
    const url = new URL("https://www.google.com/maps/dir/");
    url.searchParams.set("api", "1");
    if (chunk.length > 1) url.searchParams.set("origin", `${chunk[0].lat},${chunk[0].lon}`);
    url.searchParams.set("destination", `${destination.lat},${destination.lon}`);
    const waypoints = chunk.slice(1, -1);
    if (waypoints.length) url.searchParams.set("waypoints", waypoints.map((p) => `${p.lat},${p.lon}`).join("|"));
    url.searchParams.set("travelmode", "driving");
    legs.push({ from: start + 1, to: start + chunk.length, url: url.toString() });
    if (chunk.length === 1) break;
    start += size - 1;
  }
  return legs;
}
