// Panel 5, own data (Teachable-Machine style): create a dataset with class names, add
// the current drawing (or upload) as a sample of a class, add a wrongly answered input
// in one click, view and delete samples, train on the dataset. A dataset is an ordinary
// image folder in the workspace (datasets/NAME/CLASS/*.png), so the CLI trains on it too.

import { $, attempt, del, el, fillSelect, getJSON, on, postJSON, request } from "./api.js";
import { currentInput, inputMode } from "./canvas.js";
import { chooseDataset, currentDataset, listDatasets, loadDatasets } from "./data.js";
import { lastGivenInput } from "./models.js";

const enc = encodeURIComponent;

export function initOwnData() {
  $("#dataset-create").addEventListener("click", () => attempt(createDataset, "own"));
  $("#add-sample").addEventListener("click", () => attempt(() => addSample($("#sample-class").value), "own"));
  $("#train-on-dataset").addEventListener("click", () => attempt(trainOnDataset, "own"));
  $("#sample-files").addEventListener("change", (e) => attempt(() => addFiles([...e.target.files]), "own"));
  $("#sample-dataset").addEventListener("change", () => attempt(showDataset));
  $("#quick-dataset").addEventListener("change", () => showQuickClasses());
  on("datasets", (all) => fillOwnSelects(all));
  on("answer", (answer) => showFixRow(answer));
}

function ownDatasets(all = listDatasets()) {
  return all.filter((d) => !d.builtin);
}

function fillOwnSelects(all) {
  const own = ownDatasets(all).map((d) => d.name);
  const items = own.length ? own : [["", "(create one first)"]];
  fillSelect($("#sample-dataset"), items);
  fillSelect($("#quick-dataset"), own);
  showClasses();
  showQuickClasses();
  if (!own.length) showDataset(); // says there is none yet
}

function classesOf(name) {
  return (listDatasets().find((d) => d.name === name) || {}).classes || [];
}

function showClasses() {
  const chosen = $("#sample-dataset").value;
  fillSelect($("#sample-class"), classesOf(chosen));
}

async function createDataset() {
  const name = $("#new-dataset-name").value.trim();
  const classes = $("#new-dataset-classes").value.split(/[,;\n]+/).map((c) => c.trim()).filter(Boolean);
  if (!name) throw new Error("give the new dataset a name");
  if (!classes.length) throw new Error("give the new dataset its classes, separated by commas (e.g. circle, star)");
  await postJSON("/api/datasets", { name, classes });
  await reloadAndShow(name);
  $("#sample-note").textContent = `Created ${name} with classes ${classes.join(", ")}. Draw, pick a class, add.`;
}

// Return the current input as a PNG blob: the drawing, the last upload, or the grid as a tiny image.
async function inputPng() {
  const input = lastGivenInput() || (await currentInput()); // the last drawing, grid or upload
  if (!input) throw new Error("draw something first (or upload an image in 4 · Draw and test)");
  if (input.kind === "grid") return gridPng(input.grid);
  return input.blob;
}

function gridPng(grid) {
  const canvas = el("canvas", { width: grid[0].length, height: grid.length });
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#000";
  grid.forEach((row, r) => row.forEach((v, c) => v && ctx.fillRect(c, r, 1, 1)));
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

async function addSample(className, datasetName = $("#sample-dataset").value) {
  if (!datasetName) throw new Error("create a dataset first (name and classes above)");
  if (!className) throw new Error(`choose the class of this sample`);
  const png = await inputPng();
  const answer = await request("POST", `/api/datasets/${enc(datasetName)}/samples?class=${enc(className)}`,
    { body: png, type: "image/png" });
  const count = (answer.counts || {})[className];
  $("#sample-note").textContent = `Added to ${datasetName} / ${className}${count ? ` (${plural(count, "sample")} now)` : ""}.`;
  await reloadAndShow(datasetName);
  if (currentDataset()?.name === datasetName) await chooseDataset(datasetName);
}

// Add image files (any size or kind the preparation reads) as samples of the chosen class.
async function addFiles(files) {
  $("#sample-files").value = "";
  const name = $("#sample-dataset").value;
  const className = $("#sample-class").value;
  if (!name || !className) throw new Error("create a dataset and choose a class first");
  for (const file of files) {
    await request("POST", `/api/datasets/${enc(name)}/samples?class=${enc(className)}`,
      { body: file, type: file.type || "application/octet-stream" });
  }
  $("#sample-note").textContent = `Added ${plural(files.length, "image")} to ${name} / ${className}.`;
  await reloadAndShow(name);
}

// After a change to dataset name: the lists read again (the chosen dataset stays), and name's samples shown.
async function reloadAndShow(name) {
  await loadDatasets(currentDataset()?.name);
  $("#sample-dataset").value = name;
  await showDataset();
}

// The chosen dataset's samples as thumbnails, each with a delete button.
async function showDataset() {
  showClasses();
  const name = $("#sample-dataset").value;
  const holder = $("#samples");
  if (!name) {
    holder.replaceChildren(el("p", { class: "muted" }, "No dataset of your own yet."));
    $("#samples-title").textContent = "";
    return;
  }
  const info = await getJSON(`/api/datasets/${enc(name)}`);
  $("#samples-title").textContent = `${name}: ${plural(info.samples, "image")}`;
  holder.replaceChildren(...info.classes.map((c) => el("div", { class: "sample-class" },
    el("div", { class: "sample-class-name" }, `${c} (${info.files[c].length})`),
    el("div", { class: "sample-row" }, ...info.files[c].map((file) => thumbnail(name, c, file))))));
}

function thumbnail(name, className, file) {
  const url = `/api/datasets/${enc(name)}/samples/${enc(className)}/${enc(file)}`;
  return el("figure", { class: "sample", title: `${className}/${file}` },
    el("img", { src: url, alt: `${className} sample`, loading: "lazy" }),
    el("button", { type: "button", class: "sample-delete", title: "Delete this sample",
      onclick: () => attempt(async () => {
        await del(url);
        await reloadAndShow(name);
      }, "own") }, "×"));
}

async function trainOnDataset() {
  const name = $("#sample-dataset").value;
  if (!name) throw new Error("create a dataset first");
  await chooseDataset(name);
  $("#design-panel").scrollIntoView({ behavior: "smooth" });
}

// After a prediction: offer to add the input, one click per class, to an own dataset.
function showFixRow(answer) {
  const row = $("#fix-row");
  row.hidden = !answer || !ownDatasets().length || inputMode() === "grid";
  if (!row.hidden) showQuickClasses();
}

function showQuickClasses() {
  const name = $("#quick-dataset").value;
  $("#quick-classes").replaceChildren(...classesOf(name).map((c) => el("button", { type: "button", class: "chip",
    onclick: () => attempt(() => addSample(c, name), "own") }, c)));
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
