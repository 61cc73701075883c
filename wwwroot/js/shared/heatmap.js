// The per-class concentration heatmap: classes by training images (head at top) against epochs,
// coloured on a log scale; switches between the estimator's κ and the test features' κ. Class names
// label the rows, epochs the columns, and a tooltip gives the cell's values.
import { inkColours, onThemeChange } from './theme.js';

const AXIS_H = 34; // epoch ticks and the axis title below the cells
const FONT = '11px Roboto, Helvetica, Arial, sans-serif';

export function colour(t) {
  // viridis-like ramp from dark blue (low) through teal to yellow (high).
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1);
  const i = Math.floor(x), f = x - i;
  return stops[i].map((c, k) => Math.round(c + f * (stops[i + 1][k] - c)));
}

export class Heatmap {
  // kinds: the concentrations it can show, from the series table ({ kind, label }), the estimator's first.
  constructor(el, info, kinds) {
    this.el = el; this.info = info; this.kind = null; this.kinds = kinds.map(k => k.kind);
    this.controls = document.createElement('div');
    this.controls.className = 'studio-heatmap-kinds';
    this.controls.setAttribute('role', 'radiogroup');
    this.buttons = kinds.map(({ kind, label }) => {
      const b = document.createElement('button');
      b.type = 'button'; b.textContent = label; b.dataset.kind = kind;
      b.setAttribute('role', 'radio');
      b.addEventListener('click', () => { this.kind = kind; this.draw(); });
      return b;
    });
    this.controls.append(...this.buttons);
    el.append(this.controls);
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'studio-heatmap';
    this.legend = document.createElement('div');
    this.legend.className = 'studio-heatmap-legend';
    this.tip = document.createElement('div');
    this.tip.className = 'studio-tip';
    el.append(this.canvas, this.legend, this.tip);
    this.canvas.addEventListener('mousemove', e => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => { this.tip.style.display = 'none'; });
    this.observer = new ResizeObserver(() => this.draw());
    this.observer.observe(el);
    this.unwatchTheme = onThemeChange(() => this.draw());
  }
  order() {
    const counts = this.info.counts || [];
    const idx = counts.map((_, i) => i);
    return idx.sort((a, b) => (counts[b] - counts[a]) || (a - b)); // head first
  }
  draw() {
    // The estimator's κ unless the run has none (la and ce runs keep no vMF estimate).
    const [estimator, test] = this.kinds;
    const kind = this.kind ?? (this.info[estimator].size || !this.info[test].size ? estimator : test);
    for (const b of this.buttons) b.setAttribute('aria-checked', String(b.dataset.kind === kind));
    const epochs = this.info[kind]; // Map epoch -> values
    const keys = [...epochs.keys()].sort((a, b) => a - b);
    if (!keys.length) {
      this.legend.textContent = kind === estimator && this.info[test].size
        ? 'This run keeps no vMF estimate (only ProCo runs do); the test features\' κ is under the other button.'
        : 'No concentration estimates yet (they arrive at the end of each epoch).';
      this.canvas.width = 0; this.scale = null;
      return;
    }
    const classes = epochs.get(keys[0]).length;
    const order = this.order().length === classes ? this.order() : [...Array(classes).keys()];
    let lo = Infinity, hi = -Infinity;
    // The colour scale spans the finite values; a NaN or ±∞ cell is drawn grey.
    for (const k of keys) for (const v of epochs.get(k)) {
      if (!Number.isFinite(v)) continue;
      const l = Math.log10(Math.max(v, 1e-6)); lo = Math.min(lo, l); hi = Math.max(hi, l);
    }
    if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-9) hi = lo + 1;
    const width = Math.max(280, this.el.clientWidth || 600);
    const plotH = Math.min(420, Math.max(120, classes * 14));
    this.canvas.width = width; this.canvas.height = plotH + AXIS_H;
    const ctx = this.canvas.getContext('2d');
    const ink = inkColours();
    ctx.font = FONT;
    // Class names in a gutter on the left (as many as fit without overlapping), epochs below.
    const names = order.map(c => this.className(c));
    const gutter = Math.min(160, Math.ceil(Math.max(...names.map(n => ctx.measureText(n).width))) + 10);
    const plotW = width - gutter;
    const image = ctx.createImageData(plotW, plotH);
    const cellW = plotW / keys.length, cellH = plotH / classes;
    for (let px = 0; px < plotW; px++) {
      const e = keys[Math.min(keys.length - 1, Math.floor(px / cellW))];
      const row = epochs.get(e);
      for (let py = 0; py < plotH; py++) {
        const c = order[Math.min(classes - 1, Math.floor(py / cellH))];
        const [r, g, b] = Number.isFinite(row[c]) ? colour((Math.log10(Math.max(row[c], 1e-6)) - lo) / (hi - lo)) : [158, 158, 158];
        const o = (py * plotW + px) * 4;
        image.data[o] = r; image.data[o + 1] = g; image.data[o + 2] = b; image.data[o + 3] = 255;
      }
    }
    ctx.clearRect(0, 0, width, plotH + AXIS_H);
    ctx.putImageData(image, gutter, 0);
    ctx.fillStyle = ink.text; ctx.textBaseline = 'middle'; ctx.textAlign = 'right';
    const every = Math.max(1, Math.ceil(13 / cellH));
    const rowLabels = [];
    for (let i = 0; i < classes; i += every) {
      const text = names[i].length > 24 ? `${names[i].slice(0, 23)}…` : names[i];
      ctx.fillText(text, gutter - 6, (i + 0.5) * cellH);
      rowLabels.push(names[i]);
    }
    // Epoch ticks at a round step that leaves 40 px or more between labels.
    ctx.textAlign = 'center'; ctx.textBaseline = 'top';
    const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].find(s => s * (plotW / Math.max(1, keys[keys.length - 1] - keys[0] + 1)) >= 40) ?? 1000;
    const epochTicks = [];
    keys.forEach((k, i) => {
      if (k !== keys[0] && k % step !== 0) return;
      const x = gutter + (i + 0.5) * cellW;
      if (epochTicks.length && x - epochTicks[epochTicks.length - 1].x < 30) return;
      ctx.fillRect(x, plotH, 1, 4);
      ctx.fillText(String(k), x, plotH + 5);
      epochTicks.push({ x, epoch: k });
    });
    ctx.fillText('epoch', gutter + plotW / 2, plotH + 20);
    this.labels = { classes: rowLabels, epochs: epochTicks.map(t => t.epoch) };
    this.scale = { keys, order, lo, hi, cellW, cellH, kind, gutter, plotH };
    this.legend.innerHTML = '';
    const bar = document.createElement('span');
    bar.className = 'studio-scale';
    bar.style.background = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map(t => `rgb(${colour(t).join(',')})`).join(',')})`;
    const lowText = document.createElement('span'); lowText.textContent = `κ ${(10 ** lo).toPrecision(3)}`;
    const highText = document.createElement('span'); highText.textContent = `${(10 ** hi).toPrecision(3)} (log scale)`;
    const note = document.createElement('span'); note.className = 'studio-muted';
    note.textContent = ' rows: classes by training images, head at top · columns: epochs';
    this.legend.append(lowText, bar, highText, note);
  }
  className(c) { return (this.info.classNames || [])[c] ?? `class ${c}`; }
  hover(e) {
    if (!this.scale) return;
    const { keys, order, cellW, cellH, kind, gutter, plotH } = this.scale;
    const rect = this.canvas.getBoundingClientRect();
    const x = (e.clientX - rect.left) * (this.canvas.width / rect.width) - gutter, y = (e.clientY - rect.top) * (this.canvas.height / rect.height);
    if (x < 0 || y >= plotH) { this.tip.style.display = 'none'; return; }
    const epoch = keys[Math.min(keys.length - 1, Math.floor(x / cellW))];
    const c = order[Math.min(order.length - 1, Math.floor(y / cellH))];
    const value = this.info[kind].get(epoch)[c];
    const count = (this.info.counts || [])[c];
    this.tip.textContent = `${this.className(c)} (${count ?? '?'} training images) · epoch ${epoch} · κ ${Number.isFinite(value) ? value.toFixed(1) : String(value)}`;
    this.tip.style.display = 'block';
    // Kept inside the chart: to the left of the cursor near the right edge, above it near the bottom.
    const box = this.el.getBoundingClientRect();
    const left = e.clientX - box.left + 12, top = e.clientY - box.top + 12;
    const w = this.tip.offsetWidth, h = this.tip.offsetHeight;
    this.tip.style.left = `${Math.max(0, left + w > box.width ? left - w - 24 : left)}px`;
    this.tip.style.top = `${top + h > box.height ? top - h - 24 : top}px`;
  }
  destroy() { this.observer.disconnect(); this.unwatchTheme(); }
}
