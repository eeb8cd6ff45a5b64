'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { stockUrl } = require('../src/index.js');

test('stockUrl escapes the sku', () => {
  assert.equal(stockUrl('https://stock.example.com', 'a/b'), 'https://stock.example.com/stock/a%2Fb');
});
