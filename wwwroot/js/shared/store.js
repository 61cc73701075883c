// The server writes NaN and ±∞ as "NaN", "Infinity", "-Infinity": numbers again here.
export const toNumber = v => (typeof v === 'string' ? Number(v) : v);
export const toNumbers = vs => vs.map(toNumber);

// The points of one series held in the page: sorted by step, one value per step (NaN and ±∞ kept).
export class SeriesStore {
  constructor() { this.steps = []; this.values = []; }
  get last() { return this.steps.length ? this.steps[this.steps.length - 1] : -Infinity; }
  get length() { return this.steps.length; }

  // Appends in step order; an older or repeated step is inserted or replaced, never doubled.
  add(step, value) {
    value = toNumber(value);
    const n = this.steps.length;
    if (n === 0 || step > this.steps[n - 1]) { this.steps.push(step); this.values.push(value); return; }
    const i = this.indexOf(step);
    if (this.steps[i] === step) this.values[i] = value;
    else { this.steps.splice(i, 0, step); this.values.splice(i, 0, value); }
  }

  // Replaces every point from steps[0] to steps[last] with the given ones: a finer (or coarser)
  // reading of that range from the server. Points outside the range stay.
  merge(steps, values) {
    if (!steps.length) return;
    values = toNumbers(values);
    const lo = this.indexOf(steps[0]);
    let hi = this.indexOf(steps[steps.length - 1]);
    if (this.steps[hi] === steps[steps.length - 1]) hi++;
    this.steps = this.steps.slice(0, lo).concat(steps, this.steps.slice(hi));
    this.values = this.values.slice(0, lo).concat(values, this.values.slice(hi));
  }

  // First index whose step is at least `step`.
  indexOf(step) {
    let lo = 0, hi = this.steps.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.steps[mid] < step) lo = mid + 1; else hi = mid; }
    return lo;
  }
}
