// The line charts' arithmetic (wwwroot/js/shared/line-chart.js): smoothing, value formats, where points go on the x
// axis, wall time between samples, step ranges of a zoom, the merge of sorted tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesStore } from '../../wwwroot/js/shared/store.js';
import { smooth, formatValue, placementOf, elapsedAt, xsIn, stepRange, joinSorted } from '../../wwwroot/js/shared/line-chart.js';

const store = points => { const s = new SeriesStore(); for (const [x, y] of points) s.add(x, y); return s; };

test('smoothing is TensorBoard\'s debiased average: a constant stays constant, gaps stay gaps and do not reset it', () => {
  assert.deepEqual(smooth([2, 2, 2], 0.9).map(v => +v.toFixed(12)), [2, 2, 2]);
  const out = smooth([0, null, 10], 0.5);
  assert.equal(out[0], 0);
  assert.equal(out[1], null);
  // (0.5·0 + 0.5·10) / (1 − 0.25): the gap is skipped, the first value still counts.
  assert.equal(out[2], 5 / 0.75);
  // No smoothing: the values themselves.
  const ys = [1, 2];
  assert.equal(smooth(ys, 0), ys);
});

test('values read as a legend shows them', () => {
  assert.equal(formatValue(47.23456, '%'), '47.23 %');
  assert.equal(formatValue(0.123456, 'loss'), '0.1235');
  assert.equal(formatValue(0.0001234, 'lr'), '1.23e-4');
  assert.equal(formatValue(NaN, 'loss'), 'NaN');
  assert.equal(formatValue(-Infinity, 'loss'), '−∞');
  assert.equal(formatValue(null, '%'), '–');
  assert.equal(formatValue(0, 'loss'), '0');
});

test('a per-step series goes by epoch once the epoch length is known; an imported log\'s per-epoch points count from 1', () => {
  const trained = { stepsPerEpoch: 48, detail: { run: { isImported: false } }, stores: new Map() };
  assert.equal(placementOf({ run: trained, perStep: true, store: store([[1, 1]]) }), 'steps');
  assert.deepEqual(xsIn({ run: trained, perStep: true, store: store([[24, 1], [48, 2]]) }, 'epoch'), [0.5, 1]);
  const imported = { stepsPerEpoch: 0, detail: { run: { isImported: true, epochs: 200 } }, stores: new Map() };
  const epochLine = { run: imported, perStep: false, store: store([[0, 5], [1, 6]]) };
  assert.equal(placementOf(epochLine), 'epochs');
  assert.deepEqual(xsIn(epochLine, 'epoch'), [1, 2]);
  const stepLine = { run: imported, perStep: true, store: store([[100, 1], [5000, 2]]) };
  assert.equal(placementOf(stepLine), 'step');
  assert.deepEqual(xsIn(stepLine, 'step'), [100, 5000]);
});

test('wall time between and beyond its samples, and nothing without two of them', () => {
  const run = { elapsedSeries: 'sys/elapsed_s', stores: new Map([['sys/elapsed_s', store([[10, 20], [20, 40]])]]) };
  assert.equal(elapsedAt(run, 15), 30);
  assert.equal(elapsedAt(run, 30), 60);
  assert.equal(elapsedAt(run, 0), 0);
  assert.equal(elapsedAt({ elapsedSeries: 'x', stores: new Map() }, 5), null);
});

test('a zoom\'s step range covers the x range in every mode, a little wider', () => {
  const run = { stepsPerEpoch: 10, detail: { run: { isImported: false } }, stores: new Map() };
  assert.deepEqual(stepRange({ run, perStep: true, store: store([[1, 1]]) }, 2, 3), [19, 31]);
  assert.deepEqual(stepRange({ run, perStep: false, store: store([[1, 1]]) }, 2, 3), [1, 4]);
  assert.deepEqual(stepRange({ run, perStep: true, store: store([[1, 1]]) }, 5, 7, 'step'), [4, 8]);
  assert.deepEqual(stepRange({ run, perStep: true, store: store([[1, 1]]) }, 5, 7, 'time'), [-Infinity, Infinity]);
});

test('sorted tables merge on one x axis, holes where a line has no point, shared x values without a merge', () => {
  const xs = [1, 2, 3];
  assert.deepEqual(joinSorted([[xs, [1, 2, 3]], [xs, [4, 5, 6]]]), [xs, [1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(joinSorted([[[1, 3], [10, 30]], [[2, 3], [20, 31]]]),
    [[1, 2, 3], [10, undefined, 30], [undefined, 20, 31]]);
});

test('% of training puts runs of 6 and 400 epochs on one axis, start to end, and a zoom there reads the right steps', () => {
  const short = { stepsPerEpoch: 10, detail: { run: { isImported: false, epochs: 6 } }, stores: new Map() };
  const long = { stepsPerEpoch: 0, detail: { run: { isImported: true, epochs: 400 } }, stores: new Map() };
  assert.deepEqual(xsIn({ run: short, perStep: false, store: store([[1, 1], [3, 2], [6, 3]]) }, 'percent'), [100 / 6, 50, 100]);
  assert.deepEqual(xsIn({ run: short, perStep: true, store: store([[30, 1], [60, 2]]) }, 'percent'), [50, 100]);
  // The authors' per-epoch points count from 0: epoch 1 of 400 is 0.25 %.
  assert.deepEqual(xsIn({ run: long, perStep: false, store: store([[0, 1], [199, 2], [399, 3]]) }, 'percent'), [0.25, 50, 100]);
  // A log with no epoch length: its per-step line runs to its own last step.
  assert.deepEqual(xsIn({ run: long, perStep: true, store: store([[5000, 1], [10000, 2]]) }, 'percent'), [50, 100]);
  // Zoomed to 50-100 % of the 6-epoch run: epochs 3 to 6, steps 30 to 60 of its per-step line.
  assert.deepEqual(stepRange({ run: short, perStep: true, store: store([[1, 1]]) }, 50, 100, 'percent'), [29, 61]);
  assert.deepEqual(stepRange({ run: short, perStep: false, store: store([[1, 1]]) }, 50, 100, 'percent'), [2, 7]);
});
