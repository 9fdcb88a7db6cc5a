// Hash router: screens register their routes; the nav shows the entries the user's role may use.
//   registerRoute("#/customers/:id", render, {roles: ["rep", "manager", "admin"]})
//   registerRoute("#/review", render, {roles: ["manager", "admin"], nav: {label: "nav.review", order: 50}})
// render(params, ctx) returns a Node (or a Promise of one); ctx.onLeave(fn) registers cleanup
// (timers, maps, subscriptions) run when the user navigates away.
import { h, replace } from "./dom.js";
import { t } from "./i18n/index.js";
import { hasRole, isLoggedIn } from "./session.js";

const routes = [];
let leaveHandlers = [];
let renderSeq = 0;

/** Declare a screen. `pattern` is a hash path with :params; roles null = any logged-in user;
 *  public: true = shown without logging in (the login screen). */
export function registerRoute(pattern, render, { roles = null, nav = null, public: isPublic = false } = {}) {
  const keys = [];
  const source = pattern.replace(/^#/, "").replace(/:(\w+)/g, (_, key) => {
    keys.push(key);
    return "([^/]+)";
  });
  routes.push({ pattern, regex: new RegExp(`^${source}$`), keys, render, roles, nav, isPublic });
}

/** Go to a hash path (adds a history entry). */
export function navigate(hash, { replace: replaceEntry = false } = {}) {
  if (replaceEntry) {
    history.replaceState(null, "", hash);
    return show();
  }
  if (location.hash === hash) return show();
  location.hash = hash;
}

/** The first nav entry the current user may use: where "#/" leads. */
export function homeRoute() {
  const entries = navEntries();
  return entries.length ? entries[0].pattern : "#/login";
}

/** Nav entries visible to the current user, in order. */
export function navEntries() {
  return routes
    .filter((r) => r.nav && hasRole(r.roles))
    .sort((a, b) => (a.nav.order ?? 100) - (b.nav.order ?? 100));
}

function match(path) {
  for (const route of routes) {
    const m = route.regex.exec(path);
    if (m) return { route, params: Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])])) };
  }
  return null;
}

/** Render the screen of the current hash into #view. */
export async function show() {
  const view = document.getElementById("view");
  const path = (location.hash || "#/").replace(/^#/, "") || "/";
  for (const fn of leaveHandlers.splice(0)) {
    try { fn(); } catch (e) { console.error(e); }
  }
  const seq = ++renderSeq;
  if (path === "/" || path === "") return navigate(isLoggedIn() ? homeRoute() : "#/login", { replace: true });
  const found = match(path);
  if (!found) return replace(view, h("p", { class: "empty", text: t("app.not_found") }));
  const { route, params } = found;
  if (!route.isPublic && !isLoggedIn()) return navigate("#/login", { replace: true });
  if (!route.isPublic && !hasRole(route.roles)) return replace(view, h("p", { class: "empty", text: t("app.forbidden_route") }));
  renderNav(route);
  const ctx = { onLeave: (fn) => leaveHandlers.push(fn), params, isCurrent: () => seq === renderSeq };
  const node = await route.render(params, ctx);
  if (seq !== renderSeq) return; // the user went elsewhere while this screen loaded
  replace(view, node);
  performance.mark("tournee:screen"); // the bench reads when the first screen was in place
  view.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

/** The bottom navigation (role-aware); highlights the current entry. */
export function renderNav(current) {
  const nav = document.getElementById("nav");
  const entries = isLoggedIn() ? navEntries() : [];
  nav.hidden = entries.length === 0;
  replace(
    nav,
    entries.map((r) => {
      // A screen under an entry (#/customers/42 under #/customers) lights that entry up.
      const here = (current && current.nav === r.nav) || location.hash.startsWith(`${r.pattern}/`);
      return h("a", {
        href: r.pattern,
        class: ["nav-item", here && "current"],
        attrs: { "aria-current": here ? "page" : false },
      }, h("span", { class: `icon icon-${r.nav.icon || "dot"}`, attrs: { "aria-hidden": "true" } }), t(r.nav.label));
    }),
  );
}

/** Start routing: render now and on every hash change. */
export function startRouter() {
  window.addEventListener("hashchange", show);
  return show();
}
