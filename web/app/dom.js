// The only way screens build DOM: elements, attributes and text. Nothing here parses HTML,
// so user data (a note holding "<script>" or an onerror attribute) is always shown as text.

const SAFE_URL = /^(https?:|mailto:|tel:|sms:|#|\/(?!\/))/i;
const BLOCKED_ATTR = /^(on|srcdoc$|style$|formaction$)/i;

/** Is `url` allowed in an href/src: web, mail, phone, in-app, never javascript: or data:. */
export function safeUrl(url) {
  return typeof url === "string" && SAFE_URL.test(url.trim());
}

/**
 * h("button", {class: "primary", on: {click}, attrs: {"aria-label": "…"}}, "text", child…)
 * Props: class, text, on, attrs, dataset, and the element properties listed in PROPS.
 * Children: strings and numbers become text nodes; null/false/undefined are skipped.
 */
const PROPS = new Set(["id", "type", "name", "value", "checked", "disabled", "hidden", "placeholder",
  "required", "autocomplete", "inputMode", "min", "max", "step", "rows", "title", "tabIndex",
  "htmlFor", "selected", "multiple", "maxLength", "pattern", "accept", "enterKeyHint", "open"]);

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "on") for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "href" || key === "src") setUrl(el, key, value);
    else if (key === "attrs") for (const [name, v] of Object.entries(value)) setAttr(el, name, v);
    else if (PROPS.has(key)) el[key] = value;
    else throw new Error(`dom.h: unsupported prop ${key}`);
  }
  append(el, children);
  return el;
}

function setUrl(el, key, value) {
  if (safeUrl(value)) el.setAttribute(key, value);
}

function setAttr(el, name, value) {
  if (BLOCKED_ATTR.test(name)) throw new Error(`dom.h: refusing attribute ${name}`);
  if (value === false || value === null || value === undefined) return;
  el.setAttribute(name, value === true ? "" : String(value));
}

/** Append children (text, nodes, arrays) to `el`. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === "") continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace every child of `el` with `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Set an element's text (and nothing else). */
export function text(el, value) {
  el.textContent = value === null || value === undefined ? "" : String(value);
  return el;
}

/** Read a form's fields as {name: trimmed string} (empty strings become null). */
export function formValues(form) {
  const out = {};
  for (const [name, value] of new FormData(form).entries()) {
    const v = typeof value === "string" ? value.trim() : value;
    out[name] = v === "" ? null : v;
  }
  return out;
}
