import os
import unittest


class GreetingTest(unittest.TestCase):
    def test_greeting_says_hi(self):
        with open("greeting.txt") as f:
            self.assertEqual(f.read().strip(), "hi")

    def test_tests_were_not_visible_to_the_agent(self):
        self.assertTrue(os.path.exists("notes.txt"))
        self.assertFalse(os.path.exists("solution.sh"))


if __name__ == "__main__":
    unittest.main()
