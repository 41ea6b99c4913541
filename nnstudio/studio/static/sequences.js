// Panel 4 for a model that continues integer sequences: the user types a few numbers
// ("2 4 6 8"), the page shows the next term (the one `nnstudio predict MODEL "2 4 6 8"`
// prints) and the network lit with that input, each step's hidden state in its cell.
// Hooks: [data-testid=sequence-input], [data-testid=sequence-next], [data-testid=sequence-error].

import { $, el, hold, request } from "./api.js";
import { showNetwork } from "./network.js";

const MIN_TERMS = 4; // as the sequences data: 4 to 10 given terms
const MAX_TERM = 10000;
const TYPING_PAUSE_MS = 400; // asked again when the typing stops this long

let model = null; // GET /api/models/{name} of a sequence model, or null
let asked = 0;
let timer = null;
let started = false;

const enc = encodeURIComponent;

// Show the panel for a sequence model (null: hide it, the drawing canvas is back).
export function showSequences(chosen) {
  if (!started) start();
  model = chosen;
  asked += 1;
  $("#sequence-panel").hidden = !chosen;
  $(".test-columns").hidden = Boolean(chosen);
  if (chosen) {
    $("#fix-row").hidden = true;
    $("#sequence-next").textContent = "";
    showProblem("");
    if ($("#sequence-input").value.trim()) ask();
  }
}

function start() {
  started = true;
  const form = $("#sequence-panel");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    ask();
  });
  $("#sequence-input").addEventListener("input", () => {
    clearTimeout(timer);
    const release = hold(); // a pending answer: the page is not idle
    timer = setTimeout(() => ask().finally(release), TYPING_PAUSE_MS);
    setTimeout(release, TYPING_PAUSE_MS + 50); // released even when the next keystroke cancels this one
  });
}

// Return [terms, null] for the typed text, or [null, what is wrong in plain words].
export function readTerms(text, steps) {
  const words = text.split(/[\s,;]+/).filter(Boolean);
  if (!words.length) return [null, ""];
  const bad = words.find((w) => !/^[-+]?\d+$/.test(w));
  if (bad !== undefined) return [null, `"${bad}" is not a whole number: type numbers such as 2 4 6 8.`];
  const terms = words.map(Number);
  if (terms.length < MIN_TERMS) {
    return [null, `Type at least ${MIN_TERMS} numbers (${terms.length} so far): the network needs a few to see the rule.`];
  }
  if (terms.length > steps) return [null, `Type at most ${steps} numbers (${terms.length} given): the network reads ${steps} steps.`];
  const big = terms.find((t) => Math.abs(t) > MAX_TERM);
  if (big !== undefined) return [null, `${big} is too large: each number must be between -10,000 and 10,000.`];
  return [terms, null];
}

async function ask() {
  if (!model) return;
  const chosen = model;
  const mine = ++asked;
  const [terms, problem] = readTerms($("#sequence-input").value, chosen.input_shape?.[0] || 10);
  if (!terms) {
    $("#sequence-next").textContent = "";
    showProblem(problem);
    return;
  }
  const base = `/api/models/${enc(chosen.name)}`;
  const body = { json: { sequence: terms } };
  try {
    const [answer, svg] = await Promise.all([
      request("POST", `${base}/predict`, body),
      request("POST", `${base}/drawing.svg`, { ...body, as: "text" }),
    ]);
    if (mine !== asked || model !== chosen) return;
    $("#sequence-next").textContent = String(answer.next);
    $("#sequence-next").title = `${terms.join(", ")} → ${answer.next}`;
    showProblem("");
    showNetwork($("#network-drawing"), svg, `network ${chosen.name} reading ${terms.join(" ")}`, chosen);
  } catch (error) {
    if (mine !== asked) return;
    $("#sequence-next").textContent = "";
    showProblem(error.message);
  }
}

function showProblem(text) {
  const line = $("#sequence-error");
  line.replaceChildren(...(text ? [el("span", {}, text)] : []));
  line.hidden = !text;
}
