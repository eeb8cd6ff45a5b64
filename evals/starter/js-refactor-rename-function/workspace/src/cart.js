'use strict';
const { calcTotl } = require('./pricing.js');

/** A shopping cart: lines of { sku, unitCents, qty }. */
class Cart {
  constructor(lines = []) {
    this.lines = lines.map((line) => ({ ...line }));
  }

  add(sku, unitCents, qty = 1) {
    const existing = this.lines.find((line) => line.sku === sku);
    if (existing) {
      existing.qty += qty;
    } else {
      this.lines.push({ sku, unitCents, qty });
    }
    return this;
  }

  /** Total in cents after the given discount code. */
  total(code) {
    return calcTotl(this.lines, code);
  }
}

module.exports = { Cart };
