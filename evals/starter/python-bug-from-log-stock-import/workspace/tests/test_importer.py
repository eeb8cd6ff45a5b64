import unittest

from inventory.importer import StockRow, parse_price, parse_quantity, summarize


class ImporterTest(unittest.TestCase):
    def test_parse_quantity(self):
        self.assertEqual(parse_quantity("12"), 12)
        self.assertEqual(parse_quantity(" 7 "), 7)

    def test_parse_price(self):
        self.assertEqual(parse_price("4.50"), 450)
        self.assertEqual(parse_price("3.07"), 307)
        self.assertEqual(parse_price("120"), 12000)
        self.assertEqual(parse_price(".5"), 50)

    def test_summarize(self):
        rows = [StockRow("a", "north", 2, 150), StockRow("b", "east", 1, 99), StockRow("c", "north", 3, 10)]
        self.assertEqual(summarize(rows), {"east": (1, 99), "north": (5, 330)})


if __name__ == "__main__":
    unittest.main()
