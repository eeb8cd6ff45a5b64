'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Cart } = require('../src/cart.js');
const { calcTotl, formatTotal } = require('../src/pricing.js');
const { receipt } = require('../src/checkout.js');

const LINES = [{ sku: 'pen', unitCents: 199, qty: 3 }, { sku: 'pad', unitCents: 450, qty: 1 }];

test('calcTotl sums the lines', () => {
  assert.equal(calcTotl(LINES), 1047);
});

test('calcTotl applies a known code and ignores unknown ones', () => {
  assert.equal(calcTotl(LINES, 'WELCOME10'), 942);
  assert.equal(calcTotl(LINES, 'NOPE'), 1047);
});

test('cart merges lines of the same sku', () => {
  const cart = new Cart().add('pen', 199).add('pen', 199, 2);
  assert.deepEqual(cart.lines, [{ sku: 'pen', unitCents: 199, qty: 3 }]);
  assert.equal(cart.total('STAFF25'), 448);
});

test('formatTotal and receipt', () => {
  assert.equal(formatTotal(LINES, 'STAFF25'), '7.85 EUR');
  assert.equal(receipt({ lines: LINES, code: 'WELCOME10' }), '3 x pen\n1 x pad\nyou saved 1.05 EUR\ntotal 9.42 EUR');
});
