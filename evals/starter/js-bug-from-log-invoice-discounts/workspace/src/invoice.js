'use strict';

const VAT_RATE = 0.2;

function lineTotal(line) {
  if (!Number.isInteger(line.qty) || line.qty < 1) {
    throw new RangeError(`bad quantity for ${line.sku}`);
  }
  return line.qty * line.unitCents;
}

function discountCents(order, subtotal) {
  const percent = order.discounts.reduce((sum, d) => sum + d.percent, 0);
  return Math.round(subtotal * Math.min(percent, 50) / 100);
}

/**
 * Builds an invoice for an order { customer, lines: [{ sku, qty, unitCents }], discounts?: [{ code, percent }] }.
 * Orders without discounts may omit `discounts` or send null.
 */
function buildInvoice(order) {
  const lines = order.lines.map((line) => ({ ...line, totalCents: lineTotal(line) }));
  const subtotalCents = lines.reduce((sum, line) => sum + line.totalCents, 0);
  const discount = discountCents(order, subtotalCents);
  const netCents = subtotalCents - discount;
  const vatCents = Math.round(netCents * VAT_RATE);
  return { customer: order.customer, lines, subtotalCents, discountCents: discount, vatCents, totalCents: netCents + vatCents };
}

module.exports = { buildInvoice };
