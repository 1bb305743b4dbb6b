"""nb.compile of functions whose tensors the float arena cannot hold: integer and bool
results of ops (``argmax``, ``x > 0``, ``X[ix]``), and index tensors.  Such a result
is a host value: the op runs eagerly on every replay and the tensor it returns is
read by the ops after it, or returned.  An index tensor (an argument, a captured
tensor or a host value) is read on every replay, never baked in from the recording:
these tests change it between calls and compare with eager calls."""

import warnings

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.compiler import CompileWarning

F = nb.nn.functional


def _values(out):
    """The arrays of `out`, a tensor or a tuple of them, as a list."""
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o.detach().numpy().copy() for o in outs]


def _same_calls(fn, calls):
    """`fn` compiled gives the eager results on every call of `calls` (argument tuples),
    replaying every call after the first, with no warning; returns eager's results."""
    step = nb.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        got = [_values(step(*args)) for args in calls]
    want = [_values(fn(*args)) for args in calls]
    for g, w in zip(got, want):
        for a, b in zip(g, w, strict=True):
            if a.dtype.kind == "f":   # sums may add in another order: issue 12's 1e-12
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
            else:
                np.testing.assert_array_equal(a, b)
    assert step.stats == {"recordings": 1, "replays": len(calls) - 1, "eager_calls": 0,
                          "evictions": 0}
    return want


def _index_fns():
    def gather_rows(x, i):
        (g,) = nb.autograd.grad((x[i] ** 2).sum(), x)
        return x[i].detach(), g

    def with_new_axis(x, i):
        return (x[i, None] * 2).sum(0)

    def put(x, i):
        return x.index_put((i,), nb.ones_like(x[0]), accumulate=True)

    def select_rows(x, i):
        return x.index_select(0, i).exp()

    def list_key(x, i):   # [i, 0] is the key (i, 0): PyTorch's legacy list rule
        return x[[i, 0]] * 2, x[i]
    return [gather_rows, with_new_axis, put, select_rows, list_key]


@pytest.mark.parametrize("fn", _index_fns(), ids=lambda f: f.__name__)
@pytest.mark.parametrize("rows", [5, 3000], ids=["tape", "arrays"])
def test_an_index_argument_is_read_on_every_call(fn, rows):
    x = nb.linspace(-1, 1, rows * 2, dtype=nb.float64).reshape(rows, 2).requires_grad_()
    indices = [nb.tensor([0, 2, 1]), nb.tensor([4, 4, 3]), nb.tensor([1, 0, 2])]
    results = _same_calls(fn, [(x, i) for i in indices])
    assert not np.array_equal(results[0][0], results[1][0])


def test_a_captured_index_changed_in_place_is_read_on_every_call():
    x = nb.arange(6.0, dtype=nb.float64).requires_grad_()
    i = nb.tensor([0, 1])

    def fn(x):
        return x[i] * 3

    step = nb.compile(fn)
    first = step(x).tolist()
    i[0] = 5
    assert step(x).tolist() == fn(x).tolist() == [15.0, 3.0] != first
    assert step.stats["replays"] == 1


def test_index_tensors_read_as_python_numbers_run_eagerly():
    x = nb.arange(6.0, dtype=nb.float64)
    for fn in (lambda x, i: x[i] * 2, lambda x, i: x[[i]] * 2):   # a 0-d index: an int
        step = nb.compile(fn)
        with pytest.warns(CompileWarning, match="Tensor.item()"):
            step(x, nb.tensor(1))
        assert step(x, nb.tensor(4)).tolist() == fn(x, nb.tensor(4)).tolist()
        assert step.stats["replays"] == 0


@pytest.mark.parametrize("n", [6, 3000], ids=["tape", "arrays"])
def test_integer_and_bool_results_are_read_and_returned(n):
    def fn(x):
        mask = x > 0.25
        top = x.argmax()
        y = x * mask + x[top.reshape(1)]
        (g,) = nb.autograd.grad((y * y).sum(), x)
        return y.detach(), g, top, mask, mask.sum()

    xs = [nb.linspace(-1, 1, n, dtype=nb.float64).requires_grad_(),
          nb.linspace(1, -1, n, dtype=nb.float64).requires_grad_(),
          nb.linspace(-2, 0.5, n, dtype=nb.float64).requires_grad_()]
    _same_calls(fn, [(x,) for x in xs])


def test_a_returned_host_value_is_a_new_tensor_per_call():
    step = nb.compile(lambda x: x.argmax(1))
    x = nb.tensor([[1.0, 3.0], [4.0, 2.0]])
    a = step(x)
    b = step(x)
    assert a is not b and a.dtype is nb.int64 and b.tolist() == [1, 0]
    a[0] = 7
    assert b.tolist() == [1, 0]


@pytest.mark.parametrize("fn, what", [
    (lambda x: x[nb.nonzero(x > 0)[:, 0]] * 2, "nonzero(tensor) reads a tensor's values"),
    (lambda x: x[nb.where(x > 0)[0]] * 2, "nonzero(tensor) reads a tensor's values"),
    (lambda x: nb.bincount((x > 0).long()) * x.sum(), "its result's shape depends on its"),
])
def test_results_whose_shape_depends_on_values_run_eagerly(fn, what):
    step = nb.compile(fn)
    x1 = nb.tensor([1.0, -1.0, 2.0], dtype=nb.float64)
    x2 = nb.tensor([1.0, 3.0, 2.0], dtype=nb.float64)
    with pytest.warns(CompileWarning, match=what.replace("(", r"\(").replace(")", r"\)")):
        step(x1)
    assert step(x2).tolist() == fn(x2).tolist()
    assert step.stats["replays"] == 0


def test_a_host_result_of_another_shape_on_replay_raises(monkeypatch):
    from nbgrad.compiler import host_rows
    monkeypatch.setattr(host_rows, "_VALUE_SHAPED", frozenset())   # the backstop alone
    step = nb.compile(lambda x: nb.bincount((x > 0).long()) * x.sum())
    step(nb.tensor([1.0, -1.0], dtype=nb.float64))
    with pytest.raises(RuntimeError, match=r"bincount returned shape \[1\] on a replay "
                                           r"against \[2\]"):
        step(nb.tensor([-1.0, -1.0], dtype=nb.float64))
