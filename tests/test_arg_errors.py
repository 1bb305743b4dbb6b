"""Arguments of the wrong kind get PyTorch's exception, before any kernel runs,
and the unusual-but-valid calls PyTorch accepts give its results.

The exception types were read from PyTorch 2.13 (see tests/test_differential.py
for the recorded cases); values are checked against NumPy.  Covers the shared
checks of `nbgrad.ops.argcheck` (a Tensor where a Tensor goes, a real bool as
``keepdim``, ints as dims and sizes), the overloads of max/min/prod/to/where/
view/add, gradients given to backward, and integer division overflow.
"""

import math
import warnings

import numpy as np
import pytest

import nbgrad as nb
import nbgrad.nn.functional as F
from nbgrad.ops import argcheck


def x23():
    return nb.arange(6.).reshape(2, 3)


# -- the shared checks ------------------------------------------------------------------
def test_type_name_spells_types_as_pytorch():
    assert argcheck.type_name(x23()) == "Tensor"
    assert argcheck.type_name("a") == "str"
    assert argcheck.type_name(None) == "NoneType"
    assert argcheck.type_name(np.bool_(True)) == "numpy.bool"


@pytest.mark.parametrize("value", [1, 0, np.bool_(True), "yes", None, 1.0])
def test_check_bool_takes_only_python_bools(value):
    with pytest.raises(TypeError, match=r"sum\(\): argument 'keepdim' must be bool, not"):
        argcheck.check_bool("sum", value)
    assert argcheck.check_bool("sum", True) is True


@pytest.mark.parametrize("value", [True, 1.0, "1", None, nb.tensor(1)])
def test_check_int_refuses_bools_floats_strings(value):
    with pytest.raises(TypeError, match="argument 'dims' must be int"):
        argcheck.check_int("flip", value, "dims")


def test_check_int_takes_numpy_integers():
    assert argcheck.check_int("flip", np.int32(-1)) == -1
    assert type(argcheck.check_int("flip", np.int64(2))) is int


def test_invalid_combination_names_the_argument_types():
    e = argcheck.invalid_combination("max", dim=None)
    assert isinstance(e, TypeError)
    assert str(e) == ("max() received an invalid combination of arguments - got "
                      "(dim=NoneType, )")
    assert "got (Tensor, int)" in str(argcheck.invalid_combination("to", x23(), 1))


# -- reductions ---------------------------------------------------------------------------
KEEPDIM_OPS = ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "all",
               "any", "logsumexp", "std", "var", "norm"]


@pytest.mark.parametrize("name", KEEPDIM_OPS)
@pytest.mark.parametrize("keepdim", ["yes", 1, np.bool_(True), None])
def test_reduction_keepdim_must_be_a_bool(name, keepdim):
    x = x23()
    with pytest.raises(TypeError, match=f"{name}.*keepdim.*must be bool"):
        getattr(x, name)(dim=0, keepdim=keepdim)


# (PyTorch's norm fails on a list with an AttributeError from its Python wrapper; nbgrad
# gives the TypeError of the other reductions)
@pytest.mark.parametrize("name", KEEPDIM_OPS + ["count_nonzero", "cumsum", "cumprod"])
def test_reduction_input_must_be_a_tensor(name):
    args = (0,) if name in ("logsumexp", "cumsum", "cumprod") else ()
    with pytest.raises(TypeError, match=r"argument 'input' \(position 1\) must be Tensor, "
                                        "not list"):
        getattr(nb, name)([1.0, 2.0], *args)


@pytest.mark.parametrize("call", [lambda x: x.max(dim=None), lambda x: x.min(None),
                                  lambda x: nb.max(x, None, True), lambda x: x.prod(dim=None),
                                  lambda x: x.max(keepdim=True), lambda x: x.prod(keepdim=True),
                                  lambda x: x.logsumexp(None), lambda x: x.cumsum(None),
                                  lambda x: x.max(1, x), lambda x: x.std(0, "yes")])
def test_reduction_overloads_refuse_what_pytorch_refuses(call):
    with pytest.raises(TypeError):
        call(x23())


def test_reduction_overloads_pytorch_accepts():
    x = x23()
    assert x.max().item() == 5.0 and x.prod().item() == 0.0
    assert x.max(1).values.tolist() == [2.0, 5.0]
    assert x.max(1, True).values.shape == (2, 1)
    assert x.max(x.flip(0)).tolist() == [[3.0, 4.0, 5.0], [3.0, 4.0, 5.0]]
    assert x.sum(dim=None, keepdim=True).shape == (1, 1)
    assert x.argmax(dim=None, keepdim=True).shape == (1, 1)
    assert x.amax(keepdim=True).shape == (1, 1)
    assert x.std(None, True).item() == pytest.approx(np.std(np.arange(6.), ddof=1))


def test_reduction_errors_leave_nothing_recorded():
    x = nb.ones(2, 3, requires_grad=True)
    with pytest.raises(TypeError):
        x.sum(0, "yes")
    assert x.grad_fn is None and x.grad is None


# -- shapes: reshape, view, view(dtype), flip, split, chunk --------------------------------
@pytest.mark.parametrize("call", [lambda x: x.reshape(), lambda x: nb.reshape(x),
                                  lambda x: x.view(), lambda x: x.view(2, dtype=nb.int32),
                                  lambda x: x.flip(), lambda x: x.flip(0.0),
                                  lambda x: x.flip("a"), lambda x: x.split("a"),
                                  lambda x: x.split([1.0, 1.0]), lambda x: x.split(1.5),
                                  lambda x: x.split(1, 1.0), lambda x: x.chunk(1.5),
                                  lambda x: x.chunk("a"), lambda x: x["a"],
                                  lambda x: x[0, "a"], lambda x: x[["a"]]])
def test_shape_arguments_of_the_wrong_type_raise_type_error(call):
    with pytest.raises(TypeError):
        call(x23())


@pytest.mark.parametrize("dtype", [nb.int32, nb.float32, nb.int16, nb.uint8, nb.float64,
                                   nb.int64, nb.int8])
def test_view_dtype_reads_the_same_bytes(dtype):
    x = nb.tensor([[0.5, -2.0, 3.25, 7.0], [1.0, 0.0, -0.0, 1e30]])
    v = x.view(dtype)
    want = x.numpy().view(dtype.np)
    assert v.dtype is dtype and v.shape == want.shape
    np.testing.assert_array_equal(v.numpy(), want)
    assert v._base is x


def test_view_dtype_shares_memory_and_version():
    x = nb.zeros(4)
    v = x.view(nb.int32)
    v[0] = 1065353216   # the bits of 1.0f
    assert x.tolist() == [1.0, 0.0, 0.0, 0.0] and x._version == 1


def test_view_dtype_is_not_differentiable():
    a = nb.ones(4, requires_grad=True)
    for d in (nb.float32, nb.int32, nb.float64):
        assert not a.view(d).requires_grad and a.view(d).grad_fn is None


@pytest.mark.parametrize("make,dtype,words", [
    (lambda: nb.arange(6.).reshape(2, 3), nb.float64, "size\\(-1\\) must be divisible by 2"),
    (lambda: nb.arange(6.).reshape(2, 3).t(), nb.int16, "stride\\(-1\\) must be 1"),
    (lambda: nb.arange(6.).reshape(2, 3)[:, 1:], nb.float64, "storage_offset"),
    (lambda: nb.arange(6.).reshape(2, 3)[:, :2], nb.float64, "stride\\(0\\) must be divisible"),
    (lambda: nb.tensor(1.0), nb.float64, "dim\\(\\) cannot be 0"),
])
def test_view_dtype_of_another_size_checks_the_layout(make, dtype, words):
    with pytest.raises(RuntimeError, match=words):
        make().view(dtype)


def test_view_dtype_of_another_size_scales_the_last_dim():
    x = nb.arange(8.).reshape(2, 4)
    assert x.view(nb.float64).shape == (2, 2)
    assert x.view(nb.int8).shape == (2, 16)
    assert x[:, 2:].view(nb.float64).numpy().tolist() == \
        x.numpy()[:, 2:].copy().view(np.float64).tolist()


@pytest.mark.parametrize("shape,chunks,dim", [((0,), 2, 0), ((0,), 3, 0), ((0, 3), 4, 0),
                                              ((2, 0), 2, 1)])
def test_chunk_of_an_empty_dim_gives_chunks_empty_pieces(shape, chunks, dim):
    pieces = nb.ones(*shape).chunk(chunks, dim)
    assert len(pieces) == chunks
    assert all(tuple(p.shape) == shape for p in pieces)


def test_chunk_and_split_sizes():
    assert [p.shape[0] for p in nb.ones(5).chunk(3)] == [2, 2, 1]
    assert [p.shape[0] for p in nb.ones(6).chunk(4)] == [2, 2, 2]
    assert [p.shape[0] for p in nb.ones(3).split(nb.tensor(1))] == [1, 1, 1]
    assert [p.shape[0] for p in nb.ones(3).split((1, np.int64(2)))] == [1, 2]


def test_empty_chunks_have_a_gradient():
    x = nb.ones(0, 3, requires_grad=True)
    a, b = x.chunk(2)
    (a.sum() + b.sum()).backward()
    assert x.grad.shape == (0, 3)


# -- where(condition), nonzero --------------------------------------------------------------
@pytest.mark.parametrize("values", [[[0., 1., 2.], [3., 0., 5.]], [0, 0, 0], [[True]],
                                    np.zeros((0, 3)), [math.nan, 0.0, -0.0, 1.0]])
def test_where_alone_is_nonzero_as_tuple(values):
    a = np.asarray(values)
    x = nb.tensor(a)
    got = nb.where(x)
    assert len(got) == a.ndim
    for g, w in zip(got, np.nonzero(a)):
        assert g.dtype is nb.int64 and g.tolist() == w.tolist()
    assert [g.tolist() for g in x.nonzero(as_tuple=True)] == [g.tolist() for g in got]
    assert nb.nonzero(x).tolist() == np.argwhere(a).tolist()


def test_nonzero_of_a_0d_tensor_and_a_strided_view():
    assert nb.tensor(5).nonzero().shape == (1, 0)
    assert nb.tensor(0).nonzero().shape == (0, 0)
    assert [t.tolist() for t in nb.tensor(5.).nonzero(as_tuple=True)] == [[0]]
    x = x23().t()
    assert x.nonzero().tolist() == np.argwhere(x.numpy()).tolist()


def test_where_with_two_arguments_is_refused():
    x = x23()
    with pytest.raises(TypeError):
        nb.where(x > 2, x)
    with pytest.raises(TypeError):
        nb.where([True, False])


# -- to, type_as --------------------------------------------------------------------------
@pytest.mark.parametrize("call", [lambda x: x.to(nb.float64, nb.float32),
                                  lambda x: x.to(nb.float64, 1),
                                  lambda x: x.to("cpu", "cpu"),
                                  lambda x: x.to(x, nb.float32),
                                  lambda x: x.to(x, dtype=nb.float32),
                                  lambda x: x.to(nb.float64, dtype=nb.float32),
                                  lambda x: x.to(nb.float64, device="cpu"),
                                  lambda x: x.to("cpu", nb.float64, 1),
                                  lambda x: x.to(np.float64),
                                  lambda x: x.type_as(1), lambda x: x.type_as(None)])
def test_to_overloads_refuse_other_combinations(call):
    with pytest.raises(TypeError):
        call(x23())


def test_to_overloads_pytorch_accepts():
    x = x23()
    y = nb.ones(2, dtype=nb.float64)
    assert x.to(nb.float64, True).dtype is nb.float64
    assert x.to(nb.float32, False, True) is not x   # copy=True
    assert x.to(nb.float32) is x
    assert x.to("cpu", nb.float64).dtype is nb.float64
    assert x.to("cpu", nb.float64, False, True).dtype is nb.float64
    assert x.to(None, nb.float64).dtype is nb.float64
    assert x.to(y).dtype is nb.float64 and x.to(y, True).dtype is nb.float64
    assert x.to("cpu", dtype=nb.float64).dtype is nb.float64
    assert x.type_as(y).dtype is nb.float64


# -- add / sub overloads ------------------------------------------------------------------
def test_add_with_positional_alpha_is_the_deprecated_overload():
    x, y = x23(), nb.ones(2, 3)
    with pytest.warns(UserWarning, match="deprecated"):
        assert x.add(2, 3).tolist() == (x23().numpy() + 6).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert nb.add(x, 2, y).tolist() == (x23().numpy() + 2).tolist()
        assert x.sub(2, y).tolist() == (x23().numpy() - 2).tolist()
        assert nb.add(1, 2, 3).item() == 7
    with pytest.raises(TypeError):
        x.add(y, y)
    with pytest.raises(TypeError):
        x.add(2, alpha=x)


@pytest.mark.parametrize("a,b,value,dtype", [(1, 2, 3, nb.int64), (1.0, 2, 3.0, nb.float32),
                                             (True, 2, 3, nb.int64),
                                             (True, False, True, nb.bool)])
def test_add_of_two_numbers_is_a_0d_tensor(a, b, value, dtype):
    r = nb.add(a, b)
    assert r.shape == () and r.dtype is dtype and r.item() == value
    assert nb.sub(5, 2).item() == 3


# -- bitwise, integer division ---------------------------------------------------------------
@pytest.mark.parametrize("call", [lambda x: x & 1.5, lambda x: 1.5 | x, lambda x: x ^ 2.0,
                                  lambda x: x.bitwise_and(math.nan)])
def test_bitwise_with_a_float_operand_is_not_implemented(call):
    with pytest.raises(NotImplementedError, match="not implemented for 'Float'"):
        call(nb.arange(6).reshape(2, 3))


INT64_MIN = -2 ** 63


@pytest.mark.parametrize("dtype,low", [(nb.int64, INT64_MIN), (nb.int32, -2 ** 31),
                                       (nb.int8, -128)])
def test_integer_division_of_the_minimum_by_minus_one_wraps(dtype, low):
    x = nb.tensor([low, 7, -7], dtype=dtype)
    minus_one = nb.tensor([-1, -1, -1], dtype=dtype)
    for other in (-1, minus_one):
        assert (x // other).tolist() == [low, -7, 7]
        assert nb.div(x, other, rounding_mode="trunc").tolist() == [low, -7, 7]
        assert (x % other).tolist() == [0, 0, 0]
        assert nb.fmod(x, other).tolist() == [0, 0, 0]
    # other divisors are unchanged (Python's floor rules)
    assert (x // 2).tolist() == [low // 2, 3, -4] and (x % 3).tolist() == [low % 3, 1, 2]


# -- clamp and hardtanh with NaN bounds --------------------------------------------------------
NAN = math.nan


@pytest.mark.parametrize("call", [lambda x: x.clamp(min=NAN), lambda x: x.clamp(max=NAN),
                                  lambda x: x.clamp(NAN, 2.0), lambda x: x.clamp(0.0, NAN),
                                  lambda x: x.clamp(min=nb.tensor(NAN)),
                                  lambda x: nb.clamp_min(x, NAN), lambda x: x.clone().clamp_(NAN),
                                  lambda x: F.hardtanh(x, NAN, 1.0),
                                  lambda x: F.hardtanh(x, -1.0, NAN)])
def test_a_nan_bound_gives_nan(call):
    x = nb.tensor([1.0, NAN, 3.0])
    assert all(math.isnan(v) for v in call(x).tolist())


def test_clamp_with_finite_bounds_keeps_nan_and_order():
    x = nb.tensor([1.0, NAN, 3.0])
    out = x.clamp(5.0, 2.0).tolist()   # min > max gives max
    assert out[0] == 2.0 and math.isnan(out[1]) and out[2] == 2.0
    assert nb.tensor([1, 5]).clamp(2, 3).tolist() == [2, 3]
    assert F.relu6(nb.tensor([-1.0, 3.0, 7.0])).tolist() == [0.0, 3.0, 6.0]


def test_hardtanh_min_above_max_is_a_value_error():
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x23(), 1.0, -1.0)
    assert F.hardtanh(x23(), 1.0, 1.0).tolist() == [[1.0] * 3] * 2


# -- backward(gradient), requires_grad, detach_ ----------------------------------------------------
def _graph():
    a = nb.tensor([0.5, 1.0, 2.0], requires_grad=True)
    return a, a * 2


@pytest.mark.parametrize("dtype", [nb.int64, nb.bool, nb.float64])
def test_a_gradient_of_another_dtype_is_converted(dtype):
    a, y = _graph()
    y.backward(nb.ones(3, dtype=dtype))
    assert a.grad.dtype is nb.float32 and a.grad.tolist() == [2.0, 2.0, 2.0]
    a, y = _graph()
    (g,) = nb.autograd.grad(y, a, nb.ones(3, dtype=dtype))
    assert g.dtype is nb.float32 and g.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("call", [lambda a, y: y.backward([1.0, 1.0, 1.0]),
                                  lambda a, y: y.sum().backward(2.0),
                                  lambda a, y: y.sum().backward([1.0]),
                                  lambda a, y: y.backward("abc"),
                                  lambda a, y: nb.autograd.backward(y, [1.0, 1.0, 1.0]),
                                  lambda a, y: nb.autograd.grad(y, a, [1.0, 1.0, 1.0]),
                                  lambda a, y: nb.autograd.grad(y.sum(), a, 1.0)])
def test_a_gradient_that_is_not_a_tensor_is_a_type_error(call):
    a, y = _graph()
    with pytest.raises(TypeError):
        call(a, y)
    assert a.grad is None


def test_gradients_in_a_list_are_taken():
    a, y = _graph()
    y.backward([nb.ones(3)])
    assert a.grad.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("flag", ["yes", 1, None, np.bool_(False)])
def test_requires_grad_must_be_a_bool(flag):
    a, y = _graph()
    with pytest.raises(RuntimeError, match="requires_grad must be a bool"):
        a.requires_grad = flag
    with pytest.raises(TypeError, match="must be bool"):
        a.requires_grad_(flag)
    with pytest.raises(RuntimeError, match="requires_grad must be a bool"):
        y.requires_grad = flag
    assert a.requires_grad is True


@pytest.mark.parametrize("view", [lambda a: a[0], lambda a: a.view(3), lambda a: a[1:],
                                  lambda a: a.detach()[0], lambda a: nb.ones(3)[0]])
def test_detach_in_place_refuses_views(view):
    a, _ = _graph()
    v = view(a)
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        v.detach_()


def test_detach_in_place_of_a_non_view():
    a, y = _graph()
    assert y.detach_() is y and y.grad_fn is None and not y.requires_grad
    d = a.detach()
    assert d.detach_() is d


# -- losses -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [nb.int64, nb.bool])
def test_bce_with_logits_needs_a_floating_target(dtype):
    logits = nb.tensor([[1., 2., 3.], [1., 0., -1.]])
    with pytest.raises(RuntimeError, match="can't be cast"):
        F.binary_cross_entropy_with_logits(logits, nb.ones(2, 3, dtype=dtype))
    with pytest.raises(NotImplementedError):
        F.binary_cross_entropy_with_logits(nb.ones(2, 3, dtype=nb.int64), logits)
