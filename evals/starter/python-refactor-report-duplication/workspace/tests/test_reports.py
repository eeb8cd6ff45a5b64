import unittest

from finance.reports import refund_report, sales_report

ROWS = [("North", 1200.5), ("South-East Europe", 80.0), ("West", 1200.5), ("East", 15000.0)]


class ReportsTest(unittest.TestCase):
    def test_sales_report(self):
        self.assertEqual(sales_report(ROWS), (
            "SALES\n"
            "==============================\n"
            "East                 15,000.00\n"
            "North                 1,200.50\n"
            "West                  1,200.50\n"
            "South-East Eu~           80.00\n"
            "------------------------------\n"
            "TOTAL                17,481.00\n"))

    def test_refund_report_small(self):
        self.assertEqual(refund_report([("West", 10.0)]), (
            "REFUNDS\n"
            "==============================\n"
            "West                     10.00\n"
            "------------------------------\n"
            "TOTAL                    10.00\n"))

    def test_refund_report_needs_approval(self):
        self.assertTrue(refund_report(ROWS).endswith(
            "TOTAL                17,481.00\n!! refunds above 10,000 need a second approval\n"))

    def test_empty(self):
        self.assertEqual(sales_report([]), "SALES\n" + "=" * 30 + "\n" + "-" * 30 + "\nTOTAL                     0.00\n")


if __name__ == "__main__":
    unittest.main()
