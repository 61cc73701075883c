// The REST calls of the chart module, and the series table the server describes once (/api/series).

export async function getJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

let seriesTable = null;

// { charts: [{ key, title, unit }], series: [{ name, label, unit, cadence, chart, higherIsBetter }], elapsed (the wall-time
// series), byName: Map }
export function seriesTableAsync() {
  seriesTable ??= getJson('/api/series').then(t => ({ ...t, byName: new Map(t.series.map(s => [s.name, s])) }));
  return seriesTable;
}

// Points of a run's series; the server downsamples each series to maxPoints keeping every spike.
export function metricsAsync(runId, { series, maxPoints, afterStep, fromStep, toStep } = {}) {
  const query = new URLSearchParams({ maxPoints: String(maxPoints) });
  if (series?.length) query.set('series', series.join(','));
  for (const [key, value] of Object.entries({ afterStep, fromStep, toStep })) {
    if (value != null && Number.isFinite(value)) query.set(key, String(Math.floor(value)));
  }
  return getJson(`/api/runs/${runId}/metrics?${query}`);
}

// Per-class vectors of one kind: all epochs (or at most maxEpochs of them, evenly spread, first and last
// kept), those after one, or only the newest.
export function vectorsAsync(runId, kind, { afterEpoch, latest, maxEpochs } = {}) {
  const query = new URLSearchParams({ kind });
  if (afterEpoch != null) query.set('afterEpoch', String(afterEpoch));
  if (latest) query.set('latest', 'true');
  if (maxEpochs != null) query.set('maxEpochs', String(maxEpochs));
  return getJson(`/api/runs/${runId}/vectors?${query}`);
}
