import unittest

from scheduler.durations import format_duration, parse_duration


class ParseDurationTest(unittest.TestCase):
    def test_examples_from_the_docstring(self):
        self.assertEqual(parse_duration("1h30m"), 5400)
        self.assertEqual(parse_duration("2d 4h"), 187200)
        self.assertEqual(parse_duration("45s"), 45)
        self.assertEqual(parse_duration("90m"), 5400)
        self.assertEqual(parse_duration("300"), 300)

    def test_all_units_and_case(self):
        self.assertEqual(parse_duration("1D 2H 3M 4S"), 86400 + 7200 + 180 + 4)
        self.assertEqual(parse_duration("  10m "), 600)
        self.assertEqual(parse_duration("0s"), 0)

    def test_round_trip_with_format_duration(self):
        for seconds in (1, 59, 60, 61, 3599, 3600, 86399, 86400, 90061, 1000000):
            self.assertEqual(parse_duration(format_duration(seconds)), seconds)

    def test_invalid_text_raises(self):
        for text in ("", "   ", "h", "1.5h", "-3m", "10x", "30m1h", "1h1h", "1h  30m", "5 m", "1h30", "abc"):
            with self.subTest(text=text), self.assertRaises(ValueError):
                parse_duration(text)


if __name__ == "__main__":
    unittest.main()
