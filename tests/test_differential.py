"""Differential test: every case in tests/differential/cases.py, run with nbgrad, must end as it
ended with PyTorch (recorded once in tests/differential/torch_outcomes.json by record.py).

Categories: "same" (the same builtin exception class, or the same value: dtype, shape,
requires_grad and values within rtol 1e-5 float32 / 1e-10 float64); "silent" (PyTorch raised
and nbgrad returned, or the values differ) -- never allowed; "type" (both raised, other
classes) and "raises" (nbgrad raised where PyTorch returned) -- allowed only for the cases in
KNOWN_DIFFERENCES, each a deliberate deviation documented in docs/differential.md.
This module never imports torch.
"""

import functools
import json
import os

import pytest

import nbgrad
from tests.differential import harness
from tests.differential.cases import CASES

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "differential",
                     "torch_outcomes.json")
with open(_DATA) as _f:
    RECORDED = json.load(_f)
MIN_SAME_RATE = 0.97

_X = "x = torch.arange(6.).reshape(2, 3)\n"
_XI = "x = torch.arange(6).reshape(2, 3)\n"
_FLOAT16 = ("float16 tensors are refused with a TypeError naming the dtype: Numba has no float16 "
            "arithmetic on the CPU")
_UNSIGNED = ("uint16/uint32/uint64 are refused with a TypeError naming the dtype: PyTorch itself "
             "has almost no ops for them")
_COMPLEX = "complex dtypes are not supported: a TypeError names the dtype"

# code -> why nbgrad deliberately differs (see docs/differential.md); never "it fails today"
KNOWN_DIFFERENCES = {
    _XI + "torch.ones(2, 3, dtype=torch.float16) + 1": _FLOAT16,
    _XI + "torch.ones(2, dtype=torch.float16).sum()": _FLOAT16,
    "torch.zeros(2, dtype=torch.float16, requires_grad=True).requires_grad": _FLOAT16,
    "torch.from_numpy(np.array([1., 2.], dtype=np.float16))": _FLOAT16,
    "torch.from_numpy(np.array([1, 2], dtype=np.uint16))": _UNSIGNED,
    "torch.from_numpy(np.array([1, 2], dtype=np.uint32))": _UNSIGNED,
    "torch.from_numpy(np.array([1, 2], dtype=np.uint64))": _UNSIGNED,
    "torch.from_numpy(np.array([1 + 2j]))": _COMPLEX,
    "torch.ones(2, dtype=complex)": _COMPLEX,
    "torch.tensor(3 + 4j)": _COMPLEX,
    _X + "x + 1j": _COMPLEX,
    "a = np.ones(2)\na.flags.writeable = False\ntorch.from_numpy(a).add_(1)": (
        "an in-place op on a read-only NumPy array raises RuntimeError (issue 10 asks for a clear "
        "error); PyTorch only warns at from_numpy and then writes into the read-only memory"),
    "a = np.zeros(3, np.float32)\na.flags.writeable = False\nt = torch.from_numpy(a)\n"
    "t[0] = 1.": ("x[i] = v into a read-only NumPy array raises RuntimeError, as add_ does "
                  "(above)"),
    _X + "x.sum(dim=np.array(0))": ("PyTorch fails an internal assert (RuntimeError); nbgrad "
                                    "raises TypeError naming the argument, as for other "
                                    "non-int dims"),
}


@functools.cache
def nbgrad_outcome(code):
    return harness.run(nbgrad, code)


def _case_id(case):
    group, code = case
    return f"{group}:{code}".replace("\n", "; ")


def _explain(kind, code, got, want):
    what = {"silent": "SILENT DIFFERENCE (PyTorch raised or gave another value)",
            "type": "different exception type",
            "raises": "nbgrad raised where PyTorch returned a value"}[kind]
    lines = [what, "case:", *("    " + line for line in code.splitlines()),
             f"PyTorch {RECORDED['torch_version']}: {want}", f"nbgrad: {got}"]
    if "value" in got and "value" in want:
        lines += harness.differences(got["value"], want["value"])[:5]
    return "\n".join(lines)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_case_matches_pytorch(case):
    _group, code = case
    assert code in RECORDED["cases"], "case not recorded: run python -m tests.differential.record"
    want = RECORDED["cases"][code]["outcome"]
    got = nbgrad_outcome(code)
    kind = harness.classify(got, want)
    if code in KNOWN_DIFFERENCES:
        assert kind in ("type", "raises"), (
            f"known difference is now {kind!r}: update KNOWN_DIFFERENCES and docs/differential.md"
            f"\n{_explain(kind, code, got, want) if kind != 'same' else code}")
        return
    assert kind == "same", _explain(kind, code, got, want)


def test_recorded_data_matches_the_case_list():
    codes = {code for _, code in CASES}
    missing = [c for c in codes if c not in RECORDED["cases"]]
    stale = [c for c in RECORDED["cases"] if c not in codes]
    assert not missing and not stale, (
        f"{len(missing)} cases not recorded, {len(stale)} recorded cases no longer listed: "
        "run python -m tests.differential.record")
    assert len(codes) >= 500
    unknown = [c for c in KNOWN_DIFFERENCES if c not in codes]
    assert not unknown, f"KNOWN_DIFFERENCES names cases that do not exist: {unknown}"
    assert all(reason.strip() for reason in KNOWN_DIFFERENCES.values())


def test_summary_no_silent_difference_and_same_type_rate():
    kinds = {}
    for _, code in CASES:
        want = RECORDED["cases"][code]["outcome"]
        kinds[code] = harness.classify(nbgrad_outcome(code), want)
    counts = {k: list(kinds.values()).count(k) for k in ("same", "silent", "type", "raises")}
    rate = counts["same"] / len(kinds)
    summary = (f"{len(kinds)} cases: same {counts['same']} ({rate:.1%}), silent "
               f"{counts['silent']}, other exception type {counts['type']}, nbgrad raised where "
               f"PyTorch did not {counts['raises']} ({len(KNOWN_DIFFERENCES)} known differences)")
    silent = [c for c, k in kinds.items() if k == "silent"]
    assert not silent, summary + "; silent e.g.:\n" + "\n---\n".join(silent[:5])
    assert rate >= MIN_SAME_RATE, f"{summary}: the same-outcome rate is below {MIN_SAME_RATE:.0%}"


def _tensor(values, dtype="float32", shape=None):
    return {"tensor": dtype, "shape": shape if shape is not None else [len(values)],
            "requires_grad": False, "values": values}


@pytest.mark.parametrize("got, want, kind", [
    ({"value": _tensor([1.0, 2.0])}, {"value": _tensor([1.0, 2.0 + 1e-6])}, "same"),
    ({"value": _tensor([1.0, 2.0])}, {"value": _tensor([1.0, 2.001])}, "silent"),
    ({"value": _tensor([1.0, 2.0], "float64")}, {"value": _tensor([1.0, 2.0 + 1e-6],
                                                                  "float64")}, "silent"),
    ({"value": _tensor([1.0, "nan"])}, {"value": _tensor([1.0, 3.0])}, "silent"),
    ({"value": _tensor(["inf"])}, {"value": _tensor(["-inf"])}, "silent"),
    ({"value": _tensor([1.0])}, {"value": _tensor([1.0], "float64")}, "silent"),
    ({"value": _tensor([1, 2], "int64")}, {"value": _tensor([1, 3], "int64")}, "silent"),
    ({"value": _tensor([[1.0]], shape=[1, 1])}, {"value": _tensor([1.0])}, "silent"),
    ({"value": None}, {"raises": "RuntimeError", "builtin": "RuntimeError"}, "silent"),
    ({"value": False}, {"value": 0}, "silent"),
    ({"value": {"float": 1.0}}, {"value": 1}, "silent"),
    ({"raises": "X", "builtin": "RuntimeError"}, {"raises": "Y", "builtin": "RuntimeError"},
     "same"),
    ({"raises": "MemoryError", "builtin": "MemoryError"},
     {"raises": "OutOfMemoryError", "builtin": "RuntimeError"}, "type"),
    ({"raises": "TypeError", "builtin": "TypeError"}, {"value": 1}, "raises"),
])
def test_comparison_catches_differences(got, want, kind):
    assert harness.classify(got, want) == kind


def test_outcome_of_a_case_run_with_nbgrad():
    class OutOfMemory(RuntimeError):
        pass
    assert harness.builtin_base(OutOfMemory) == "RuntimeError"
    out = harness.run(nbgrad, "x = torch.ones(2, requires_grad=True)\n(x * 3).sum().backward()\n"
                              "x.grad, x.dtype, 1.5")
    assert out == {"value": [_tensor([3.0, 3.0]), {"dtype": "float32"}, {"float": 1.5}]}
    assert harness.run(nbgrad, "torch.ones(2)[5]")["raises"] == "IndexError"
