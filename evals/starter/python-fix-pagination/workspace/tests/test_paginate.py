import unittest

from pager.paginate import paginate


class PaginateTest(unittest.TestCase):
    def test_first_page(self):
        page = paginate(range(25), page=1, per_page=10)
        self.assertEqual(page.items, list(range(10)))
        self.assertTrue(page.has_next)
        self.assertFalse(page.has_previous)

    def test_exact_multiple_has_no_extra_page(self):
        page = paginate(range(20), page=2, per_page=10)
        self.assertEqual(page.total_pages, 2)
        self.assertEqual(page.items, list(range(10, 20)))
        self.assertFalse(page.has_next)

    def test_last_page_is_partial(self):
        page = paginate(range(25), page=3, per_page=10)
        self.assertEqual(page.total_pages, 3)
        self.assertEqual(page.items, [20, 21, 22, 23, 24])
        self.assertFalse(page.has_next)

    def test_page_past_the_end_gives_last_page(self):
        page = paginate(range(7), page=9, per_page=5)
        self.assertEqual(page.number, 2)
        self.assertEqual(page.items, [5, 6])

    def test_empty_sequence_has_one_empty_page(self):
        page = paginate([], page=1, per_page=10)
        self.assertEqual((page.items, page.total_pages, page.total_items), ([], 1, 0))

    def test_invalid_arguments(self):
        with self.assertRaises(ValueError):
            paginate([1], page=0)
        with self.assertRaises(ValueError):
            paginate([1], per_page=0)


if __name__ == "__main__":
    unittest.main()
