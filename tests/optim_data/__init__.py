"""Data recorded once from PyTorch for tests/test_optim*.py (see record.py)."""
