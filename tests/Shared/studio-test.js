// What the browser tests and the UI benchmark may read and do, about the page's first mounted charts
// (while a page mounts its charts again, the readers that can be polled answer empty). Not part of the
// app: TestSurface.cs serves this file to the tests' browser only and imports it into each page.
import { mounted as first } from '/js/shared/handles.js';

const chart = key => first().charts.find(c => c.key === key);
window.studioTest = {
  chartPoints: key => chart(key).pointCount(),
  steps: series => [...(first().run.stores.get(series)?.steps ?? [])],
  vectorEpochs: () => Object.fromEntries(first().perClass.map(k => [k, first().info[k].size])),
  heatmapScale: () => { const s = first().heatmap.scale; return [s.kind, String(s.lo), String(s.hi)]; },
  heatmapLabels: () => first().heatmap.labels,
  comparePoints: key => !first() ? [] : first().runs.map(r => chart(key).lines.filter(l => l.run === r).reduce((n, l) => n + l.store.length, 0)),
  // The compare page's seed groups: per chart line, the members' run ids.
  groupMembers: key => !first() ? [] : chart(key).lines.filter(l => l.members).map(l => ({ label: l.label, ids: l.members.map(m => m.id) })),
  connectionState: () => first().connection.state,
  // Drops the live connection as a network failure would, then lets it come back.
  dropConnection: async () => { first().mark(); await first().connection.stop(); },
  restoreConnection: () => first().start(),
  setSmoothing: (weight, smoothShort) => first().charts.forEach(c => c.setSmoothing(weight, smoothShort)),
  // What a chart draws: its title, x axis, and per line the label, whether smoothed, and the last raw and drawn values.
  chartState: key => {
    const c = chart(key);
    const n = c.shown.length;
    return {
      title: c.title, x: c.xLabel, logY: c.logY, labels: c.labels(), note: c.note.textContent,
      lines: c.shown.map((l, i) => {
        const xs = c.chart.data[0], raw = c.chart.data[1 + i], drawn = c.chart.data[1 + n + i];
        let k = xs.length - 1;
        while (k > 0 && raw[k] == null) k--;
        const band = c.bandData?.[i];
        return { label: l.label, smoothed: c.rawShown[i], x: xs[k], raw: raw[k], drawn: drawn[k], firstX: xs.find((x, j) => raw[j] != null),
          low: band ? band[0][k] : null, high: band ? band[1][k] : null };
      }),
    };
  },
  hparams: () => {
    const h = first()?.hparams;
    return h && h.parallel ? { axes: h.axes.map(a => a.label), kinds: h.scales.map(s => s.kind), lines: h.lineCount(), points: h.points, x: h.pickX.value, y: h.pickY.value } : null;
  },
  // Brushes one axis of the parallel coordinates to [lo, hi], as a drag along it does (ECharts' own action).
  brushHparams: (axis, lo, hi) => first().hparams.parallel.dispatchAction({ type: 'axisAreaSelect', parallelAxisIndex: axis, intervals: [[lo, hi]] }),
  latencies: () => first().latencies ?? [],
  // Cost of storing n live points in a series, and of redrawing its chart with them.
  appendCost: (series, key, n) => {
    const store = first().run.stores.get(series);
    let step = store.last;
    let t = performance.now();
    for (let i = 0; i < n; i++) store.add(++step, Math.random());
    const perPoint = (performance.now() - t) * 1000 / n;
    t = performance.now();
    for (let i = 0; i < 20; i++) { store.add(++step, Math.random()); chart(key).redraw(); }
    return { perPoint, redraw: (performance.now() - t) / 20, points: store.length };
  },
};
