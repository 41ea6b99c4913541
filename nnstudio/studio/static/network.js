// The network picture of panel 4, made to be explored: the SVG the library draws is put
// in the page (its scripts, handlers and links removed), so hovering a neuron shows its
// value for the current input (layer, unit, value) and clicking a feature map shows it
// large (its layer and channel; Escape or a click closes it).
// Hooks: [data-testid=neuron-tip], [data-testid=map-zoom].

import { $, el, showSvg } from "./api.js";

let layers = []; // the shown model's spec layers, to name a layer by its index
let classes = []; // its class names, for the output layer's units

// Show svgText in holder as live SVG; model: the shown model (GET /api/models/NAME).
export function showNetwork(holder, svgText, alt, model = {}) {
  layers = model.spec?.layers || [];
  classes = model.class_names || [];
  const svg = cleanSvg(svgText);
  if (!svg) {
    showSvg(holder, svgText, alt); // not SVG we can read: shown as a picture
    return;
  }
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", alt);
  const tip = el("div", { class: "net-tip", "data-testid": "neuron-tip", role: "tooltip", hidden: true });
  holder.replaceChildren(svg, tip);
  svg.addEventListener("pointerover", (e) => showTip(e, holder, tip));
  svg.addEventListener("pointerout", (e) => {
    if (e.target.closest?.("circle.neuron")) tip.hidden = true;
  });
  svg.addEventListener("click", (e) => enlargeMap(e, svg));
}

// Return the <svg> element of svgText with nothing in it that could run or navigate, or null.
function cleanSvg(svgText) {
  const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
  const svg = doc.documentElement;
  if (!svg || svg.nodeName !== "svg" || doc.querySelector("parsererror")) return null;
  for (const node of svg.querySelectorAll("script, foreignObject, a, iframe")) node.remove();
  for (const node of [svg, ...svg.querySelectorAll("*")]) {
    for (const attribute of [...node.attributes]) {
      const name = attribute.name.toLowerCase();
      const isHref = name === "href" || name === "xlink:href";
      if (name.startsWith("on") || (isHref && !attribute.value.startsWith("data:image/"))) {
        node.removeAttribute(attribute.name);
      }
    }
  }
  return document.importNode(svg, true);
}

function layerName(index) {
  const i = Number(index);
  if (i < 0) return "input";
  const layer = layers[i];
  return layer ? `layer ${i + 1} (${layer.type})` : `layer ${i + 1}`;
}

function showTip(event, holder, tip) {
  const neuron = event.target.closest?.("circle.neuron");
  if (!neuron || neuron.dataset.value === undefined) return;
  const { layer, index, value } = neuron.dataset;
  const output = Number(layer) === layers.length - 1 && classes[Number(index)] !== undefined;
  const unit = `unit ${Number(index) + 1}${output ? ` (${classes[Number(index)]})` : ""}`;
  tip.replaceChildren(el("strong", {}, layerName(layer)), ` · ${unit} · value ${value}`);
  tip.hidden = false;
  const box = holder.getBoundingClientRect();
  const dot = neuron.getBoundingClientRect();
  const left = dot.right - box.left + holder.scrollLeft + 6;
  tip.style.left = `${Math.min(left, holder.scrollWidth - tip.offsetWidth - 4)}px`;
  tip.style.top = `${dot.top - box.top + holder.scrollTop - 4}px`;
}

// A click on a feature map (its image, or the frame or kernel lines drawn over it): that map, large.
function enlargeMap(event, svg) {
  const plane = document.elementsFromPoint(event.clientX, event.clientY).find((node) => node.dataset?.channel);
  if (!plane) return;
  const { layer, channel } = plane.dataset;
  const image = svg.querySelector(`image.feature-map[data-layer="${layer}"][data-channel="${channel}"]`);
  if (!image) return; // a drawing without an input has no maps to show
  const frame = svg.querySelector(`rect.plane[data-layer="${layer}"][data-channel="${channel}"] title`);
  const dialog = zoomDialog();
  $("img", dialog).src = image.getAttribute("href");
  $("img", dialog).alt = `${layerName(layer)}, channel ${Number(channel) + 1}`;
  $(".zoom-title", dialog).textContent = `${layerName(layer)} · channel ${Number(channel) + 1}`;
  $(".zoom-detail", dialog).textContent = frame ? frame.textContent : "";
  dialog.showModal(); // Escape closes it (the browser's own)
}

function zoomDialog() {
  let dialog = $("#map-zoom");
  if (dialog) return dialog;
  dialog = el("dialog", { id: "map-zoom", class: "map-zoom", "data-testid": "map-zoom" },
    el("div", { class: "zoom-head" }, el("strong", { class: "zoom-title" }),
      el("button", { type: "button", class: "zoom-close", title: "Close (Escape)" }, "×")),
    el("img", { class: "zoom-image" }),
    el("p", { class: "zoom-detail muted small" }));
  dialog.addEventListener("click", () => dialog.close()); // anywhere on it, or on the dimmed page around it
  document.body.append(dialog);
  return dialog;
}
