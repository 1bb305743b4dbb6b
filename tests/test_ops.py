"""Op-database-driven tests: values against NumPy, float64 gradients against
finite differences (first and second order)."""

import numpy as np
import pytest

import nbgrad as nb
from tests.opdb import ALL_OPS

CASES = [(info, i) for info in ALL_OPS
         for i in range(len(info.samples(np.random.default_rng(0))))]


def _ids(case):
    info, i = case
    return f"{info.id}-{i}"


def _sample(info, i, seed=0):
    return info.samples(np.random.default_rng(seed))[i]


def _to_tensors(sample, dtype, requires_grad):
    diff = sample.diff_positions()
    out = []
    for k, a in enumerate(sample.args):
        if isinstance(a, np.ndarray):
            t = nb.tensor(a.astype(dtype) if a.dtype.kind == "f" else a)
            if requires_grad and k in diff:
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def _np_args(sample, dtype):
    return [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in sample.args]


@pytest.mark.parametrize("case", CASES, ids=_ids)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_match_numpy(case, dtype):
    info, i = case
    if info.ref is None:
        pytest.skip("no reference")
    sample = _sample(info, i)
    got = info.call(*_to_tensors(sample, dtype, False), **sample.kwargs)
    want = info.ref(*_np_args(sample, dtype), **sample.kwargs)
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert tuple(g.shape) == w.shape
        if w.dtype.kind == "f":
            tol = 1e-5 if dtype == np.float32 else 1e-10
            np.testing.assert_allclose(g.numpy(), w, rtol=max(tol, info.rtol if dtype ==
                                                            np.float32 else 1e-10), atol=tol)
        else:
            np.testing.assert_array_equal(g.numpy(), w)


@pytest.mark.parametrize("case", [c for c in CASES if c[0].grad], ids=_ids)
def test_gradient_float64(case):
    info, i = case
    sample = _sample(info, i)
    args = _to_tensors(sample, np.float64, True)
    assert nb.autograd.gradcheck(lambda *a: info.call(*a, **sample.kwargs), args)


@pytest.mark.parametrize("case", [c for c in CASES if c[0].grad and c[0].gradgrad], ids=_ids)
def test_second_order_gradient_float64(case):
    info, i = case
    sample = _sample(info, i)
    args = _to_tensors(sample, np.float64, True)
    assert nb.autograd.gradgradcheck(lambda *a: info.call(*a, **sample.kwargs), args)


@pytest.mark.parametrize("case", [c for c in CASES if c[0].grad], ids=_ids)
def test_gradient_has_input_dtype_float32(case):
    info, i = case
    sample = _sample(info, i)
    args = _to_tensors(sample, np.float32, True)
    out = info.call(*args, **sample.kwargs)
    out = out[0] if isinstance(out, tuple) else out
    out.sum().backward()
    for a in args:
        if isinstance(a, nb.Tensor) and a.requires_grad and a.grad is not None:
            assert a.grad.dtype is a.dtype and a.grad.shape == a.shape


@pytest.mark.parametrize("case", [c for c in CASES if c[0].grad], ids=_ids)
def test_recorded_backward_matches_fast_backward(case):
    """create_graph=True runs each rule on Tensors (recorded); without it the
    fused kernels run: both must give the same first derivative."""
    info, i = case
    sample = _sample(info, i)
    args = _to_tensors(sample, np.float64, True)
    inputs = [a for a in args if isinstance(a, nb.Tensor) and a.requires_grad]
    out = info.call(*args, **sample.kwargs)
    out = out[0] if isinstance(out, tuple) else out
    v = nb.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)))
    fast = nb.autograd.grad(out, inputs, v, retain_graph=True, allow_unused=True)
    recorded = nb.autograd.grad(out, inputs, v, create_graph=True, allow_unused=True)
    for f, r in zip(fast, recorded):
        assert (f is None) == (r is None)
        if f is not None:
            np.testing.assert_allclose(r.detach().numpy(), f.numpy(), rtol=1e-10, atol=1e-12)
