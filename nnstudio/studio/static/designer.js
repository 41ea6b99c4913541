// Panel 2, the designer: a spec (the same JSON the CLI takes) edited layer by layer.
// After every edit the server checks it against the chosen data (POST
// /api/specs/check?data=NAME) and draws it (POST /api/specs/drawing.svg); an invalid
// design, or one whose input or classes do not fit the data, shows the error on its
// layer row or its input row and cannot be trained (the "design" event carries {valid}).
// A dataset's own network comes from the server (GET /api/datasets/NAME: "network"),
// the same choice `nnstudio train` makes.

import { $, attempt, clearError, el, emit, fillSelect, getJSON, hold, postJSON, request, showError, showSvg }
  from "./api.js";
import { currentDataset } from "./data.js";
import { fieldInput, parseShape, usesSlope } from "./fields.js";
import { History } from "./undo.js";

const EDIT_PAUSE_MS = 250; // typing pauses this long before the design is checked
const DATA_NETWORK = "@data"; // the "Start from" choice of a network fitted to the chosen data

let kinds = {}; // layer type -> {field: {kind, default, required, low, high}}
let activations = [];
let paddings = [];
let presets = [];
let dataNetwork = null; // {name (the dataset), network} the server chose for the chosen dataset
let spec = { name: "my-network", input_shape: [25], layers: [], training: {} };
let valid = false;
let edited = false; // the user changed the design since a preset or file was loaded
let checkSeq = 0;
let editTimer = null;
let editRelease = null;
const KEPT_NOTE = "Your design from your last visit (kept in this browser). Start fresh for the data's own network.";
let restored = false; // the design on the page came back from an earlier visit
let followed = false; // the design followed the data once (the page's start)
const history = new History("nnstudio.design"); // {spec, edited}: undo steps, and kept across reloads

export function currentSpec() {
  return JSON.parse(JSON.stringify(spec));
}

export function isValid() {
  return valid;
}

export async function initDesigner() {
  const [layers, presetList] = await Promise.all([getJSON("/api/layers"), getJSON("/api/presets")]);
  kinds = layers.types;
  activations = layers.activations;
  paddings = layers.paddings;
  presets = presetList;
  fillPresets();
  fillSelect($("#new-layer-type"), Object.keys(kinds));
  $("#new-layer-type").value = "Dense";

  $("#preset-select").addEventListener("change",
    (e) => attempt(() => loadPreset(e.target.value, currentDataset()?.classes)));
  $("#layer-add").addEventListener("click", () => addLayer($("#new-layer-type").value));
  $("#design-name").addEventListener("input", (e) => { spec.name = e.target.value.trim(); changed(true); });
  $("#input-shape").addEventListener("input", (e) => { spec.input_shape = parseShape(e.target.value); changed(true); });
  $("#design-save").addEventListener("click", saveDesign);
  $("#design-load").addEventListener("change", (e) => attempt(() => loadDesign(e.target.files[0]), "designer"));
  $("#design-undo").addEventListener("click", () => attempt(undo, "designer"));
  $("#design-fresh").addEventListener("click", () => attempt(startFresh, "designer"));
  document.addEventListener("keydown", (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.shiftKey || e.altKey || e.key.toLowerCase() !== "z") return;
    if (e.target.closest?.("input, textarea, select, [contenteditable]")) return; // a field's own undo
    e.preventDefault();
    attempt(undo, "designer");
  });
  restoreKept();
}

// The design edited on an earlier visit comes back (the data's own network otherwise).
function restoreKept() {
  const kept = history.saved();
  if (kept && kept.mine && kept.spec && Array.isArray(kept.spec.layers)) {
    spec = { ...kept.spec, training: kept.spec.training || {} };
    edited = true;
    $("#preset-select").value = "";
    render();
    $("#design-note").textContent = KEPT_NOTE;
    restored = true;
    followed = true; // what comes after it can be undone back to it
  }
  history.reset({ spec, edited, mine: edited });
  showUndo();
}

// Remember the design as it is now. how: "edit" (the user's: an undo step, kept across
// reloads), "follow" (it followed the data: no step, not kept) or "fresh" (a step, not kept).
function remember(how = "edit") {
  const state = { spec, edited, mine: how === "edit" };
  if (how === "follow" && !followed) history.reset(state); // the page's first design: nothing before it
  else history.record(state); // a later follow replaces a chosen preset: that can be undone
  followed = followed || how === "follow";
  showUndo();
}

function showUndo() {
  $("#design-undo").disabled = !history.canUndo();
}

async function undo() {
  flushTyping();
  const before = history.undo();
  showUndo();
  if (!before) return;
  spec = before.spec;
  edited = before.edited || before.mine;
  $("#preset-select").value = "";
  render();
  $("#design-note").textContent = "Undone.";
  await check();
}

// A reloaded page follows a run still queued or training: the designer shows the network
// that run trains with (an undo step, so the design on the page before comes back).
export async function showRunNetwork(runSpec, label) {
  if (!runSpec || !Array.isArray(runSpec.layers)) return;
  flushTyping();
  spec = { ...JSON.parse(JSON.stringify(runSpec)), training: runSpec.training || {} };
  edited = false;
  $("#preset-select").value = "";
  render();
  remember("fresh");
  $("#design-note").textContent = `The network run ${label} trains with.`;
  await check();
}

// Back to the network nnstudio chooses for the data (or the empty design); undoable.
async function startFresh() {
  flushTyping();
  if (dataNetwork) await startFromDataNetwork();
  else await loadPreset("", currentDataset()?.classes);
  remember("fresh");
}

// The "Start from" list: nothing, the presets and, when the data's own network is
// fitted to them rather than a preset, that network.
function fillPresets(chosen) {
  const own = dataNetwork && !dataNetwork.network.preset
    ? [[DATA_NETWORK, `${dataNetwork.network.spec.name} (fitted to the data)`]] : [];
  fillSelect($("#preset-select"), [["", "(empty: build from nothing)"], ...own,
    ...presets.map((p) => [p.name, p.name])], chosen);
}

// Load a preset (or the empty design, or the data's own network) and fit its output
// layer to the dataset's classes.
export async function loadPreset(name, classes) {
  if (name === DATA_NETWORK && dataNetwork) {
    await startFromDataNetwork();
    remember();
    return;
  }
  $("#preset-select").value = name;
  const preset = presets.find((p) => p.name === name);
  spec = preset ? JSON.parse(JSON.stringify(preset.spec))
    : { name: "my-network", input_shape: spec.input_shape, layers: [], training: {} };
  edited = false;
  fitToClasses(classes);
  render();
  remember();
  await check();
}

// The dataset changed: an untouched design follows it (the network the server chose
// for it); an edited one gets one output unit per class and is checked against it.
export async function followDataset(info) {
  dataNetwork = info.network ? { name: info.name, network: info.network } : null;
  fillPresets();
  if (!edited && dataNetwork) {
    await startFromDataNetwork();
    remember("follow");
    return;
  }
  if (fitToClasses(info.classes)) {
    render();
    remember();
  } else if (restored) {
    $("#design-note").textContent = KEPT_NOTE;
  }
  restored = false;
  await check();
}

async function startFromDataNetwork() {
  const { name, network } = dataNetwork;
  spec = JSON.parse(JSON.stringify(network.spec));
  edited = false;
  $("#preset-select").value = network.preset || DATA_NETWORK;
  render();
  $("#design-note").textContent = `The network nnstudio chooses for ${name}: ${network.reason}.`;
  await check();
}

function fitToClasses(classes) {
  const note = $("#design-note");
  note.textContent = "";
  if (!classes || !spec.layers.length) return false;
  const last = spec.layers[spec.layers.length - 1];
  if (last.type !== "Dense" || last.units === classes.length) return false;
  last.units = classes.length;
  note.textContent = `The last layer now has ${classes.length} units, one per class of the data.`;
  return true;
}

function addLayer(type) {
  const layer = { type };
  addDefaults(layer);
  if (type === "Dense") layer.activation = "relu";
  // New layers go before the output layer, where hidden layers belong.
  const at = spec.layers.length && spec.layers[spec.layers.length - 1].type === "Dense" ? spec.layers.length - 1
    : spec.layers.length;
  spec.layers.splice(at, 0, layer);
  changed(false);
}

function moveLayer(index, by) {
  const to = index + by;
  if (to < 0 || to >= spec.layers.length) return;
  const [layer] = spec.layers.splice(index, 1);
  spec.layers.splice(to, 0, layer);
  changed(false);
}

function removeLayer(index) {
  spec.layers.splice(index, 1);
  changed(false);
}

function changeType(index, type) {
  const old = spec.layers[index];
  const layer = { type };
  for (const name of Object.keys(kinds[type])) if (name in old) layer[name] = old[name];
  addDefaults(layer);
  spec.layers[index] = layer;
  changed(false);
}

function addDefaults(layer) {
  for (const [name, field] of Object.entries(kinds[layer.type])) {
    if (field.required && layer[name] === undefined) {
      layer[name] = { int: 16, number: 0.2, pair: [3, 3], activation: "relu" }[field.kind] ?? null;
    }
  }
}

// A change from the user: typing waits for a pause, structural changes re-render at once.
function changed(typing) {
  edited = true;
  $("#design-note").textContent = "";
  if (!typing) {
    render();
    remember();
    check();
    return;
  }
  clearTimeout(editTimer);
  if (!editRelease) editRelease = hold();
  editTimer = setTimeout(() => {
    const release = editRelease;
    editRelease = null;
    editTimer = null;
    remember(); // a pause in typing is one undo step
    check().finally(release);
  }, EDIT_PAUSE_MS);
}

// Typing not yet paused counts as one step now (before an undo or a fresh start).
function flushTyping() {
  if (!editTimer) return;
  clearTimeout(editTimer);
  editTimer = null;
  remember();
  const release = editRelease;
  editRelease = null;
  if (release) release();
}

// ----------------------------------------------------------------------------- rows

function render() {
  $("#design-name").value = spec.name || "";
  $("#input-shape").value = (spec.input_shape || []).join("x");
  const body = $("#layer-rows");
  body.replaceChildren(...spec.layers.map((layer, i) => layerRow(layer, i)));
}

function layerRow(layer, index) {
  const typeSelect = el("select", { class: "layer-type", "aria-label": `layer ${index} type`,
    onchange: (e) => changeType(index, e.target.value) });
  fillSelect(typeSelect, Object.keys(kinds), layer.type);
  const fields = el("div", { class: "fields" });
  for (const [name, field] of Object.entries(kinds[layer.type] || {})) {
    if (name === "negative_slope" && !usesSlope(layer)) continue;
    fields.append(fieldInput(layer, name, field, { activations, paddings }, changed));
  }
  const last = spec.layers.length - 1;
  return el("tr", { "data-testid": "layer-row", dataset: { index } },
    el("td", { class: "index" }, index),
    el("td", {}, typeSelect),
    el("td", {}, fields, el("div", { class: "layer-error", hidden: true })),
    el("td", { class: "shape" }, "…"),
    el("td", { class: "params" }, ""),
    el("td", { class: "row-buttons" },
      el("button", { type: "button", title: "Move up", disabled: index === 0, onclick: () => moveLayer(index, -1) }, "↑"),
      el("button", { type: "button", title: "Move down", disabled: index === last, onclick: () => moveLayer(index, 1) },
        "↓"),
      el("button", { type: "button", title: "Remove", class: "danger", onclick: () => removeLayer(index) }, "✕")));
}

// ----------------------------------------------------------------------------- check and draw

// The check and the drawing are asked for together (one round trip, not two); the
// drawing is shown only when the check finds the design valid.
export async function check() {
  const seq = ++checkSeq;
  const data = currentDataset();
  const drawing = request("POST", "/api/specs/drawing.svg", { json: spec, as: "text" }).catch((error) => error);
  let result;
  try {
    result = await postJSON(`/api/specs/check${data ? `?data=${encodeURIComponent(data.name)}` : ""}`, spec);
  } catch (error) {
    result = { ok: false, error: error.message, layer: null, field: null };
  }
  if (seq !== checkSeq) return; // a newer edit is being checked
  showCheck(result);
  if (result.layers) showDrawing(seq, await drawing);
}

function showCheck(result) {
  valid = Boolean(result.ok);
  const rows = [...document.querySelectorAll('#layer-rows [data-testid="layer-row"]')];
  for (const row of rows) {
    row.classList.remove("invalid");
    const box = row.querySelector(".layer-error");
    box.hidden = true;
    box.textContent = "";
    for (const f of row.querySelectorAll(".field")) f.classList.remove("invalid");
  }
  $("#input-shape").classList.remove("invalid");
  const inputError = $("#input-error");
  inputError.hidden = true;
  inputError.textContent = "";
  // A design that is valid but does not fit the data still has its shapes (result.layers).
  for (const row of rows) {
    const layer = result.layers && result.layers[Number(row.dataset.index)];
    row.querySelector(".shape").textContent = layer ? layer.output_shape.join("×") : "";
    row.querySelector(".params").textContent = layer ? layer.params.toLocaleString() : "";
  }
  $("#design-drawing").classList.toggle("stale", !result.layers);
  if (result.ok) {
    $("#design-total").textContent = `${result.total_params.toLocaleString()} parameters in all`;
    clearError("designer");
  } else {
    const row = result.layer !== null && result.layer !== undefined ? rows[result.layer] : null;
    if (row) {
      row.classList.add("invalid");
      const box = row.querySelector(".layer-error");
      box.textContent = result.error;
      box.hidden = false;
      const field = result.field && row.querySelector(`.field[data-field="${result.field}"]`);
      if (field) field.classList.add("invalid");
    } else if (result.field === "input_shape") {
      $("#input-shape").classList.add("invalid");
      inputError.textContent = result.error; // the trainer's words: the field, what it has, what the data need
      inputError.hidden = false;
    }
    $("#design-total").textContent = result.layers ? "does not fit the data" : "invalid design";
    showError(result.error, "designer");
  }
  emit("design", { valid, spec: currentSpec() });
}

function showDrawing(seq, svg) {
  if (seq !== checkSeq) return;
  if (svg instanceof Error) $("#design-drawing").replaceChildren(el("p", { class: "muted" }, svg.message));
  else showSvg($("#design-drawing"), svg, "the network");
}

// ----------------------------------------------------------------------------- files

function saveDesign() {
  const blob = new Blob([JSON.stringify(spec, null, 2) + "\n"], { type: "application/json" });
  const link = el("a", { href: URL.createObjectURL(blob), download: `${spec.name || "network"}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function loadDesign(file) {
  if (!file) return;
  const release = hold();
  try {
    let loaded;
    try {
      loaded = JSON.parse(await file.text());
    } catch (error) {
      throw new Error(`${file.name}: not JSON (${error.message})`);
    }
    if (!loaded || !Array.isArray(loaded.layers)) throw new Error(`${file.name}: not a network design (no "layers" list)`);
    spec = { ...loaded, training: loaded.training || {} };
    $("#preset-select").value = "";
    edited = true;
    render();
    remember();
    await check();
    $("#design-note").textContent = `Loaded ${file.name}.`;
  } finally {
    release();
    $("#design-load").value = "";
  }
}
