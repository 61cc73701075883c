// Seed groups on the compare page (wwwroot/js/shared/groups.js): members read at the first one's steps, mean and band.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesStore } from '../../wwwroot/js/shared/store.js';
import { valueAt, aggregate } from '../../wwwroot/js/shared/groups.js';

const store = points => { const s = new SeriesStore(); for (const [x, y] of points) s.add(x, y); return s; };

test('a member is read on the line between its own points, and not outside its range', () => {
  const s = store([[0, 0], [10, 1]]);
  assert.equal(valueAt(s, 10), 1);
  assert.equal(valueAt(s, 5), 0.5);
  assert.equal(valueAt(s, 11), null);
  assert.equal(valueAt(store([[2, 1]]), 0), null);
});

test('the mean at the first member\'s steps, with a min-max or a ±1 sd band, only where every member has a value', () => {
  const a = store([[0, 1], [1, 2], [2, 3], [3, 4]]);
  const b = store([[0, 3], [2, 5]]);
  const minmax = aggregate([a, b], 'minmax');
  assert.deepEqual(minmax.store.steps, [0, 1, 2]);
  assert.deepEqual(minmax.store.values, [2, 3, 4]);
  assert.deepEqual(minmax.band.lo, [1, 2, 3]);
  assert.deepEqual(minmax.band.hi, [3, 4, 5]);
  const std = aggregate([a, b], 'std');
  const sd = Math.SQRT2;
  assert.deepEqual(std.band.lo.map(v => +v.toFixed(12)), [2 - sd, 3 - sd, 4 - sd].map(v => +v.toFixed(12)));
  // A member's NaN at a step drops that step from the group.
  const c = store([[0, NaN], [1, 2], [2, 3]]);
  assert.deepEqual(aggregate([a, c], 'minmax').store.steps, [1, 2]);
});
