// The controls above each line chart: the x axis (epoch, % of training, step or wall time), a log y scale, the
// series drawn, and exports: the chart as a PNG (title, plot and legend) and its raw data as CSV
// (every stored point of the series shown, from the server, not the downsampled points drawn).

const MODE_NAMES = { epoch: 'epoch', percent: '% of training', step: 'step', time: 'wall time' };

// An HTML element with its properties, data attributes and children (shared with hparams.js).
export function element(tag, { dataset = {}, ...props } = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  for (const [k, v] of Object.entries(dataset)) e.dataset[k] = v;
  e.append(...children);
  return e;
}

// Saves a file the page made.
function download(href, name) {
  const a = element('a', { href, download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

// A file name from a chart's title: "Training loss (per step)" -> "training-loss-per-step".
const slug = text => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'chart';

export function addTools(chart) {
  const x = element('select', { title: 'x axis', dataset: { test: 'x-axis' } },
    ...chart.modes.map(m => element('option', { value: m, textContent: MODE_NAMES[m] })));
  x.value = chart.mode;
  x.addEventListener('change', () => chart.setMode(x.value));
  const log = element('input', { type: 'checkbox', dataset: { test: 'log-y' } });
  log.addEventListener('change', () => chart.setLogY(log.checked));

  // One box per series of the chart (every run's line of that series goes with it).
  const names = [...new Map(chart.lines.map(l => [l.name, l.seriesLabel || l.name])).entries()];
  const summary = element('summary', { textContent: 'series' });
  const pick = element('details', { className: 'studio-series-pick', dataset: { test: 'series-pick' } }, summary,
    element('div', { className: 'studio-series-list' }, ...names.map(([name, label]) => {
      const box = element('input', { type: 'checkbox', checked: true, dataset: { series: name } });
      box.addEventListener('change', () => chart.setHidden(name, !box.checked));
      return element('label', {}, box, ` ${label}`);
    })));

  const png = element('button', { type: 'button', textContent: 'PNG', title: 'Save the chart as a PNG image', dataset: { test: 'export-png' } });
  png.addEventListener('click', () => exportPng(chart));
  const csv = element('button', { type: 'button', textContent: 'CSV', title: "Save the raw points of the series shown (every stored point) as CSV", dataset: { test: 'export-csv' } });
  csv.addEventListener('click', () => exportCsv(chart).catch(e => { chart.note.textContent = `CSV export failed: ${e.message}`; }));

  return element('div', { className: 'studio-chart-tools', dataset: { test: 'chart-tools' } },
    element('label', {}, 'x ', x), element('label', {}, log, ' log y'), pick, png, csv);
}

// The chart as drawn, with its title above and a legend of the lines below.
export function exportPng(chart) {
  const u = chart.chart;
  if (!u) return null;
  const source = u.ctx.canvas;
  const ratio = source.width / u.width;
  const rowH = 18, titleH = 30, pad = 10;
  const out = element('canvas');
  out.width = source.width;
  out.height = Math.round(source.height + (titleH + pad + chart.shown.length * rowH + pad) * ratio);
  const ctx = out.getContext('2d');
  const style = getComputedStyle(chart.el.closest('.mud-paper') || document.body);
  ctx.fillStyle = style.backgroundColor && style.backgroundColor !== 'rgba(0, 0, 0, 0)' ? style.backgroundColor : '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.scale(ratio, ratio);
  ctx.fillStyle = style.color || '#222';
  ctx.font = '500 15px Roboto, Helvetica, Arial, sans-serif';
  ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
  ctx.fillText(chart.title, u.width / 2, titleH / 2);
  ctx.drawImage(source, 0, titleH, u.width, source.height / ratio);
  ctx.font = '12px Roboto, Helvetica, Arial, sans-serif';
  ctx.textAlign = 'left';
  chart.shown.forEach((l, i) => {
    const y = titleH + source.height / ratio + pad + i * rowH + rowH / 2;
    ctx.strokeStyle = l.color; ctx.lineWidth = 2.5; ctx.setLineDash(l.dash || []);
    ctx.beginPath(); ctx.moveTo(pad, y); ctx.lineTo(pad + 26, y); ctx.stroke();
    ctx.fillText(l.label, pad + 34, y);
  });
  const url = out.toDataURL('image/png');
  download(url, `${slug(chart.title)}.png`);
  return url;
}

// Every stored point of the series the chart shows, run by run, as one CSV file.
export async function exportCsv(chart) {
  const byRun = new Map();
  for (const l of chart.lines) {
    if (!l.store.length || chart.hidden.has(l.name)) continue;
    // A seed group's line is its members' points.
    for (const run of l.members ?? [l.run]) {
      if (!byRun.has(run)) byRun.set(run, new Set());
      byRun.get(run).add(l.name);
    }
  }
  let text = '';
  for (const [run, names] of byRun) {
    const response = await fetch(`/api/runs/${run.id}/metrics.csv?series=${encodeURIComponent([...names].join(','))}`);
    if (!response.ok) throw new Error(`run ${run.id}: ${response.status}`);
    const body = await response.text();
    text += text ? body.slice(body.indexOf('\n') + 1) : body;
  }
  download(URL.createObjectURL(new Blob([text], { type: 'text/csv' })), `${slug(chart.title)}.csv`);
  return text;
}
