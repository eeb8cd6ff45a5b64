'use strict';

const CODES = { WELCOME10: 0.1, STAFF25: 0.25 };

/**
 * Sums the lines in cents and applies a discount code; unknown codes are ignored.
 * Rounds half up to whole cents once, at the end.
 */
function calcTotl(lines, code) {
  const gross = lines.reduce((sum, line) => sum + line.unitCents * line.qty, 0);
  const rate = CODES[code] ?? 0;
  return Math.round(gross * (1 - rate));
}

/** The total as a display string, e.g. "12.30 EUR". */
function formatTotal(lines, code, currency = 'EUR') {
  return `${(calcTotl(lines, code) / 100).toFixed(2)} ${currency}`;
}

module.exports = { calcTotl, formatTotal, CODES };
