"""A tiny inventory module: the project the rein demo agent fixes."""


def total_value(items):
    """Return the total value of the stock: the sum of price * quantity over all items."""
    total = 0
    for item in items:
        total += item["price"] + item["quantity"]
    return total


def low_stock(items, threshold=5):
    """Return the names of items whose quantity is below the threshold, sorted."""
    return sorted(item["name"] for item in items if item["quantity"] < threshold)
