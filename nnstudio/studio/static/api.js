// Talking to the studio's JSON API, and the page's two shared signals:
// <body data-ready> ("false" while any request or pending edit is in flight, so
// tests and users know when the page is idle) and the one visible error message.

let pending = 0;

function mark() {
  document.body.dataset.ready = pending === 0 ? "true" : "false";
}

// Count one piece of work in flight; return the function that ends it (idempotent).
export function hold() {
  pending += 1;
  mark();
  let done = false;
  return () => {
    if (done) return;
    done = true;
    pending -= 1;
    mark();
  };
}

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// Send a request; return the parsed JSON (or text/blob when asked). A JSON error body
// {"error": "..."} becomes an ApiError with that one-line message.
export async function request(method, url, { json, body, type, as = "json" } = {}) {
  const release = hold();
  try {
    const init = { method, headers: {} };
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers["Content-Type"] = "application/json";
    } else if (body !== undefined) {
      init.body = body;
      init.headers["Content-Type"] = type || "application/octet-stream";
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      throw new ApiError(`the studio server does not answer (${error.message}); is it still running?`, 0);
    }
    if (!response.ok) throw await errorOf(response);
    if (as === "text") return await response.text();
    if (as === "blob") return await response.blob();
    return await response.json();
  } finally {
    release();
  }
}

async function errorOf(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const answer = await response.json();
    if (answer && answer.error) message = answer.error;
  } catch (_) { /* not JSON: keep the status line */ }
  return new ApiError(message, response.status);
}

export const getJSON = (url) => request("GET", url);
export const postJSON = (url, json) => request("POST", url, { json });
export const del = (url) => request("DELETE", url);

// ----------------------------------------------------------------------------- errors

let errorSource = null;

// Show a rejected action's message in the one error element (data-testid="error").
export function showError(message, source = "page") {
  document.querySelector('[data-testid="error"]').textContent = String(message);
  document.querySelector("#error-box").hidden = false;
  errorSource = source;
}

// Hide the message, only if it came from source (or from anything when source is omitted).
export function clearError(source) {
  if (source !== undefined && source !== errorSource) return;
  document.querySelector("#error-box").hidden = true;
  errorSource = null;
}

// Run a user's action; show its error instead of throwing (an older message goes,
// except an invalid design's, which stays until the design is fixed). The page counts as busy
// from the first moment (before the action's first request), so no one acts on a
// page that is about to change. Returns the action's result or undefined.
export async function attempt(action, source = "page") {
  const release = hold();
  if (errorSource !== "designer") clearError(); // a new action: the last one's message is stale
  try {
    return await action();
  } catch (error) {
    showError(error.message || String(error), source);
    return undefined;
  } finally {
    release();
  }
}

export function initErrors() {
  document.querySelector(".error-close").addEventListener("click", () => clearError());
}

// ----------------------------------------------------------------------------- small DOM helpers

export function $(selector, root = document) {
  return root.querySelector(selector);
}

// Create an element: el("td", {class: "x", title: "..."}, child, "text", ...).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Fill a <select> with [value, label] pairs (or plain strings), keeping the choice when possible.
export function fillSelect(select, items, chosen) {
  const keep = chosen !== undefined ? chosen : select.value;
  select.replaceChildren();
  for (const item of items) {
    if (item && item.group) {
      const group = el("optgroup", { label: item.group });
      for (const sub of item.items) group.append(option(sub));
      if (item.items.length) select.append(group);
    } else {
      select.append(option(item));
    }
  }
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

function option(item) {
  const [value, label] = Array.isArray(item) ? item : [item, item];
  return el("option", { value }, label);
}

// Show an SVG answer as an <img> (scripts in it never run), replacing the holder's content.
export function showSvg(holder, svgText, alt) {
  const url = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
  const image = el("img", { src: url, alt });
  image.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
  holder.replaceChildren(image);
  return image;
}

export function percent(value) {
  return `${(100 * value).toFixed(value >= 0.995 || value < 0.0005 ? 0 : 1)}%`;
}

// A simple pub/sub shared by the panels: on("model-saved", fn), emit("model-saved", name).
const listeners = {};
export function on(name, fn) {
  (listeners[name] ||= []).push(fn);
}
export function emit(name, ...args) {
  for (const fn of listeners[name] || []) fn(...args);
}
