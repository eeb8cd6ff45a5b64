"""python3 -m inventory EXPORT.csv: print units and stock value per warehouse."""

import sys

from inventory.importer import read_rows, summarize


def main(argv):
    if len(argv) != 2:
        print("usage: python3 -m inventory EXPORT.csv", file=sys.stderr)
        return 2
    summary = summarize(read_rows(argv[1]))
    total_units = total_value = 0
    for warehouse, (units, value) in summary.items():
        print(f"{warehouse:<8}{units:>8} units {value / 100:>12.2f}")
        total_units += units
        total_value += value
    print(f"{'TOTAL':<8}{total_units:>8} units {total_value / 100:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
