// Panel 1, task and data: the dataset choice, a mosaic of samples per class, class counts.
// Other panels read the chosen dataset through currentDataset() and the "dataset" event.

import { $, attempt, el, emit, fillSelect, getJSON, request, showSvg } from "./api.js";

const BUILTIN_NOTE = {
  shapes: "the course's five 5x5 shapes (25 values; tiny, trains in seconds)",
  letters: "50x50 capitals A–Z, half from fonts, half from a model of handwriting",
  digits: "real handwritten digits, 8x8 (scikit-learn's set)",
  mnist: "real handwritten digits, 28x28",
};

const MOSAIC_PER_CLASS = 5;

let datasets = [];
let current = null; // {name, builtin, classes, counts, ...}

export function currentDataset() {
  return current;
}

export function listDatasets() {
  return datasets;
}

export async function loadDatasets(choose) {
  datasets = await getJSON("/api/datasets");
  const select = $("#dataset-select");
  const builtin = datasets.filter((d) => d.builtin).map((d) => [d.name, `${d.name} (${d.input})`]);
  const own = datasets.filter((d) => !d.builtin).map((d) => [d.name, `${d.name} (${d.samples} images)`]);
  fillSelect(select, [{ group: "Built in", items: builtin }, { group: "My datasets", items: own }], choose);
  emit("datasets", datasets);
  return datasets;
}

// Choose a dataset: load its classes and counts, its mosaic; tell the other panels.
// ready: what must be done before it is shown (the page's start asks early).
export async function chooseDataset(name, ready = null) {
  // The mosaic reads a few samples only: ask for it while the counts are worked out.
  const mosaic = request("GET", `/api/datasets/${encodeURIComponent(name)}/mosaic.svg?per_class=${MOSAIC_PER_CLASS}`,
    { as: "text" }).catch((error) => error);
  const asked = getJSON(`/api/datasets/${encodeURIComponent(name)}`);
  asked.catch(() => {}); // a failure is reported where it is awaited, below
  await ready;
  $("#dataset-select").value = name;
  const info = await asked;
  current = info;
  showInfo(info);
  emit("dataset", info);
  showMosaic(info, await mosaic);
}

function showInfo(info) {
  const total = Object.values(info.counts || {}).reduce((a, b) => a + b, 0);
  const what = info.builtin ? BUILTIN_NOTE[info.name] || info.input : "your own images (a folder per class)";
  $("#dataset-info").textContent =
    `${info.name}: ${what}. ${info.classes.length} classes, ${total.toLocaleString()} training samples.`;
  const counts = $("#dataset-counts");
  counts.replaceChildren();
  const most = Math.max(1, ...Object.values(info.counts || {}));
  for (const name of info.classes) {
    const n = (info.counts || {})[name] || 0;
    counts.append(el("div", { class: "count", title: `${name}: ${n} samples` },
      el("span", { class: "count-name" }, name),
      el("span", { class: "count-bar" }, el("span", { style: `width:${(100 * n) / most}%` })),
      el("span", { class: "count-n" }, n)));
  }
}

function showMosaic(info, svg) {
  const holder = $("#dataset-mosaic");
  const total = Object.values(info.counts || {}).reduce((a, b) => a + b, 0);
  if (!info.builtin && total === 0) {
    holder.replaceChildren(el("p", { class: "muted" }, "No samples yet: draw some in “5 · My data”."));
  } else if (svg instanceof Error) {
    holder.replaceChildren(el("p", { class: "muted" }, `No mosaic: ${svg.message}`));
  } else {
    showSvg(holder, svg, `samples of ${info.name}`);
  }
}

export function initData() {
  $("#dataset-select").addEventListener("change", (event) => attempt(() => chooseDataset(event.target.value)));
}
