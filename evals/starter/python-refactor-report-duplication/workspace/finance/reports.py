"""Plain-text reports for the finance mailbox."""


def sales_report(rows):
    """Render sales rows (region, amount) as a table with a total line."""
    lines = ["SALES", "=" * 30]
    total = 0.0
    for region, amount in sorted(rows, key=lambda row: (-row[1], row[0])):
        total += amount
        label = region if len(region) <= 14 else region[:13] + "~"
        lines.append(f"{label:<14}{amount:>16,.2f}")
    lines.append("-" * 30)
    lines.append(f"{'TOTAL':<14}{total:>16,.2f}")
    return "\n".join(lines) + "\n"


def refund_report(rows):
    """Render refund rows (region, amount) as a table with a total line."""
    lines = ["REFUNDS", "=" * 30]
    total = 0.0
    for region, amount in sorted(rows, key=lambda row: (-row[1], row[0])):
        total += amount
        label = region if len(region) <= 14 else region[:13] + "~"
        lines.append(f"{label:<14}{amount:>16,.2f}")
    lines.append("-" * 30)
    lines.append(f"{'TOTAL':<14}{total:>16,.2f}")
    if total > 10000:
        lines.append("!! refunds above 10,000 need a second approval")
    return "\n".join(lines) + "\n"
