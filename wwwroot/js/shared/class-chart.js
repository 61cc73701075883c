// Per-class test accuracy and κ against the class's training images at one epoch.
/* global uPlot */
import { axis, onThemeChange } from './theme.js';

// Spearman's rank correlation (ties share their mean rank); null when either side is constant.
export function spearman(xs, ys) {
  const ranks = v => {
    const order = v.map((x, i) => [x, i]).sort((a, b) => a[0] - b[0]);
    const r = new Array(v.length);
    for (let i = 0; i < order.length;) {
      let j = i;
      while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
      for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  const a = ranks(xs), b = ranks(ys), n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n, mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null;
}

// Per-class test accuracy and κ against the class's training images at one epoch, with the rank
// correlation of each with class size: whether head classes are more accurate or more concentrated.
export class ClassAccuracy {
  constructor(el, info) {
    this.el = el; this.info = info; this.epoch = null;
    this.controls = document.createElement('div');
    this.controls.className = 'studio-epoch-pick';
    this.slider = document.createElement('input');
    this.slider.type = 'range'; this.slider.min = 1; this.slider.step = 1;
    this.slider.setAttribute('aria-label', 'Epoch of the per-class accuracy and concentration');
    this.label = document.createElement('span');
    this.controls.append(this.label, this.slider);
    this.ranks = document.createElement('div');
    this.ranks.className = 'studio-muted studio-ranks';
    this.ranks.dataset.test = 'class-ranks';
    this.plotEl = document.createElement('div');
    el.append(this.controls, this.ranks, this.plotEl);
    this.slider.addEventListener('input', () => { this.epoch = +this.slider.value; this.follow = false; this.draw(); });
    this.follow = true;
    const dot = colour => ({ stroke: colour, paths: () => null, points: { show: true, size: 7, fill: colour } });
    const kappaDot = colour => ({ scale: 'kappa', value: (u, v) => v == null ? '–' : v.toFixed(1), ...dot(colour) });
    this.chart = new uPlot({
      title: '', width: Math.max(280, el.clientWidth || 600), height: 240,
      scales: { x: { time: false, distr: 3 }, '%': { range: [0, 100] }, kappa: { distr: 3 } },
      axes: [
        axis({ label: 'training images of the class (log)' }),
        axis({ scale: '%', label: 'test accuracy %', size: 60 }),
        axis({ scale: 'kappa', side: 1, label: 'κ (log)', size: 60, grid: { show: false } }),
      ],
      series: [
        { label: 'images' },
        { label: 'accuracy %', scale: '%', ...dot('#3949ab') },
        { label: 'κ (estimator)', ...kappaDot('#fb8c00') },
        { label: 'κ (test)', ...kappaDot('#00897b') },
      ],
      legend: { show: true },
    }, [[], [], [], []], this.plotEl);
    this.observer = new ResizeObserver(() => this.chart.setSize({ width: Math.max(280, el.clientWidth), height: 240 }));
    this.observer.observe(el);
    this.unwatchTheme = onThemeChange(() => this.chart.redraw());
  }
  draw() {
    const epochs = [...this.info.accuracy.keys()].sort((a, b) => a - b);
    if (!epochs.length || !this.info.counts) {
      this.label.textContent = 'Per-class accuracy and κ arrive at the end of each epoch.';
      this.slider.style.display = 'none';
      return;
    }
    this.slider.style.display = '';
    this.slider.min = epochs[0]; this.slider.max = epochs[epochs.length - 1];
    if (this.follow || this.epoch == null || !this.info.accuracy.has(this.epoch)) this.epoch = epochs[epochs.length - 1];
    this.slider.value = this.epoch;
    this.label.textContent = `epoch ${this.epoch} `;
    const counts = this.info.counts;
    const acc = this.info.accuracy.get(this.epoch);
    const kappa = this.info.kappa.get(this.epoch) ?? null;
    const kappaTest = this.info.kappa_test.get(this.epoch) ?? null;
    // NaN and ±∞ (a diverged class) are left out of the plot.
    const fin = v => (Number.isFinite(v) ? v : null);
    const rows = acc.map((a, i) => [Math.max(1, counts[i]), fin(a), fin(kappa?.[i]), fin(kappaTest?.[i])]).sort((p, q) => p[0] - q[0]);
    this.chart.setData([0, 1, 2, 3].map(k => rows.map(r => r[k])));
    const rho = values => values ? spearman(counts, values) : null;
    const text = (r, values, missing) => values ? (r == null ? '–' : r.toFixed(2)) : `– (${missing})`;
    const [rhoAccuracy, rhoKappa, rhoKappaTest] = [rho(acc), rho(kappa), rho(kappaTest)];
    this.ranks.dataset.rhoAccuracy = rhoAccuracy ?? '';
    this.ranks.dataset.rhoKappa = rhoKappa ?? '';
    this.ranks.dataset.rhoKappaTest = rhoKappaTest ?? '';
    const noEstimator = this.info.kappa.size ? 'none at this epoch' : 'only ProCo runs estimate κ';
    this.ranks.textContent = `Rank correlation with training images (Spearman ρ; 1: the larger the class, the higher): ` +
      `accuracy ${text(rhoAccuracy, acc)} · κ estimator ${text(rhoKappa, kappa, noEstimator)} · κ test ${text(rhoKappaTest, kappaTest, 'none at this epoch')}`;
  }
  destroy() { this.observer.disconnect(); this.unwatchTheme(); this.chart.destroy(); }
}
