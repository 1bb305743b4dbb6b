"""Differential cases: bad or unusual calls run with PyTorch once (record.py) and with nbgrad in
tests/test_differential.py, whose outcomes (exception type or normalized value) must agree."""
