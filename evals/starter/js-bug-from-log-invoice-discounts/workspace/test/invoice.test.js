'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { buildInvoice } = require('../src/invoice.js');

test('totals with a discount', () => {
  const invoice = buildInvoice({
    customer: 'ACME',
    lines: [{ sku: 'bolt', qty: 10, unitCents: 25 }, { sku: 'nut', qty: 4, unitCents: 50 }],
    discounts: [{ code: 'SPRING', percent: 10 }],
  });
  assert.deepEqual([invoice.subtotalCents, invoice.discountCents, invoice.vatCents, invoice.totalCents], [450, 45, 81, 486]);
});

test('discounts are capped at 50 percent', () => {
  const invoice = buildInvoice({
    customer: 'ACME',
    lines: [{ sku: 'bolt', qty: 1, unitCents: 1000 }],
    discounts: [{ code: 'A', percent: 40 }, { code: 'B', percent: 40 }],
  });
  assert.equal(invoice.discountCents, 500);
});

test('a bad quantity is rejected', () => {
  assert.throws(() => buildInvoice({ customer: 'X', lines: [{ sku: 'bolt', qty: 0, unitCents: 1 }], discounts: [] }), RangeError);
});
