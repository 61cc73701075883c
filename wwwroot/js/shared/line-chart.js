// A uPlot chart over several (run, series) lines sharing one x axis (epoch, or step for per-step
// series whose epoch length is unknown); shared by the run and compare pages. With smoothing on, a
// smoothed line is drawn over its raw points, which stay visible faintly behind it, and the legend
// gives both values under the cursor. Dragging zooms and asks the page for finer points of the
// zoomed range; a double click zooms out. Only lines that hold points are drawn and listed.
/* global uPlot */
import { addTools } from './chart-tools.js';
import { axis, onThemeChange } from './theme.js';

export const COLORS = ['#3949ab', '#e53935', '#00897b', '#fb8c00', '#8e24aa', '#6d4c41', '#1e88e5', '#43a047', '#d81b60', '#546e7a'];

// A per-epoch series shorter than this is drawn as measured unless smoothing short series is asked
// for: an exponential average over a handful of epochs lags far behind the values it summarises.
export const SHORT_SERIES = 30;

// Exponential moving average, debiased as TensorBoard's (the first points are not pulled toward 0
// nor toward the first value); gaps stay gaps and do not reset the average.
export function smooth(ys, weight) {
  if (!weight) return ys;
  const out = new Array(ys.length);
  let acc = 0, n = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y == null) { out[i] = null; continue; }
    acc = acc * weight + (1 - weight) * y;
    n++;
    out[i] = acc / (1 - weight ** n);
  }
  return out;
}

// A value as a legend shows it: percentages to two decimals, learning rates and losses to four
// significant digits (exponents for very small or large ones), NaN and ±∞ named.
export function formatValue(v, unit) {
  if (v == null) return '–';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (unit === '%') return `${v.toFixed(2)} %`;
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2);
  return String(+v.toPrecision(4));
}

// Where a line's points go on the x axis:
//  'steps'  a per-step series of a run whose epoch length is known: step / steps per epoch;
//  'epochs' a per-epoch series (imported logs counting epochs from 0 are moved to count from 1),
//           or a per-step-named series of an imported log that holds one point per epoch;
//  'step'   a per-step series whose epoch length is unknown: on a step axis of its own.
export function placementOf(line) {
  const { run, perStep, store } = line;
  if (!perStep) return 'epochs';
  if (run.stepsPerEpoch > 0) return 'steps';
  if (!run.detail?.run?.isImported) return 'steps'; // a trained run learns it with its first points
  return store.last <= epochsHeld(run) ? 'epochs' : 'step';
}

// The epochs an imported log holds: as its name says, or as far as its per-epoch series reach (noteEpochs).
const epochsHeld = run => Math.max(run.detail.run.epochs || 0, run.lastEpochStep ?? 0);

// Global steps one point of a line stands for: a per-epoch point of a run whose epoch length is
// known sits at its epoch's last step; anything else keeps the step its log gave it.
const stepsPerPoint = line => (!line.perStep && line.run.stepsPerEpoch > 0 ? line.run.stepsPerEpoch : 1);

// Seconds since the run started at a global step, interpolated in the run's wall-time series
// (linearly between samples, and along the nearest two beyond them); null without two samples.
export function elapsedAt(run, step) {
  const t = run.stores.get(run.elapsedSeries);
  if (!t || t.length < 2) return null;
  const i = Math.min(Math.max(1, t.indexOf(step)), t.length - 1);
  const [s0, s1, v0, v1] = [t.steps[i - 1], t.steps[i], t.values[i - 1], t.values[i]];
  return s1 === s0 ? v1 : v0 + (v1 - v0) * (step - s0) / (s1 - s0);
}

// True when a line's points can be put on the wall-time axis: its run has wall times, and they
// are counted in the line's steps (an imported log without an epoch length times its steps, which
// are not its epochs).
export function timed(line) {
  const { run } = line;
  if (elapsedAt(run, 0) == null) return false;
  if (line.perStep || run.stepsPerEpoch > 0 || !run.detail?.run?.isImported) return true;
  return run.stores.get(run.elapsedSeries).last <= epochsHeld(run);
}

// X values of a line in one of the four x modes: 'epoch', 'percent' (of the run's training),
// 'step' (global step) or 'time' (seconds since the run started; the chart scales them to minutes
// or hours).
export function xsIn(line, mode) {
  const span = stepsPerPoint(line);
  if (mode === 'step') return line.store.steps.map(s => s * span);
  if (mode === 'time') return line.store.steps.map(s => elapsedAt(line.run, s * span));
  if (mode === 'percent') { const total = trainingLength(line); return xsOf(line).map(x => (100 * x) / total); }
  return xsOf(line);
}

// What 100 % of training is for a line, in its own x units: the run's planned epochs (those an
// imported log holds), or, for a line on a step axis of its own, its last step. Runs of 6 and 400
// epochs then share one axis, start to end.
function trainingLength(line) {
  if (placementOf(line) === 'step') return line.store.steps[line.store.length - 1] || 1;
  const { run } = line;
  return (run.detail?.run?.isImported ? epochsHeld(run) : run.detail?.run?.epochs) || epochsHeld(run) || 1;
}

// X value of every point of a line on the epoch axis.
export function xsOf(line) {
  const { store, run } = line;
  switch (placementOf(line)) {
    case 'steps': return store.steps.map(s => s / run.stepsPerEpoch);
    case 'step': return store.steps;
    default: return store.steps.length && store.steps[0] === 0 ? store.steps.map(s => s + 1) : store.steps;
  }
}

// The step range of one line that an x range covers (in the chart's x mode; a time range is read
// whole, as its steps are not known without the points).
export function stepRange(line, minX, maxX, mode = 'epoch') {
  if (mode === 'time') return [-Infinity, Infinity];
  if (mode === 'percent') {
    const total = trainingLength(line);
    return stepRange(line, (minX * total) / 100, (maxX * total) / 100, placementOf(line) === 'step' ? 'step' : 'epoch');
  }
  if (mode === 'step') {
    const span = stepsPerPoint(line);
    return [Math.floor(minX / span) - 1, Math.ceil(maxX / span) + 1];
  }
  const spe = placementOf(line) === 'steps' && line.run.stepsPerEpoch > 0 ? line.run.stepsPerEpoch : 1;
  return [Math.floor(minX * spe) - 1, Math.ceil(maxX * spe) + 1];
}

// The lines' tables ([xs, ...ys], each xs ascending) on one x axis, as uPlot.join makes it
// (undefined where a line has no point at an x) but by merging sorted arrays: linear in the points,
// and lines that share their x values (a run's series, step by step) share them without a merge.
export function joinSorted(tables) {
  if (tables.length === 1) return tables[0];
  const first = tables[0][0];
  const same = xs => xs === first || (xs.length === first.length && xs[0] === first[0] && xs[xs.length - 1] === first[first.length - 1] && xs.every((x, i) => x === first[i]));
  if (tables.every(t => same(t[0]))) return [first, ...tables.flatMap(t => t.slice(1))];
  const k = tables.length;
  const at = new Array(k).fill(0);
  const xs = [];
  const columns = tables.map(t => t.slice(1).map(() => []));
  for (;;) {
    let min = Infinity;
    for (let j = 0; j < k; j++) {
      const a = tables[j][0];
      if (at[j] < a.length && a[at[j]] < min) min = a[at[j]];
    }
    if (min === Infinity) break;
    xs.push(min);
    for (let j = 0; j < k; j++) {
      const a = tables[j][0];
      const hit = at[j] < a.length && a[at[j]] === min;
      const cols = columns[j];
      for (let c = 0; c < cols.length; c++) cols[c].push(hit ? tables[j][c + 1][at[j]] : undefined);
      if (hit) at[j]++;
    }
  }
  return [xs, ...columns.flat()];
}

const DASH_STYLE = dash => (!dash ? 'solid' : dash[0] > 3 ? 'dashed' : 'dotted');
const faint = hex => `${hex}4d`; // 30 % opacity

const X_LABELS = { epoch: 'epoch', percent: '% of training', step: 'step' };

// Tick spacings of the x axis by mode: epochs tick at whole epochs (or quarters within one epoch),
// never at 1.1 or 2.5; % of training at round shares.
const X_TICKS = {
  epoch: { incrs: [0.25, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000] },
  percent: { incrs: [1, 2, 5, 10, 20, 25, 50] },
};

// Seconds to the unit that suits the longest time drawn.
function timeUnit(maxSeconds) {
  if (maxSeconds > 10 * 3600) return { label: 'wall time (h)', divisor: 3600 };
  if (maxSeconds > 300) return { label: 'wall time (min)', divisor: 60 };
  return { label: 'wall time (s)', divisor: 1 };
}

export class LineChart {
  // lines: [{ label, name, unit, store, run, perStep, color (#rrggbb), dash, band? { lo, hi, kind } }];
  // onZoom(minX, maxX, lines, xMode) after a drag. options.x: 'step' for lines with no epoch axis
  // (their chart offers step and wall time only).
  constructor(el, title, yLabel, lines, onZoom, options = {}) {
    this.el = el; this.title = title; this.yLabel = yLabel; this.lines = lines; this.onZoom = onZoom;
    this.modes = options.x === 'step' ? ['step', 'percent', 'time'] : ['epoch', 'percent', 'step', 'time'];
    this.mode = options.mode && this.modes.includes(options.mode) ? options.mode : this.modes[0];
    this.logY = false; this.hidden = new Set();
    this.smoothing = 0; this.smoothShort = false; this.zoom = null; this.chart = null; this.shown = [];
    this.tools = addTools(this);
    this.note = document.createElement('div');
    this.note.className = 'studio-muted studio-chart-note';
    el.append(this.tools, this.note);
    this.observer = new ResizeObserver(() => this.chart?.setSize({ width: this.width(), height: 240 }));
    this.observer.observe(el);
    this.unwatchTheme = onThemeChange(() => this.chart?.redraw());
  }

  get xLabel() { return this.mode === 'time' ? (this.time?.label ?? 'wall time') : X_LABELS[this.mode]; }
  width() { return Math.max(280, this.el.clientWidth || 600); }

  // True when this line is drawn smoothed at the current setting.
  smoothed(line) {
    return this.smoothing > 0 && (line.perStep || this.smoothShort || line.store.length >= SHORT_SERIES);
  }

  // Lines that can be drawn now: holding points, not hidden, and placeable on the x axis.
  drawable() {
    return this.lines.filter(l => l.store.length > 0 && !this.hidden.has(l.name)
      && !((this.mode === 'epoch' || this.mode === 'percent') && placementOf(l) === 'steps' && !(l.run.stepsPerEpoch > 0))
      && !(this.mode === 'time' && !timed(l)));
  }

  // The chart for the lines shown: series 1..n are the raw lines (faint, hidden unless their line
  // is smoothed, not in the legend), n+1..2n the lines as drawn.
  build(shown) {
    this.chart?.destroy();
    // A new chart starts unzoomed (its x range, maybe in another unit, is drawn whole).
    this.zoom = null;
    this.el.querySelector('.studio-chart-empty')?.remove();
    this.shown = shown;
    const n = shown.length;
    const unit = l => l.unit || this.yLabel;
    const raw = shown.map(l => ({
      label: `${l.label} (raw)`, class: 'studio-raw', stroke: faint(l.color), width: 1, spanGaps: true, dash: l.dash, show: false,
    }));
    const drawn = shown.map((l, i) => ({
      label: l.label, stroke: l.color, width: 1.5, spanGaps: true, dash: l.dash,
      value: (u, v, si, idx) => this.legendValue(i, idx, unit(l)),
    }));
    // A seed group's band: two unlisted series (low, high) and the fill between them.
    const edges = [], bands = [];
    shown.forEach(l => {
      if (!l.band) return;
      const low = 1 + 2 * n + edges.length;
      edges.push({ label: `${l.label} (low)`, class: 'studio-raw', stroke: 'transparent', width: 0, points: { show: false } },
        { label: `${l.label} (high)`, class: 'studio-raw', stroke: 'transparent', width: 0, points: { show: false } });
      bands.push({ series: [low + 1, low], fill: faint(l.color) });
    });
    const xValue = (u, v) => v == null ? '–' : this.mode === 'step' ? String(Math.round(v)) : this.mode === 'percent' ? `${(+v).toFixed(1)} %` : (+v).toFixed(2);
    this.chart = new uPlot({
      title: this.title, width: this.width(), height: 240,
      scales: { x: { time: false }, y: this.logY ? { distr: 3 } : {} },
      axes: [axis({ label: this.xLabel, ...X_TICKS[this.mode] }), axis({ label: this.logY ? `${this.yLabel} (log)` : this.yLabel, size: 60 })],
      series: [{ label: this.xLabel, value: xValue }, ...raw, ...drawn, ...edges],
      bands,
      legend: { live: true, markers: { width: 3, dash: (u, i) => DASH_STYLE(u.series[i].dash) } },
      cursor: { sync: { key: 'proco' }, drag: { x: true, y: false } },
      hooks: { setScale: [(u, key) => { if (key === 'x') this.scaled(); }] },
    }, [[], ...shown.flatMap(() => [[], []]), ...edges.map(() => [])], this.el);
    this.rawShown = new Array(n).fill(false);
  }

  // The measured value under the cursor, and the smoothed one when the line is smoothed.
  legendValue(i, idx, unit) {
    if (idx == null || !this.raw?.[i]) return '–';
    let value = formatValue(this.raw[i][idx], unit);
    if (this.rawShown[i]) value += ` · smoothed ${formatValue(this.smooth[i][idx], unit)}`;
    const band = this.bandData?.[i];
    if (band && band[0][idx] != null) value += ` · ${this.shown[i].band.kind === 'std' ? '±1 sd' : 'range'} ${formatValue(band[0][idx], unit)} to ${formatValue(band[1][idx], unit)}`;
    return value;
  }

  // Axis, scale or series choice changed: the chart is built again.
  rebuild() { this.shown = []; this.zoom = null; this.redraw(); }

  redraw() {
    const shown = this.drawable();
    const missing = this.mode === 'time'
      ? [...new Set(this.lines.filter(l => l.store.length && !this.hidden.has(l.name) && !shown.includes(l)).map(l => l.run.name))] : [];
    this.note.textContent = missing.length ? `No wall times recorded for ${missing.join(', ')}: not drawn against time.` : '';
    if (!shown.length) {
      this.chart?.destroy(); this.chart = null; this.shown = [];
      if (!this.el.querySelector('.studio-chart-empty')) {
        const empty = document.createElement('div');
        empty.className = 'studio-chart-empty studio-muted';
        empty.textContent = this.lines.some(l => l.store.length) ? `${this.title}: no line to draw with these choices.` : `${this.title}: no points yet.`;
        this.el.appendChild(empty);
      }
      return;
    }
    let xs = shown.map(l => xsIn(l, this.mode));
    if (this.mode === 'time') {
      const unit = timeUnit(Math.max(...xs.map(x => x[x.length - 1] ?? 0)));
      if (unit.label !== this.time?.label) { this.time = unit; this.shown = []; }
      xs = xs.map(x => x.map(v => v / unit.divisor));
    }
    if (shown.length !== this.shown.length || shown.some((l, i) => l !== this.shown[i])) this.build(shown);
    // One table per line: x, its values, and a seed group's band edges.
    const tables = shown.map((l, i) => (l.band ? [xs[i], l.store.values, l.band.lo, l.band.hi] : [xs[i], l.store.values]));
    const data = joinSorted(tables);
    const columns = [];
    let column = 1;
    for (const l of shown) { columns.push(column); column += l.band ? 3 : 1; }
    // NaN and ±∞ are drawn as gaps (the legend still names them), and so are values ≤ 0 on a log scale.
    this.raw = columns.map(c => data[c]);
    const drawable = y => y != null && Number.isFinite(y) && !(this.logY && y <= 0);
    // A column with nothing to hide is drawn as it is (no copy of 100,000 values per frame).
    const finite = this.raw.map(ys => (ys.every(y => y === undefined || drawable(y)) ? ys : ys.map(y => (drawable(y) ? y : null))));
    this.bandData = shown.map((l, i) => (l.band ? [data[columns[i] + 1], data[columns[i] + 2]].map(ys => ys.map(y => (drawable(y) ? y : null))) : null));
    const bandColumns = this.bandData.filter(Boolean).flat();
    const smoothing = shown.map(l => this.smoothed(l));
    this.smooth = finite.map((ys, i) => (smoothing[i] ? smooth(ys, this.smoothing) : ys));
    this.drawing = true;
    this.chart.batch(() => {
      smoothing.forEach((on, i) => {
        if (on !== this.rawShown[i]) { this.chart.setSeries(1 + i, { show: on }); this.rawShown[i] = on; }
      });
      // A zoomed chart keeps its range while live points arrive.
      this.chart.setData([data[0], ...finite, ...this.smooth, ...bandColumns], this.zoom == null);
    });
    this.drawing = false;
  }

  // A drag (or a double click back to everything) changed the x range.
  scaled() {
    if (this.drawing || !this.chart) return;
    const { min, max } = this.chart.scales.x;
    const xs = this.chart.data[0];
    const whole = !xs.length || (min <= xs[0] && max >= xs[xs.length - 1]);
    this.zoom = whole ? null : { min, max };
    if (this.zoom) this.onZoom?.(min, max, this.lines, this.mode);
  }

  setSmoothing(weight, smoothShort = this.smoothShort) { this.smoothing = weight; this.smoothShort = smoothShort; this.redraw(); }
  setMode(mode) { if (this.modes.includes(mode)) { this.mode = mode; this.rebuild(); } }
  setLogY(on) { this.logY = on; this.rebuild(); }
  setHidden(name, hidden) { if (hidden) this.hidden.add(name); else this.hidden.delete(name); this.rebuild(); }
  pointCount() { return this.lines.reduce((n, l) => n + l.store.length, 0); }
  // Labels of the lines drawn, as the legend names them.
  labels() { return this.shown.map(l => l.label); }
  destroy() { this.observer.disconnect(); this.unwatchTheme(); this.chart?.destroy(); }
}

// The charts of one chart definition in its container: the lines on the epoch axis, and below them,
// in a chart of their own, per-step lines whose epoch length is unknown, against their step.
// options.mode: the x axis the charts start on (epoch, percent, step, time), where they offer it.
export function chartsFor(el, def, lines, onZoom, options = {}) {
  const byStep = lines.filter(l => placementOf(l) === 'step');
  const byEpoch = lines.filter(l => !byStep.includes(l));
  const charts = [];
  // (A series a run has no point of, listed for the live points it may get, draws no epoch chart of its own.)
  if (byEpoch.some(l => l.store.length) || !byStep.length) {
    // Imported logs may hold per-step-named series once per epoch: the title says what is drawn.
    const perStep = byEpoch.filter(l => l.perStep).map(placementOf);
    const title = !perStep.includes('epochs') ? def.title
      : perStep.every(p => p === 'epochs') ? def.title.replace('(per step)', '(per epoch)') : def.title.replace(/ \(per step\)/, '');
    const chart = new LineChart(el, title, def.unit, byEpoch, onZoom, { mode: options.mode });
    chart.key = def.key;
    charts.push(chart);
  }
  if (byStep.length) {
    let host = el;
    if (charts.length) {
      host = document.createElement('div');
      host.className = 'studio-chart';
      host.dataset.chart = `${def.key}-by-step`;
      el.after(host);
    }
    const title = `${def.title.replace(/ \(per step\)/, '')}, by step (epoch length not recorded)`;
    const chart = new LineChart(host, title, def.unit, byStep, onZoom, { x: 'step', mode: options.mode });
    chart.key = charts.length ? `${def.key}-by-step` : def.key;
    charts.push(chart);
  }
  return charts;
}

// What the charts need to know of a run beside its points: the last epoch its per-epoch series
// reach (an imported log's per-step-named series that stay within it hold one point per epoch),
// and which series times it.
export function noteEpochs(run, table) {
  run.elapsedSeries = table.elapsed;
  run.lastEpochStep = 0;
  for (const [name, store] of run.stores) {
    if (table.byName.get(name)?.cadence === 'Epoch' && store.length) run.lastEpochStep = Math.max(run.lastEpochStep, store.last + 1);
  }
}
