"""out= on the public functions (nbgrad.ops.out): the result lands in `out` (the same
object is returned, its version bumps), PyTorch's autograd, dtype, device and resize
rules, factories and several outputs.  PyTorch's own outcomes of these are recorded
in tests/differential/cases_namespace.py."""

import warnings

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.ops.out import OUT_NAMES


def test_every_out_name_nbgrad_has_takes_out():
    missing = [n for n in sorted(OUT_NAMES) if hasattr(nb, n)
               and not hasattr(getattr(nb, n), "__wrapped_op__")]
    assert not missing, f"public functions without out=: {missing}"


@pytest.mark.parametrize("name, args", [
    ("sin", (nb.tensor([0.5, 1.0]),)), ("exp", (nb.tensor([0.5, 1.0]),)),
    ("add", (nb.tensor([1., 2.]), 3.)), ("mul", (nb.tensor([1., 2.]), nb.tensor([3., 4.]))),
    ("div", (nb.tensor([1., 2.]), 4.)), ("pow", (nb.tensor([1., 2.]), 2)),
    ("maximum", (nb.tensor([1., 5.]), nb.tensor([3., 4.]))),
    ("clamp", (nb.tensor([-1., 5.]), 0., 1.)), ("sum", (nb.tensor([[1., 2.], [3., 4.]]), 0)),
    ("mean", (nb.tensor([[1., 2.], [3., 4.]]), 1)),
    ("matmul", (nb.tensor([[1., 2.], [3., 4.]]), nb.tensor([[1., 0.], [1., 1.]]))),
    ("mm", (nb.tensor([[1., 2.], [3., 4.]]), nb.tensor([[1., 0.], [1., 1.]]))),
    ("addcmul", (nb.ones(2), nb.tensor([1., 2.]), nb.tensor([3., 4.]))),
    ("lerp", (nb.zeros(2), nb.ones(2), 0.25)),
    ("norm", (nb.tensor([3., 4.]),)),
])
def test_out_gets_the_result_in_place(name, args):
    fn = getattr(nb, name)
    want = fn(*args)
    out = nb.empty(tuple(want.shape), dtype=want.dtype)
    v = out._version
    buffer = out._data
    r = fn(*args, out=out)
    assert r is out and out._data is buffer and out._version > v
    np.testing.assert_array_equal(out.numpy(), want.numpy())


def test_out_may_be_an_input():
    x = nb.tensor([1., 2., 3.])
    assert nb.add(x, x, out=x) is x and x.tolist() == [2., 4., 6.]
    a = nb.tensor([[1., 2.], [3., 4.]])
    nb.matmul(a, a, out=a)
    assert a.tolist() == [[7., 10.], [15., 22.]]


def test_resize_warns_unless_out_is_empty():
    x = nb.ones(2, 3)
    with pytest.warns(UserWarning, match="was resized"):
        r = nb.add(x, 1, out=nb.empty(5))
    assert r.shape == (2, 3) and r.tolist() == [[2.] * 3] * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nb.add(x, 1, out=nb.empty(0)).shape == (2, 3)
        assert nb.zeros(2, 2, out=nb.empty(7)).shape == (2, 2)   # factories resize silently


def test_out_refuses_autograd():
    x = nb.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        nb.mul(x, 2, out=nb.empty(2))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        nb.mul(nb.ones(2), 2, out=nb.empty(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        nb.cat([x, x], out=nb.empty(4))
    with nb.no_grad():
        assert nb.mul(x, 2, out=nb.empty(2)).tolist() == [2., 2.]


def test_out_dtype_rules():
    x = nb.tensor([1.5, 2.5])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        nb.add(x, 1, out=nb.empty(2, dtype=nb.int64))
    with pytest.raises(RuntimeError, match="can't be cast"):
        nb.add(x, 1, out=nb.empty(2, dtype=nb.bool))
    assert nb.add(x, 1, out=nb.empty(2, dtype=nb.float64)).dtype is nb.float64
    assert nb.gt(x, 2, out=nb.empty(2)).tolist() == [0., 1.]   # bool into float is fine
    assert nb.sum(x, out=nb.empty((), dtype=nb.int64)).item() == 3   # sum computes in out's dtype
    with pytest.raises(TypeError, match="must be Tensor"):
        nb.add(x, 1, out=[1.])


def test_several_outputs():
    x = nb.tensor([[1., 5.], [7., 2.]])
    v, i = nb.empty(2), nb.empty(2, dtype=nb.int64)
    r = nb.max(x, 1, out=(v, i))
    assert r.values is v and r.indices is i
    assert v.tolist() == [5., 7.] and i.tolist() == [1, 0]
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype"):
        nb.max(x, 1, out=(nb.empty(2), nb.empty(2)))


def test_factories_take_out_dtype():
    o = nb.empty(3, dtype=nb.int64)
    assert nb.zeros(3, out=o) is o and o.dtype is nb.int64 and o.tolist() == [0, 0, 0]
    o = nb.empty(1, dtype=nb.float64)
    assert nb.arange(3, out=o).tolist() == [0., 1., 2.] and o.dtype is nb.float64
    assert nb.full((2,), 7., out=nb.empty(2)).tolist() == [7., 7.]


def test_functions_without_out_refuse_it():
    with pytest.raises(TypeError, match="out"):
        nb.einsum("i->i", nb.ones(2), out=nb.empty(2))
