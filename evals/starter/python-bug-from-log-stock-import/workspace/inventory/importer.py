"""Read the nightly stock export and summarise it per warehouse."""

import csv
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class StockRow:
    sku: str
    warehouse: str
    quantity: int
    unit_price_cents: int


def parse_quantity(text):
    """Parse a quantity cell of the export into a whole number of units."""
    return int(text.strip())


def parse_price(text):
    """Parse a price cell such as '12.5' or '3.07' into cents."""
    whole, _, fraction = text.strip().partition(".")
    return int(whole or "0") * 100 + int((fraction + "00")[:2])


def read_rows(path):
    """Read the export; rows without a SKU are separators and are skipped."""
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            if not record["sku"].strip():
                continue
            rows.append(StockRow(
                sku=record["sku"].strip(),
                warehouse=record["warehouse"].strip().lower(),
                quantity=parse_quantity(record["quantity"]),
                unit_price_cents=parse_price(record["unit_price"]),
            ))
    return rows


def summarize(rows):
    """Return {warehouse: (units, value_cents)}, warehouses sorted by name."""
    units = defaultdict(int)
    value = defaultdict(int)
    for row in rows:
        units[row.warehouse] += row.quantity
        value[row.warehouse] += row.quantity * row.unit_price_cents
    return {warehouse: (units[warehouse], value[warehouse]) for warehouse in sorted(units)}
