// The input a user gives a model: a drawing canvas (pen, eraser, width, clear) for
// image models, or a clickable 5x5 grid for the course's shapes (25 values).
// onInput(input) is called at every stroke end or grid click with
// {kind: "png", blob, strokes} or {kind: "grid", grid: [[0|1 x5] x5]}; strokes: the pen's
// strokes as [[[x, y], ...], ...] in canvas pixels, what a pen-path model reads.

import { $, el, hold } from "./api.js";

const SIDE = 280; // canvas pixels; the model's preparation scales the drawing down
let mode = "canvas"; // or "grid"
let canvas = null;
let grid = null;
let cells = [];
let onInput = () => {};
let inked = false;
let strokes = []; // the pen's strokes since the last clear (eraser strokes are not kept)

export function initCanvas(callback) {
  onInput = callback;
  $("#clear").addEventListener("click", clearInput);
  useCanvas();
}

export function inputMode() {
  return mode;
}

// Return the current input ({kind, blob} or {kind, grid}), or null when nothing is drawn.
export async function currentInput() {
  if (mode === "grid") return { kind: "grid", grid: readGrid() };
  if (!inked) return null;
  return { kind: "png", blob: await canvasBlob(), strokes: copyStrokes() };
}

// Pen paths only: a pen-path model reads the strokes, which an eraser cannot take back.
export function penOnly(on) {
  const eraser = document.querySelector('input[name="tool"][value="eraser"]');
  eraser.disabled = on;
  if (on) document.querySelector('input[name="tool"][value="pen"]').checked = true;
}

function copyStrokes() {
  return strokes.filter((s) => s.length).map((s) => s.map(([x, y]) => [x, y]));
}

export function useCanvas() {
  mode = "canvas";
  canvas = el("canvas", { width: SIDE, height: SIDE, class: "draw-canvas", "data-testid": "canvas",
    "aria-label": "drawing canvas: draw with the mouse, a pen or a finger" });
  canvas.addEventListener("pointerdown", startStroke);
  $("#draw-holder").replaceChildren(canvas);
  $("#pen-tools").hidden = false;
  inked = false;
  strokes = [];
}

export function useGrid(rows = 5, cols = 5) {
  mode = "grid";
  cells = [];
  grid = el("div", { class: "grid", "data-testid": "canvas", role: "grid", style: `--cols:${cols}`,
    "aria-label": `${rows}x${cols} grid: click a cell to switch it on or off` });
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const cell = el("button", { type: "button", class: "cell", "aria-pressed": "false",
        "aria-label": `row ${r + 1}, column ${c + 1}`, dataset: { row: r, col: c } });
      cell.addEventListener("click", () => {
        cell.setAttribute("aria-pressed", cell.getAttribute("aria-pressed") === "true" ? "false" : "true");
        onInput({ kind: "grid", grid: readGrid() });
      });
      cells.push(cell);
      grid.append(cell);
    }
  }
  $("#draw-holder").replaceChildren(grid);
  $("#pen-tools").hidden = true;
}

function readGrid() {
  const size = Math.round(Math.sqrt(cells.length));
  const rows = [];
  for (let r = 0; r < size; r++) {
    rows.push(cells.slice(r * size, r * size + size).map((c) => (c.getAttribute("aria-pressed") === "true" ? 1 : 0)));
  }
  return rows;
}

function clearInput() {
  if (mode === "grid") {
    for (const cell of cells) cell.setAttribute("aria-pressed", "false");
  } else {
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    inked = false;
    strokes = [];
  }
  onInput(null);
}

// ----------------------------------------------------------------------------- strokes

function position(event) {
  const box = canvas.getBoundingClientRect();
  const x = ((event.clientX - box.left) * canvas.width) / box.width;
  const y = ((event.clientY - box.top) * canvas.height) / box.height;
  return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
}

function startStroke(event) {
  if (event.button !== 0 && event.pointerType === "mouse") return;
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  const ctx = canvas.getContext("2d");
  const eraser = document.querySelector('input[name="tool"]:checked').value === "eraser";
  ctx.globalCompositeOperation = eraser ? "destination-out" : "source-over";
  ctx.strokeStyle = "#111";
  ctx.fillStyle = "#111";
  ctx.lineWidth = Number($("#pen-width").value);
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  let [x, y] = position(event);
  const stroke = eraser ? null : [[x, y]];
  if (stroke) strokes.push(stroke);
  ctx.beginPath();
  ctx.arc(x, y, ctx.lineWidth / 2, 0, 2 * Math.PI);
  ctx.fill();
  const move = (e) => {
    const [nx, ny] = position(e);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(nx, ny);
    ctx.stroke();
    [x, y] = [nx, ny];
    if (stroke) stroke.push([x, y]);
  };
  const release = hold(); // the stroke is an edit in progress: the page is not idle
  const end = async () => {
    canvas.removeEventListener("pointermove", move);
    canvas.removeEventListener("pointerup", end);
    canvas.removeEventListener("pointercancel", end);
    inked = inked || !eraser;
    try {
      await onInput({ kind: "png", blob: await canvasBlob(), strokes: copyStrokes() });
    } finally {
      release();
    }
  };
  canvas.addEventListener("pointermove", move);
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
}

function canvasBlob() {
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}
