// Panel 3, training: the options form (generated from GET /api/options), start and
// stop, the live chart fed by the run's server-sent events, the progress bar, the
// options the run really trains with (its plan), and the list of runs (runs.js; any
// two or more overlaid on the chart). A reloaded page finds a run still queued or
// training and follows it again (the event stream replays it from the start), with
// its dataset, options and network (in the designer) on the page.

import { $, attempt, el, emit, getJSON, on, percent, postJSON, showError } from "./api.js";
import { drawChart } from "./chart.js";
import { chooseDataset, currentDataset } from "./data.js";
import { currentSpec, isValid, showRunNetwork } from "./designer.js";
import { compared, FINISHED, initRuns, LIVE_COLOR, loadRuns, redrawRows, runLabel, statusText } from "./runs.js";

const MAIN_OPTIONS = ["epochs", "batch_size", "optimizer", "lr", "lr_decay", "validation", "patience", "seed"];
const VALIDATION_COLOR = "#d9480f";

let options = [];
let networkDefaults = {};
let live = null; // {id, label, begin, plan, epochs: [], batches: [], status, last, position}
let source = null; // the EventSource of the live run
let drawPending = false;

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
  on("runs", (runs) => followList(runs));
  initRuns({ follow, liveId: () => (live ? live.id : null), forget, redraw: scheduleDraw });
  window.addEventListener("resize", scheduleDraw);
  drawChart($("#chart"), {});
}

// Follow a run still queued or training (a reloaded page), with its dataset, options and network
// on the page, else replay the newest one. ready: what must be done first (the
// training panel and the first dataset); the runs are asked for meanwhile.
export async function resumeView(ready = null) {
  const asked = getJSON("/api/runs");
  asked.catch(() => {}); // a failure is reported where it is awaited, below
  await ready;
  const runs = await loadRuns(asked);
  const active = runs.find((r) => !FINISHED.includes(r.status));
  if (active) {
    follow(active);
    const full = await getJSON(`/api/runs/${encodeURIComponent(active.id)}`);
    if (currentDataset()?.name !== active.data) await chooseDataset(active.data);
    fillForm(full);
    await showRunNetwork(full.spec, runLabel(full));
  } else if (runs.length) {
    follow(runs[0]);
  }
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

// Show a run's own choices in the form: the options it was asked for (the others stay
// empty: the network's and the data's defaults), its samples per class.
function fillForm(run) {
  for (const option of options) {
    const input = $(`#opt-${option.name}`);
    const value = (run.options || {})[option.name];
    if (input) input.value = value === undefined || value === null ? "" : String(value);
  }
  $("#opt-per_class").value = run.per_class ? String(run.per_class) : "";
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
  live = { id: run.id, label: runLabel(run), begin: null, plan: null, epochs: [], batches: [], status: run.status,
    last: null, replay: FINISHED.includes(run.status), model: run.model, error: run.error, reason: run.reason,
    position: run.queue_position, options: run.options };
  redrawRows();
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
  source.addEventListener("plan", read((plan) => {
    me.plan = { ...plan.config, learning_rate: plan.learning_rate, reasons: plan.reasons || {} };
  }));
  source.addEventListener("begin", read((info) => {
    me.begin = info;
    if (!me.plan && info.config) me.plan = { ...info.config, reasons: {} }; // a run older than plan reports
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
    me.reason = info.reason || me.reason;
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

// The live run as the list of runs says it now: its place in the queue, its status
// when the event stream has not told it yet (a queued run stopped, say).
function followList(runs) {
  if (!live) return;
  const row = runs.find((r) => r.id === live.id);
  if (!row) return;
  live.label = runLabel(row);
  live.position = row.queue_position;
  if (row.status === "queued" || (FINISHED.includes(row.status) && !FINISHED.includes(live.status))) {
    live.status = row.status;
    live.reason = row.reason || live.reason;
    live.error = row.error || live.error;
  }
  showStatus();
}

function forget(id) {
  if (live && live.id === id) {
    if (source) source.close();
    live = null;
    $("#run-title").textContent = "";
    showPlan();
  }
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
    // Ticked, the live run keeps its row's colour; else it is blue beside the others.
    const color = compared.has(live.id) ? compared.get(live.id).color : compared.size ? LIVE_COLOR : null;
    series.push(...liveSeries(live, color));
    const mark = overfitMark(live.epochs);
    if (mark) markers.push(mark);
  }
  if (compared.size && series.some((s) => s.dash)) series.push({ label: "validation (dashed)", metric: "legend", color: "#868e96", dash: "6 4",
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
  const trainColor = color || LIVE_COLOR;
  const valColor = color || VALIDATION_COLOR;
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
  let line = statusText({ status: live.status, queue_position: live.position, reason: live.reason });
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
    line = `${statusText(live)}${best ? ` after epoch ${best.epoch}: accuracy ${percent(best.accuracy)}` : ""}`
      + `${best && best.val_accuracy !== undefined ? `, validation ${percent(best.val_accuracy)}` : ""}`
      + `${live.status === "done" && live.model ? ` · saved as ${live.model}` : ""}`
      + `${live.status === "failed" && live.error ? ` · ${live.error}` : ""}`;
  }
  fill.style.width = `${(100 * fraction).toFixed(1)}%`;
  text.textContent = line;
  bar.dataset.status = live.status;
  showPlan();
  updateButtons();
}

// What the run trains with, once the network's and the data-fitted defaults are
// applied (its plan; the form shows only what was asked). Each item's title says why.
function showPlan() {
  const holder = $("#run-options");
  const plan = live && live.plan;
  if (!plan) {
    holder.replaceChildren(live && !FINISHED.includes(live.status) ? "options: once the run starts" : "");
    return;
  }
  const items = [
    ["epochs", `${plan.epochs} epochs`],
    ["batch_size", `batch ${plan.batch_size}`],
    ["optimizer", `${plan.optimizer}, lr ${plan.learning_rate ?? plan.lr ?? "default"}`],
    ["lr_decay", plan.lr_decay !== "none" ? `${plan.lr_decay} decay` : ""],
    ["validation", plan.validation ? `validation ${+(100 * plan.validation).toFixed(1)}%` : "no validation"],
    ["patience", plan.patience ? `patience ${plan.patience}` : ""],
    ["augment", plan.augment && plan.augment !== "none" ? `augment ${plan.augment}` : ""],
    ["weight_decay", plan.weight_decay ? `weight decay ${plan.weight_decay}` : ""],
    ["label_smoothing", plan.label_smoothing ? `label smoothing ${plan.label_smoothing}` : ""],
    ["clip_norm", plan.clip_norm ? `clip norm ${plan.clip_norm}` : ""],
    ["device", plan.device && plan.device !== "cpu" ? plan.device : ""],
  ].filter(([, text]) => text);
  const asked = live.options || {};
  holder.replaceChildren("trains with: ", ...items.flatMap(([name, text], i) => [i ? " · " : "",
    el("span", { "data-option": name, title: plan.reasons[name] || (name in asked ? "your option"
      : "the network's own or the default") }, text)]));
}

function formatSeconds(s) {
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function updateButtons() {
  const running = live && !FINISHED.includes(live.status);
  const start = $("#train-start");
  start.disabled = !isValid() || !currentDataset();
  start.title = !isValid() ? "the design is invalid: fix the layer marked in red"
    : running ? "another run waits in the queue until this one ends" : "";
  $("#train-stop").disabled = !running;
}
