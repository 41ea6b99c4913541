// The list of runs in panel 3: a row per run that follows the server while any run is
// queued or training (status, place in the queue, epoch, accuracy, why a run failed),
// the tick boxes that overlay runs on the chart, each in a colour of its own, resume
// and delete. Rows carry data-testid="run-row", data-run-id and data-status.

import { $, attempt, del, el, emit, getJSON, percent, postJSON } from "./api.js";

export const FINISHED = ["done", "failed", "stopped", "interrupted"];
// The live run is drawn in the first colour; compared runs take the others in turn.
export const LIVE_COLOR = "#2563eb";
const PALETTE = ["#d9480f", "#2b8a3e", "#9c36b5", "#0c8599", "#e67700", "#c2255c", "#5c7cfa", "#795548"];
const POLL_MS = 1000; // how often the rows are read again while a run is queued or training

export const compared = new Map(); // run id -> {label, history, color}
let runsNow = [];
let shownRows = ""; // what the rows on the page were drawn from
let pollTimer = null;
let hooks = { follow: () => {}, liveId: () => null, forget: () => {}, redraw: () => {} };

// training.js hands over what a row does with the chart: follow a run, forget it, redraw.
export function initRuns(given) {
  hooks = given;
}

export async function loadRuns(asked = null) {
  const runs = await (asked || getJSON("/api/runs"));
  showRuns(runs);
  return runs;
}

function showRuns(runs) {
  runsNow = runs;
  const drawnFrom = JSON.stringify([hooks.liveId(), [...compared.keys()], runs.map((r) => [r.id, r.status,
    r.queue_position, r.reason, r.error, r.model, r.last && r.last.epoch, r.epochs])]);
  if (drawnFrom !== shownRows) {
    shownRows = drawnFrom;
    drawRows(runs);
  }
  emit("runs", runs);
  if (runs.some((r) => !FINISHED.includes(r.status))) schedulePoll();
}

// Read the runs again in a while: a plain fetch, so the page does not count as busy.
function schedulePoll() {
  if (pollTimer !== null) return;
  pollTimer = setTimeout(async () => {
    pollTimer = null;
    try {
      const response = await fetch("/api/runs");
      if (response.ok) showRuns(await response.json());
      else schedulePoll();
    } catch (_) {
      schedulePoll(); // the server may be restarting: try again
    }
  }, POLL_MS);
}

// Draw the rows again now (the live run or the compared ones changed).
export function redrawRows() {
  shownRows = "";
  showRuns(runsNow);
}

// The run's name: its model's, else the model name it will save under; with a short id
// when another listed run shows the same name.
export function runLabel(run) {
  const base = run.model || run.model_name || run.id;
  const same = runsNow.filter((r) => r.id !== run.id && (r.model || r.model_name || r.id) === base);
  return same.length ? `${base} · ${run.id.slice(-4)}` : base;
}

export function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] || "th";
  return `${n}${suffix}`;
}

// The status as the row and the progress line say it.
export function statusText(run) {
  if (run.status === "queued") return run.queue_position ? `queued, ${ordinal(run.queue_position)} in line`
    : "starting";
  if (run.status === "failed" && run.reason) return `failed: ${run.reason}`;
  return run.status;
}

function drawRows(runs) {
  const holder = $("#runs");
  if (!runs.length) {
    holder.replaceChildren(el("p", { class: "muted" }, "No runs yet."));
    return;
  }
  holder.replaceChildren(el("table", { class: "runs-table" }, el("tbody", {}, ...runs.map(runRow))));
}

function runRow(run) {
  const last = run.last || {};
  const acc = last.val_accuracy !== undefined ? `val ${percent(last.val_accuracy)}`
    : last.accuracy !== undefined ? percent(last.accuracy) : "";
  const color = compared.get(run.id)?.color;
  const box = el("input", { type: "checkbox", title: "overlay on the chart", checked: compared.has(run.id),
    onchange: (e) => attempt(() => toggleCompare(run, e.target.checked)) });
  const swatch = el("span", { class: "swatch", style: color ? `background:${color}` : "" });
  const resumable = ["stopped", "interrupted", "failed"].includes(run.status);
  const removable = FINISHED.includes(run.status) || (run.status === "queued" && run.queue_position);
  return el("tr", { class: hooks.liveId() === run.id ? "current" : "", "data-testid": "run-row",
    dataset: { runId: run.id, status: run.status, ...(color ? { color } : {}) } },
  el("td", { class: "run-compare" }, box, swatch),
  el("td", { class: "run-name" }, el("a", { href: "#train-panel", title: runLabel(run),
    onclick: (e) => { e.preventDefault(); hooks.follow(run); } }, runLabel(run))),
  el("td", { class: "muted run-what" }, `${run.data} · ${run.network || ""}`),
  el("td", {}, el("span", { class: `badge ${run.status}`, "data-testid": "run-status", title: run.error || "" },
    statusText(run))),
  el("td", { class: "muted" }, last.epoch ? `epoch ${last.epoch}/${run.epochs || "?"}` : ""),
  el("td", {}, acc),
  el("td", { class: "row-buttons" },
    FINISHED.includes(run.status) ? "" : el("button", { type: "button", title: run.status === "queued"
      ? "Take this run out of the queue (it can be resumed later)" : "Stop at the next batch (it keeps a checkpoint)",
    onclick: () => attempt(() => stopRun(run), "training") }, "Stop"),
    resumable ? el("button", { type: "button", onclick: () => attempt(() => resumeRun(run), "training") }, "Resume")
      : "",
    removable ? el("button", { type: "button", class: "danger", title: "Delete this run's folder "
      + "(its saved model stays)", onclick: () => attempt(() => deleteRun(run), "training") }, "✕") : ""));
}

async function deleteRun(run) {
  if (!window.confirm(`Delete run ${runLabel(run)}? Its saved model, if any, stays.`)) return;
  await del(`/api/runs/${encodeURIComponent(run.id)}`);
  compared.delete(run.id);
  hooks.forget(run.id);
  hooks.redraw();
  await loadRuns();
}

async function stopRun(run) {
  await postJSON(`/api/runs/${encodeURIComponent(run.id)}/stop`, {});
  await loadRuns();
}

async function resumeRun(run) {
  const resumed = await postJSON(`/api/runs/${run.id}/resume`, {});
  hooks.follow(resumed);
  await loadRuns();
}

// The first colour of the palette no compared run has (then made-up ones).
function freeColor() {
  const used = new Set([...compared.values()].map((c) => c.color));
  const free = PALETTE.find((c) => !used.has(c));
  return free || `hsl(${Math.round((compared.size * 137.5) % 360)} 60% 42%)`;
}

async function toggleCompare(run, checked) {
  if (!checked) {
    compared.delete(run.id);
  } else {
    const full = await getJSON(`/api/runs/${run.id}`);
    compared.set(run.id, { label: runLabel(run), history: full.history || [], color: freeColor() });
  }
  redrawRows();
  hooks.redraw();
}
