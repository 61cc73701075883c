// The compare page's charts (beside ComparePage.razor, which imports it through ChartModule.cs):
// every chart of the series table with one line per run (or seed group) and series, one colour per
// run, one dash pattern per series; and the hyperparameter view.
import { seriesTableAsync } from '/js/shared/api.js';
import { aggregate } from '/js/shared/groups.js';
import { dispose, register, setSmoothing } from '/js/shared/handles.js';
import { HyperparameterView } from '/js/shared/hparams.js';
import { COLORS, chartsFor, noteEpochs, stepRange } from '/js/shared/line-chart.js';
import { loadRunAsync, refineAsync } from '/js/shared/run-data.js';

const DASHES = [undefined, [6, 4], [2, 3]];

export { dispose, setSmoothing };

// options: { groups: [{ ids, label }] (seed groups to draw as one), band: 'minmax' | 'std',
// fields: [{ name, label }] of the configuration fields that differ, smoothing, smoothShort, xMode: the x axis the charts start on }.
export async function mount(root, runIds, options = {}) {
  return register(root, await mountCompare(root, runIds, options));
}

async function mountCompare(root, runIds, { groups = [], band = 'minmax', fields = [], smoothing = 0, smoothShort = false, xMode = 'epoch' }) {
  const [table, runs] = await Promise.all([seriesTableAsync(), Promise.all(runIds.map(loadRunAsync))]);
  runs.forEach(run => noteEpochs(run, table));
  // What is drawn: each run alone, or in its place the seed group it belongs to.
  const grouped = new Set(groups.flatMap(g => g.ids));
  const entries = [
    ...runs.filter(r => !grouped.has(r.id)).map(run => ({ label: `#${run.id} ${run.name}`, runs: [run] })),
    ...groups.map(g => ({ label: g.label, runs: g.ids.map(id => runs.find(r => r.id === id)).filter(Boolean) })),
  ].sort((a, b) => runs.indexOf(a.runs[0]) - runs.indexOf(b.runs[0]));

  const charts = [];
  for (const def of table.charts) {
    const el = root.querySelector(`[data-chart="${def.key}"]`);
    if (!el) continue;
    const names = table.series.filter(s => s.chart === def.key).map(s => s.name);
    const lines = [];
    entries.forEach((entry, r) => names.forEach((name, s) => {
      const stores = entry.runs.map(run => run.stores.get(name));
      if (stores.some(st => !st?.length)) return;
      const info = table.byName.get(name);
      const line = {
        label: `${entry.label} · ${info.label}`, seriesLabel: info.label, name, unit: def.unit, run: entry.runs[0],
        color: COLORS[r % COLORS.length], dash: DASHES[s % DASHES.length], perStep: info.cadence === 'Step',
      };
      if (entry.runs.length > 1) Object.assign(line, aggregate(stores, band), { members: entry.runs });
      else line.store = stores[0];
      lines.push(line);
    }));
    if (!lines.length) { el.textContent = `${def.title}: none of these runs has this series.`; el.classList.add('studio-muted'); continue; }
    const made = chartsFor(el, def, lines, async (min, max, chartLines, mode) => {
      // Single runs read finer points for the zoomed range; a group's mean stays as first computed.
      const refined = await Promise.all(runs.filter(run => !grouped.has(run.id)).map(run => {
        const first = chartLines.find(l => l.run === run && !l.members);
        if (!first) return false;
        const [from, to] = stepRange(first, min, max, mode);
        return refineAsync(run, names, from, to);
      }));
      if (refined.some(Boolean)) made.forEach(c => c.redraw());
    }, { mode: xMode });
    made.forEach(c => c.setSmoothing(smoothing, smoothShort));
    charts.push(...made);
  }

  const hparamsEl = root.querySelector('[data-hparams]');
  // Each run in its colour of the line charts; brushing dims the runs outside the brushed ranges in the accuracy table.
  const dim = ids => document.querySelectorAll('[data-test=shots-row]').forEach(row => {
    const members = (row.dataset.runs || '').split(',').map(Number);
    row.classList.toggle('studio-dimmed', ids != null && !members.some(id => ids.includes(id)));
  });
  const hparams = hparamsEl && fields.length
    ? new HyperparameterView(hparamsEl, runs.map((run, i) => ({
      id: run.id, name: `#${run.id} ${run.name}`, config: parseConfig(run.detail.configJson), summary: run.detail.run, color: COLORS[i % COLORS.length],
    })), fields, dim)
    : null;
  // Drawn once ECharts (1 MB, loaded on first use) is in: the line charts above never wait for it.
  hparams?.draw().catch(e => console.error('hyperparameter views:', e));
  return { runs, charts, hparams, dispose: async () => { charts.forEach(c => c.destroy()); hparams?.destroy(); } };
}

function parseConfig(json) {
  try { return JSON.parse(json) || {}; } catch { return {}; }
}
