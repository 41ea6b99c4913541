// Panels 4 and 6: test a saved model by drawing (its answer, the prepared input, the
// network lit with this input, its mistakes on a test set) and manage saved models
// (list, delete, download, upload, ONNX).

import { $, attempt, clearError, del, el, emit, fillSelect, getJSON, percent, request, showError }
  from "./api.js";
import { penOnly, useCanvas, useGrid } from "./canvas.js";
import { listDatasets } from "./data.js";
import { showNetwork } from "./network.js";
import { drawPath } from "./paths.js";
import { showSequences } from "./sequences.js";

let models = [];
let model = null; // GET /api/models/{name}
let answerSeq = 0;
let lastInput = null;
let mistakes = null;

// The input shown to the model last: a drawing, an upload or a grid (null when cleared).
export function lastGivenInput() {
  return lastInput;
}

const enc = encodeURIComponent;

export function initModels() {
  $("#model-select").addEventListener("change", (e) => attempt(() => chooseModel(e.target.value)));
  $("#image-upload").addEventListener("change", (e) => attempt(() => uploadImage(e.target.files[0])));
  $("#model-upload").addEventListener("change", (e) => attempt(() => uploadModel(e.target.files[0])));
  $("#mistakes-load").addEventListener("click", () => attempt(loadMistakes));
}

// ready: what must be done first (the dataset list, for the mistakes' data choice);
// the list of models is asked for meanwhile.
export async function loadModels(choose, ready = null) {
  const asked = getJSON("/api/models");
  asked.catch(() => {}); // a failure is reported where it is awaited, below
  await ready;
  models = await asked;
  const items = models.length ? models.map((m) => [m.name, m.name]) : [["", "(no saved model yet: train one)"]];
  fillSelect($("#model-select"), items, choose);
  showModelTable();
  const wanted = choose || (model && models.some((m) => m.name === model.name) ? model.name : models[0]?.name);
  if (wanted && (!model || model.name !== wanted || choose)) await chooseModel(wanted);
  if (!models.length) noModel();
  return models;
}

function noModel() {
  model = null;
  $("#model-info").textContent = "Train a model (3) or upload one (6) to test it here.";
  useCanvas();
  penOnly(false);
  showSequences(null);
  $("#mistakes-box").hidden = false;
  clearAnswer();
  $("#network-drawing").replaceChildren(el("p", { class: "muted" }, "No model yet: its drawing appears here."));
}

// Load a model: its input decides between the drawing canvas and the 5x5 grid.
export async function chooseModel(name) {
  $("#model-select").value = name;
  // The drawing does not depend on the details: both are asked for at once.
  const drawing = request("GET", `/api/models/${enc(name)}/drawing.svg`, { as: "text" }).catch((error) => error);
  const chosen = await getJSON(`/api/models/${enc(name)}`);
  model = chosen;
  const shape = chosen.input_shape || chosen.spec?.input_shape || [];
  const size = shape.reduce((a, b) => a * b, 1);
  const kind = chosen.input_kind;
  if (size === 25 && kind !== "sequence") useGrid(5, 5);
  else useCanvas();
  penOnly(kind === "strokes");
  showSequences(kind === "sequence" ? chosen : null);
  $("#mistakes-box").hidden = kind === "sequence"; // classes only
  const info = models.find((m) => m.name === name) || {};
  const acc = info.accuracy !== undefined && info.accuracy !== null ? `, accuracy ${percent(info.accuracy)}` : "";
  const how = { sequence: "Type a few numbers: it answers the next one.", strokes: "Draw with the mouse: it reads the pen's path." };
  $("#model-info").textContent = kind === "sequence" ? `continues integer sequences (${shape[0]} steps at most). ${how.sequence}`
    : `${chosen.class_names.length} classes (${classList(chosen.class_names)}), input ${shape.join("×")}${acc}. `
      + `${how[kind] || (size === 25 ? "Click cells to switch them on." : "Draw with the mouse.")}`;
  clearAnswer();
  fillMistakeData(info.data);
  emit("model", chosen);
  await showPlainDrawing(chosen, drawing);
}

async function showPlainDrawing(chosen, asked = null) {
  const svg = await (asked || request("GET", `/api/models/${enc(chosen.name)}/drawing.svg`, { as: "text" }));
  if (svg instanceof Error) throw svg;
  if (model === chosen) showNetwork($("#network-drawing"), svg, `network ${chosen.name}`, chosen);
}

function classList(names) {
  return names.length > 8 ? `${names.slice(0, 6).join(", ")}, …` : names.join(", ");
}

function clearAnswer() {
  lastInput = null;
  $("#prediction-top").textContent = "";
  $("#confidence").textContent = "";
  $("#probabilities").replaceChildren();
  const canvas = $("#prepared-input");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  $("#prepared-size").textContent = "";
  $("#fix-row").hidden = true;
  emit("answer", null);
}

// Ask the model about an input (from canvas.js, or an uploaded file).
export async function predict(input) {
  if (!input) {
    answerSeq += 1;
    clearAnswer();
    if (model) await showPlainDrawing(model);
    return;
  }
  lastInput = input; // what "add sample" takes, even with no model to ask
  if (!model) return; // drawing samples for a dataset needs no model; the model line says how to get one
  const mine = ++answerSeq;
  const chosen = model;
  if (chosen.input_kind === "strokes" && input.strokes && !input.strokes.length) return; // only the eraser so far
  const body = input.kind === "grid" ? { json: { input: input.grid } }
    : chosen.input_kind === "strokes" && input.strokes ? { json: { strokes: input.strokes } } // the pen's path, not its picture
      : { body: input.blob, type: input.type || "image/png" };
  const base = `/api/models/${enc(chosen.name)}`;
  const named = input.name ? `?filename=${enc(input.name)}` : ""; // an upload's errors name the file
  try {
    const [answer, svg] = await Promise.all([
      request("POST", `${base}/predict${named}`, body),
      request("POST", `${base}/drawing.svg${named}`, { ...body, as: "text" }),
    ]);
    if (mine !== answerSeq || model !== chosen) return;
    showAnswer(answer, chosen);
    showNetwork($("#network-drawing"), svg, `network ${chosen.name} with this input`, chosen);
    clearError("predict");
    emit("answer", answer);
  } catch (error) {
    if (mine === answerSeq) showError(error.message, "predict");
  }
}

function showAnswer(answer, chosen) {
  $("#prediction-top").textContent = answer.class;
  $("#confidence").textContent = `${percent(answer.confidence)} sure`;
  const byClass = Object.fromEntries(answer.predictions.map((p) => [p.class, p.probability]));
  // Most likely first; equal ones in the model's class order.
  const order = chosen.class_names.length ? chosen.class_names : answer.predictions.map((p) => p.class);
  const names = order.map((name, i) => [name, byClass[name] ?? 0, i]).sort((a, b) => b[1] - a[1] || a[2] - b[2])
    .map(([name]) => name);
  const holder = $("#probabilities");
  holder.classList.toggle("many", names.length > 12);
  holder.style.setProperty("--rows", String(Math.ceil(names.length / 2))); // two columns, read downwards
  holder.replaceChildren(...names.map((name) => {
    const p = byClass[name] ?? 0;
    return el("div", { class: `prob${name === answer.class ? " winner" : ""}`, title: `${name}: ${(100 * p).toFixed(2)}%` },
      el("span", { class: "prob-name" }, name),
      el("span", { class: "prob-bar" }, el("span", { style: `width:${(100 * p).toFixed(1)}%` })),
      el("span", { class: "prob-value" }, percent(p)));
  }));
  if (answer.kind === "strokes") drawPath($("#prepared-input"), answer.prepared);
  else drawPrepared($("#prepared-input"), answer.prepared);
  const grid = toGrid(answer.prepared);
  $("#prepared-size").textContent = answer.kind === "strokes" && grid.length
    ? `${grid.length} path points (x, y, direction; green: a stroke starts)`
    : grid.length ? `${grid.length}×${grid[0].length}, 1 = black` : "";
}

// Return values as rows: an H x W grid as it is; a flat vector of n*n values as n rows.
function toGrid(values) {
  if (!Array.isArray(values) || !values.length) return [];
  let grid = values;
  while (Array.isArray(grid[0]) && Array.isArray(grid[0][0]) && grid.length === 1) grid = grid[0]; // (1, H, W)
  if (!Array.isArray(grid[0])) {
    const n = Math.round(Math.sqrt(grid.length));
    if (n * n !== grid.length) return [grid];
    return Array.from({ length: n }, (_, r) => grid.slice(r * n, r * n + n));
  }
  return grid;
}

// Draw a grid of values in [0, 1] as grey pixels (1 black), scaled to the canvas.
export function drawPrepared(canvas, values) {
  const grid = toGrid(values);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!grid.length) return;
  const rows = grid.length;
  const cols = grid[0].length;
  const cell = Math.min(canvas.width / cols, canvas.height / rows);
  const x0 = (canvas.width - cell * cols) / 2;
  const y0 = (canvas.height - cell * rows) / 2;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = Math.min(1, Math.max(0, Number(grid[r][c]) || 0));
      const shade = Math.round(255 * (1 - v));
      ctx.fillStyle = `rgb(${shade},${shade},${shade})`;
      ctx.fillRect(x0 + c * cell, y0 + r * cell, Math.ceil(cell), Math.ceil(cell));
    }
  }
  ctx.strokeStyle = "#c5ccd6";
  ctx.strokeRect(x0 + 0.5, y0 + 0.5, cell * cols - 1, cell * rows - 1);
}

async function uploadImage(file) {
  if (!file) return;
  $("#image-upload").value = "";
  await predict({ kind: "file", blob: file, type: file.type || "application/octet-stream", name: file.name });
}

// ----------------------------------------------------------------------------- mistakes

function fillMistakeData(data) {
  const names = listDatasets().map((d) => d.name);
  const guess = names.includes(data) ? data : names.find((n) => data && String(data).endsWith(`/${n}`)) || names[0];
  fillSelect($("#mistakes-data"), names, guess);
  $("#confusion").replaceChildren();
  $("#mistakes").replaceChildren();
  $("#mistakes-summary").textContent = "";
}

async function loadMistakes() {
  if (!model) throw new Error("choose a model first");
  const data = $("#mistakes-data").value;
  mistakes = await getJSON(`/api/models/${enc(model.name)}/mistakes?data=${enc(data)}&part=test&limit=12`);
  $("#mistakes-summary").textContent = `accuracy ${percent(mistakes.accuracy)} on ${data}'s test part`
    + ` (loss ${Number(mistakes.loss).toFixed(3)}). Click a cell to see its mistakes.`;
  showConfusion(mistakes);
}

function showConfusion(result) {
  const classes = result.classes;
  const head = el("tr", {}, el("th", { class: "corner" }, "true \\ predicted"), ...classes.map((c) => el("th", {}, c)));
  const most = Math.max(1, ...result.confusion.flat());
  const rows = result.confusion.map((row, i) => el("tr", {}, el("th", {}, classes[i]), ...row.map((n, j) => {
    const alpha = n ? 0.15 + (0.85 * n) / most : 0;
    const color = i === j ? `rgba(43,138,62,${alpha})` : `rgba(217,72,15,${alpha})`;
    return el("td", { style: `background:${color}`, class: i !== j && n ? "wrong" : "", title: `${classes[i]} seen as ${classes[j]}: ${n}`,
      onclick: () => showCell(classes[i], classes[j]) }, n || "");
  })));
  $("#confusion").replaceChildren(el("table", { class: classes.length > 12 ? "small" : "" }, el("thead", {}, head),
    el("tbody", {}, ...rows)));
}

function showCell(truth, predicted) {
  const found = mistakes.mistakes.filter((m) => m.true === truth && m.predicted === predicted);
  const holder = $("#mistakes");
  if (truth === predicted) {
    holder.replaceChildren(el("p", { class: "muted" }, `The diagonal counts right answers for ${truth}.`));
    return;
  }
  if (!found.length) {
    holder.replaceChildren(el("p", { class: "muted" }, `No ${truth} seen as ${predicted} among the examples kept.`));
    return;
  }
  holder.replaceChildren(el("p", {}, `${truth} seen as ${predicted}:`), ...found.map((m) => {
    const canvas = el("canvas", { width: 64, height: 64 });
    drawPrepared(canvas, m.prepared);
    return el("figure", { class: "mistake" }, canvas, el("figcaption", {}, `#${m.index} · ${percent(m.confidence)}`));
  }));
}

// ----------------------------------------------------------------------------- the models table

function showModelTable() {
  const body = $("#models-rows");
  if (!models.length) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 8, class: "muted" }, "No saved models yet.")));
    return;
  }
  body.replaceChildren(...models.map((m) => el("tr", {},
    el("td", {}, el("a", { href: "#test-panel", onclick: () => attempt(() => chooseModel(m.name)) }, m.name)),
    el("td", {}, shortData(m.data)),
    el("td", {}, m.network || ""),
    el("td", {}, m.accuracy !== undefined && m.accuracy !== null ? percent(m.accuracy) : "—"),
    el("td", {}, m.params !== undefined ? Number(m.params).toLocaleString() : ""),
    el("td", {}, m.epochs ?? ""),
    el("td", { class: "muted" }, formatDate(m.created)),
    el("td", { class: "row-buttons" },
      el("a", { class: "button", href: `/api/models/${enc(m.name)}/download`, download: `${m.name}.zip` }, "Download"),
      // A sequence model's answer (weights of the newest differences, then a sum) is not one graph: no ONNX.
      m.input_kind !== "sequence" &&
        el("a", { class: "button", href: `/api/models/${enc(m.name)}/model.onnx`, download: `${m.name}.onnx` }, "ONNX"),
      el("button", { type: "button", class: "danger", onclick: () => attempt(() => deleteModel(m.name)) }, "Delete")))));
}

function shortData(data) {
  if (!data) return "";
  const text = String(data);
  return text.includes("/") ? text.split("/").filter(Boolean).pop() : text;
}

function formatDate(value) {
  if (value === undefined || value === null || value === "") return "";
  const date = typeof value === "number" ? new Date(value * (value < 1e12 ? 1000 : 1)) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

async function deleteModel(name) {
  if (!window.confirm(`Delete model ${name}? Its folder is removed from the workspace.`)) return;
  await del(`/api/models/${enc(name)}`);
  if (model && model.name === name) model = null;
  await loadModels();
}

async function uploadModel(file) {
  if (!file) return;
  $("#model-upload").value = "";
  const name = $("#model-upload-name").value.trim();
  const answer = await request("POST", `/api/models/upload${name ? `?name=${enc(name)}` : ""}`,
    { body: file, type: "application/zip" });
  await loadModels(answer.name || name || undefined);
}
