import unittest

from inventory import low_stock, total_value

ITEMS = [
    {"name": "bolt", "price": 2, "quantity": 10},
    {"name": "nut", "price": 1, "quantity": 3},
    {"name": "gear", "price": 15, "quantity": 2},
]


class InventoryTests(unittest.TestCase):
    def test_total_value(self):
        self.assertEqual(total_value(ITEMS), 2 * 10 + 1 * 3 + 15 * 2)

    def test_total_value_empty(self):
        self.assertEqual(total_value([]), 0)

    def test_low_stock(self):
        self.assertEqual(low_stock(ITEMS), ["gear", "nut"])


if __name__ == "__main__":
    unittest.main()
