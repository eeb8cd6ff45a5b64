'use strict';

function stockUrl(base, sku) {
  return new URL(`/stock/${encodeURIComponent(sku)}`, base).toString();
}

module.exports = { stockUrl };
