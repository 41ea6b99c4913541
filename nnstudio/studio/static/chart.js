// A small SVG line chart: loss on the left, accuracy on the right, epochs along x.
// drawChart(holder, {series, markers}) replaces the holder's content; each series is
// {label, metric: "loss"|"accuracy", color, dash, points: [[epoch, value], ...], dots}.
// The holder's data-points attribute counts the plotted points (tests watch it grow).

const SVG_NS = "http://www.w3.org/2000/svg";
const HEIGHT = 250;
const PAD = { left: 46, right: 12, top: 30, bottom: 34 };

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Return about n round tick values covering [low, high].
function ticks(low, high, n) {
  const span = high - low || 1;
  const raw = span / n;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

function format(value) {
  // A diverging loss reaches 1e10: the axis has room for about five characters.
  if (Math.abs(value) >= 10000) return Number(value.toPrecision(2)).toExponential().replace("+", "");
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return String(Number(value.toPrecision(3)));
}

export function drawChart(holder, { series = [], markers = [], empty = "no training to show yet" } = {}) {
  const width = Math.max(420, holder.clientWidth || 640);
  const root = svg("svg", { width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: "img",
    "aria-label": "training curves: loss and accuracy per epoch" });
  const points = series.reduce((n, s) => n + s.points.length, 0);
  holder.dataset.points = String(points);
  const xMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])), ...markers.map((m) => m.x));
  const half = width / 2;
  panel(root, "loss", 0, half, xMax, series.filter((s) => s.metric === "loss"), markers);
  panel(root, "accuracy", half, half, xMax, series.filter((s) => s.metric === "accuracy"), markers);
  legend(root, series, width);
  if (!points) root.append(svg("text", { x: half / 2 + PAD.left / 2, y: HEIGHT / 2, "text-anchor": "middle",
    class: "chart-empty" }, empty));
  holder.replaceChildren(root);
}

function panel(root, metric, x0, w, xMax, series, markers) {
  const left = x0 + PAD.left;
  const right = x0 + w - PAD.right;
  const top = PAD.top;
  const bottom = HEIGHT - PAD.bottom;
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const yMax = metric === "accuracy" ? 1 : Math.max(0.1, ...values) * 1.05;
  const sx = (x) => left + ((right - left) * x) / xMax;
  const sy = (y) => bottom - ((bottom - top) * Math.min(Math.max(y, 0), yMax)) / yMax;
  const g = svg("g", { class: `panel panel-${metric}` });
  g.append(svg("rect", { x: left, y: top, width: right - left, height: bottom - top, class: "plot-area" }));
  for (const t of ticks(0, yMax, 4)) {
    g.append(svg("line", { x1: left, x2: right, y1: sy(t), y2: sy(t), class: "grid" }));
    g.append(svg("text", { x: left - 5, y: sy(t) + 4, "text-anchor": "end", class: "tick" },
      metric === "accuracy" ? `${Math.round(t * 100)}%` : format(t)));
  }
  for (const t of ticks(0, xMax, Math.min(8, Math.ceil(xMax)))) {
    if (t !== Math.round(t)) continue;
    g.append(svg("text", { x: sx(t), y: bottom + 14, "text-anchor": "middle", class: "tick" }, String(t)));
  }
  g.append(svg("text", { x: (left + right) / 2, y: HEIGHT - 6, "text-anchor": "middle", class: "axis-title" },
    `epoch · ${metric}`));
  for (const m of markers) {
    g.append(svg("line", { x1: sx(m.x), x2: sx(m.x), y1: top, y2: bottom, class: "marker" }));
    if (metric === "loss") {
      g.append(svg("text", { x: Math.min(sx(m.x) + 4, right - 4), y: top + 12,
        "text-anchor": sx(m.x) + 4 > right - 120 ? "end" : "start", class: "marker-label" }, m.label));
    }
  }
  for (const s of series) {
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (!pts.length) continue;
    g.append(svg("polyline", { points: pts.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" "),
      fill: "none", stroke: s.color, "stroke-width": s.width || 2, "stroke-dasharray": s.dash || "",
      class: "series" }));
    if (s.dots) {
      for (const p of pts) g.append(svg("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 2.8, fill: s.color }));
    }
  }
  root.append(g);
}

function legend(root, series, width) {
  const seen = new Set();
  let x = PAD.left;
  for (const s of series) {
    if (seen.has(s.label) || !s.label) continue;
    seen.add(s.label);
    if (x > width - 120) break;
    root.append(svg("line", { x1: x, x2: x + 18, y1: 12, y2: 12, stroke: s.color, "stroke-width": 2.5,
      "stroke-dasharray": s.dash || "" }));
    const text = svg("text", { x: x + 22, y: 16, class: "legend" }, s.label);
    root.append(text);
    x += 30 + s.label.length * 7; // about the width of a 12 px character
  }
}
