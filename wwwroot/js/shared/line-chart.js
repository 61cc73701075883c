// A uPlot chart over several (run, series) lines sharing the epoch axis; shared by the run and
// compare pages. Dragging zooms and asks the page for finer points of the zoomed range;
// a double click zooms out.
/* global uPlot */

export const COLORS = ['#3949ab', '#e53935', '#00897b', '#fb8c00', '#8e24aa', '#6d4c41', '#1e88e5', '#43a047', '#d81b60', '#546e7a'];

function smooth(ys, weight) {
  if (!weight) return ys;
  const out = new Array(ys.length);
  let last = null;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y == null) { out[i] = null; continue; }
    last = last == null ? y : last * weight + (1 - weight) * y;
    out[i] = last;
  }
  return out;
}

// Epoch on the x axis for every series: steps of per-step series divided by steps per epoch;
// per-epoch series of imported logs that count epochs from 0 are shifted to count from 1.
export function epochsOf(line) {
  const { store, run, perStep } = line;
  if (perStep && run.stepsPerEpoch > 0) return store.steps.map(s => s / run.stepsPerEpoch);
  return store.steps.length && store.steps[0] === 0 ? store.steps.map(s => s + 1) : store.steps;
}

// The step range of one line that an epoch range covers.
export function stepRange(line, minEpoch, maxEpoch) {
  const spe = line.perStep && line.run.stepsPerEpoch > 0 ? line.run.stepsPerEpoch : 1;
  return [Math.floor(minEpoch * spe) - 1, Math.ceil(maxEpoch * spe) + 1];
}

export class LineChart {
  // lines: [{ label, name, store, run, perStep, color, dash }]; onZoom(minEpoch, maxEpoch) after a drag.
  constructor(el, title, yLabel, lines, onZoom) {
    this.el = el; this.lines = lines; this.smoothing = 0; this.raw = []; this.zoom = null; this.onZoom = onZoom;
    const defs = lines.map((l, i) => ({
      label: l.label, stroke: l.color || COLORS[i % COLORS.length], width: 1.5, spanGaps: true, dash: l.dash,
      value: (u, v, si, idx) => this.rawValue(si, idx),
    }));
    const width = Math.max(280, el.clientWidth || 600);
    this.chart = new uPlot({
      title, width, height: 240,
      scales: { x: { time: false } },
      axes: [{ label: 'epoch' }, { label: yLabel, size: 60 }],
      series: [{ label: 'epoch', value: (u, v) => v == null ? '–' : (+v).toFixed(2) }, ...defs],
      legend: { live: true },
      cursor: { sync: { key: 'proco' }, drag: { x: true, y: false } },
      hooks: { setScale: [(u, key) => { if (key === 'x') this.scaled(); }] },
    }, [[]], el);
    this.observer = new ResizeObserver(() => this.chart.setSize({ width: Math.max(280, el.clientWidth), height: 240 }));
    this.observer.observe(el);
  }

  // With smoothing on, the legend still shows the stored value under the cursor; NaN and ±∞ as such.
  rawValue(seriesIndex, idx) {
    if (idx == null || !this.raw[seriesIndex]) return '–';
    const v = this.raw[seriesIndex][idx];
    if (v == null) return '–';
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
    return Math.abs(v) >= 100 || Math.abs(v) < 0.01 ? v.toPrecision(5) : v.toFixed(4);
  }

  redraw() {
    const tables = this.lines.map(l => [epochsOf(l), l.store.values]);
    const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
    this.raw = [null, ...data.slice(1)];
    this.drawing = true;
    // NaN and ±∞ are drawn as gaps (the legend still names them); a zoomed chart keeps its range
    // while live points arrive.
    const drawn = data.slice(1).map(ys => smooth(ys.map(y => (y == null || Number.isFinite(y) ? y : null)), this.smoothing));
    this.chart.setData([data[0], ...drawn], this.zoom == null);
    this.drawing = false;
  }

  // A drag (or a double click back to everything) changed the x range.
  scaled() {
    if (this.drawing) return;
    const { min, max } = this.chart.scales.x;
    const xs = this.chart.data[0];
    const whole = !xs.length || (min <= xs[0] && max >= xs[xs.length - 1]);
    this.zoom = whole ? null : { min, max };
    if (this.zoom) this.onZoom?.(min, max);
  }

  setSmoothing(weight) { this.smoothing = weight; this.redraw(); }
  pointCount() { return this.lines.reduce((n, l) => n + l.store.length, 0); }
  destroy() { this.observer.disconnect(); this.chart.destroy(); }
}
