// The compare page's hyperparameter views, drawn with Apache ECharts: parallel coordinates (one axis
// per configuration field that differs among the runs, then their results; one line per run in the
// run's colour of the line charts, brushing an axis keeps the runs inside the brushed ranges) and a
// scatter of one field against one result. A field drawn over a decade or more sits on a log axis.
// Values come from each run's own configuration as stored: a field an imported log does not record
// is "n/a" (a category axis lists it; a numeric axis leaves the run's line out of that axis).
/* global echarts */
import { element } from './chart-tools.js';
import { formatValue } from './line-chart.js';
import { inkColours, isDark, onThemeChange } from './theme.js';

export const RESULTS = [
  ['bestTop1', 'best top-1 %'], ['lastMany', 'many-shot %'], ['lastMedium', 'medium-shot %'], ['lastFew', 'few-shot %'], ['testTop1', 'test top-1 %'],
];

const shown = v => (v == null || v === '' ? 'n/a' : typeof v === 'number' ? String(+v.toPrecision(4)) : String(v));

// The axis over the runs' values: numbers on a linear or (all positive, spanning a decade or more) log
// scale, anything else as categories in order (n/a last when a run lacks the value).
export function scaleOf(values) {
  const present = values.filter(v => v != null && v !== '');
  const numeric = present.length > 0 && present.every(v => typeof v === 'number' && Number.isFinite(v));
  if (numeric) {
    const lo = Math.min(...present), hi = Math.max(...present);
    return { kind: lo > 0 && hi / lo >= 10 ? 'log' : 'linear', min: lo, max: hi, whole: present.every(Number.isInteger) };
  }
  const categories = [...new Set(present.map(String))].sort();
  if (present.length < values.length) categories.push('n/a');
  return { kind: 'category', categories };
}

// The value an axis of this scale draws for v.
const placed = (scale, v) => (scale.kind === 'category' ? shown(v) : v == null || v === '' ? null : v);

// ECharts' settings of an axis of this scale: a parallel axis spans the values with round ends; a
// scatter's axis leaves a little room beyond them (its padded ends unlabelled). Whole numbers (seeds)
// tick at whole numbers.
function axisType(scale, padded = false) {
  if (scale.kind === 'category') return { type: 'category', data: scale.categories };
  const ends = padded ? { showMinLabel: false, showMaxLabel: false } : {};
  if (scale.kind === 'log') {
    return padded ? { type: 'log', logBase: 10, min: scale.min / 1.25, max: scale.max * 1.25, ends } : { type: 'log', logBase: 10, min: 'dataMin', max: 'dataMax', ends };
  }
  const whole = scale.whole ? { minInterval: 1 } : {};
  if (!padded) return { type: 'value', scale: true, ...whole, ends };
  const pad = (scale.max - scale.min) * 0.06 || Math.abs(scale.max) * 0.06 || 1;
  return { type: 'value', min: scale.min - pad, max: scale.max + pad, ...whole, ends };
}

// echarts.min.js, loaded once, when a page first draws these views.
let loading = null;
export function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  loading ??= new Promise((resolve, reject) => {
    const script = element('script', { src: '/lib/echarts.min.js', async: true });
    script.addEventListener('load', () => resolve(window.echarts));
    script.addEventListener('error', () => { loading = null; reject(new Error('echarts.min.js could not be loaded')); });
    document.head.append(script);
  });
  return loading;
}

export class HyperparameterView {
  // runs: [{ id, name (as the page names it: "#12 name"), config (parsed JSON), summary, color }];
  // fields: [{ name, label }] of the configuration fields that differ; onFilter(ids or null) after a brush.
  constructor(el, runs, fields, onFilter = () => {}) {
    this.el = el; this.runs = runs; this.onFilter = onFilter;
    this.fields = fields.filter(f => runs.some(r => r.config[f.name] != null));
    this.results = RESULTS.filter(([key]) => runs.some(r => r.summary[key] != null));
    this.axes = [...this.fields.map(f => ({ key: f.name, label: f.label, value: r => r.config[f.name] ?? null })),
      ...this.results.map(([key, label]) => ({ key, label, value: r => r.summary[key] ?? null }))];
    this.scales = this.axes.map(a => scaleOf(runs.map(a.value)));
    const pickX = element('select', { dataset: { test: 'scatter-x' } }, ...this.fields.map(f => new Option(f.label, f.name)));
    const pickY = element('select', { dataset: { test: 'scatter-y' } }, ...this.results.map(([key, label]) => new Option(label, key)));
    // Alpha against few-shot accuracy when both are there: the ProCo question.
    if (this.fields.some(f => f.name === 'alpha')) pickX.value = 'alpha';
    if (this.results.some(([k]) => k === 'lastFew')) pickY.value = 'lastFew';
    this.pickX = pickX; this.pickY = pickY;
    pickX.addEventListener('change', () => this.drawScatter());
    pickY.addEventListener('change', () => this.drawScatter());
    this.note = element('div', { className: 'studio-muted studio-chart-note', dataset: { test: 'hparams-note' } });
    this.parallelEl = element('div', { className: 'studio-hparams-plot', dataset: { test: 'parallel' } });
    this.scatterEl = element('div', { className: 'studio-hparams-plot studio-hparams-scatter', dataset: { test: 'scatter' } });
    const controls = element('div', { className: 'studio-chart-tools' }, element('label', {}, 'x ', pickX), element('label', {}, 'y ', pickY));
    el.append(element('div', { className: 'studio-hparams-row' },
      element('div', { className: 'studio-hparams-cell studio-hparams-wide' }, element('div', { className: 'studio-hparams-scroll' }, this.parallelEl), this.note),
      element('div', { className: 'studio-hparams-cell' }, controls, this.scatterEl)));
    this.selected = null;
    this.points = [];
    this.observer = new ResizeObserver(() => { this.parallel?.resize(); this.scatter?.resize(); });
    this.observer.observe(el);
    this.unwatchTheme = onThemeChange(() => this.draw());
  }

  async draw() {
    await loadECharts();
    if (this.destroyed) return;
    this.drawParallel();
    this.drawScatter();
  }

  // Text, tooltip and legend settings in the page's theme.
  common() {
    const ink = inkColours();
    return {
      ink,
      base: {
        backgroundColor: 'transparent', animation: false,
        textStyle: { color: ink.text, fontSize: 13, fontFamily: 'system-ui, sans-serif' },
        tooltip: {
          trigger: 'item', confine: true, backgroundColor: isDark() ? '#2b2d36' : '#ffffff', borderColor: ink.ticks,
          textStyle: { color: ink.text, fontSize: 13 },
        },
        legend: {
          type: 'scroll', bottom: 0, textStyle: { color: ink.text, fontSize: 12 }, pageTextStyle: { color: ink.text },
          pageIconColor: ink.text, inactiveColor: ink.ticks, data: this.runs.map(r => r.name),
        },
      },
    };
  }

  drawParallel() {
    const { ink, base } = this.common();
    this.parallel ??= echarts.init(this.parallelEl, null, { renderer: 'svg' });
    const tooltip = run => [`<b>${escape(run.name)}</b>`, ...this.axes.map(a => `${escape(a.label)}: ${escape(shown(a.value(run)))}`)].join('<br>');
    this.parallel.setOption({
      ...base,
      tooltip: { ...base.tooltip, formatter: p => tooltip(this.runs[p.seriesIndex]) },
      parallel: { left: 90, right: 100, top: 56, bottom: 62 },
      parallelAxis: this.axes.map((a, i) => ({
        dim: i, name: a.label, nameLocation: 'end', nameGap: 14,
        nameTextStyle: { color: ink.text, fontSize: 13, fontWeight: 600, width: 110, overflow: 'break' },
        axisLine: { lineStyle: { color: ink.ticks } }, axisTick: { lineStyle: { color: ink.ticks } },
        ...withLabel(axisType(this.scales[i]), { color: ink.text, fontSize: 12, formatter: v => shown(v) }),
      })),
      series: this.runs.map(run => ({
        type: 'parallel', name: run.name, smooth: false,
        lineStyle: { color: run.color, width: 2.5, opacity: 0.95 },
        inactiveOpacity: 0.08, activeOpacity: 1,
        emphasis: { lineStyle: { width: 4 } },
        data: [this.axes.map((a, i) => placed(this.scales[i], a.value(run)))],
      })),
    }, true);
    // Drawn anew (a theme change), no range is brushed: the table shows every run again.
    if (this.selected) { this.selected = null; this.note.textContent = ''; this.onFilter(null); }
    // Brushing (drag along an axis) keeps the runs inside every brushed range; clicking an axis off its range clears it.
    this.parallel.off('axisareaselected');
    this.parallel.on('axisareaselected', () => {
      const series = this.parallel.getModel().getSeries();
      const active = this.runs.filter((run, k) => series[k]?.getRawIndicesByActiveState('active').length > 0).map(r => r.id);
      this.selected = active.length === this.runs.length ? null : active;
      this.note.textContent = this.selected
        ? `${this.selected.length} of ${this.runs.length} runs inside the brushed ranges; the others are dimmed in the table. Drag outside a range to clear it.`
        : '';
      this.onFilter(this.selected);
    });
  }

  drawScatter() {
    if (!window.echarts) return;
    const { ink, base } = this.common();
    const field = this.pickX.value, result = this.pickY.value;
    const fieldLabel = this.fields.find(f => f.name === field)?.label ?? field;
    const resultLabel = (this.results.find(([k]) => k === result) || [result, result])[1];
    const runs = this.runs.filter(r => r.config[field] != null && r.summary[result] != null);
    this.points = runs.map(r => ({ run: r.id, x: r.config[field], y: r.summary[result] }));
    const xs = scaleOf(this.runs.map(r => r.config[field] ?? null));
    this.scatter ??= echarts.init(this.scatterEl, null, { renderer: 'svg' });
    const axisStyle = { axisLine: { lineStyle: { color: ink.ticks } }, splitLine: { lineStyle: { color: ink.grid } }, axisLabel: { color: ink.text, fontSize: 12 } };
    this.scatter.setOption({
      ...base,
      tooltip: {
        ...base.tooltip,
        formatter: p => `<b>${escape(p.seriesName)}</b><br>${escape(fieldLabel)}: ${escape(shown(p.value[0]))}<br>${escape(resultLabel)}: ${escape(formatValue(p.value[1], '%'))}`,
      },
      // The parallel view's legend names the runs in these same colours; here a hover names one.
      legend: { show: false },
      grid: { left: 64, right: 24, top: 20, bottom: 56 },
      xAxis: {
        name: `${fieldLabel}${xs.kind === 'log' ? ' (log)' : ''}`, nameLocation: 'middle', nameGap: 30,
        nameTextStyle: { color: ink.text, fontSize: 13, fontWeight: 600 }, ...axisStyle,
        ...withLabel(axisType(xs, true), { ...axisStyle.axisLabel, formatter: v => shown(v) }),
      },
      yAxis: { type: 'value', scale: true, name: resultLabel, nameLocation: 'middle', nameGap: 44, nameTextStyle: { color: ink.text, fontSize: 13, fontWeight: 600 }, ...axisStyle },
      series: this.runs.map(run => ({
        type: 'scatter', name: run.name, symbolSize: 13, itemStyle: { color: run.color, borderColor: ink.text, borderWidth: 0.5 },
        data: runs.includes(run) ? [[placed(xs, run.config[field]), run.summary[result]]] : [],
      })),
      graphic: runs.length ? [] : [{ type: 'text', left: 'center', top: 'middle', style: { text: 'No run has both values.', fill: ink.text, fontSize: 13 } }],
    }, true);
  }

  // How many runs the parallel view draws (tests).
  lineCount() { return this.parallel ? this.parallel.getOption().series.length : 0; }

  destroy() {
    this.destroyed = true;
    this.observer.disconnect();
    this.unwatchTheme();
    this.parallel?.dispose();
    this.scatter?.dispose();
  }
}

// An axis's settings with its labels' style (and whether its padded ends are labelled).
function withLabel({ ends, ...axis }, label) {
  return { ...axis, axisLabel: { ...label, ...ends } };
}

const escape = text => String(text).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
