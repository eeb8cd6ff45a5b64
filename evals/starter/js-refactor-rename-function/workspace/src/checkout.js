'use strict';
const { Cart } = require('./cart.js');
const { calcTotl, formatTotal } = require('./pricing.js');

/** Builds the receipt text for a checkout request { lines, code }. */
function receipt(request) {
  const cart = new Cart(request.lines);
  const lines = cart.lines.map((line) => `${line.qty} x ${line.sku}`);
  const saved = calcTotl(cart.lines) - cart.total(request.code);
  if (saved > 0) {
    lines.push(`you saved ${(saved / 100).toFixed(2)} EUR`);
  }
  lines.push(`total ${formatTotal(cart.lines, request.code)}`);
  return lines.join('\n');
}

module.exports = { receipt };
