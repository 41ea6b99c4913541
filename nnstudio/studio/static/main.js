// Starts the page: each panel's module, then the first dataset, the saved models and
// the newest run (followed live if it is still training).

import { attempt, hold, initErrors, on } from "./api.js";
import { initCanvas } from "./canvas.js";
import { chooseDataset, initData, loadDatasets } from "./data.js";
import { followDataset, initDesigner } from "./designer.js";
import { initModels, loadModels, predict } from "./models.js";
import { initOwnData } from "./own.js";
import { initTraining, resumeView } from "./training.js";

const FIRST_DATASET = "shapes"; // instant to load; the course starts with it

async function start() {
  const release = hold(); // the page is not ready until everything below is loaded
  initErrors();
  try {
    initData();
    initModels();
    initOwnData();
    initCanvas(predict);
    on("dataset", (info) => attempt(() => followDataset(info), "designer"));
    on("model-saved", (name) => attempt(() => loadModels(name)));
    const [, , datasets] = await Promise.all([initDesigner(), initTraining(), loadDatasets(FIRST_DATASET)]);
    const first = datasets.some((d) => d.name === FIRST_DATASET) ? FIRST_DATASET : datasets[0].name;
    await Promise.all([chooseDataset(first), loadModels(), resumeView()]);
  } finally {
    release();
  }
}

attempt(start);
