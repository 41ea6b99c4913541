// The designer's form fields: one per layer setting, and how their text becomes the
// spec's JSON values (numbers, "5x5" pairs, input shapes).

import { el, fillSelect } from "./api.js";

export function usesSlope(layer) {
  return layer.type === "LeakyReLU" || layer.activation === "leaky_relu";
}

// One setting of a layer as a form field; changed(typing) is told of every edit.
export function fieldInput(layer, name, field, { activations, paddings }, changed) {
  const value = layer[name] !== undefined ? layer[name] : field.default;
  const label = name.replace(/_/g, " ");
  let input;
  if (field.kind === "activation" || field.kind === "padding") {
    input = el("select", { name });
    fillSelect(input, field.choices ?? (field.kind === "activation" ? activations : paddings), value ?? "");
    input.addEventListener("change", () => {
      layer[name] = input.value;
      if (name === "activation") changed(false); // shows or hides negative_slope
      else changed(true);
    });
  } else if (field.kind === "bool") {
    input = el("input", { type: "checkbox", name, checked: Boolean(value) });
    input.addEventListener("change", () => { layer[name] = input.checked; changed(true); });
  } else {
    const text = field.kind === "pair" ? (Array.isArray(value) ? value.join("x") : value ?? "") : value ?? "";
    input = el("input", {
      type: field.kind === "pair" ? "text" : "number", name, value: String(text), size: 5,
      step: field.kind === "int" ? "1" : "any", min: field.low ?? undefined,
      placeholder: field.required ? "required" : "default",
      title: field.kind === "pair" ? "one number, or two as 5x5" : `${field.kind}${field.low !== null ? ` ≥ ${field.low}` : ""}`,
    });
    input.addEventListener("input", () => {
      const parsed = parseValue(input.value, field.kind);
      if (parsed === undefined) delete layer[name];
      else layer[name] = parsed;
      changed(true);
    });
  }
  return el("label", { class: "field", dataset: { field: name } }, el("span", {}, label), input);
}

// Return the JSON value of a field's text: numbers as numbers, "5x5" as [5, 5]; text the
// server cannot read goes as it is, so that its error names the field.
function parseValue(text, kind) {
  const t = text.trim();
  if (t === "") return undefined;
  if (kind === "pair") {
    const parts = t.split(/[x×,\s]+/).filter(Boolean);
    if (parts.every((p) => /^-?\d+$/.test(p)) && parts.length <= 2) {
      const nums = parts.map(Number);
      return nums.length === 1 ? [nums[0], nums[0]] : nums;
    }
    return t;
  }
  return /^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(t) ? Number(t) : t;
}

export function parseShape(text) {
  return text.split(/[x×,\s]+/).filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}
