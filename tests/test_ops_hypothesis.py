"""Property tests for elementwise ops: hypothesis draws broadcastable shapes (up
to 3 dims of size <= 4) and values in each op's domain, and checks the values
against NumPy (float32 and float64) and the float64 gradients against finite
differences.

Ops with kinks or jumps (abs, relu, clamp, floor, remainder...) are checked
for values only here: hypothesis is good at finding the exact kink, where a
finite difference is meaningless; the op database checks their gradients at
random points and tests/test_elementwise.py the kinks themselves.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nbgrad as nb
from nbgrad.ops import activation as F

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True)
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# name: (nbgrad function, NumPy reference, domain, gradient checked)
UNARY = {
    "neg": (nb.neg, np.negative, (-3, 3), True),
    "abs": (nb.abs, np.abs, (-3, 3), False),
    "exp": (nb.exp, np.exp, (-3, 3), True),
    "expm1": (nb.expm1, np.expm1, (-3, 3), True),
    "log": (nb.log, np.log, (0.1, 5), True),
    "log1p": (nb.log1p, np.log1p, (-0.5, 5), True),
    "log2": (nb.log2, np.log2, (0.1, 5), True),
    "sqrt": (nb.sqrt, np.sqrt, (0.1, 5), True),
    "rsqrt": (nb.rsqrt, lambda x: 1 / np.sqrt(x), (0.1, 5), True),
    "reciprocal": (nb.reciprocal, np.reciprocal, (0.2, 5), True),
    "square": (nb.square, np.square, (-3, 3), True),
    "sin": (nb.sin, np.sin, (-6, 6), True),
    "cos": (nb.cos, np.cos, (-6, 6), True),
    "tan": (nb.tan, np.tan, (-1.3, 1.3), True),
    "asin": (nb.asin, np.arcsin, (-0.95, 0.95), True),
    "acos": (nb.acos, np.arccos, (-0.95, 0.95), True),
    "atan": (nb.atan, np.arctan, (-5, 5), True),
    "sinh": (nb.sinh, np.sinh, (-3, 3), True),
    "cosh": (nb.cosh, np.cosh, (-3, 3), True),
    "tanh": (nb.tanh, np.tanh, (-3, 3), True),
    "sigmoid": (nb.sigmoid, _sigmoid, (-6, 6), True),
    "erf": (nb.erf, _erf, (-3, 3), True),
    "floor": (nb.floor, np.floor, (-5, 5), False),
    "round": (nb.round, np.round, (-5, 5), False),
    "relu": (nb.relu, lambda x: np.maximum(x, 0), (-3, 3), False),
    "gelu": (F.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), (-3, 3), True),
    "silu": (F.silu, lambda x: x * _sigmoid(x), (-5, 5), True),
    "softplus": (F.softplus, lambda x: np.log1p(np.exp(x)), (-5, 5), True),
    "elu": (F.elu, lambda x: np.where(x > 0, x, np.expm1(x)), (-3, 3), False),
    "clamp": (lambda x: nb.clamp(x, -1, 1), lambda x: np.clip(x, -1, 1), (-3, 3), False),
}

# name: (nbgrad function, NumPy reference, domain of x, domain of y, gradient checked)
BINARY = {
    "add": (nb.add, np.add, (-3, 3), (-3, 3), True),
    "sub": (nb.sub, np.subtract, (-3, 3), (-3, 3), True),
    "mul": (nb.mul, np.multiply, (-3, 3), (-3, 3), True),
    "div": (nb.div, np.divide, (-3, 3), (0.3, 3), True),
    "pow": (nb.pow, np.power, (0.2, 3), (-2, 2), True),
    "atan2": (nb.atan2, np.arctan2, (0.2, 3), (-3, 3), True),
    "maximum": (nb.maximum, np.maximum, (-3, 3), (-3, 3), False),
    "minimum": (nb.minimum, np.minimum, (-3, 3), (-3, 3), False),
    "remainder": (nb.remainder, np.remainder, (-5, 5), (0.3, 3), False),
    "fmod": (nb.fmod, np.fmod, (-5, 5), (0.3, 3), False),
    "floor_divide": (nb.floor_divide, np.floor_divide, (-5, 5), (0.3, 3), False),
}


def _values(shape, domain):
    lo, hi = domain
    return hnp.arrays(np.float64, shape, elements=st.floats(
        lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False))


def _check_values(fn, ref, arrays):
    for dtype, tol in ((np.float64, 1e-10), (np.float32, 2e-5)):
        got = fn(*[nb.tensor(a.astype(dtype)) for a in arrays])
        want = np.asarray(ref(*[a.astype(dtype) for a in arrays]))
        assert got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want, rtol=tol, atol=tol)


def _check_gradient(fn, arrays):
    ts = [nb.tensor(a, requires_grad=True) for a in arrays]
    assert nb.autograd.gradcheck(fn, ts)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name):
    fn, ref, domain, grad = UNARY[name]

    @SETTINGS
    @given(data=st.data())
    def check(data):
        shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
        x = data.draw(_values(shape, domain))
        _check_values(fn, ref, [x])
        if grad:
            _check_gradient(fn, [x])
    check()


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name):
    fn, ref, dx, dy, grad = BINARY[name]

    @SETTINGS
    @given(data=st.data())
    def check(data):
        shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                             max_side=4))
        x = data.draw(_values(shapes.input_shapes[0], dx))
        y = data.draw(_values(shapes.input_shapes[1], dy))
        _check_values(fn, ref, [x, y])
        if grad:
            _check_gradient(fn, [x, y])
        # a Python number on either side
        s = data.draw(st.floats(dy[0], dy[1], allow_nan=False))
        _check_values(lambda a: fn(a, s), lambda a: ref(a, s), [x])
        if grad:
            _check_gradient(lambda a: fn(a, s), [x])
    check()


@SETTINGS
@given(data=st.data())
def test_where_broadcasts_three_ways(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4))
    c = data.draw(hnp.arrays(np.bool_, shapes.input_shapes[0]))
    x = data.draw(_values(shapes.input_shapes[1], (-3, 3)))
    y = data.draw(_values(shapes.input_shapes[2], (-3, 3)))
    got = nb.where(nb.tensor(c), nb.tensor(x), nb.tensor(y))
    np.testing.assert_array_equal(got.numpy(), np.where(c, x, y))
    ct = nb.tensor(c)
    assert nb.autograd.gradcheck(lambda a, b: nb.where(ct, a, b),
                                 [nb.tensor(x, requires_grad=True),
                                  nb.tensor(y, requires_grad=True)])


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4),
       data=st.data())
def test_integer_arithmetic_matches_numpy(shapes, data):
    a = data.draw(hnp.arrays(np.int64, shapes.input_shapes[0],
                             elements=st.integers(-50, 50)))
    b = data.draw(hnp.arrays(np.int64, shapes.input_shapes[1],
                             elements=st.integers(1, 9) | st.integers(-9, -1)))
    ta, tb = nb.tensor(a), nb.tensor(b)
    np.testing.assert_array_equal((ta // tb).numpy(), a // b)
    np.testing.assert_array_equal((ta % tb).numpy(), a % b)
    np.testing.assert_array_equal(nb.fmod(ta, tb).numpy(), np.fmod(a, b))
    np.testing.assert_array_equal((ta * tb - ta).numpy(), a * b - a)
    np.testing.assert_array_equal((ta & tb).numpy(), a & b)
    np.testing.assert_array_equal(nb.maximum(ta, tb).numpy(), np.maximum(a, b))
    assert (ta // tb).dtype is nb.int64
