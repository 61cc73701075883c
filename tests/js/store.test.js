// The page's store of one series (wwwroot/js/shared/store.js): step order, no doubled step, NaN and ±∞ kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesStore, toNumbers } from '../../wwwroot/js/shared/store.js';

test('points land in step order, a repeated step replaces its value, an older one is inserted', () => {
  const s = new SeriesStore();
  s.add(1, 0.5);
  s.add(3, 0.3);
  s.add(2, 0.4);
  s.add(3, 0.25);
  assert.deepEqual(s.steps, [1, 2, 3]);
  assert.deepEqual(s.values, [0.5, 0.4, 0.25]);
  assert.equal(s.last, 3);
  assert.equal(new SeriesStore().last, -Infinity);
});

test('the server\'s "NaN", "Infinity" and "-Infinity" are numbers again', () => {
  assert.deepEqual(toNumbers(['NaN', 'Infinity', '-Infinity', 1.5]), [NaN, Infinity, -Infinity, 1.5]);
  const s = new SeriesStore();
  s.add(1, 'NaN');
  assert.ok(Number.isNaN(s.values[0]));
});

test('a finer reading of a range replaces the points inside it and keeps those outside', () => {
  const s = new SeriesStore();
  for (const step of [0, 10, 20, 30, 40]) s.add(step, step);
  s.merge([10, 15, 20, 25, 30], [1, 1.5, 2, 2.5, 3]);
  assert.deepEqual(s.steps, [0, 10, 15, 20, 25, 30, 40]);
  assert.deepEqual(s.values, [0, 1, 1.5, 2, 2.5, 3, 40]);
  s.merge([], []);
  assert.equal(s.length, 7);
});
