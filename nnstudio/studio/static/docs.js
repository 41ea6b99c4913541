// The API documentation page (/docs): every route of /openapi.json, grouped by tag,
// with its method, path, summary, description, parameters, request body and answers.
// Plain DOM from the server's own schema, so it works offline.

import { el } from "./api.js";

const METHODS = ["get", "post", "put", "patch", "delete"];

// Return a short type for a JSON schema: "string", "int ≥ 1", "RunRequest", "array of object", ...
function typeOf(schema, root) {
  if (!schema || !Object.keys(schema).length) return "any";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.anyOf) return schema.anyOf.map((s) => typeOf(s, root)).join(" or ");
  if (schema.enum) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.type === "array") return `array of ${typeOf(schema.items, root)}`;
  if (schema.type === "string" && schema.format === "binary") return "bytes";
  let text = schema.type === "integer" ? "int" : schema.type || "object";
  const bounds = [["minimum", "≥"], ["exclusiveMinimum", ">"], ["maximum", "≤"], ["exclusiveMaximum", "<"],
    ["minLength", "length ≥"], ["maxLength", "length ≤"], ["minItems", "items ≥"], ["maxItems", "items ≤"]];
  for (const [key, sign] of bounds) if (schema[key] !== undefined) text += ` ${sign} ${schema[key]}`;
  return text;
}

function resolve(schema, root) {
  if (schema && schema.$ref) return root.components.schemas[schema.$ref.split("/").pop()] || {};
  return schema || {};
}

// The fields of an object schema as a small table (name, type, required, description).
function fieldTable(schema, root, seen = new Set()) {
  const object = resolve(schema, root);
  const properties = object.properties || {};
  if (!Object.keys(properties).length) return null;
  const required = new Set(object.required || []);
  const rows = Object.entries(properties).map(([name, field]) => {
    const nested = field.$ref && !seen.has(field.$ref) ? fieldTable(field, root, new Set([...seen, field.$ref])) : null;
    return el("tr", {},
      el("td", {}, el("code", {}, name)),
      el("td", {}, typeOf(field, root)),
      el("td", {}, required.has(name) ? "required" : "optional"),
      el("td", {}, field.description || resolve(field, root).description || "", nested || ""));
  });
  return el("table", { class: "docs-fields" },
    el("thead", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, ""), el("th", {}, ""))),
    el("tbody", {}, ...rows));
}

function parameters(operation, root) {
  const list = operation.parameters || [];
  if (!list.length) return null;
  return el("div", {}, el("h4", {}, "Parameters"), el("table", { class: "docs-fields" },
    el("tbody", {}, ...list.map((p) => el("tr", {},
      el("td", {}, el("code", {}, p.name)),
      el("td", {}, `${p.in}, ${typeOf(p.schema, root)}${p.schema && p.schema.default !== undefined
        ? `, default ${JSON.stringify(p.schema.default)}` : ""}`),
      el("td", {}, p.required ? "required" : "optional"),
      el("td", {}, p.description || p.schema?.description || ""))))));
}

function requestBody(operation, root) {
  const body = operation.requestBody;
  if (!body) return null;
  const parts = [el("h4", {}, `Request body${body.required ? "" : " (optional)"}`)];
  for (const [type, content] of Object.entries(body.content || {})) {
    parts.push(el("p", {}, el("code", {}, type), " ", typeOf(content.schema, root)));
    const table = fieldTable(content.schema, root);
    if (table) parts.push(table);
  }
  return el("div", {}, ...parts);
}

function responses(operation, root) {
  const items = Object.entries(operation.responses || {}).map(([code, answer]) => {
    const types = Object.entries(answer.content || {}).map(([type, c]) => `${type}: ${typeOf(c.schema, root)}`);
    return el("li", {}, el("code", {}, code), ` ${answer.description || ""}`,
      types.length ? el("span", { class: "muted" }, ` (${types.join("; ")})`) : "");
  });
  return el("div", {}, el("h4", {}, "Answers"), el("ul", { class: "docs-answers" }, ...items));
}

function route(path, method, operation, root) {
  const id = operation.operationId || `${method}-${path}`;
  return el("details", { class: "docs-route", id, "data-testid": "api-route" },
    el("summary", {},
      el("span", { class: `docs-method docs-${method}` }, method.toUpperCase()),
      el("code", { class: "docs-path" }, path),
      el("span", { class: "docs-summary" }, operation.summary || "")),
    // The description is the route's docstring: what it does and what it answers.
    operation.description ? el("p", { class: "docs-description" }, operation.description) : "",
    parameters(operation, root) || "", requestBody(operation, root) || "", responses(operation, root));
}

async function start() {
  const holder = document.querySelector("#docs-routes");
  try {
    const answer = await fetch("/openapi.json");
    if (!answer.ok) throw new Error(`/openapi.json answered ${answer.status}`);
    const root = await answer.json();
    const groups = new Map();
    for (const [path, item] of Object.entries(root.paths || {})) {
      for (const method of METHODS) {
        if (!item[method]) continue;
        const tag = (item[method].tags || ["other"])[0];
        if (!groups.has(tag)) groups.set(tag, []);
        groups.get(tag).push(route(path, method, item[method], root));
      }
    }
    document.querySelector("#docs-tags").replaceChildren(
      ...[...groups.keys()].map((tag) => el("a", { href: `#tag-${tag}` }, tag)));
    holder.replaceChildren(...[...groups].map(([tag, routes]) =>
      el("section", { class: "card docs-group", id: `tag-${tag}` }, el("h2", {}, tag), ...routes)));
  } catch (error) {
    holder.replaceChildren(el("p", { class: "error", "data-testid": "error" }, error.message));
  } finally {
    document.body.dataset.ready = "true";
  }
}

start();
