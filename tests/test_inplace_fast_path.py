"""The in-place fast path (`nbgrad.ops.inplace._fast_operands`): a plain update such
as ``p -= lr * p.grad`` under no_grad skips the general path's checks when they
cannot fail.  It must give the general path's values and versions, and leave every
case it cannot prove safe (views, overlap, recording, other dtypes) to the general
path and its errors."""

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.ops import inplace

OPS = [("add_", lambda t, o: t.add_(o), np.add),
       ("sub_", lambda t, o: t.sub_(o), np.subtract),
       ("mul_", lambda t, o: t.mul_(o), np.multiply),
       ("div_", lambda t, o: t.div_(o), np.divide),
       ("add_ alpha", lambda t, o: t.add_(o, alpha=-0.25), lambda a, b: a - 0.25 * b),
       ("sub_ alpha", lambda t, o: t.sub_(o, alpha=3), lambda a, b: a - 3 * b),
       ("iadd", lambda t, o: t.__iadd__(o), np.add),
       ("isub", lambda t, o: t.__isub__(o), np.subtract)]


@pytest.fixture
def no_general_path(monkeypatch):
    """Make the general path fail loudly: a case that must take the fast path does."""
    def refuse(*args, **kwargs):
        raise AssertionError("the general in-place path ran")
    monkeypatch.setattr(inplace, "check_inplace", refuse)


@pytest.mark.parametrize("name,op,ref", OPS, ids=[o[0] for o in OPS])
@pytest.mark.parametrize("dtype", [nb.float32, nb.float64])
@pytest.mark.parametrize("other_kind", ["tensor", "float", "int"])
def test_fast_path_values_and_version(no_general_path, name, op, ref, dtype, other_kind):
    rng = np.random.default_rng(0)
    a = rng.uniform(1, 2, (5, 7)).astype(dtype.np)
    b = rng.uniform(1, 2, (5, 7)).astype(dtype.np)
    other = {"tensor": nb.tensor(b), "float": 1.5, "int": 3}[other_kind]
    want = ref(a, b if other_kind == "tensor" else other).astype(dtype.np)
    p = nb.tensor(a, requires_grad=True)
    with nb.no_grad():
        out = op(p, other)
    assert out is p
    assert p._version == 1
    np.testing.assert_allclose(p.detach().numpy(), want, rtol=1e-6)


def test_fast_path_with_the_target_itself(no_general_path):
    x = nb.tensor([1.0, 2.0, 3.0])
    x.mul_(x)   # full overlap: each element is read before it is written
    np.testing.assert_array_equal(x.numpy(), [1.0, 4.0, 9.0])
    assert x._version == 1


def test_parameter_update_takes_the_fast_path(no_general_path):
    lin = nb.nn.Linear(4, 3)
    lin(nb.ones(2, 4)).sum().backward()
    before = lin.weight.detach().clone()
    with nb.no_grad():
        for p in lin.parameters():
            p -= 0.1 * p.grad
    np.testing.assert_allclose(lin.weight.detach().numpy(),
                               before.numpy() - 0.1 * lin.weight.grad.numpy(),
                               rtol=1e-6)


def test_general_path_still_raises_for_what_the_fast_path_leaves():
    x = nb.arange(6.0)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x[1:].add_(x[:-1])                       # partial overlap (views)
    leaf = nb.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.add_(1.0)                           # grad mode on: a leaf
    i = nb.ones(3, dtype=nb.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(0.5)                              # a float number into an int tensor
    f = nb.ones(3)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        f.add_(nb.ones(2, 3))                    # the target cannot hold the result
    ro = np.ones(3, np.float32)
    ro.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        t = nb.from_numpy(ro)
    with pytest.raises(RuntimeError, match="read-only"):
        t.add_(1.0)


def test_mixed_dtypes_and_int_wrap_match_the_general_path():
    x = nb.ones(4, dtype=nb.float32)
    x.add_(nb.ones(4, dtype=nb.float64))        # another dtype: general path, float32 result
    assert x.dtype is nb.float32
    np.testing.assert_array_equal(x.numpy(), [2.0] * 4)
    i8 = nb.zeros(2, dtype=nb.int8)
    i8.add_(1000)                                # wraps as PyTorch: 1000 -> -24
    np.testing.assert_array_equal(i8.numpy(), [-24, -24])
