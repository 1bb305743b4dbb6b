"""The list of differential cases: (group, code) pairs, each code a snippet run with `torch`
bound to PyTorch (record.py) or nbgrad (tests/test_differential.py).  The code string is the
case's key in torch_outcomes.json, so editing a case means re-recording it."""

from tests.differential import cases_autograd, cases_core, cases_creation
from tests.differential import cases_func
from tests.differential import cases_linalg
from tests.differential import cases_sorting
from tests.differential import cases_random
from tests.differential import cases_namespace
from tests.differential import cases_eager


def all_cases():
    """Every case, in a stable order; codes are unique."""
    cases = cases_core.all_cases() + cases_autograd.all_cases() + cases_creation.all_cases()
    cases += cases_func.all_cases()
    cases += cases_linalg.all_cases()
    cases += cases_sorting.all_cases()
    cases += cases_random.all_cases()
    cases += cases_namespace.all_cases()
    cases += cases_eager.all_cases()
    codes = [code for _, code in cases]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValueError(f"duplicate differential cases: {duplicates}")
    return cases


CASES = all_cases()
