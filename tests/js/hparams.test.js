// The hyperparameter views' axes: which values go on a log, linear or category axis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scaleOf } from '../../wwwroot/js/shared/hparams.js';

test('a field drawn over a decade or more goes on a log axis; a narrower or signed one on a linear axis', () => {
  assert.deepEqual(scaleOf([0.01, 0.03, 0.3]), { kind: 'log', min: 0.01, max: 0.3, whole: false });
  assert.deepEqual(scaleOf([0.5, 1, 2]), { kind: 'linear', min: 0.5, max: 2, whole: false });
  // Seeds are whole numbers: their axis ticks at whole numbers.
  assert.deepEqual(scaleOf([0, 1, 100]), { kind: 'linear', min: 0, max: 100, whole: true });
});

test('words, and runs lacking the value, make a category axis with n/a last', () => {
  assert.deepEqual(scaleOf(['proco', 'ce', 'la']), { kind: 'category', categories: ['ce', 'la', 'proco'] });
  assert.deepEqual(scaleOf(['proco', null]), { kind: 'category', categories: ['proco', 'n/a'] });
  // A numeric field an imported log lacks stays numeric: that run has no point on the axis.
  assert.equal(scaleOf([0.5, null, 2]).kind, 'linear');
});
