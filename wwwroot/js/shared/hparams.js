// The compare page's hyperparameter view: parallel coordinates (one axis per configuration field
// that differs among the runs, then their results; one line per run, coloured by its best top-1)
// and a scatter of one field against one result. Values come from each run's own configuration as
// stored: a field an imported log does not record sits at "n/a" below its axis.
import { element } from './chart-tools.js';
import { colour } from './heatmap.js';
import { formatValue } from './line-chart.js';
import { inkColours, onThemeChange } from './theme.js';

const SVG = 'http://www.w3.org/2000/svg';
export const RESULTS = [
  ['bestTop1', 'best top-1 %'], ['lastMany', 'many-shot %'], ['lastMedium', 'medium-shot %'], ['lastFew', 'few-shot %'], ['testTop1', 'test top-1 %'],
];

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

const shown = v => (typeof v === 'number' ? String(+v.toPrecision(4)) : String(v));

// An axis over the runs' values: numbers on a linear or (spanning 20x or more, all positive) log
// scale, anything else as evenly spaced categories; position(v) is 0 (bottom) to 1 (top), null for n/a.
export function scaleOf(values) {
  const present = values.filter(v => v != null && v !== '');
  const numeric = present.length > 0 && present.every(v => typeof v === 'number' && Number.isFinite(v));
  if (numeric) {
    const lo = Math.min(...present), hi = Math.max(...present);
    const log = lo > 0 && hi / lo >= 20;
    const f = v => (log ? Math.log10(v) : v);
    const span = f(hi) - f(lo);
    return { kind: log ? 'log' : 'linear', ticks: [lo, hi], position: v => (v == null || v === '' ? null : span ? (f(v) - f(lo)) / span : 0.5) };
  }
  const categories = [...new Set(present.map(String))].sort();
  return {
    kind: 'category', ticks: categories,
    position: v => (v == null || v === '' ? null : categories.length > 1 ? categories.indexOf(String(v)) / (categories.length - 1) : 0.5),
  };
}

export class HyperparameterView {
  // runs: [{ id, name, config (parsed JSON), summary }]; fields: configuration fields that differ.
  constructor(el, runs, fields) {
    this.el = el; this.runs = runs;
    this.fields = fields.filter(f => runs.some(r => r.config[f] != null));
    this.results = RESULTS.filter(([key]) => runs.some(r => r.summary[key] != null));
    this.axes = [...this.fields.map(f => ({ key: f, label: f, value: r => r.config[f] ?? null })),
      ...this.results.map(([key, label]) => ({ key, label, value: r => r.summary[key] ?? null }))];
    this.parallel = svg('svg', { class: 'studio-hparams', 'data-test': 'parallel' });
    const pickX = element('select', { dataset: { test: 'scatter-x' } }, ...this.fields.map(f => new Option(f, f)));
    const pickY = element('select', { dataset: { test: 'scatter-y' } }, ...this.results.map(([key, label]) => new Option(label, key)));
    // Alpha against few-shot accuracy when both are there: the ProCo question.
    if (this.fields.includes('alpha')) pickX.value = 'alpha';
    if (this.results.some(([k]) => k === 'lastFew')) pickY.value = 'lastFew';
    this.pickX = pickX; this.pickY = pickY;
    pickX.addEventListener('change', () => this.draw());
    pickY.addEventListener('change', () => this.draw());
    const controls = element('div', { className: 'studio-chart-tools' }, element('label', {}, 'x ', pickX), element('label', {}, 'y ', pickY));
    this.scatter = svg('svg', { class: 'studio-hparams', 'data-test': 'scatter' });
    el.append(element('div', { className: 'studio-hparams-row' },
      element('div', { className: 'studio-hparams-cell' }, this.parallel),
      element('div', { className: 'studio-hparams-cell' }, controls, this.scatter)));
    this.observer = new ResizeObserver(() => this.draw());
    this.observer.observe(el);
    this.unwatchTheme = onThemeChange(() => this.draw());
  }

  // Each run's colour: its best top-1 on the heatmap's ramp (grey without one).
  colourOf(run) {
    const scores = this.runs.map(r => r.summary.bestTop1).filter(v => v != null);
    const v = run.summary.bestTop1;
    if (v == null) return 'rgb(158,158,158)';
    const lo = Math.min(...scores), hi = Math.max(...scores);
    return `rgb(${colour(hi > lo ? (v - lo) / (hi - lo) : 0.5).join(',')})`;
  }

  draw() {
    const ink = inkColours();
    this.drawParallel(ink);
    this.drawScatter(ink);
  }

  drawParallel(ink) {
    const p = this.parallel;
    p.replaceChildren();
    const width = Math.max(320, p.parentElement.clientWidth || 600), height = 280;
    p.setAttribute('width', width); p.setAttribute('height', height);
    const top = 36, bottom = height - 40, left = 50, right = width - 50;
    const n = this.axes.length;
    const xOf = i => (n === 1 ? (left + right) / 2 : left + (i * (right - left)) / (n - 1));
    const yOf = pos => (pos == null ? bottom + 22 : bottom - pos * (bottom - top));
    const scales = this.axes.map(a => scaleOf(this.runs.map(a.value)));
    this.axes.forEach((a, i) => {
      const x = xOf(i);
      p.append(svg('line', { x1: x, x2: x, y1: top, y2: bottom, stroke: ink.ticks }));
      p.append(svg('text', { x, y: top - 20, 'text-anchor': 'middle', fill: ink.text, class: 'studio-hparams-axis' }, a.label));
      const s = scales[i];
      for (const t of s.ticks) {
        p.append(svg('text', { x: x + 4, y: yOf(s.position(t)) + 4, fill: ink.text, class: 'studio-hparams-tick' }, shown(t)));
      }
      if (this.runs.some(r => a.value(r) == null)) p.append(svg('text', { x: x + 4, y: bottom + 26, fill: ink.text, class: 'studio-hparams-tick' }, 'n/a'));
    });
    for (const run of this.runs) {
      const points = this.axes.map((a, i) => `${xOf(i)},${yOf(scales[i].position(a.value(run)))}`).join(' ');
      const line = svg('polyline', { points, fill: 'none', stroke: this.colourOf(run), 'stroke-width': 2, 'data-run': run.id, class: 'studio-hparams-line' });
      line.append(svg('title', {}, `${run.name}\n${this.axes.map(a => `${a.label}: ${a.value(run) == null ? 'n/a' : shown(a.value(run))}`).join('\n')}`));
      p.append(line);
    }
  }

  drawScatter(ink) {
    const s = this.scatter;
    s.replaceChildren();
    const field = this.pickX.value, result = this.pickY.value;
    const width = Math.max(280, s.parentElement.clientWidth || 400), height = 250;
    s.setAttribute('width', width); s.setAttribute('height', height);
    const left = 56, right = width - 20, top = 12, bottom = height - 42;
    const runs = this.runs.filter(r => r.config[field] != null && r.summary[result] != null);
    this.points = [];
    const xs = scaleOf(this.runs.map(r => r.config[field] ?? null));
    const ys = scaleOf(runs.map(r => r.summary[result]));
    s.append(svg('line', { x1: left, x2: right, y1: bottom, y2: bottom, stroke: ink.ticks }), svg('line', { x1: left, x2: left, y1: top, y2: bottom, stroke: ink.ticks }));
    const label = (this.results.find(([k]) => k === result) || [result, result])[1];
    s.append(svg('text', { x: (left + right) / 2, y: height - 6, 'text-anchor': 'middle', fill: ink.text, class: 'studio-hparams-axis' }, `${field}${xs.kind === 'log' ? ' (log)' : ''}`));
    s.append(svg('text', { x: 14, y: (top + bottom) / 2, 'text-anchor': 'middle', fill: ink.text, class: 'studio-hparams-axis', transform: `rotate(-90 14 ${(top + bottom) / 2})` }, label));
    const px = v => left + 10 + xs.position(v) * (right - left - 20), py = v => bottom - 8 - ys.position(v) * (bottom - top - 16);
    for (const t of xs.ticks) s.append(svg('text', { x: px(t), y: bottom + 16, 'text-anchor': 'middle', fill: ink.text, class: 'studio-hparams-tick' }, shown(t)));
    for (const t of ys.ticks) s.append(svg('text', { x: left - 6, y: py(t) + 4, 'text-anchor': 'end', fill: ink.text, class: 'studio-hparams-tick' }, shown(t)));
    for (const run of runs) {
      const dot = svg('circle', { cx: px(run.config[field]), cy: py(run.summary[result]), r: 6, fill: this.colourOf(run), stroke: ink.text, 'stroke-width': 0.5, 'data-run': run.id });
      dot.append(svg('title', {}, `${run.name}: ${field} ${shown(run.config[field])}, ${label} ${formatValue(run.summary[result], '%')}`));
      s.append(dot);
      this.points.push({ run: run.id, x: run.config[field], y: run.summary[result] });
    }
    if (!runs.length) s.append(svg('text', { x: (left + right) / 2, y: (top + bottom) / 2, 'text-anchor': 'middle', fill: ink.text }, 'No run has both values.'));
  }

  destroy() { this.observer.disconnect(); this.unwatchTheme(); }
}
