// Panel 5, own data as Teachable Machine does it: a card per class, each with a small
// canvas to draw a sample into, an upload of image files, the class's count and its
// thumbnails; add and rename classes, delete the dataset, train on it in one click.
// A dataset is an ordinary image folder in the workspace (datasets/NAME/CLASS/*.png),
// so the CLI trains on it too. Hooks: [data-testid=class-card][data-class], and
// [data-testid=sample] on every thumbnail.

import { $, attempt, del, el, fillSelect, getJSON, hold, on, postJSON, request, showError } from "./api.js";
import { currentInput, inputMode } from "./canvas.js";
import { chooseDataset, currentDataset, listDatasets, loadDatasets } from "./data.js";
import { lastGivenInput } from "./models.js";
import { resumeView } from "./training.js";

const enc = encodeURIComponent;
const PAD = 140; // card canvas pixels (shown at 112 CSS pixels); samples are stored at most 128 a side
const PAD_PEN = 9;

export function initOwnData() {
  $("#dataset-create").addEventListener("click", () => attempt(createDataset, "own"));
  $("#class-add").addEventListener("click", () => attempt(addClass, "own"));
  $("#new-class-name").addEventListener("keydown", (e) => e.key === "Enter" && attempt(addClass, "own"));
  $("#train-on-dataset").addEventListener("click", () => attempt(trainOnDataset, "own"));
  $("#dataset-delete").addEventListener("click", () => attempt(deleteDataset, "own"));
  $("#sample-dataset").addEventListener("change", () => attempt(showDataset, "own"));
  $("#quick-dataset").addEventListener("change", () => showQuickClasses());
  on("datasets", (all) => { // not an action of its own: an error elsewhere stays shown
    const release = hold();
    fillOwnSelects(all).catch((error) => showError(error.message, "own")).finally(release);
  });
  on("answer", (answer) => showFixRow(answer));
}

function ownDatasets(all = listDatasets()) {
  return all.filter((d) => !d.builtin);
}

function chosenName() {
  return $("#sample-dataset").value;
}

// The dataset lists changed (the page's start, or an edit): the chosen own dataset's
// cards are drawn again, so its samples show after a reload as after an edit.
async function fillOwnSelects(all) {
  const own = ownDatasets(all).map((d) => d.name);
  fillSelect($("#sample-dataset"), own.length ? own : [["", "(none yet: create one below)"]]);
  fillSelect($("#quick-dataset"), own);
  showQuickClasses();
  $("#new-dataset-box").open = !own.length || $("#new-dataset-box").open;
  await showDataset();
}

function classesOf(name) {
  return (listDatasets().find((d) => d.name === name) || {}).classes || [];
}

async function createDataset() {
  const name = $("#new-dataset-name").value.trim();
  const classes = $("#new-dataset-classes").value.split(/[,;\n]+/).map((c) => c.trim()).filter(Boolean);
  if (!name) throw new Error("give the new dataset a name");
  if (!classes.length) throw new Error("give the new dataset its classes, separated by commas (e.g. circle, star)");
  await postJSON("/api/datasets", { name, classes });
  $("#new-dataset-box").open = false;
  await reloadAndShow(name);
  note(`Created ${name} with classes ${classes.join(", ")}. Draw into a card and press Add, or upload images.`);
}

async function addClass() {
  const name = chosenName();
  const className = $("#new-class-name").value.trim();
  if (!name) throw new Error("create a dataset first");
  if (!className) throw new Error("give the new class a name");
  await postJSON(`/api/datasets/${enc(name)}/classes`, { name: className });
  $("#new-class-name").value = "";
  await reloadAndShow(name);
  note(`Added class ${className} to ${name}.`);
}

async function renameClass(name, className) {
  const wanted = window.prompt(`New name for class ${className}:`, className);
  if (wanted === null || wanted.trim() === className) return;
  await request("PATCH", `/api/datasets/${enc(name)}/classes/${enc(className)}`, { json: { name: wanted.trim() } });
  await reloadAndShow(name);
  note(`Renamed class ${className} to ${wanted.trim()}.`);
}

async function deleteDataset() {
  const name = chosenName();
  if (!name) throw new Error("there is no dataset of your own to delete");
  const info = listDatasets().find((d) => d.name === name) || {};
  if (!window.confirm(`Delete dataset ${name} and its ${plural(info.samples || 0, "image")}? This cannot be undone.`)) {
    return;
  }
  await del(`/api/datasets/${enc(name)}`);
  const shown = currentDataset()?.name;
  await loadDatasets(shown === name ? "shapes" : shown);
  if (shown === name) await chooseDataset("shapes");
  note(`Deleted dataset ${name}.`);
}

// Start training on the dataset with the network nnstudio chooses for it, and show the training.
async function trainOnDataset() {
  const name = chosenName();
  if (!name) throw new Error("create a dataset first");
  const info = await getJSON(`/api/datasets/${enc(name)}`);
  if (info.network_error) throw new Error(info.network_error); // a class without samples, said as such
  await chooseDataset(name); // the data and design panels show what is trained
  await postJSON("/api/runs", { data: name });
  await resumeView(); // the training panel follows the new run
  // An instant jump: a smooth scroll is cut short when the panels above it grow meanwhile
  // (sample pictures, the network drawing), which left the training panel out of sight.
  $("#train-panel").scrollIntoView({ block: "start" });
}

// ----------------------------------------------------------------------------- samples

// Store one image (a PNG blob or an uploaded file) as a sample of className.
async function storeSample(name, className, blob, fileName = null) {
  const query = `class=${enc(className)}${fileName ? `&filename=${enc(fileName)}` : ""}`;
  return request("POST", `/api/datasets/${enc(name)}/samples?${query}`,
    { body: blob, type: blob.type || "application/octet-stream" });
}

async function addFiles(name, className, files) {
  let added = 0;
  try {
    for (const file of files) {
      await storeSample(name, className, file, file.name);
      added += 1;
    }
  } finally {
    if (added) await reloadAndShow(name);
  }
  note(`Added ${plural(added, "image")} to ${name} / ${className}.`);
}

// The input of 4 · Draw and test (the drawing, the last upload, or the grid as a tiny image).
async function mainInputPng() {
  const input = lastGivenInput() || (await currentInput());
  if (!input) throw new Error("draw something on the canvas of 4 · Draw and test first (or upload an image there)");
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

async function addMainInput(className, name) {
  const answer = await storeSample(name, className, await mainInputPng());
  const count = (answer.counts || {})[className];
  note(`Added to ${name} / ${className}${count ? ` (${plural(count, "sample")} now)` : ""}.`);
  await reloadAndShow(name);
}

// After a change to dataset name: the lists read again (the chosen dataset stays), name's cards shown.
async function reloadAndShow(name) {
  await loadDatasets(currentDataset()?.name); // its "datasets" event draws the cards again
  if (chosenName() !== name) {
    $("#sample-dataset").value = name;
    await showDataset();
  }
  if (currentDataset()?.name === name) await chooseDataset(name);
}

// The chosen dataset as a card per class.
async function showDataset() {
  const name = chosenName();
  const holder = $("#class-cards");
  for (const id of ["#train-on-dataset", "#dataset-delete", "#class-add"]) $(id).disabled = !name;
  if (!name) {
    holder.replaceChildren(el("p", { class: "muted" }, "No dataset of your own yet: create one below."));
    $("#samples-title").textContent = "";
    return;
  }
  const info = await getJSON(`/api/datasets/${enc(name)}`);
  if (chosenName() !== name) return; // another dataset was chosen meanwhile
  $("#samples-title").textContent = `${plural(info.classes.length, "class", "classes")}, ${plural(info.samples, "image")}`;
  holder.replaceChildren(...info.classes.map((c) => classCard(name, c, info.files[c])));
}

function classCard(name, className, files) {
  const pad = sketchPad();
  const upload = el("input", { type: "file", accept: "image/*", multiple: true, hidden: true,
    "data-testid": "card-upload", "aria-label": `upload images into class ${className}` });
  upload.addEventListener("change", () => {
    const chosen = [...upload.files];
    upload.value = "";
    attempt(() => addFiles(name, className, chosen), "own");
  });
  const add = () => attempt(async () => {
    if (!pad.inked()) throw new Error(`draw a ${className} in its card first`);
    await storeSample(name, className, await pad.blob());
    pad.clear();
    await reloadAndShow(name);
    note(`Added a drawing to ${name} / ${className}.`);
  }, "own");
  return el("div", { class: "class-card", "data-testid": "class-card", dataset: { class: className } },
    el("div", { class: "card-head" },
      el("strong", { class: "class-name" }, className),
      el("span", { class: "class-count muted", "data-testid": "class-count" }, plural(files.length, "sample")),
      el("button", { type: "button", class: "link", "data-testid": "rename-class", title: `Rename class ${className}`,
        onclick: () => attempt(() => renameClass(name, className), "own") }, "Rename")),
    el("div", { class: "card-body" }, pad.canvas,
      el("div", { class: "card-buttons" },
        el("button", { type: "button", class: "primary", "data-testid": "card-add", onclick: add }, "Add drawing"),
        el("button", { type: "button", onclick: () => pad.clear() }, "Clear"),
        el("label", { class: "button", title: "PNG, JPEG, GIF or BMP files", tabindex: "0", role: "button",
          onkeydown: (e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), upload.click()) },
        "Upload…", upload),
        el("button", { type: "button", title: "Add the drawing (or image) of 4 · Draw and test to this class",
          onclick: () => attempt(() => addMainInput(className, name), "own") }, "Add from 4"))),
    el("div", { class: "sample-row" }, ...files.map((file) => thumbnail(name, className, file))));
}

function thumbnail(name, className, file) {
  const url = `/api/datasets/${enc(name)}/samples/${enc(className)}/${enc(file)}`;
  return el("figure", { class: "sample", "data-testid": "sample", title: `${className}/${file}` },
    el("img", { src: url, alt: `${className} sample`, loading: "lazy" }),
    el("button", { type: "button", class: "sample-delete", title: "Delete this sample",
      onclick: () => attempt(async () => {
        await del(url);
        await reloadAndShow(name);
      }, "own") }, "×"));
}

// A small canvas to draw one sample on: black pen on white paper.
function sketchPad() {
  const canvas = el("canvas", { width: PAD, height: PAD, class: "card-canvas", "data-testid": "card-canvas",
    "aria-label": "draw a sample of this class" });
  const ctx = canvas.getContext("2d");
  let inked = false;
  const clear = () => {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, PAD, PAD);
    inked = false;
  };
  const at = (e) => {
    const box = canvas.getBoundingClientRect();
    return [((e.clientX - box.left) * PAD) / box.width, ((e.clientY - box.top) * PAD) / box.height];
  };
  canvas.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    Object.assign(ctx, { strokeStyle: "#111", fillStyle: "#111", lineWidth: PAD_PEN, lineCap: "round", lineJoin: "round" });
    let [x, y] = at(e);
    ctx.beginPath();
    ctx.arc(x, y, PAD_PEN / 2, 0, 2 * Math.PI);
    ctx.fill();
    inked = true;
    const move = (m) => {
      const [nx, ny] = at(m);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(nx, ny);
      ctx.stroke();
      [x, y] = [nx, ny];
    };
    canvas.addEventListener("pointermove", move);
    canvas.addEventListener("pointerup", () => canvas.removeEventListener("pointermove", move), { once: true });
  });
  clear();
  return { canvas, clear, inked: () => inked, blob: () => new Promise((resolve) => canvas.toBlob(resolve, "image/png")) };
}

// ----------------------------------------------------------------------------- panel 4's quick row

// After a prediction: offer to add the input, one click per class, to an own dataset.
function showFixRow(answer) {
  const row = $("#fix-row");
  row.hidden = !answer || !ownDatasets().length || inputMode() === "grid";
  if (!row.hidden) showQuickClasses();
}

function showQuickClasses() {
  const name = $("#quick-dataset").value;
  $("#quick-classes").replaceChildren(...classesOf(name).map((c) => el("button", { type: "button", class: "chip",
    onclick: () => attempt(() => addMainInput(c, name), "own") }, c)));
}

function note(text) {
  $("#sample-note").textContent = text;
}

function plural(n, word, many = `${word}s`) {
  return `${n} ${n === 1 ? word : many}`;
}
