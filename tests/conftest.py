import os
import sys

# the repository root, so that `tests.opdb` imports without an install of the tests
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
