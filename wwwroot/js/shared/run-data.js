// A run's points as the pages hold them: a downsampled reading of what is stored (the server keeps
// every spike), made finer for the range a chart is zoomed to, plus the raw points streamed live.
import { getJson, metricsAsync } from './api.js';
import { SeriesStore } from './store.js';

// Points per series on first load and per zoomed range: about three per pixel of a chart.
export const READ_POINTS = 2000;
// A store grown past this by live points is read again, downsampled, for the range already stored.
const COMPACT_AT = 4 * READ_POINTS;

export async function loadRunAsync(runId) {
  const detail = await getJson(`/api/runs/${runId}`);
  const run = { id: runId, name: detail.run.name, stepsPerEpoch: detail.stepsPerEpoch || 0, stores: new Map(), detail };
  mergeAll(run, await metricsAsync(runId, { maxPoints: READ_POINTS }));
  return run;
}

export function storeOf(run, name) {
  let s = run.stores.get(name);
  if (!s) { s = new SeriesStore(); run.stores.set(name, s); }
  return s;
}

// Server answers merged into the stores; a series the server thinned out is marked sparse, so a
// zoom knows to ask for its raw points.
export function mergeAll(run, seriesData) {
  for (const s of seriesData) {
    const store = storeOf(run, s.series);
    store.merge(s.steps, s.values);
    if (s.total > s.steps.length) store.sparse = true;
  }
}

// The points of `names` in the step range [fromStep, toStep], as finely as READ_POINTS allows.
export async function refineAsync(run, names, fromStep, toStep) {
  const wanted = names.filter(n => run.stores.get(n)?.sparse);
  if (!wanted.length) return false;
  mergeAll(run, await metricsAsync(run.id, { series: wanted, maxPoints: READ_POINTS, fromStep, toStep }));
  return true;
}

// Keeps a long-watched live series small: the stored part is read again, downsampled by the server.
export async function compactIfLargeAsync(run, name) {
  const store = run.stores.get(name);
  if (!store || store.length < COMPACT_AT || store.compacting) return false;
  store.compacting = true;
  try {
    mergeAll(run, await metricsAsync(run.id, { series: [name], maxPoints: READ_POINTS, toStep: store.last }));
  } finally {
    store.compacting = false;
  }
  return true;
}
