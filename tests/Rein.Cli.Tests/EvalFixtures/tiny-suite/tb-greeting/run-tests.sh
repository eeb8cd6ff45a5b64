#!/bin/bash
# Plain unittest: no pytest, no network.
python3 -m unittest discover -s "$TEST_DIR" -p 'test_*.py' -v
