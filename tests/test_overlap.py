"""Overlapping in-place writes follow PyTorch's memory-overlap rules (nbgrad/ops/overlap.py).

Each case in CASES is run with ``torch`` bound to nbgrad and must end as it ended with
PyTorch 2.13: the same exception class (with PyTorch's message inside nbgrad's) or the same
value.  The outcomes are recorded once in tests/overlap_outcomes.json by
``python -m tests.test_overlap --record`` (PyTorch installed); this module never imports
torch when it runs as tests.

Where PyTorch cannot classify the sharing (views that are not dense) it lets the op run
and its result depends on its loop order; nbgrad computes those as if the input had been
cloned first: `test_unclassified_sharing_is_computed_as_if_cloned` checks them against
NumPy.  The CUDA checks run the same rules on device buffers under Numba's simulator.
"""

import json
import os
import sys
import warnings

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.ops import overlap
from tests.differential import harness
from tests.test_cuda_harness import in_simulator_process, needs_numba_cuda, run_child

_A5 = "x = torch.arange(5.)\n"
_M = "x = torch.arange(9.).reshape(3, 3)\n"
_M23 = "x = torch.arange(6.).reshape(2, 3)\n"
_E = "x = torch.zeros(3).expand(2, 3)\n"
_G = "w = torch.arange(5., requires_grad=True)\nx = w * 1\n"

CASES = [
    # partial overlap: refused (the brief's examples first)
    _A5 + "x[1:] += x[:-1]\nx", _M + "x.add_(x.t())\nx", _A5 + "x[1:] = x[:-1]\nx",
    _A5 + "x[:3] = x[2:]\nx", _A5 + "x.add_(x[0])\nx", _A5 + "x.add_(x[:1])\nx",
    _M + "x.add_(x[0])\nx", _A5 + "x.div_(x[1:2])\nx", _M + "x.copy_(x.t())\nx",
    _A5 + "x.copy_(x[0])\nx", _A5 + "x.copy_(x.view(1, 5))\nx",
    _A5 + "x.unsqueeze(0).copy_(x)\nx", _A5 + "x.view(1, 5).add_(x)\nx",
    "x = torch.arange(6.)\nx.view(2, 3).add_(x.view(3, 2).t())\nx",
    _A5 + "x[1:].clamp_(min=x[:-1])\nx", _A5 + "x.clamp_(x[0], x[4])\nx",
    _A5 + "x[1:].mul_(x[:-1])\nx", _A5 + "x[1:].sub_(x[:-1], alpha=2)\nx",
    _A5 + "x[:4] -= x[1:]\nx", _A5 + "x[1:] *= x[:-1]\nx", _A5 + "x[1:] /= x[:-1] + 0\nx",
    # full overlap (the same elements in the same order): allowed
    _A5 + "x.add_(x)\nx", _A5 + "x.mul_(x)\nx", _A5 + "x.copy_(x)\nx", _A5 + "x[:] = x\nx",
    _A5 + "x[1:3].copy_(x[1:3])\nx", _A5 + "x.clamp_(min=x)\nx", _A5 + "x[0] = x[0]\nx",
    _A5 + "x[0:2] = x[0:2]\nx", "x = torch.arange(5.)\nx.view(5, 1).add_(x.view(5, 1))\nx",
    _A5 + "x[None] = x\nx", _A5 + "x[:] = x[None]\nx", _M23 + "x[0:1] = x[0]\nx",
    _M23 + "x[0] = x[0:1]\nx", _A5 + "x.fill_(x[0])\nx",
    # no overlap, or a broadcast value (PyTorch cannot tell, reads it first): allowed
    _A5 + "x[:2] += x[3:]\nx", _M + "x[0] += x[1]\nx", "x = torch.arange(4.)\nx[:2].add_(x[2:])\nx",
    _A5 + "x[1:] = x[0]\nx", _A5 + "x[:] = x[0]\nx", _A5 + "x[1:] = x[:1]\nx",
    _M23 + "x[0:1] = x[1]\nx", _A5 + "x.copy_(x.flip(0))\nx", _A5 + "x.sub_(x.flip(0))\nx",
    _A5 + "x[1:].masked_fill_(x[1:] > 1, x[0])\nx", _A5 + "x.masked_fill_(x > 1, x[0])\nx",
    _M + "x[:, 0].copy_(x[0])\nx", _M + "x[0, :] = x[:, 0]\nx", "x = torch.zeros(0)\nx.add_(x)\nx",
    _A5 + "x[1:].add_(1)\nx", _A5 + "x[::2] += x[1::2].sum()\nx",
    # index_put_ and scatter_: no sharing with the target at all (even full), except a lone
    # mask with a one-element value (a masked_fill_)
    _A5 + "x.index_put_((torch.tensor([0, 1]),), x[1:3])\nx",
    _A5 + "x.index_put_((torch.tensor([0, 1]),), x[0:2])\nx",
    _A5 + "x.index_put_((torch.tensor([3, 4]),), x[0:2], accumulate=True)\nx",
    _A5 + "x[torch.tensor([0, 1])] = x[3:]\nx", _A5 + "x[torch.tensor([0, 1])] = x[4]\nx",
    _A5 + "x[torch.tensor([1, 2])] = x[:2]\nx", _A5 + "x[x > 1] = x[:3]\nx",
    _A5 + "x[x > 2] = x[0]\nx", _A5 + "x[x > 2] = x[:1]\nx",
    _M23 + "x[0, x[0] > 0] = x[1, 0]\nx", _M23 + "x[x > 0] = x[1, 0:1]\nx",
    _M23 + "x[torch.tensor([True, False]), 1] = x[1, 0]\nx",
    _M23 + "x[torch.tensor([True, False]), torch.tensor([True, False, True])] = x[1, 0]\nx",
    _A5 + "x[torch.tensor([0, 1])] = 5.0\nx", "x = torch.arange(5)\nx[x[:2]] = 7\nx",
    "x = torch.arange(5)\nx.index_put_((x[3:],), torch.tensor(7))\nx",
    _A5 + "x[1:3].scatter_(0, torch.tensor([0, 1]), x[:2])\nx",
    _A5 + "x[1:3].scatter_add_(0, torch.tensor([0, 1]), x[:2])\nx",
    _A5 + "x[1:3].scatter_(0, torch.tensor([0, 1]), x[1:3])\nx",
    _A5 + "x.scatter_(0, torch.tensor([0, 1]), 3.0)\nx",
    # a written-to tensor whose elements share addresses (expanded)
    "torch.zeros(1).expand(3).add_(1)", _E + "x.mul_(2)\nx", _E + "x.clamp_(0, 1)\nx",
    "x = torch.zeros(2, 3)[:, :1].expand(2, 3)\nx.add_(1)\nx", _E + "x[...] = 1\nx",
    "x = torch.zeros(3)\nx.expand(2, 3).copy_(torch.ones(2, 3))\nx",
    _E + "x.scatter_(0, torch.tensor([[0, 0, 0]]), 1.)\nx",
    "x = torch.zeros(3)\ny = x.expand(2, 3)\ny[0] = 1\nx", _E + "x[0:1] = 1\nx",
    _E + "x.fill_(1.0)\nx", "x = torch.zeros(3)\nx.expand(3, 3).zero_()\nx",
    _E + "x[torch.tensor([0])] = torch.ones(3)\nx",
    _E + "x.masked_fill_(torch.ones(2, 3, dtype=torch.bool), 1.0)\nx",
    _E + "x.masked_fill_(torch.tensor([[True, False, False], [False, False, True]]), 1.0)\nx",
    _E + "x.index_put_((torch.tensor([1]),), torch.tensor([1., 2., 3.]))\nx",
    # nothing is half-written when an op is refused
    _A5 + "try:\n    x[1:] += x[:-1]\nexcept RuntimeError:\n    pass\nx",
    _M + "try:\n    x.copy_(x.t())\nexcept RuntimeError:\n    pass\nx",
    # with autograd
    _G + "x[1:].add_(x[:-1])\nx", _G + "x[1:] = x[:-1]\nx",
    _G + "x.add_(x)\nx.sum().backward()\nw.grad",
    _G + "x[0:2] = x[3:]\nx.sum().backward()\nw.grad",
    ("w = torch.arange(3., requires_grad=True)\nx = torch.zeros(2, 3)\nx.copy_(w)\n"
     "x.sum().backward()\nw.grad"),
    ("w = torch.arange(3., requires_grad=True)\nv = torch.ones(3, requires_grad=True)\n"
     "x = w * 2\nx.copy_(v * 3)\n(x * x).sum().backward()\n[w.grad, v.grad, x.grad_fn is None]"),
    # copy_ itself
    "x = torch.zeros(3)\nx.copy_(torch.ones(3, dtype=torch.float64))\nx",
    "x = torch.zeros(3, dtype=torch.int64)\nx.copy_(torch.tensor([1.7, -1.7, 2.5]))\nx",
    "x = torch.zeros(2, 3)\nx.copy_(torch.ones(3))\nx",
    "x = torch.zeros(3)\nx.copy_(torch.ones(2, 3))\nx",
    "x = torch.zeros(3)\nx.copy_(torch.ones(2))\nx", "x = torch.zeros(3)\nx.copy_(5)\nx",
    "x = torch.zeros(3)\nx.copy_(torch.tensor(2.5))\nx",
]

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "overlap_outcomes.json")


def _recorded():
    with open(_DATA) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def recorded():
    return _recorded()["cases"]


def test_every_case_is_recorded(recorded):
    assert sorted(recorded) == sorted(CASES), "run python -m tests.test_overlap --record"


@pytest.mark.parametrize("code", CASES, ids=range(len(CASES)))
def test_outcome_matches_pytorch(code, recorded):
    want = recorded[code]
    got = harness.run(nb, code)
    kind = harness.classify(got, want)
    assert kind == "same", f"{kind}:\n{code}\nnbgrad: {got}\nPyTorch: {want}"
    if "raises" in want and "memory location" in want["message"]:
        assert want["message"] in got["message"], (got["message"], want["message"])


def test_the_pytorch_messages_are_recorded(recorded):
    # the messages nbgrad repeats, word for word (recorded from PyTorch 2.13)
    messages = {o["message"] for o in recorded.values() if "raises" in o}
    assert overlap._PARTIAL in messages and overlap._INTERNAL in messages


def _with_snapshot(a, dst_key, src_key, op):
    """NumPy: `op` of a[dst_key] with a copy of a[src_key] (the input read before any write)."""
    src = a[src_key].copy()
    a[dst_key] = op(a[dst_key], src)
    return a


_UNCLASSIFIED = [   # (dst key, src key): views that are not dense, sharing memory
    ((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
    ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
    ((slice(None), slice(2, None)), (slice(None), slice(None, -2))),
    ((slice(None), slice(1, None, 2)), (slice(None), slice(None, -1, 2))),
    ((slice(None), slice(3, None)), (slice(None), slice(None, -3))),
]


@pytest.mark.parametrize("keys", _UNCLASSIFIED, ids=str)
@pytest.mark.parametrize("how", ["add_", "copy_", "setitem", "graph"])
def test_unclassified_sharing_is_computed_as_if_cloned(keys, how):
    dst_key, src_key = keys
    base = np.arange(2 * 40, dtype=np.float64).reshape(2, 40)
    op = (lambda d, s: s) if how in ("copy_", "setitem") else (lambda d, s: d + s)
    want = _with_snapshot(base.copy(), dst_key, src_key, op)
    x = nb.tensor(base)
    if how == "graph":
        w = nb.tensor(base, requires_grad=True)
        x = w * 1
    if how == "setitem":
        x[dst_key] = x[src_key]
    else:
        getattr(x[dst_key], "copy_" if how == "copy_" else "add_")(x[src_key])
    np.testing.assert_array_equal(x.detach().numpy(), want)


def _lay(shape, strides, address=1000, itemsize=4, device=False):
    return (device, address, tuple(shape), tuple(s * itemsize for s in strides), itemsize)


@pytest.mark.parametrize("a,b,status", [
    (_lay((4,), (1,)), _lay((4,), (1,)), overlap._FULL),
    (_lay((4,), (1,)), _lay((4,), (1,), 1004), overlap._PARTIAL_OVERLAP),
    (_lay((4,), (1,)), _lay((4,), (1,), 1016), overlap._NO),
    (_lay((2, 2), (2, 1)), _lay((2, 2), (1, 2)), overlap._PARTIAL_OVERLAP),
    (_lay((2, 2), (2, 1)), _lay((2, 2), (2, 1), device=True), overlap._NO),
    (_lay((2, 2), (4, 1)), _lay((2, 2), (2, 1)), overlap._TOO_HARD),
    (_lay((4, 1), (1, 1)), _lay((4, 1), (1, 9)), overlap._FULL),
    (_lay((0,), (1,)), _lay((4,), (1,)), overlap._NO),
    (_lay((3,), (-1,), 1008), _lay((3,), (1,)), overlap._TOO_HARD),
])
def test_overlap_status_follows_pytorch(a, b, status):
    assert overlap.overlap_status(a, b) == status
    assert overlap.overlap_status(b, a) == status


def test_may_share_handles_negative_strides():
    assert overlap.may_share(_lay((3,), (-1,), 1008), _lay((1,), (1,), 1000))
    assert not overlap.may_share(_lay((3,), (-1,), 1008), _lay((1,), (1,), 1012))


def test_expanded_index_put_and_masked_fill_warn_as_pytorch():
    x = nb.zeros(3).expand(2, 3)
    with pytest.warns(UserWarning, match="Use of masked_fill_ on expanded tensors"):
        x.masked_fill_(nb.tensor([[True, False, False], [False, False, True]]), 1.0)
    assert x.tolist() == [[1.0, 0.0, 1.0]] * 2
    with pytest.warns(UserWarning, match="Use of index_put_ on expanded tensors"):
        x[nb.tensor([0])] = nb.full((3,), 2.0)
    assert x.tolist() == [[2.0, 2.0, 2.0]] * 2


def test_expanded_target_with_a_graph_is_refused_not_written_wrong():
    w = nb.zeros(1, 3, requires_grad=True)
    x = (w * 1).expand(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="more than one element of the written-to"):
            x.masked_fill_(nb.tensor([[True, False, False], [False, False, True]]), 1.0)
        with pytest.raises(RuntimeError, match="more than one element of the written-to"):
            x.index_put_((nb.tensor([1]),), nb.ones(3), accumulate=True)


# ---------------------------------------------------------------- CUDA (simulator)
def check_cuda_overlap():
    d = "cuda"

    def raises(fn, words):
        try:
            fn()
        except RuntimeError as e:
            assert words in str(e), str(e)
            return
        raise AssertionError(f"no RuntimeError ({words})")

    x = nb.arange(5.0, device=d)

    def shift():
        x[1:] += x[:-1]
    raises(shift, overlap._PARTIAL)
    assert x.cpu().tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]   # nothing half-written
    m = nb.arange(9.0, device=d).reshape(3, 3)
    raises(lambda: m.add_(m.t()), overlap._PARTIAL)
    raises(lambda: m.copy_(m.t()), overlap._PARTIAL)
    raises(lambda: nb.zeros(1, device=d).expand(3).add_(1), overlap._INTERNAL)

    def setitem():
        x[1:] = x[:-1]
    raises(setitem, overlap._PARTIAL)
    x.add_(x)
    assert x.cpu().tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    x.copy_(x.flip(0))
    assert x.cpu().tolist() == [8.0, 6.0, 4.0, 2.0, 0.0]
    a = nb.arange(8.0, device=d).reshape(2, 4)
    a[:, 1:].add_(a[:, :3])   # not dense: PyTorch lets it run; nbgrad reads a copy first
    assert a.cpu().tolist() == [[0.0, 1.0, 3.0, 5.0], [4.0, 9.0, 11.0, 13.0]]
    e = nb.zeros(3, device=d).expand(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e.masked_fill_(nb.tensor([[True, False, False], [False, False, True]], device=d), 1.0)
        assert e.cpu().tolist() == [[1.0, 0.0, 1.0]] * 2
        e[nb.tensor([0], device=d)] = nb.full((3,), 2.0, device=d)
    assert e.cpu().tolist() == [[2.0, 2.0, 2.0]] * 2
    c = nb.zeros(2, 3, device=d)
    c.copy_(nb.tensor([1.0, 2.0, 3.0]))   # from the host, broadcast
    assert c.cpu().tolist() == [[1.0, 2.0, 3.0]] * 2


CHECKS = [name for name in dir() if name.startswith("check_")]


def _run_checks():
    import traceback
    out = {}
    for name in CHECKS:
        try:
            globals()[name]()
            out[name] = None
        except BaseException:  # noqa: BLE001 - reported to the parent process
            out[name] = traceback.format_exc()
    return out


@pytest.fixture(scope="module")
def cuda_results():
    if in_simulator_process():
        from tests.test_cuda_harness import install
        install()
        return _run_checks()
    return run_child(os.path.abspath(__file__), ["--child"], timeout=900)


@needs_numba_cuda
def test_cuda_overlap(cuda_results):
    """The same rules for device buffers (device pointers and extents)."""
    if cuda_results["check_cuda_overlap"] is not None:
        pytest.fail(cuda_results["check_cuda_overlap"], pytrace=False)


def _record():
    """Run every case with PyTorch and write tests/overlap_outcomes.json."""
    import torch
    data = {"torch_version": torch.__version__,
            "cases": {code: harness.run(torch, code) for code in CASES}}
    with open(_DATA, "w") as f:
        f.write(json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n")


if __name__ == "__main__":
    if "--record" in sys.argv:
        _record()
    else:
        from tests.test_cuda_harness import install
        install()
        print(json.dumps(_run_checks()))
