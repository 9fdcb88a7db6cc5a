// Pieces shared by the back-office screens: their style sheet, paged API reads, error text
// (with the field at fault), people and device names, pagination, value display.
// Back-office screens are online screens: they read and write through api(), never the store.
import { api, ApiError, describeError, fieldLabel } from "../api.js";
import { h } from "../dom.js";
import { has, t } from "../i18n/index.js";
import { show } from "../router.js";

export const REVIEWERS = ["manager", "admin"];

/** Load the back-office style sheet once (CSP: a same-origin file, no inline style). */
export function useStyles() {
  if (document.querySelector("link[data-backoffice]")) return;
  document.head.append(h("link", { href: "/app/backoffice/backoffice.css", attrs: { rel: "stylesheet", "data-backoffice": "1" } }));
}

/** A field's French label: the back-office catalogue, then the shared one, then the name. */
export function label(name) {
  return has(`backoffice.field.${name}`) ? t(`backoffice.field.${name}`) : fieldLabel(name);
}

/** What went wrong, in French, naming each field at fault with the server's reason. */
export function problemText(error) {
  if (error instanceof ApiError && error.status === 422 && Array.isArray(error.problem.errors)) {
    const lines = error.problem.errors.map((e) => t("backoffice.field_error", { field: label(e.field || "?"), detail: e.detail || "" }));
    if (lines.length) return lines.join(" ; ");
  }
  return describeError(error);
}

/** A red error paragraph for `error` (role=alert so screen readers say it). */
export function errorBox(error) {
  return h("p", { class: "form-error", attrs: { role: "alert" }, dataset: { test: "error" }, text: problemText(error) });
}

/** GET a paginated list: {items, total, page, pages} from the X-Pagination header. */
export async function apiPage(path, query = {}) {
  const response = await api(path, { query, raw: true });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  let info = {};
  try {
    info = JSON.parse(response.headers.get("X-Pagination") || "{}");
  } catch {
    info = {};
  }
  const total = info.total ?? body.length;
  return { items: body, total, page: info.page ?? 1, pages: Math.max(1, info.total_pages ?? 1) };
}

/** Every item of a paginated list (for small lists: plans of a day, review filters). */
export async function apiAll(path, query = {}, pageSize = 200) {
  const out = [];
  for (let page = 1; ; page++) {
    const chunk = await apiPage(path, { ...query, page, page_size: pageSize });
    out.push(...chunk.items);
    if (page >= chunk.pages) return out;
  }
}

/** GET a record with its ETag (needed to update it): {record, etag}. */
export async function getWithEtag(path) {
  const response = await api(path, { raw: true });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  return { record: body, etag: response.headers.get("ETag") };
}

/** Users and devices the caller may see, by id (names for lists and filters). */
export async function directory() {
  const [users, devices] = await Promise.all([api("/api/users"), api("/api/devices")]);
  return {
    users,
    devices,
    user: new Map(users.map((u) => [u.id, u])),
    device: new Map(devices.map((d) => [d.id, d])),
    reps: users.filter((u) => u.role === "rep" && u.active !== false),
  };
}

export function userName(dir, id) {
  return dir.user.get(id)?.name || t("backoffice.unknown_user");
}

export function deviceName(dir, id) {
  const device = dir.device.get(id);
  if (!device) return t("backoffice.unknown_device");
  return `${device.name} ${t("backoffice.devices.short_id", { id: device.id.slice(0, 8) })}`;
}

/** A value of any JSON type as text: strings as is, null as "(vide)", the rest as JSON. */
export function valueText(value) {
  if (value === null || value === undefined || value === "") return t("backoffice.empty_value");
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? t("backoffice.yes") : t("backoffice.no");
  return JSON.stringify(value);
}

/** A <select> of `options` ([value, text]) with a first "Tous" entry. */
export function select(name, options, current, { all = true, test } = {}) {
  return h("select", { name, dataset: test ? { test } : undefined },
    all && h("option", { value: "", text: t("backoffice.all") }),
    options.map(([value, text]) => h("option", { value, text, selected: String(current ?? "") === String(value) })));
}

/** Previous / page x of y / next, calling go(page). */
export function pager({ page, pages, total }, go, countKey = "backoffice.count") {
  return h("div", { class: "bo-pager", dataset: { test: "pager" } },
    h("span", { class: "muted grow", dataset: { test: "total" }, text: t(countKey, { count: total }) }),
    h("button", { type: "button", class: "small", disabled: page <= 1, on: { click: () => go(page - 1) }, text: t("backoffice.previous") }),
    h("span", { class: "muted", text: t("backoffice.page", { page, pages }) }),
    h("button", { type: "button", class: "small", disabled: page >= pages, on: { click: () => go(page + 1) }, dataset: { test: "next-page" }, text: t("backoffice.next") }));
}

const SECTIONS = [["review", "#/review"], ["devices", "#/devices"], ["board", "#/board"], ["base", "#/base"]];
const SECTION_OF = { review: "review", "review-item": "review", audit: "review", devices: "devices", board: "board", base: "base", account: "base" };

/** The back office's own tabs (one entry in the app's nav keeps it usable at 360 px). */
function sectionTabs(current) {
  return h("nav", { class: "bo-tabs", attrs: { "aria-label": t("backoffice.nav.office") } },
    SECTIONS.map(([name, href]) => h("a", {
      href, class: ["bo-tab", current === name && "current"], dataset: { test: `tab-${name}` },
      attrs: { "aria-current": current === name ? "page" : false }, text: t(`backoffice.tab.${name}`),
    })));
}

/** A screen shell: the section tabs, a header with a title and optional tools, the body. */
export function screen(className, title, tools, ...body) {
  useStyles();
  return h("section", { class: ["screen backoffice", className] },
    sectionTabs(SECTION_OF[className]),
    h("header", {}, h("h1", { text: title }), tools),
    ...body);
}

/** Wrap a screen's render: a failed load shows the error and a retry button, not a blank. */
export function guarded(render) {
  return async (params, ctx) => {
    try {
      return await render(params, ctx);
    } catch (error) {
      return screen("error", t("backoffice.error_title"), null, errorBox(error),
        h("button", { type: "button", on: { click: () => show() }, text: t("backoffice.retry") }));
    }
  };
}
