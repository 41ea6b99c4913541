// The designer's undo steps, and the design kept across reloads in the browser's
// localStorage (nothing is sent anywhere). A state is any JSON value.

const MAX_STEPS = 100;

export class History {
  constructor(key) {
    this.key = key;
    this.steps = []; // earlier states, as JSON text, oldest first
    this.last = null; // the current state, as JSON text
  }

  // The state kept from an earlier visit, or null.
  saved() {
    try {
      const text = window.localStorage.getItem(this.key);
      return text ? JSON.parse(text) : null;
    } catch (_) {
      return null; // storage switched off, or a torn value: start as new
    }
  }

  // state is where an edit led: the state before it becomes an undo step.
  record(state) {
    const text = JSON.stringify(state);
    if (text === this.last) return;
    if (this.last !== null) this.steps.push(this.last);
    if (this.steps.length > MAX_STEPS) this.steps.shift();
    this.last = text;
    this.keep();
  }

  // state replaces the current one without an undo step (a change the user did not make).
  reset(state) {
    this.last = JSON.stringify(state);
    this.keep();
  }

  canUndo() {
    return this.steps.length > 0;
  }

  // Return the state before the current one (it becomes current), or null.
  undo() {
    if (!this.steps.length) return null;
    this.last = this.steps.pop();
    this.keep();
    return JSON.parse(this.last);
  }

  keep() {
    try {
      window.localStorage.setItem(this.key, this.last);
    } catch (_) { /* full or switched off: the design is not kept, the page works on */ }
  }
}
