// Panel 3, training: the options form (generated from GET /api/options), start and
// stop, the live chart fed by the run's server-sent events, the progress bar, and the
// list of runs (any two or more overlaid on the chart). A reloaded page finds a run
// still training and follows it again: the event stream replays it from the start.

import { $, attempt, del, el, emit, getJSON, on, percent, postJSON, showError } from "./api.js";
import { drawChart } from "./chart.js";
import { currentDataset } from "./data.js";
import { currentSpec, isValid } from "./designer.js";

const MAIN_OPTIONS = ["epochs", "batch_size", "optimizer", "lr", "lr_decay", "validation", "patience", "seed"];
const COLORS = ["#2563eb", "#d9480f", "#2b8a3e", "#9c36b5", "#0c8599", "#e67700", "#c2255c", "#5c7cfa"];
const FINISHED = ["done", "failed", "stopped", "interrupted"];

let options = [];
let networkDefaults = {};
let live = null; // {id, label, begin, epochs: [], batches: [], status, last}
let source = null; // the EventSource of the live run
let drawPending = false;
const compared = new Map(); // run id -> {label, history}

export async function initTraining() {
  options = await getJSON("/api/options");
  buildForm();
  $("#train-start").addEventListener("click", () => attempt(startRun, "training"));
  $("#train-stop").addEventListener("click", () => attempt(stopRun, "training"));
  on("design", ({ spec }) => {
    networkDefaults = spec.training || {};
    updatePlaceholders();
    updateButtons();
  });
  on("dataset", () => updateButtons());
  window.addEventListener("resize", scheduleDraw);
  drawChart($("#chart"), {});
}

// Follow a run still training (a reloaded page), else replay the newest one. ready:
// what must be done first (the training panel); the runs are asked for meanwhile.
export async function resumeView(ready = null) {
  const asked = getJSON("/api/runs");
  asked.catch(() => {}); // a failure is reported where it is awaited, below
  await ready;
  const runs = await loadRuns(asked);
  const active = runs.find((r) => !FINISHED.includes(r.status));
  if (active) follow(active);
  else if (runs.length) follow(runs[0]);
}

// ----------------------------------------------------------------------------- the form

function buildForm() {
  const form = $("#train-form");
  const main = el("div", { class: "option-grid" });
  const more = el("div", { class: "option-grid" });
  for (const name of MAIN_OPTIONS) {
    const option = options.find((o) => o.name === name);
    if (option) main.append(optionField(option));
  }
  for (const option of options) if (!MAIN_OPTIONS.includes(option.name)) more.append(optionField(option));
  main.append(el("label", { class: "option", title: "Training samples per class of a built-in dataset "
      + "(fewer: faster, less accurate). Empty: all of them." },
    el("span", {}, "samples per class"),
    el("input", { type: "number", id: "opt-per_class", min: 1, step: 1, placeholder: "all" })));
  main.append(el("label", { class: "option", title: "Name of the saved model; empty: data-network-N." },
    el("span", {}, "model name"),
    el("input", { type: "text", id: "opt-name", placeholder: "automatic", spellcheck: false })));
  form.replaceChildren(main, el("details", {}, el("summary", {}, "More options"), more));
  form.addEventListener("submit", (e) => e.preventDefault());
  updatePlaceholders();
}

function optionField(option) {
  const title = `${option.help} Allowed: ${option.allowed}. Empty: the network's own setting.`;
  let input;
  if (option.choices) {
    input = el("select", { id: `opt-${option.name}` }, el("option", { value: "" }, "default"),
      ...option.choices.map((c) => el("option", { value: c }, c)));
  } else {
    input = el("input", { id: `opt-${option.name}`, type: option.kind === "str" ? "text" : "number",
      step: option.kind === "int" ? "1" : "any", min: option.low ?? undefined, spellcheck: false });
  }
  return el("label", { class: "option", title }, el("span", {}, option.name.replace(/_/g, " ")), input);
}

function updatePlaceholders() {
  for (const option of options) {
    const input = $(`#opt-${option.name}`);
    if (!input) continue;
    const value = networkDefaults[option.name] !== undefined ? networkDefaults[option.name] : option.default;
    const shown = value === null || value === undefined ? "none" : String(value);
    if (input.tagName === "SELECT") input.options[0].textContent = `${shown} (network's)`;
    else input.placeholder = shown;
  }
}

// Return the options the user filled in (empty ones take the network's defaults).
function chosenOptions() {
  const chosen = {};
  for (const option of options) {
    const text = ($(`#opt-${option.name}`)?.value || "").trim();
    if (text === "") continue;
    const number = Number(text);
    chosen[option.name] = option.kind === "str" || !Number.isFinite(number) ? text : number;
  }
  return chosen;
}

// ----------------------------------------------------------------------------- runs

async function startRun() {
  const data = currentDataset();
  if (!data) throw new Error("choose a dataset first");
  if (!isValid()) throw new Error("the design is invalid; fix the layer marked in red first");
  const body = { data: data.name, model: currentSpec(), options: chosenOptions() };
  const perClass = $("#opt-per_class").value.trim();
  if (perClass) body.per_class = Number(perClass);
  const name = $("#opt-name").value.trim();
  if (name) body.name = name;
  const run = await postJSON("/api/runs", body);
  follow(run);
  await loadRuns();
}

async function stopRun() {
  if (!live) return;
  await postJSON(`/api/runs/${live.id}/stop`, {});
  $("#progress-text").textContent = "stopping at the next batch…";
}

// Show a run on the chart: replay its reports, then follow it live until it ends.
function follow(run) {
  if (source) source.close();
  live = { id: run.id, label: runLabel(run), begin: null, epochs: [], batches: [], status: run.status, last: null,
    replay: FINISHED.includes(run.status), model: run.model, error: run.error };
  $("#run-title").textContent = `${live.label} (${run.data}, ${run.network || "network"})`;
  showStatus();
  scheduleDraw();
  source = new EventSource(`/api/runs/${encodeURIComponent(run.id)}/events`);
  const me = live;
  const read = (handler) => (event) => {
    if (live !== me) return;
    handler(JSON.parse(event.data));
    scheduleDraw();
  };
  source.addEventListener("begin", read((info) => {
    me.begin = info;
    me.epochs = me.epochs.filter((e) => e.epoch < info.start_epoch);
    me.batches = me.batches.filter((b) => b.epoch < info.start_epoch);
    if (!me.replay) me.status = "running";
  }));
  source.addEventListener("batch", read((logs) => {
    me.last = logs;
    me.batches.push(logs);
  }));
  source.addEventListener("epoch", read((logs) => {
    me.last = logs;
    me.epochs = me.epochs.filter((e) => e.epoch !== logs.epoch);
    me.epochs.push(logs);
  }));
  source.addEventListener("status", read((info) => ended(me, info)));
  source.addEventListener("end", read((info) => {
    if (info.kind === "end") {
      me.trainEnd = info; // the training's own last report; the run's status follows
      return;
    }
    source.close(); // the stream is over: no reconnect
    if (me.status !== info.status) ended(me, info);
  }));
}

function ended(me, info) {
  const news = !me.replay; // a run seen ending now, not one replayed from its log
  me.status = info.status;
  if (info.status === "failed") {
    me.error = info.error || me.error;
    if (!me.replay && me.error) showError(`run ${me.label} failed: ${me.error}`, "training");
  }
  if (info.status === "done" && info.model) {
    me.model = info.model;
    if (!me.replay) emit("model-saved", info.model);
  }
  me.replay = true; // report the end once
  showStatus();
  if (news) loadRuns().catch(() => {}); // not attempt(): it would clear the failure shown above
}

function runLabel(run) {
  return run.model || run.model_name || run.id;
}

export async function loadRuns(asked = null) {
  const runs = await (asked || getJSON("/api/runs"));
  const holder = $("#runs");
  if (!runs.length) {
    holder.replaceChildren(el("p", { class: "muted" }, "No runs yet."));
    return runs;
  }
  holder.replaceChildren(el("table", { class: "runs-table" }, el("tbody", {}, ...runs.map(runRow))));
  return runs;
}

function runRow(run) {
  const last = run.last || {};
  const acc = last.val_accuracy !== undefined ? `val ${percent(last.val_accuracy)}`
    : last.accuracy !== undefined ? percent(last.accuracy) : "";
  const box = el("input", { type: "checkbox", title: "overlay on the chart", checked: compared.has(run.id),
    onchange: (e) => attempt(() => toggleCompare(run, e.target.checked)) });
  const resumable = ["stopped", "interrupted", "failed"].includes(run.status);
  return el("tr", { class: live && live.id === run.id ? "current" : "" },
    el("td", {}, box),
    el("td", {}, el("a", { href: "#train-panel", onclick: (e) => { e.preventDefault(); follow(run); } }, runLabel(run))),
    el("td", { class: "muted" }, `${run.data} · ${run.network || ""}`),
    el("td", {}, el("span", { class: `badge ${run.status}`, title: run.error || "" }, run.status)),
    el("td", { class: "muted" }, last.epoch ? `epoch ${last.epoch}/${run.epochs || "?"}` : ""),
    el("td", {}, acc),
    el("td", { class: "row-buttons" },
      resumable ? el("button", { type: "button", onclick: () => attempt(() => resumeRun(run), "training") }, "Resume")
        : "",
      FINISHED.includes(run.status) ? el("button", { type: "button", class: "danger", title: "Delete this run's folder "
        + "(its saved model stays)", onclick: () => attempt(() => deleteRun(run), "training") }, "✕") : ""));
}

async function deleteRun(run) {
  if (!window.confirm(`Delete run ${runLabel(run)}? Its saved model, if any, stays.`)) return;
  await del(`/api/runs/${encodeURIComponent(run.id)}`);
  compared.delete(run.id);
  if (live && live.id === run.id) {
    if (source) source.close();
    live = null;
    $("#run-title").textContent = "";
  }
  scheduleDraw();
  await loadRuns();
}

async function resumeRun(run) {
  const resumed = await postJSON(`/api/runs/${run.id}/resume`, {});
  follow(resumed);
  await loadRuns();
}

// A run keeps its color whichever runs are compared (never the live run's blue).
function colorOf(id) {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[1 + (hash % (COLORS.length - 1))];
}

async function toggleCompare(run, checked) {
  if (!checked) {
    compared.delete(run.id);
  } else {
    const full = await getJSON(`/api/runs/${run.id}`);
    compared.set(run.id, { label: runLabel(run), history: full.history || [], color: colorOf(run.id) });
  }
  scheduleDraw();
}

// ----------------------------------------------------------------------------- chart and progress

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
    showStatus();
  });
}

function draw() {
  const series = [];
  const markers = [];
  if (compared.size) {
    for (const [id, run] of compared) {
      if (live && id === live.id) continue;
      series.push(...historySeries(run.history, run.label, run.color));
    }
  }
  if (live) {
    const color = compared.size ? COLORS[0] : null;
    series.push(...liveSeries(live, color));
    const mark = overfitMark(live.epochs);
    if (mark) markers.push(mark);
  }
  if (compared.size) series.push({ label: "validation (dashed)", metric: "legend", color: "#868e96", dash: "6 4",
    points: [] });
  drawChart($("#chart"), { series, markers,
    empty: live && !FINISHED.includes(live.status) ? "waiting for the first report…" : undefined });
}

// Training (solid, batch reports included) and validation (dashed) curves of the live run.
function liveSeries(run, color) {
  const epochs = [...run.epochs].sort((a, b) => a.epoch - b.epoch);
  // Batch reports draw the training curve within epochs; an epoch's own report ends it.
  const partial = run.batches.filter((b) => b.batch < b.batches)
    .map((b) => ({ x: b.epoch - 1 + b.batch / b.batches, loss: b.loss, accuracy: b.accuracy }));
  const train = [...epochs.map((e) => ({ x: e.epoch, loss: e.loss, accuracy: e.accuracy })), ...partial]
    .sort((a, b) => a.x - b.x);
  const trainColor = color || "#2563eb";
  const valColor = color || "#d9480f";
  const label = color ? run.label : "training";
  const series = [];
  for (const metric of ["loss", "accuracy"]) {
    series.push({ label, metric, color: trainColor, points: [[0, NaN], ...train.map((p) => [p.x, p[metric]])]
      .filter((p) => Number.isFinite(p[1])), dots: false });
    const val = epochs.filter((e) => e[`val_${metric}`] !== undefined);
    if (val.length) {
      series.push({ label: color ? "" : "validation", metric, color: valColor, dash: "6 4",
        points: val.map((e) => [e.epoch, e[`val_${metric}`]]), dots: true });
    }
  }
  return series;
}

function historySeries(history, label, color) {
  const series = [];
  for (const metric of ["loss", "accuracy"]) {
    series.push({ label, metric, color, width: 1.6, points: history.map((e) => [e.epoch, e[metric]]) });
    const val = history.filter((e) => e[`val_${metric}`] !== undefined);
    if (val.length) series.push({ label: "", metric, color, dash: "6 4", width: 1.6,
      points: val.map((e) => [e.epoch, e[`val_${metric}`]]) });
  }
  return series;
}

// The epoch with the lowest validation loss, when later epochs' validation loss rose.
export function overfitMark(epochs) {
  const val = epochs.filter((e) => Number.isFinite(e.val_loss)).sort((a, b) => a.epoch - b.epoch);
  if (val.length < 3) return null;
  let best = val[0];
  for (const e of val) if (e.val_loss < best.val_loss) best = e;
  const after = val.filter((e) => e.epoch > best.epoch);
  if (!after.length || after[0].val_loss <= best.val_loss) return null;
  return { x: best.epoch, label: `overfitting after epoch ${best.epoch}` };
}

function showStatus() {
  const fill = $("#progress-fill");
  const text = $("#progress-text");
  const bar = $("#progress");
  if (!live) {
    fill.style.width = "0%";
    text.textContent = "not training";
    updateButtons();
    return;
  }
  const begin = live.begin;
  const last = live.last;
  let fraction = 0;
  let line = live.status;
  if (begin && last) {
    const first = begin.start_epoch - 1 + begin.start_batch / Math.max(1, begin.batches_per_epoch);
    const at = last.batch !== undefined ? last.epoch - 1 + last.batch / last.batches : last.epoch;
    fraction = Math.min(1, Math.max(0, (at - first) / Math.max(1e-9, begin.epochs - first)));
    const epoch = last.batch !== undefined && last.batch < last.batches ? last.epoch : Math.min(begin.epochs, last.epoch);
    line = `epoch ${epoch}/${begin.epochs}`;
    if (last.batch !== undefined) line += ` · batch ${last.batch}/${last.batches}`;
    if (!FINISHED.includes(live.status) && fraction > 0 && fraction < 1 && last.time && begin.time) {
      const left = ((last.time - begin.time) / fraction) * (1 - fraction);
      line += ` · about ${formatSeconds(left)} left`;
    }
  }
  if (FINISHED.includes(live.status)) {
    if (live.status === "done") fraction = 1;
    const best = live.epochs.length ? live.epochs[live.epochs.length - 1] : null;
    line = `${live.status}${best ? ` after epoch ${best.epoch}: accuracy ${percent(best.accuracy)}` : ""}`
      + `${best && best.val_accuracy !== undefined ? `, validation ${percent(best.val_accuracy)}` : ""}`
      + `${live.status === "done" && live.model ? ` · saved as ${live.model}` : ""}`
      + `${live.status === "failed" && live.error ? ` · ${live.error}` : ""}`;
  }
  fill.style.width = `${(100 * fraction).toFixed(1)}%`;
  text.textContent = line;
  bar.dataset.status = live.status;
  updateButtons();
}

function formatSeconds(s) {
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function updateButtons() {
  const running = live && !FINISHED.includes(live.status);
  const start = $("#train-start");
  start.disabled = Boolean(running) || !isValid() || !currentDataset();
  start.title = !isValid() ? "the design is invalid: fix the layer marked in red" : running ? "a run is training" : "";
  $("#train-stop").disabled = !running;
}
