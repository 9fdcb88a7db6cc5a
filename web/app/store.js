// The device's local store (IndexedDB through Dexie): a replica of the user's slice, one table
// per synced entity, and the outbox of mutations in the order they were made.
//
// Local writes go through mutate(): in one IndexedDB transaction the record changes and a
// numbered mutation joins the outbox, so a reload, a crash or a closed tab loses nothing.
// Server news goes through applyServerEntries(): the record takes the server's state, then
// the device's own pending mutations on it are replayed on top (a rebase), so the screen never
// shows a change going backwards while it waits to be sent.
import Dexie from "/vendor/dexie/dist/dexie.mjs";

/** Entities a device holds, and the index each table keeps. */
export const ENTITIES = {
  account: "id, status, city, owner_id",
  contact: "id, account_id",
  consent: "id, account_id",
  interaction: "id, account_id, starts_at, status",
  note: "id, account_id",
  followup: "id, account_id, due_date",
  opportunity: "id, account_id",
  order: "id, account_id",
  status_change: "id, account_id",
  custom_field: "id",
};
const CHILDREN = Object.keys(ENTITIES).filter((e) => !["account", "custom_field"].includes(e));

export const db = new Dexie("tournee");
db.version(1).stores({
  ...ENTITIES,
  outbox: "mid, [entity+id]",
  outcomes: "++seq",
  meta: "key",
});
// v2: the customer list reads last visits from this index's keys alone (no record loaded).
db.version(2).stores({ interaction: `${ENTITIES.interaction}, [status+kind+account_id+starts_at]` });

const listeners = new Set();
let generation = 0;

/** Call `fn(kind)` after any change to the local data: kind "local" (a mutate()) or "server". */
export function onStoreChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed(kind = "server") {
  generation += 1;
  for (const fn of listeners) {
    try { fn(kind); } catch (e) { console.error(e); }
  }
}

/** A counter that moves on every change (cheap cache key). */
export function storeGeneration() {
  return generation;
}

// ---------------------------------------------------------------- meta

export async function getMeta(key) {
  const row = await db.meta.get(key);
  return row ? row.value : undefined;
}

export async function setMeta(key, value) {
  await db.meta.put({ key, value });
}

// ---------------------------------------------------------------- reading

/** One record, or undefined. */
export function get(entity, id) {
  return db.table(entity).get(id);
}

/** Every record of `entity` under an account. */
export function byAccount(entity, accountId) {
  return db.table(entity).where("account_id").equals(accountId).toArray();
}

/** Every record of `entity`. */
export function all(entity) {
  return db.table(entity).toArray();
}

// ---------------------------------------------------------------- local writes

/**
 * Change a record on the device and queue the mutation for the server.
 *   mutate("note", "create", {account_id, body})            -> the new record (client UUID)
 *   mutate("interaction", "update", {summary}, id)
 *   mutate("followup", "delete", {}, id)
 * Mutation ids (mid) come from one counter per device, never reused.
 */
export async function mutate(entity, op, fields = {}, id = crypto.randomUUID()) {
  const table = db.table(entity);
  let result;
  await db.transaction("rw", table, db.outbox, db.meta, async () => {
    const current = await table.get(id);
    if (op !== "create" && !current) throw new Error(`${entity} ${id} is not on this device`);
    const mid = (await getMeta("nextMid")) || 1;
    await setMeta("nextMid", mid + 1);
    const baseVersion = op === "create" ? null : current.version ?? null;
    await db.outbox.add({
      mid, entity, op, id, fields: clean(fields), base_version: baseVersion, made_at: new Date().toISOString(),
    });
    if (op === "delete") {
      await table.delete(id);
      if (entity === "account") await dropAccountChildren(id);
      result = null;
    } else {
      result = { ...(current || { id, version: 0, created_at: new Date().toISOString() }), ...fields, updated_at: new Date().toISOString() };
      await table.put(result);
    }
  });
  changed("local");
  return result;
}

/** Fields as JSON would carry them (undefined dropped). */
function clean(fields) {
  return JSON.parse(JSON.stringify(fields));
}

/** Make sure the next mid is above what the server already processed for this device. */
export async function reserveMidsAbove(lastMid) {
  await db.transaction("rw", db.meta, async () => {
    const next = (await getMeta("nextMid")) || 1;
    if (next <= lastMid) await setMeta("nextMid", lastMid + 1);
  });
}

// ---------------------------------------------------------------- the outbox

/** Mutations waiting, oldest first (at most `limit`). */
export function outboxBatch(limit = 100) {
  return db.outbox.orderBy("mid").limit(limit).toArray();
}

export function pendingCount() {
  return db.outbox.count();
}

/** Ids of records with mutations still waiting (to badge them "à envoyer"). */
export async function pendingIds() {
  const rows = await db.outbox.toArray();
  return new Set(rows.map((m) => m.id));
}

/** Drop answered mutations from the outbox; record what the user should know. */
export async function settle(mutations, outcomes) {
  const byMid = new Map(outcomes.map((o) => [o.mid, o]));
  await db.transaction("rw", db.outbox, db.outcomes, ...Object.keys(ENTITIES).map((e) => db.table(e)), async () => {
    for (const m of mutations) {
      const outcome = byMid.get(m.mid);
      if (!outcome) continue;
      await db.outbox.delete(m.mid);
      const table = db.table(m.entity);
      const record = await table.get(m.id);
      if (record && outcome.version && !(await hasPending(m.entity, m.id))) {
        await table.update(m.id, { version: outcome.version });
      }
      if (outcome.status !== "applied") {
        await db.outcomes.add({
          at: new Date().toISOString(), mid: m.mid, entity: m.entity, op: m.op, id: m.id,
          status: outcome.status, reason: outcome.reason || null, detail: outcome.detail || null,
          errors: outcome.errors || null, fields: outcome.fields || null, label: label(m.entity, record || m.fields),
        });
      }
      if ((outcome.status === "rejected" || outcome.status === "blocked") && m.op === "create") {
        // Never written on the server (kept there for review): the local copy must go.
        await table.delete(m.id);
        if (m.entity === "account") await dropAccountChildren(m.id);
      }
    }
  });
  changed();
}

async function hasPending(entity, id) {
  return (await db.outbox.where("[entity+id]").equals([entity, id]).count()) > 0;
}

/** Outcomes the user has not dismissed yet (merged, conflict, rejected, blocked). */
export function unseenOutcomes() {
  return db.outcomes.orderBy("seq").reverse().toArray();
}

export async function dismissOutcomes() {
  await db.outcomes.clear();
  changed();
}

/** A short human name of a record, for messages. */
export function label(entity, r = {}) {
  switch (entity) {
    case "account": return r.name || r.trade_name || "client";
    case "contact": return [r.first_name, r.last_name].filter(Boolean).join(" ") || "contact";
    case "interaction": return r.subject || r.summary?.slice(0, 40) || "visite";
    case "order": return r.reference || "commande";
    case "note": return (r.body || "note").slice(0, 40);
    case "followup": return r.reason || "relance";
    default: return entity;
  }
}

// ---------------------------------------------------------------- server news

/**
 * Apply a page of pull/bootstrap entries in one transaction:
 *   put: the server's latest state, then the pending local mutations on it replayed;
 *   delete: a tombstone; drop: an account left the user's scope, with everything under it.
 */
export async function applyServerEntries(entries) {
  if (!entries.length) return;
  const tables = Object.keys(ENTITIES).map((e) => db.table(e));
  await db.transaction("rw", [...tables, db.outbox], async () => {
    const pending = await db.outbox.orderBy("mid").toArray();
    const pendingByKey = new Map();
    for (const m of pending) {
      const key = `${m.entity}:${m.id}`;
      if (!pendingByKey.has(key)) pendingByKey.set(key, []);
      pendingByKey.get(key).push(m);
    }
    const puts = new Map();
    for (const entry of entries) {
      if (!(entry.entity in ENTITIES)) continue;
      const table = db.table(entry.entity);
      if (entry.op === "put") {
        let record = { ...entry.data, id: entry.id, version: entry.version ?? entry.data.version };
        let deleted = false;
        for (const m of pendingByKey.get(`${entry.entity}:${entry.id}`) || []) {
          if (m.op === "delete") deleted = true;
          else record = { ...record, ...m.fields };
        }
        if (deleted) await table.delete(entry.id);
        else {
          if (!puts.has(entry.entity)) puts.set(entry.entity, []);
          puts.get(entry.entity).push(record);
        }
      } else if (entry.op === "delete") {
        await table.delete(entry.id);
      } else if (entry.op === "drop") {
        await table.delete(entry.id);
        if (entry.entity === "account") await dropAccountChildren(entry.id);
      }
    }
    for (const [entity, records] of puts) await db.table(entity).bulkPut(records);
  });
  changed();
}

async function dropAccountChildren(accountId) {
  for (const entity of CHILDREN) await db.table(entity).where("account_id").equals(accountId).delete();
}

/** Forget the replica (not the outbox, not the session): before a full resync. */
export async function clearReplica() {
  await db.transaction("rw", Object.keys(ENTITIES).map((e) => db.table(e)), async () => {
    for (const entity of Object.keys(ENTITIES)) await db.table(entity).clear();
  });
  changed();
}

/** Forget everything on this device (another user logs in here). */
export async function wipeDevice() {
  await db.delete();
  await db.open();
  changed();
}
