"""nn layers against PyTorch 2.13 (outcomes recorded once by
tests/nn_data/record_nn.py; this file never imports torch).

Each module case is built in float64 from PyTorch's own initial parameters
(loaded with ``load_state_dict``), run on the recorded inputs, and must give
PyTorch's outputs, parameter gradients, input gradients and buffers (running
statistics) within 1e-6.  ``print(module)`` must be PyTorch's text, and the
default initialisations must follow PyTorch's distributions.
"""

import json
import math
import pathlib

import numpy as np
import pytest

import nbgrad as nb
from tests.nn_data import cases, harness

DATA = json.loads((pathlib.Path(__file__).parent / "nn_data" / "nn_reference.json").read_text())
TOL = {"rtol": 1e-6, "atol": 1e-8}


def test_recorded_data_matches_the_cases():
    assert [m["make"] for m in DATA["modules"]] == [c["make"] for c in cases.MODULE_CASES]
    assert set(DATA["reprs"]) == set(cases.REPRS)
    assert set(DATA["init"]) == set(cases.INIT_CASES)


def _close(got, want, what):
    assert got is not None and want is not None, f"{what}: one side has no value"
    g, w = harness.unpack(got), harness.unpack(want)
    assert g.shape == w.shape and g.dtype == w.dtype, f"{what}: {g.shape} {g.dtype} vs " \
        f"{w.shape} {w.dtype}"
    np.testing.assert_allclose(g, w, err_msg=what, **TOL)


@pytest.mark.parametrize("index", range(len(cases.MODULE_CASES)),
                         ids=[f"{i}-{c['make'][:40]}" for i, c in enumerate(cases.MODULE_CASES)])
def test_module_matches_pytorch(index):
    case, want = cases.MODULE_CASES[index], DATA["modules"][index]
    got = harness.run_module_case(nb, case, state=want["state"], data=want)
    assert got["state"].keys() == want["state"].keys()
    assert len(got["outputs"]) == len(want["outputs"])
    for i, (g, w) in enumerate(zip(got["outputs"], want["outputs"])):
        _close(g, w, f"output {i}")
    assert list(got["param_grads"]) == list(want["param_grads"])
    for name, w in want["param_grads"].items():
        if w is None:
            assert got["param_grads"][name] is None, f"grad of {name}"
        else:
            _close(got["param_grads"][name], w, f"grad of {name}")
    assert len(got["input_grads"]) == len(want["input_grads"])
    for i, (g, w) in enumerate(zip(got["input_grads"], want["input_grads"])):
        if w is None:
            assert g is None, f"input {i} gradient"
        else:
            _close(g, w, f"gradient of input {i}")
    assert list(got["buffers"]) == list(want["buffers"])
    for name, w in want["buffers"].items():
        _close(got["buffers"][name], w, f"buffer {name}")


@pytest.mark.parametrize("make", cases.REPRS)
def test_print_module_is_pytorchs(make):
    assert harness.repr_of(nb, make) == DATA["reprs"][make]


def _stat_tolerances(want):
    """Allowed |difference| of mean and variance between two independent samples
    of the same distribution (6 standard errors), and of the extremes."""
    n, var = want["numel"], want["var"]
    mean_tol = 6 * math.sqrt(2 * var / n) + 1e-12
    var_tol = 6 * math.sqrt(2) * var * math.sqrt(2 / n) + 1e-12
    return mean_tol, var_tol, 0.1 * (want["max"] - want["min"]) + 1e-12


@pytest.mark.parametrize("expr", cases.INIT_CASES)
def test_initialisation_follows_pytorchs_distribution(expr):
    nb.manual_seed(1234)
    got, want = harness.init_stats(nb, expr), DATA["init"][expr]
    assert got["numel"] == want["numel"] and got["dtype"] == want["dtype"]
    mean_tol, var_tol, ext_tol = _stat_tolerances(want)
    assert abs(got["mean"] - want["mean"]) <= mean_tol, (got, want)
    assert abs(got["var"] - want["var"]) <= var_tol, (got, want)
    assert abs(got["min"] - want["min"]) <= ext_tol, (got, want)
    assert abs(got["max"] - want["max"]) <= ext_tol, (got, want)


def test_distribution_check_can_fail():
    """The tolerance rejects a wrong bound: U(-1/sqrt(400), ..) against
    U(-1/sqrt(300), ..), the fan_out mistake."""
    want = DATA["init"]["nn.Linear(400, 300).weight"]
    wrong = nb.rand(300, 400) * (2 / math.sqrt(300)) - 1 / math.sqrt(300)
    a = wrong.numpy().astype(np.float64)
    _, var_tol, ext_tol = _stat_tolerances(want)
    assert abs(a.var() - want["var"]) > var_tol or abs(a.max() - want["max"]) > ext_tol


def test_module_check_can_fail():
    """A changed parameter changes the outputs beyond the tolerance."""
    index = next(i for i, c in enumerate(cases.MODULE_CASES) if c["make"].startswith("nn.GRU("))
    want = DATA["modules"][index]
    state = json.loads(json.dumps(want["state"]))
    state["bias_hh_l0"]["data"][0] += 1e-4
    got = harness.run_module_case(nb, cases.MODULE_CASES[index], state=state, data=want)
    with pytest.raises(AssertionError):
        _close(got["outputs"][0], want["outputs"][0], "output")
