// Log in: registers this browser as a device of the user (POST /api/auth/login).
import { api, ApiError, describeError } from "../api.js";
import { formValues, h } from "../dom.js";
import { t } from "../i18n/index.js";
import { navigate, registerRoute, homeRoute } from "../router.js";
import { isLoggedIn, loadSession, saveSession, session } from "../session.js";
import { pendingCount, reserveMidsAbove, wipeDevice } from "../store.js";
import { APP_VERSION, state as syncState } from "../sync.js";

function deviceName() {
  const ua = navigator.userAgent;
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Windows/.test(ua) ? "Windows" : /Mac/.test(ua) ? "Mac" : "Linux";
  return `Navigateur ${os}`;
}

async function logIn(email, password) {
  // Another user on this device: their unsent work must never be lost or sent as ours.
  if (session.user && session.user.email.toLowerCase() !== email.toLowerCase()) {
    if (await pendingCount()) throw new Error("pending-other-user");
    await wipeDevice();
    await loadSession();
  }
  const answer = await api("/api/auth/login", {
    method: "POST",
    body: { email, password, device_id: session.deviceId, device_name: deviceName(), app_version: APP_VERSION },
  });
  await reserveMidsAbove(answer.device.last_mid || 0);
  await saveSession({ token: answer.token, user: answer.user });
}

registerRoute("#/login", () => {
  if (isLoggedIn() && !syncState.needsLogin) {
    queueMicrotask(() => navigate(homeRoute(), { replace: true }));
    return h("p", { text: t("app.loading") });
  }
  const error = h("p", { class: "form-error", attrs: { role: "alert" }, hidden: true, dataset: { test: "login-error" } });
  const submit = h("button", { type: "submit", class: "primary block", text: t("login.submit") });
  const form = h("form", {
    class: "card login",
    attrs: { novalidate: true },
    on: {
      submit: async (event) => {
        event.preventDefault();
        const { email, password } = formValues(form);
        submit.disabled = true;
        submit.textContent = t("login.busy");
        error.hidden = true;
        try {
          await logIn(email || "", password || "");
          window.dispatchEvent(new Event("tournee:login"));
          navigate(homeRoute());
        } catch (e) {
          error.hidden = false;
          if (e instanceof ApiError && e.status === 401) error.textContent = t("error.login");
          else if (e instanceof ApiError && e.kind === "network") error.textContent = t("login.offline");
          else if (e.message === "pending-other-user") error.textContent = t("login.other_user_pending");
          else error.textContent = describeError(e);
        } finally {
          submit.disabled = false;
          submit.textContent = t("login.submit");
        }
      },
    },
  },
  h("h1", { text: t("login.title") }),
  syncState.needsLogin && h("p", { class: "notice", text: t("login.expired") }),
  h("label", { text: t("login.email") },
    h("input", { name: "email", type: "email", autocomplete: "username", required: true, inputMode: "email", value: session.user?.email || "" })),
  h("label", { text: t("login.password") },
    h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
  error,
  submit,
  h("p", { class: "hint", text: t("login.device_note") }),
  );
  return h("section", { class: "screen login-screen" },
    h("div", { class: "brand" },
      h("img", { src: "/app/icons/icon-192.png", attrs: { alt: "", width: 72, height: 72 } }),
      h("p", { class: "brand-name", text: t("app.name") }),
      h("p", { class: "tagline", text: t("app.tagline") })),
    form,
    h("p", { class: "hint center" }, h("a", { href: "/api/docs", text: t("app.api_docs") })),
  );
}, { public: true });
