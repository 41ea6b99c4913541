// Starts the page: each panel's module, the first dataset, the saved models and the
// newest run (followed live, with its dataset and options, if it is still training),
// each as soon as what it needs is there.

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
    // Everything is asked for at once: the first dataset (built in, so it needs no
    // list), the models and the runs are fetched beside the panels' own data, and each
    // is shown once what it needs is up (the panels; the dataset list for the models;
    // the training panel for the newest run).
    const datasets = loadDatasets(FIRST_DATASET);
    const designer = initDesigner();
    const training = initTraining();
    const first = chooseDataset(FIRST_DATASET, Promise.all([datasets, designer, training]));
    await Promise.all([
      datasets, designer, training, first,
      loadModels(undefined, datasets),
      resumeView(Promise.all([training, first])), // a run still training then shows its own dataset
    ]);
  } finally {
    release();
  }
}

attempt(start);
