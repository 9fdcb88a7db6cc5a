// fetch() for the API: bearer token, JSON, problem+json errors turned into plain French.
import { has, t } from "./i18n/index.js";
import { session } from "./session.js";

const TIMEOUT_MS = 30000;

/** An API call that failed: HTTP status (0 for no network), the problem document, a kind. */
export class ApiError extends Error {
  constructor(status, problem = {}, kind = "http") {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.kind = kind; // "http", "network", "timeout"
  }
  get code() {
    return this.problem.code;
  }
}

/**
 * Call the API: api("/api/accounts", {method: "POST", body: {...}, headers: {...}}).
 * Returns the parsed JSON (or null for 204); throws ApiError.
 */
export async function api(path, { method = "GET", body, headers = {}, query, timeout = TIMEOUT_MS, raw = false } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) if (v !== null && v !== undefined) url.searchParams.set(k, v);
  const init = { method, headers: { Accept: "application/json, application/problem+json", ...headers } };
  if (session.token) init.headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  init.signal = controller.signal;
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new ApiError(0, {}, error.name === "AbortError" ? "timeout" : "network");
  } finally {
    clearTimeout(timer);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json().catch(() => ({})) : {};
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Names of the fields a 422 problem complains about ("name, postal_code"). */
function fieldNames(problem) {
  const names = new Set();
  const walk = (errors) => {
    for (const [key, value] of Object.entries(errors || {})) {
      if (["json", "query", "headers"].includes(key) && value && typeof value === "object" && !Array.isArray(value)) walk(value);
      else names.add(key);
    }
  };
  walk(problem.errors);
  return [...names].map(fieldLabel).join(", ");
}

/** The French label of an API field name, or the name itself. */
export function fieldLabel(name) {
  return has(`field.${name}`) ? t(`field.${name}`) : name;
}

/** One sentence in French saying what went wrong, for any error thrown by api(). */
export function describeError(error) {
  if (!(error instanceof ApiError)) return t("error.unknown");
  if (error.kind === "network") return t("error.network");
  if (error.kind === "timeout") return t("error.timeout");
  const s = error.status;
  if (s === 422) return t("error.422", { fields: fieldNames(error.problem) || "?" });
  if (s === 503) return t("error.503");
  if (s >= 500) return t("error.5xx");
  if (has(`error.${s}`)) return t(`error.${s}`);
  return t("error.unknown");
}
