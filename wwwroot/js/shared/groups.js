// Seed groups on the compare page: the runs of a group (same configuration but for seeds, as the
// server's SeedGroups rule decides) drawn as one line, their mean, with a band of their min-max or
// ±1 standard deviation. Members' points are read at the first member's steps (linearly between a
// member's own points), and a step is kept only where every member has a value.
import { SeriesStore } from './store.js';

// A store's value at a step: its own point, or the line between its neighbours; null outside its range.
export function valueAt(store, step) {
  const i = store.indexOf(step);
  if (i < store.length && store.steps[i] === step) return store.values[i];
  if (i === 0 || i >= store.length) return null;
  const [s0, s1, v0, v1] = [store.steps[i - 1], store.steps[i], store.values[i - 1], store.values[i]];
  return v0 + (v1 - v0) * (step - s0) / (s1 - s0);
}

// The mean of the members' stores at the first one's steps, with the band ('minmax' or 'std').
export function aggregate(stores, band) {
  const mean = new SeriesStore();
  const lo = [], hi = [];
  for (const step of stores[0].steps) {
    const xs = stores.map(s => valueAt(s, step));
    if (xs.some(x => x == null || !Number.isFinite(x))) continue;
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
    mean.add(step, m);
    lo.push(band === 'std' ? m - sd : Math.min(...xs));
    hi.push(band === 'std' ? m + sd : Math.max(...xs));
  }
  return { store: mean, band: { lo, hi, kind: band } };
}
