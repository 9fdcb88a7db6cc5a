// Who is logged in on this device: token, user, device id. Kept in IndexedDB (store.js meta)
// so it survives reloads and browser restarts; read into memory at start-up.
import { getMeta, setMeta } from "./store.js";

export const session = { token: null, user: null, deviceId: null };

/** Load the saved session (and this install's device id, created once). */
export async function loadSession() {
  const saved = (await getMeta("session")) || {};
  session.token = saved.token || null;
  session.user = saved.user || null;
  session.deviceId = (await getMeta("deviceId")) || null;
  if (!session.deviceId) {
    session.deviceId = crypto.randomUUID();
    await setMeta("deviceId", session.deviceId);
  }
  return session;
}

/** Remember a successful login. */
export async function saveSession({ token, user }) {
  session.token = token;
  session.user = user;
  await setMeta("session", { token, user });
}

/** Forget the token (the outbox and the replica stay on the device). */
export async function endSession() {
  session.token = null;
  await setMeta("session", { token: null, user: session.user });
}

export function isLoggedIn() {
  return Boolean(session.token && session.user);
}

/** Does the logged-in user have one of `roles` (null: anyone logged in)? */
export function hasRole(roles) {
  return isLoggedIn() && (!roles || roles.includes(session.user.role));
}
