// The per-class concentration heatmap: classes by training images (head at top) against epochs,
// coloured on a log scale; switches between the estimator's κ and the test features' κ.

export function colour(t) {
  // viridis-like ramp from dark blue (low) through teal to yellow (high).
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1);
  const i = Math.floor(x), f = x - i;
  return stops[i].map((c, k) => Math.round(c + f * (stops[i + 1][k] - c)));
}

const HEATMAP_KINDS = [
  ['kappa', 'estimator (training features, what the loss uses)'],
  ['kappa_test', 'test features'],
];

export class Heatmap {
  constructor(el, info) {
    this.el = el; this.info = info; this.kind = null;
    this.controls = document.createElement('div');
    this.controls.className = 'studio-heatmap-kinds';
    this.controls.setAttribute('role', 'radiogroup');
    this.buttons = HEATMAP_KINDS.map(([kind, text]) => {
      const b = document.createElement('button');
      b.type = 'button'; b.textContent = `κ of the ${text}`; b.dataset.kind = kind;
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
  }
  order() {
    const counts = this.info.counts || [];
    const idx = counts.map((_, i) => i);
    return idx.sort((a, b) => (counts[b] - counts[a]) || (a - b)); // head first
  }
  draw() {
    // The estimator's κ unless the run has none (la and ce runs keep no vMF estimate).
    const kind = this.kind ?? (this.info.kappa.size || !this.info.kappa_test.size ? 'kappa' : 'kappa_test');
    for (const b of this.buttons) b.setAttribute('aria-checked', String(b.dataset.kind === kind));
    const epochs = this.info[kind]; // Map epoch -> values
    const keys = [...epochs.keys()].sort((a, b) => a - b);
    if (!keys.length) {
      this.legend.textContent = kind === 'kappa' && this.info.kappa_test.size
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
    const width = Math.max(280, this.el.clientWidth || 600), height = Math.min(420, Math.max(120, classes * 4));
    this.canvas.width = width; this.canvas.height = height;
    const ctx = this.canvas.getContext('2d');
    const image = ctx.createImageData(width, height);
    const cellW = width / keys.length, cellH = height / classes;
    for (let px = 0; px < width; px++) {
      const e = keys[Math.min(keys.length - 1, Math.floor(px / cellW))];
      const row = epochs.get(e);
      for (let py = 0; py < height; py++) {
        const c = order[Math.min(classes - 1, Math.floor(py / cellH))];
        const [r, g, b] = Number.isFinite(row[c]) ? colour((Math.log10(Math.max(row[c], 1e-6)) - lo) / (hi - lo)) : [158, 158, 158];
        const o = (py * width + px) * 4;
        image.data[o] = r; image.data[o + 1] = g; image.data[o + 2] = b; image.data[o + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
    this.scale = { keys, order, lo, hi, cellW, cellH, kind };
    this.legend.innerHTML = '';
    const bar = document.createElement('span');
    bar.className = 'studio-scale';
    bar.style.background = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map(t => `rgb(${colour(t).join(',')})`).join(',')})`;
    const lowText = document.createElement('span'); lowText.textContent = `κ ${(10 ** lo).toPrecision(3)}`;
    const highText = document.createElement('span'); highText.textContent = `${(10 ** hi).toPrecision(3)} (log scale)`;
    const note = document.createElement('span'); note.className = 'studio-muted';
    note.textContent = ` rows: classes by training images, head at top · columns: epochs 1–${keys[keys.length - 1]}`;
    this.legend.append(lowText, bar, highText, note);
  }
  hover(e) {
    if (!this.scale) return;
    const { keys, order, cellW, cellH, kind } = this.scale;
    const rect = this.canvas.getBoundingClientRect();
    const x = (e.clientX - rect.left) * (this.canvas.width / rect.width), y = (e.clientY - rect.top) * (this.canvas.height / rect.height);
    const epoch = keys[Math.min(keys.length - 1, Math.floor(x / cellW))];
    const c = order[Math.min(order.length - 1, Math.floor(y / cellH))];
    const value = this.info[kind].get(epoch)[c];
    const name = (this.info.classNames || [])[c] ?? `class ${c}`;
    const count = (this.info.counts || [])[c];
    this.tip.textContent = `${name} (${count ?? '?'} training images) · epoch ${epoch} · κ ${value.toFixed(1)}`;
    this.tip.style.display = 'block';
    this.tip.style.left = `${e.offsetX + 12}px`; this.tip.style.top = `${e.offsetY + 12}px`;
  }
  destroy() { this.observer.disconnect(); }
}
