// The compare page's charts (beside ComparePage.razor, which imports it through ChartModule.cs):
// every chart of the series table with one line per run and series, one colour per run, one dash
// pattern per series.
import { seriesTableAsync } from '/js/shared/api.js';
import { dispose, register, setSmoothing } from '/js/shared/handles.js';
import { COLORS, chartsFor, noteEpochs, stepRange } from '/js/shared/line-chart.js';
import { loadRunAsync, refineAsync } from '/js/shared/run-data.js';

const DASHES = [undefined, [6, 4], [2, 3]];

export { dispose, setSmoothing };

export async function mount(root, runIds) {
  return register(root, await mountCompare(root, runIds));
}

async function mountCompare(root, runIds) {
  const [table, runs] = await Promise.all([seriesTableAsync(), Promise.all(runIds.map(loadRunAsync))]);
  runs.forEach(run => noteEpochs(run, table));
  const charts = [];
  for (const def of table.charts) {
    const el = root.querySelector(`[data-chart="${def.key}"]`);
    if (!el) continue;
    const names = table.series.filter(s => s.chart === def.key).map(s => s.name);
    const lines = [];
    runs.forEach((run, r) => names.forEach((name, s) => {
      if (!run.stores.has(name)) return;
      lines.push({
        label: `${run.name} · ${table.byName.get(name).label}`, seriesLabel: table.byName.get(name).label, name, unit: def.unit, store: run.stores.get(name), run,
        color: COLORS[r % COLORS.length], dash: DASHES[s % DASHES.length],
        perStep: table.byName.get(name)?.cadence === 'Step',
      });
    }));
    if (!lines.length) { el.textContent = `${def.title}: none of these runs has this series.`; el.classList.add('studio-muted'); continue; }
    const made = chartsFor(el, def, lines, async (min, max, chartLines, mode) => {
      const refined = await Promise.all(runs.map(run => {
        const first = chartLines.find(l => l.run === run);
        if (!first) return false;
        const [from, to] = stepRange(first, min, max, mode);
        return refineAsync(run, names, from, to);
      }));
      if (refined.some(Boolean)) made.forEach(c => c.redraw());
    });
    made.forEach(c => c.redraw());
    charts.push(...made);
  }
  return { runs, charts, dispose: async () => charts.forEach(c => c.destroy()) };
}
