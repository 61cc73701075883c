// ProCo Studio's chart module: uPlot (canvas) charts fed straight from the SignalR hub, with
// gap-free catch-up from the REST API after a reconnect. Blazor renders forms and tables; every
// chart point goes through here.
/* global uPlot, signalR */

const PER_STEP = new Set(['CE_loss/train', 'SCL_loss/train', 'lr']);
// Per-class vectors of each epoch the run page keeps: the estimator's κ (training features, what the
// loss uses), κ of the test features, and test accuracy.
const PER_CLASS = ['kappa', 'kappa_test', 'accuracy'];
const COLORS = ['#3949ab', '#e53935', '#00897b', '#fb8c00', '#8e24aa', '#6d4c41', '#1e88e5', '#43a047', '#d81b60', '#546e7a'];
const CHARTS = {
  loss: { title: 'Training loss (per step)', series: ['CE_loss/train', 'SCL_loss/train'], y: 'loss' },
  lr: { title: 'Learning rate', series: ['lr'], y: 'lr' },
  acc: { title: 'Top-1 accuracy (%)', series: ['acc/train_top1', 'acc/val_top1'], y: '%' },
  valloss: { title: 'Test loss', series: ['CE_loss/val'], y: 'loss' },
  shots: { title: 'Many / medium / few-shot accuracy (%)', series: ['acc/val_many', 'acc/val_medium', 'acc/val_few'], y: '%' },
};

// ---------------------------------------------------------------- series store

class SeriesStore {
  constructor() { this.steps = []; this.values = []; }
  get last() { return this.steps.length ? this.steps[this.steps.length - 1] : -Infinity; }
  // Appends in step order; an older or repeated step is inserted or replaced, never doubled.
  add(step, value) {
    const n = this.steps.length;
    if (n === 0 || step > this.steps[n - 1]) { this.steps.push(step); this.values.push(value); return; }
    let lo = 0, hi = n;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.steps[mid] < step) lo = mid + 1; else hi = mid; }
    if (this.steps[lo] === step) this.values[lo] = value;
    else { this.steps.splice(lo, 0, step); this.values.splice(lo, 0, value); }
  }
}

// Min/max decimation for display: each bucket keeps its extremes, so spikes survive.
export function decimate(xs, ys, maxPoints) {
  const n = xs.length;
  if (n <= maxPoints) return [xs, ys];
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const size = (n - 2) / buckets;
  const ox = [xs[0]], oy = [ys[0]];
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor(b * size), end = Math.min(n - 1, 1 + Math.floor((b + 1) * size));
    if (start >= end) continue;
    let min = start, max = start;
    for (let i = start + 1; i < end; i++) {
      if (ys[i] < ys[min] || ys[min] == null) min = i;
      if (ys[i] > ys[max] || ys[max] == null) max = i;
    }
    const a = Math.min(min, max), c = Math.max(min, max);
    ox.push(xs[a]); oy.push(ys[a]);
    if (c !== a) { ox.push(xs[c]); oy.push(ys[c]); }
  }
  ox.push(xs[n - 1]); oy.push(ys[n - 1]);
  return [ox, oy];
}

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
function toEpochs(name, store, stepsPerEpoch) {
  if (PER_STEP.has(name) && stepsPerEpoch > 0) return store.steps.map(s => s / stepsPerEpoch);
  const shift = store.steps.length && store.steps[0] === 0 ? 1 : 0;
  return shift ? store.steps.map(s => s + shift) : store.steps;
}

// ---------------------------------------------------------------- charts

function makeChart(el, title, seriesDefs, yLabel, onCursor) {
  const width = Math.max(280, el.clientWidth || 600);
  const opts = {
    title, width, height: 240,
    scales: { x: { time: false } },
    axes: [{ label: 'epoch' }, { label: yLabel, size: 60 }],
    series: [{ label: 'epoch', value: (u, v) => v == null ? '–' : (+v).toFixed(2) }, ...seriesDefs],
    legend: { live: true },
    cursor: { sync: { key: 'proco' }, drag: { x: true, y: false } },
    hooks: onCursor ? { setCursor: [onCursor] } : {},
  };
  const chart = new uPlot(opts, [[]], el);
  const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(280, el.clientWidth), height: 240 }));
  observer.observe(el);
  chart._observer = observer;
  return chart;
}

// A chart over several (run, series) lines that share the epoch axis.
class LineChart {
  constructor(el, title, yLabel, lines) {
    this.lines = lines; // [{ label, store, name, run }]
    this.smoothing = 0;
    this.raw = [];
    const defs = lines.map((l, i) => ({
      label: l.label, stroke: l.color || COLORS[i % COLORS.length], width: 1.5, spanGaps: true, dash: l.dash,
      value: (u, v, si, idx) => this.rawValue(si, idx),
    }));
    this.chart = makeChart(el, title, defs, yLabel);
    this.el = el;
  }
  // With smoothing on, the legend still shows the stored (raw) value under the cursor.
  rawValue(seriesIndex, idx) {
    if (idx == null || !this.raw[seriesIndex]) return '–';
    const v = this.raw[seriesIndex][idx];
    return v == null ? '–' : (Math.abs(v) >= 100 || Math.abs(v) < 0.01 ? v.toPrecision(5) : v.toFixed(4));
  }
  redraw() {
    const maxPoints = Math.max(500, Math.floor(this.el.clientWidth || 800) * 2);
    const tables = this.lines.map(l => {
      const [xs, ys] = decimate(toEpochs(l.name, l.store, l.run.stepsPerEpoch), l.store.values, maxPoints);
      return [xs, ys];
    });
    let data;
    if (tables.length === 1) data = [tables[0][0], tables[0][1]];
    else data = uPlot.join(tables.map(t => [t[0], t[1]]));
    this.raw = [null, ...data.slice(1)];
    const shown = [data[0], ...data.slice(1).map(ys => smooth(ys, this.smoothing))];
    this.chart.setData(shown);
  }
  setSmoothing(weight) { this.smoothing = weight; this.redraw(); }
  pointCount() { return this.lines.reduce((n, l) => n + l.store.steps.length, 0); }
  destroy() { this.chart._observer.disconnect(); this.chart.destroy(); }
}

// ---------------------------------------------------------------- kappa heatmap and per-class accuracy

function colour(t) {
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

class Heatmap {
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
    for (const k of keys) for (const v of epochs.get(k)) { const l = Math.log10(Math.max(v, 1e-6)); lo = Math.min(lo, l); hi = Math.max(hi, l); }
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
        const [r, g, b] = colour((Math.log10(Math.max(row[c], 1e-6)) - lo) / (hi - lo));
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

// Spearman's rank correlation (ties share their mean rank); null when either side is constant.
function spearman(xs, ys) {
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
class ClassAccuracy {
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
        { label: 'training images of the class (log)' },
        { scale: '%', label: 'test accuracy %', size: 60 },
        { scale: 'kappa', side: 1, label: 'κ (log)', size: 60, grid: { show: false } },
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
    const rows = acc.map((a, i) => [Math.max(1, counts[i]), a, kappa?.[i] ?? null, kappaTest?.[i] ?? null]).sort((p, q) => p[0] - q[0]);
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
  destroy() { this.observer.disconnect(); this.chart.destroy(); }
}

// ---------------------------------------------------------------- data access

async function getJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

async function loadRun(runId) {
  const detail = await getJson(`/api/runs/${runId}`);
  const run = { id: runId, name: detail.run.name, stepsPerEpoch: detail.stepsPerEpoch || 0, stores: new Map(), detail };
  const metrics = await getJson(`/api/runs/${runId}/metrics?maxPoints=1000000`);
  for (const s of metrics) {
    const store = new SeriesStore();
    for (let i = 0; i < s.steps.length; i++) store.add(s.steps[i], s.values[i]);
    run.stores.set(s.series, store);
  }
  return run;
}

function store(run, name) {
  let s = run.stores.get(name);
  if (!s) { s = new SeriesStore(); run.stores.set(name, s); }
  return s;
}

// ---------------------------------------------------------------- hub

function connect(onPoints, onVectors, onRun, onReconnected) {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/runs')
    .withAutomaticReconnect([0, 500, 1000, 2000, 5000, 5000, 10000])
    .build();
  connection.on('points', onPoints);
  if (onVectors) connection.on('vectors', onVectors);
  if (onRun) connection.on('run', onRun);
  connection.onreconnected(() => onReconnected());
  return connection;
}

const registry = new Map(); // handle id -> handle, for tests and the benchmark
let nextHandle = 1;
window.studioDebug = {
  handles: registry,
  // Drops the live connection as a network failure would, then lets it come back.
  async dropConnection(handleId) {
    const h = registry.get(handleId);
    h.mark();
    await h.connection.stop();
    h.stats.drops++;
    return true;
  },
  async restoreConnection(handleId) {
    const h = registry.get(handleId);
    await h.start();
    await h.settle();
    return true;
  },
};

// ---------------------------------------------------------------- run page

export async function mountRun(root, runId) {
  const run = await loadRun(runId);
  const charts = [];
  for (const [key, def] of Object.entries(CHARTS)) {
    const el = root.querySelector(`[data-chart="${key}"]`);
    if (!el) continue;
    const lines = def.series.map(name => ({ label: name, name, store: store(run, name), run }));
    // Imported logs carry training losses per epoch, not per step.
    const title = key === 'loss' && run.detail.run.isImported ? 'Training loss (per epoch)' : def.title;
    const chart = new LineChart(el, title, def.y, lines);
    chart.key = key;
    charts.push(chart);
  }
  const info = { counts: null, classNames: run.detail.classNames || [] };
  for (const kind of PER_CLASS) info[kind] = new Map();
  const loadVectors = async () => {
    const [counts, ...byKind] = await Promise.all(['counts', ...PER_CLASS].map(k => getJson(`/api/runs/${runId}/vectors?kind=${k}`)));
    if (counts.length) info.counts = counts[counts.length - 1].values;
    PER_CLASS.forEach((kind, i) => { for (const v of byKind[i]) info[kind].set(v.epoch, v.values); });
  };
  await loadVectors();
  const heatEl = root.querySelector('[data-chart="kappa"]');
  const heatmap = heatEl ? new Heatmap(heatEl, info) : null;
  const accEl = root.querySelector('[data-chart="class-accuracy"]');
  const classAcc = accEl ? new ClassAccuracy(accEl, info) : null;

  let dirty = true, vectorsDirty = true;
  const handle = {
    id: nextHandle++, runId, run, charts, info, heatmap,
    stats: { messages: 0, points: 0, drops: 0, reconnects: 0, latencies: [], rendered: 0 },
  };
  const frame = () => {
    if (dirty) { for (const c of charts) c.redraw(); dirty = false; handle.stats.rendered++; }
    if (vectorsDirty) { heatmap?.draw(); classAcc?.draw(); vectorsDirty = false; }
    handle.raf = null;
  };
  const schedule = () => { if (!handle.raf) handle.raf = requestAnimationFrame(frame); };

  // Watermarks: the last step of each series known to be complete when live updates stopped
  // (or before the first subscription). Live points arriving after a reconnect can be newer than
  // the gap, so catch-up starts from the watermark, not from the newest point held.
  let watermarks = null;
  let generation = 0;
  const mark = () => {
    if (watermarks) return;
    watermarks = new Map();
    for (const [name, s] of run.stores) watermarks.set(name, s.last);
  };
  handle.mark = mark;
  handle.catchUp = async (full) => {
    const names = new Set([...run.stores.keys(), ...Object.values(CHARTS).flatMap(c => c.series)]);
    for (const name of names) {
      const s = store(run, name);
      const from = full ? -Infinity : (watermarks?.get(name) ?? s.last);
      const after = Number.isFinite(from) ? `&afterStep=${from}` : '';
      const [data] = await getJson(`/api/runs/${runId}/metrics?series=${encodeURIComponent(name)}&maxPoints=1000000${after}`);
      if (data) for (let i = 0; i < data.steps.length; i++) s.add(data.steps[i], data.values[i]);
    }
    await loadVectors();
    dirty = vectorsDirty = true; schedule();
  };
  // A run queued when the page opened learns its steps per epoch when training starts.
  let refreshingShape = false;
  const refreshShape = async () => {
    if (run.stepsPerEpoch > 0 || refreshingShape || run.detail.run.isImported) return;
    refreshingShape = true;
    try { run.stepsPerEpoch = (await getJson(`/api/runs/${runId}`)).stepsPerEpoch || 0; } finally { refreshingShape = false; }
    dirty = true; schedule();
  };
  const onPoints = message => {
    if (message.runId !== runId) return;
    if (run.stepsPerEpoch === 0) refreshShape();
    const now = Date.now();
    handle.stats.messages++;
    for (const p of message.points) {
      store(run, p.s).add(p.t, p.v);
      handle.stats.points++;
      if (p.w) handle.stats.latencies.push(now - p.w);
    }
    dirty = true; schedule();
  };
  const onVectors = message => {
    if (message.runId !== runId) return;
    if (PER_CLASS.includes(message.kind)) info[message.kind].set(message.epoch, message.values);
    if (message.kind === 'counts') info.counts = message.values;
    vectorsDirty = true; schedule();
  };
  // Points broadcast while the page was away reach the database up to a writer batch later
  // (250 ms): catch up at once, and again a little later so those are not missed either.
  const settle = async () => {
    const mine = ++generation;
    await handle.catchUp();
    setTimeout(async () => {
      try { await handle.catchUp(); } catch { /* the next reconnect or the run's end catches up */ }
      if (mine === generation) watermarks = null;
    }, 1500);
  };
  handle.settle = settle;
  const onRun = message => {
    if (message.runId !== runId) return;
    // When the run ends, one last full catch-up makes the charts complete whatever happened before.
    if (['Succeeded', 'Failed', 'Cancelled', 'Interrupted'].includes(message.status)) handle.catchUp(true).catch(() => {});
  };
  handle.connection = connect(onPoints, onVectors, onRun, async () => { handle.stats.reconnects++; await handle.start(true); await settle(); });
  handle.connection.onreconnecting(() => mark());
  handle.connection.onclose(() => mark());
  handle.start = async (alreadyConnected) => {
    if (!alreadyConnected) await handle.connection.start();
    await handle.connection.invoke('Subscribe', runId);
  };
  // Points written between the first load and the subscription are fetched once more.
  mark();
  await handle.start();
  await settle();
  schedule();
  handle.dispose = async () => {
    registry.delete(handle.id);
    if (handle.raf) cancelAnimationFrame(handle.raf);
    charts.forEach(c => c.destroy()); heatmap?.destroy(); classAcc?.destroy();
    await handle.connection.stop();
  };
  registry.set(handle.id, handle);
  root.dataset.studioHandle = handle.id;
  root.dataset.studioReady = 'true';
  return handle.id;
}

// ---------------------------------------------------------------- compare page

export async function mountCompare(root, runIds) {
  const runs = await Promise.all(runIds.map(loadRun));
  const charts = [];
  for (const [key, def] of Object.entries(CHARTS)) {
    const el = root.querySelector(`[data-chart="${key}"]`);
    if (!el) continue;
    const lines = [];
    // One colour per run; the series of a chart differ by dash pattern.
    const dashes = [undefined, [6, 4], [2, 3]];
    runs.forEach((run, r) => def.series.forEach((name, s) => {
      if (!run.stores.has(name)) return;
      lines.push({ label: `${run.name} · ${name}`, name, store: run.stores.get(name), run, color: COLORS[r % COLORS.length], dash: dashes[s % dashes.length] });
    }));
    if (!lines.length) { el.textContent = `${def.title}: none of these runs has this series.`; el.classList.add('studio-muted'); continue; }
    const chart = new LineChart(el, def.title, def.y, lines);
    chart.key = key;
    charts.push(chart);
    chart.redraw();
  }
  const handle = { id: nextHandle++, runs, charts, stats: { rendered: 1 } };
  handle.setSmoothing = w => charts.forEach(c => c.setSmoothing(w));
  handle.dispose = async () => { registry.delete(handle.id); charts.forEach(c => c.destroy()); };
  registry.set(handle.id, handle);
  root.dataset.studioHandle = handle.id;
  root.dataset.studioReady = 'true';
  return handle.id;
}

export function setSmoothing(handleId, weight) {
  const handle = registry.get(handleId);
  if (handle) handle.charts.forEach(c => c.setSmoothing(weight));
}

export async function dispose(handleId) {
  const handle = registry.get(handleId);
  if (handle) await handle.dispose();
}

// Column choices of the runs table, remembered per browser.
export function loadSetting(key) { return localStorage.getItem(`proco.${key}`); }
export function saveSetting(key, value) { localStorage.setItem(`proco.${key}`, value); }
