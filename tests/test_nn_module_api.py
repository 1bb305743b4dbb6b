"""nn.Module, Parameter, containers, hooks, state_dict / load_state_dict,
nn.init, nn.utils and the functional forms added with nn, against PyTorch 2.13
outcomes recorded by tests/nn_data/record_nn.py (no torch import here).

Each snippet must give PyTorch's value, or raise the same builtin exception
class with the same message (module paths read 'nbgrad.' as 'torch.': the
classes live in the same module layout).
"""

import json
import pathlib

import numpy as np
import pytest

import nbgrad as nb
from tests.nn_data import cases, harness

DATA = json.loads((pathlib.Path(__file__).parent / "nn_data" / "nn_reference.json").read_text())


def same(got, want):
    """Whether two normalized values agree (float32 tensors to 1e-5, floats to 1e-6)."""
    if isinstance(want, dict) and "tensor" in want:
        if not (isinstance(got, dict) and "tensor" in got):
            return False
        if (got["tensor"], got["type"], got["requires_grad"]) != \
                (want["tensor"], want["type"], want["requires_grad"]):
            return False
        g, w = harness.unpack(got["value"]), harness.unpack(want["value"])
        rtol = 1e-5 if w.dtype == np.float32 else 1e-7
        return g.shape == w.shape and np.allclose(g, w, rtol=rtol, atol=1e-6, equal_nan=True)
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(
            same(got[k], want[k]) for k in want)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(
            same(g, w) for g, w in zip(got, want))
    if isinstance(want, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        return abs(got - want) <= 1e-6 * (1 + abs(want))
    return type(got) is type(want) and got == want


@pytest.mark.parametrize("code", cases.API_CASES)
def test_snippet_matches_pytorch(code):
    want = DATA["api"][code]
    got = harness.outcome(nb, code)
    if want[0] == "raises":
        assert got[0] == "raises", f"expected {want[1]}: {want[2]!r}, got value {got[1]!r}"
        assert got[1] == want[1], (got, want)
        assert got[2].replace("nbgrad.", "torch.") == want[2]
    else:
        assert got[0] == "value", f"raised {got[1:]}"
        assert same(got[1], want[1]), (got[1], want[1])


def test_comparison_can_fail():
    t = harness.normalize(nb.tensor([1.0, 2.0]))
    u = harness.normalize(nb.tensor([1.0, 2.1]))
    assert same(t, t) and not same(u, t)
    assert not same(harness.normalize(nb.tensor([1.0, 2.0], dtype=nb.float64)), t)
    assert not same([1, 2], [1, 2, 3]) and not same("a", "b")


def test_every_api_case_was_recorded():
    assert set(DATA["api"]) == set(cases.API_CASES)
