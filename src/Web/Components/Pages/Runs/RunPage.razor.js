// The run page's charts (beside RunPage.razor, which imports it through ChartModule.cs): the
// charts of the series table, the κ heatmap and the per-class chart, fed from the hub and kept
// gap-free across reconnects. What it shares with the compare page is in /js/shared.
import { metricsAsync, seriesTableAsync, vectorsAsync } from '/js/shared/api.js';
import { ClassAccuracy } from '/js/shared/class-chart.js';
import { Heatmap } from '/js/shared/heatmap.js';
import { dispose, register, setSmoothing } from '/js/shared/handles.js';
import { connect } from '/js/shared/hub.js';
import { COLORS, chartsFor, noteEpochs, stepRange } from '/js/shared/line-chart.js';
import { READ_POINTS, compactIfLargeAsync, loadRunAsync, mergeAll, refineAsync, storeOf } from '/js/shared/run-data.js';
import { toNumbers } from '/js/shared/store.js';

// Epochs of per-class vectors read at most for the heatmap (the server keeps the first and the last).
const MAX_EPOCHS = 600;

export { dispose, setSmoothing };

// Step-to-browser latencies are kept only when asked for (the UI benchmark sets this).
export async function mount(root, runId) {
  const recordLatencies = localStorage.getItem('proco.recordLatencies') === '1';
  return register(root, await mountRun(root, runId, { recordLatencies }));
}

async function mountRun(root, runId, options) {
  const [table, run] = await Promise.all([seriesTableAsync(), loadRunAsync(runId)]);
  const perStep = name => table.byName.get(name)?.cadence === 'Step';

  noteEpochs(run, table);
  const charts = [];
  for (const def of table.charts) {
    const el = root.querySelector(`[data-chart="${def.key}"]`);
    if (!el) continue;
    const names = table.series.filter(s => s.chart === def.key).map(s => s.name);
    const lines = names.map((name, i) => ({
      label: table.byName.get(name).label, seriesLabel: table.byName.get(name).label, name, unit: def.unit, store: storeOf(run, name), run, perStep: perStep(name), color: COLORS[i % COLORS.length],
    }));
    const made = chartsFor(el, def, lines, async (min, max, chartLines, mode) => {
      const [from, to] = stepRange(chartLines[0], min, max, mode);
      if (await refineAsync(run, names, from, to)) { dirty = true; schedule(); }
    });
    charts.push(...made);
  }

  // Per-class vectors as the series table names them: of the kinds kept per epoch (κ of the estimator,
  // κ of the test features, test accuracy) every epoch, of the others (the class counts) the newest.
  const perClass = table.vectors.filter(v => v.perEpoch).map(v => v.kind);
  const newestOnly = table.vectors.filter(v => !v.perEpoch).map(v => v.kind);
  const info = { classNames: run.detail.classNames || [] };
  for (const kind of perClass) info[kind] = new Map();
  for (const kind of newestOnly) info[kind] = null;
  // The last epoch held of each kind: kinds of one epoch can arrive apart.
  const lastEpochs = () => Object.fromEntries(perClass.map(k => [k, Math.max(0, ...info[k].keys())]));
  const loadVectors = async afterEpochs => {
    const [newest, byKind] = await Promise.all([
      Promise.all(newestOnly.map(k => vectorsAsync(runId, k, { latest: true }))),
      // A heatmap column per epoch held: more than its canvas has pixels would not show.
      Promise.all(perClass.map(k => vectorsAsync(runId, k, { afterEpoch: afterEpochs?.[k], maxEpochs: MAX_EPOCHS }))),
    ]);
    newestOnly.forEach((kind, i) => { if (newest[i].length) info[kind] = toNumbers(newest[i][newest[i].length - 1].values); });
    perClass.forEach((kind, i) => { for (const v of byKind[i]) info[kind].set(v.epoch, toNumbers(v.values)); });
  };
  await loadVectors();
  const heatEl = root.querySelector('[data-chart="kappa"]');
  const heatmap = heatEl ? new Heatmap(heatEl, info, table.vectors.filter(v => v.heatmap)) : null;
  const accEl = root.querySelector('[data-chart="class-accuracy"]');
  const classAcc = accEl ? new ClassAccuracy(accEl, info) : null;

  let dirty = true, vectorsDirty = true, raf = null;
  const handle = { runId, run, charts, info, perClass, heatmap, latencies: options?.recordLatencies ? [] : null };
  const frame = () => {
    if (dirty) { for (const c of charts) c.redraw(); dirty = false; }
    if (vectorsDirty) { heatmap?.draw(); classAcc?.draw(); vectorsDirty = false; }
    raf = null;
  };
  const schedule = () => { raf ??= requestAnimationFrame(frame); };

  // Catch-up: what the page held when live updates stopped (or before it first subscribed) is its
  // mark; after (re)subscribing, everything after the mark is read once from the database. The
  // hub's Subscribe returns only when all it broadcast before the join is stored, so the read and
  // the live points that follow leave no gap, and a point seen twice replaces itself.
  let marks = null;
  const held = () => ({ steps: new Map([...run.stores].map(([name, s]) => [name, s.last])), epochs: lastEpochs() });
  const mark = () => { marks ??= held(); };
  const catchUp = async () => {
    const from = marks ?? held();
    // Per-step and per-epoch series count steps differently, and a series the page holds nothing
    // of is read whole: one read for each such group.
    const groups = new Map();
    for (const name of new Set([...run.stores.keys(), ...table.series.map(s => s.name)])) {
      const some = Number.isFinite(from.steps.get(name) ?? -Infinity);
      const key = `${perStep(name)}|${some}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(name);
    }
    await Promise.all([...groups.values()].map(async names => {
      const after = Math.min(...names.map(n => from.steps.get(n) ?? -Infinity));
      mergeAll(run, await metricsAsync(runId, { series: names, maxPoints: READ_POINTS, afterStep: after }));
    }));
    await loadVectors(from.epochs);
    dirty = vectorsDirty = true; schedule();
  };
  // Everything again, as the first load read it: whatever a page missed is there after this.
  const reread = async () => {
    mergeAll(run, await metricsAsync(runId, { maxPoints: READ_POINTS }));
    await loadVectors();
    dirty = vectorsDirty = true; schedule();
  };

  const onPoints = message => {
    if (message.runId !== runId) return;
    if (message.stepsPerEpoch) run.stepsPerEpoch = message.stepsPerEpoch;
    const now = Date.now();
    for (const p of message.points) {
      storeOf(run, p.s).add(p.t, p.v);
      if (handle.latencies && p.w) handle.latencies.push(now - p.w);
    }
    for (const name of new Set(message.points.map(p => p.s))) {
      compactIfLargeAsync(run, name).then(done => { if (done) { dirty = true; schedule(); } }, () => {});
    }
    dirty = true; schedule();
  };
  const onVectors = message => {
    if (message.runId !== runId) return;
    if (perClass.includes(message.kind)) info[message.kind].set(message.epoch, toNumbers(message.values));
    if (newestOnly.includes(message.kind)) info[message.kind] = toNumbers(message.values);
    vectorsDirty = true; schedule();
  };
  // When the run stops, one last full read makes the charts complete whatever happened before.
  const onRun = message => {
    if (message.runId === runId && !message.live) reread().catch(() => {});
  };

  const subscribe = async () => {
    await handle.connection.invoke('Subscribe', runId);
    await catchUp();
    marks = null;
  };
  handle.connection = connect({ onPoints, onVectors, onRun, onLost: mark, onReconnected: () => subscribe().catch(() => mark()) });
  handle.mark = mark;
  handle.start = async () => { await handle.connection.start(); await subscribe(); };
  mark(); // points stored between the first load and the subscription are read once more
  await handle.start();
  schedule();
  handle.dispose = async () => {
    if (raf) cancelAnimationFrame(raf);
    charts.forEach(c => c.destroy()); heatmap?.destroy(); classAcc?.destroy();
    await handle.connection.stop();
  };
  return handle;
}
