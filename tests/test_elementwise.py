"""Elementwise ops beyond the op database: dtype promotion, integer and bool
semantics, special values, PyTorch's choices at non-differentiable points,
errors, methods and operators, and the float32 math of the CPU kernels."""

import math

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.backends.cpu import mathf
from nbgrad.ops import activation as F


def _grad(fn, *values, dtype=nb.float64):
    ts = [nb.tensor(v, dtype=dtype, requires_grad=True) for v in values]
    fn(*ts).sum().backward()
    return [t.grad.tolist() for t in ts]


# -- the float32 math library ---------------------------------------------------------------
def test_kernel_cache_key_covers_the_float32_math(monkeypatch):
    # kernels inline mathf.py: its text is part of every generated kernel's key
    from nbgrad.backends import family as cpu
    before = cpu._vocabulary_hash()
    real_open = open

    def edited(path, *args, **kwargs):
        f = real_open(path, *args, **kwargs)
        if path == mathf.__file__:
            import io
            return io.BytesIO(f.read() + b"\n# edited\n")
        return f
    monkeypatch.setattr(cpu, "_vocab_hash", [])
    monkeypatch.setattr("builtins.open", edited)
    assert cpu._vocabulary_hash() != before


def _special_and_random(n=4000):
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    moderate = (rng.standard_normal(n) * np.exp(rng.uniform(-12, 4, n))).astype(np.float32)
    special = np.array([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, np.inf, -np.inf, np.nan, 1e-45,
                        -1e-45, 1e-38, 3.4e38, -3.4e38, 88.7, -103.9, 1e-8], np.float32)
    return np.concatenate([bits, moderate, special])


_UNARY_F32 = [("exp", np.exp), ("expm1", np.expm1), ("log", np.log), ("log1p", np.log1p),
              ("log2", np.log2), ("log10", np.log10), ("sin", np.sin), ("cos", np.cos),
              ("tan", np.tan), ("asin", np.arcsin), ("acos", np.arccos), ("atan", np.arctan),
              ("sinh", np.sinh), ("cosh", np.cosh), ("tanh", np.tanh),
              ("sigmoid", lambda v: 1 / (1 + np.exp(-v))), ("erf", np.vectorize(math.erf))]


def _check_ulps(got, want, max_ulps=1.0):
    with np.errstate(all="ignore"):
        want32 = want.astype(np.float32)
    finite = np.isfinite(want32) & (np.abs(want32) >= np.finfo(np.float32).tiny)
    ulps = np.abs(got[finite].astype(np.float64) - want[finite]) / np.spacing(
        np.abs(want32[finite]))
    assert ulps.max(initial=0) <= max_ulps
    rest = ~finite
    # infinities, NaN, zeros and subnormals: exact (subnormals within one step)
    np.testing.assert_allclose(got[rest], want32[rest], rtol=0, atol=1.5e-45)


@pytest.mark.parametrize("name,ref", _UNARY_F32, ids=[n for n, _ in _UNARY_F32])
def test_float32_functions_are_within_two_ulps(name, ref):
    x = _special_and_random()
    if name in ("sin", "cos", "tan"):
        x = x[~(np.abs(x) >= 2.0 ** 29)]   # exact reduction range (documented)
    got = getattr(nb, name)(nb.tensor(x)).numpy()
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    _check_ulps(got, want, 2.0)


@pytest.mark.parametrize("name,ref", [("exp", np.exp), ("expm1", np.expm1), ("sinh", np.sinh),
                                      ("cosh", np.cosh),
                                      ("sigmoid", lambda v: 1 / (1 + np.exp(-v)))])
def test_float32_exp_family_at_overflow_underflow_and_tiny_arguments(name, ref):
    # float32 cores: 2**k in two steps (subnormal results, 2**128), expm1 x = x when tiny
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-105, -85, 3000), rng.uniform(87, 90, 3000),
                        rng.uniform(-1.1, 1.1, 3000),
                        rng.uniform(-1e-6, 1e-6, 1000)]).astype(np.float32)
    x = np.concatenate([x, -x, np.float32([88.72284, 88.72283, 89.41599, 89.41598, 2.0 ** -26])])
    got = getattr(nb, name)(nb.tensor(x)).numpy()
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    _check_ulps(got, want, 1.5)


def test_float32_erf_on_both_sides_of_its_switch_point():
    # the odd polynomial below |x| = 475/512 and 1 - exp(p(|x|)) above it; erf(x) = +-1
    # from |x| = 3.92 on, and erf keeps the sign of zero
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.uniform(0.9, 0.96, 20000), rng.uniform(0, 6, 20000),
                        np.float32([0.927734375, 0.9277343, 0.92773443, 3.9, 4.0, 1e-30])])
    x = np.concatenate([x, -x]).astype(np.float32)
    got = nb.erf(nb.tensor(x)).numpy()
    _check_ulps(got, np.vectorize(math.erf)(x.astype(np.float64)), 1.0)
    z = nb.erf(nb.tensor([0.0, -0.0, np.inf, -np.inf, np.nan])).numpy()
    assert list(np.signbit(z[:2])) == [False, True] and list(z[2:4]) == [1.0, -1.0]
    assert np.isnan(z[4])


@pytest.mark.parametrize("name,ref", [("sin", np.sin), ("cos", np.cos), ("tan", np.tan)])
def test_float32_trig_reduces_arguments_near_multiples_of_pi_over_2(name, ref):
    # the float32 values closest to k pi / 2 leave the smallest reduced arguments
    k = np.random.default_rng(2).integers(1, 2 ** 30, 4000).astype(np.float64)
    x = (k * (np.pi / 2)).astype(np.float32)
    x = np.concatenate([x, np.nextafter(x, np.float32(0)), np.nextafter(x, np.float32(np.inf))])
    x = x[x < 2.0 ** 29]
    got = getattr(nb, name)(nb.tensor(x)).numpy()
    _check_ulps(got, ref(x.astype(np.float64)), 2.0)   # libm reduces float64 exactly


@pytest.mark.parametrize("name,ref", [("pow", np.power), ("atan2", np.arctan2)])
def test_float32_binary_functions_are_within_bounds(name, ref):
    x = _special_and_random()
    y = x[::-1].copy()
    if name == "pow":
        y = np.concatenate([y[:2000], np.round(y[2000:4000] % 7) - 3, y[4000:]])
    got = getattr(nb, name)(nb.tensor(x), nb.tensor(y)).numpy()
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64), y.astype(np.float64))
    # x ** 3 is x * x * x in float32, as in PyTorch: two roundings
    _check_ulps(got, want, 1.5 if name == "pow" else 1.0)


def test_float32_tanh_across_its_pieces():
    # float32 core: expm1(-2|x|) as a pair, one corrected division, 1 from 9.5 on
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.uniform(0, 1, 20000), rng.uniform(0.3, 0.4, 5000),
                        rng.uniform(8, 10, 5000), rng.uniform(-1e-3, 1e-3, 5000),
                        np.exp(rng.uniform(-100, 3, 20000))]).astype(np.float32)
    x = np.concatenate([x, -x, np.float32([0.0, -0.0, 1e-45, -1e-45, 9.5, 9.01, np.inf,
                                           -np.inf, np.nan])])
    got = nb.tanh(nb.tensor(x)).numpy()
    _check_ulps(got, np.tanh(x.astype(np.float64)), 1.0)
    assert np.array_equal(np.signbit(got), np.signbit(x))


def test_float32_pow_where_the_exponent_of_the_result_is_large():
    # |y log2 x| near 128 (overflow) and 149 (subnormals) amplifies the error of
    # log2 x: the float32 pair keeps it under ~2**-34 relative
    rng = np.random.default_rng(5)
    n = 20000
    x = np.concatenate([rng.integers(0x00000001, 0x7f800000, n).astype(np.uint32).view(np.float32),
                        rng.uniform(0.5, 2, n).astype(np.float32),
                        (1 + rng.integers(-3000, 3000, n) * 2.0 ** -23).astype(np.float32)])
    x = x[x != 1]
    target = rng.uniform(-152, 130, x.size)
    y = (target / np.log2(x.astype(np.float64))).astype(np.float32)
    got = nb.pow(nb.tensor(x), nb.tensor(y)).numpy()
    with np.errstate(all="ignore"):
        want = np.power(x.astype(np.float64), y.astype(np.float64))
    _check_ulps(got, want, 1.0)
    neg = nb.pow(nb.tensor(-x), nb.tensor(np.round(y))).numpy()
    with np.errstate(all="ignore"):
        want = np.power(-x.astype(np.float64), np.round(y).astype(np.float64))
    _check_ulps(neg, want, 1.0)


def test_float32_pow_special_values_follow_c():
    sp = np.float32([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, np.inf, -np.inf,
                     np.nan, 1e-45, -1e-45, 1e-40, 3.4e38, -3.4e38, 0.3, -1.5, 2.5, 1e10,
                     -1e10, 2.0 ** 24, 2.0 ** 24 + 2, -2.0 ** 25 - 2, 2.0 ** 23 + 1,
                     -(2.0 ** 23 + 1), 1 + 2.0 ** -23, 1 - 2.0 ** -24, 127.9, 128.0, 149.0,
                     -149.0, -150.0, -151.0])
    x = np.repeat(sp, sp.size)
    y = np.tile(sp, sp.size)
    got = nb.pow(nb.tensor(x), nb.tensor(y)).numpy()
    with np.errstate(all="ignore"):
        want = np.power(x.astype(np.float64), y.astype(np.float64))
    _check_ulps(got, want, 1.0)
    with np.errstate(all="ignore"):
        w32 = want.astype(np.float32)
    assert np.array_equal(np.isnan(got), np.isnan(w32))
    exact = ~np.isnan(w32) & ((w32 == 0) | np.isinf(w32))
    assert np.array_equal(np.signbit(got[exact]), np.signbit(w32[exact]))


def test_pow_special_exponents_compute_as_pytorch():
    x = nb.tensor([-2.0, -0.0, 3.0, -math.inf, 0.3])
    xs = x.numpy()
    f32 = np.float32
    with np.errstate(all="ignore"):
        for e, want in ((2, xs * xs), (3, xs * xs * xs), (0.5, np.sqrt(xs)),
                        (-1, f32(1) / xs), (-0.5, f32(1) / np.sqrt(xs)),
                        (-2, f32(1) / (xs * xs))):
            np.testing.assert_array_equal((x ** e).numpy(), want)


def test_float32_sin_of_huge_arguments_stays_bounded():
    x = nb.tensor([1e10, 3e20, 3.4e38, -2.5e30])
    assert (nb.sin(x).abs() <= 1).all() and (nb.cos(x).abs() <= 1).all()


# -- dtype promotion -------------------------------------------------------------------------
@pytest.mark.parametrize("a,b,want", [
    (nb.tensor([1, 2]), nb.tensor([0.5, 1.5]), nb.float32),
    (nb.tensor([1.0], dtype=nb.float32), nb.tensor([1.0], dtype=nb.float64), nb.float64),
    (nb.tensor([1.0], dtype=nb.float32), 2.5, nb.float32),
    (nb.tensor([1, 2]), 2.5, nb.float32),
    (nb.tensor([1, 2]), 3, nb.int64),
    (nb.tensor([1, 2], dtype=nb.int32), 3, nb.int32),
    (nb.tensor([1.0], dtype=nb.float64), nb.tensor(2.0, dtype=nb.float32), nb.float64),
    (nb.tensor([1.0], dtype=nb.float32), nb.tensor(2.0, dtype=nb.float64), nb.float32),
    (nb.tensor([True]), nb.tensor([False]), nb.bool),
])
def test_add_and_mul_promote_like_pytorch(a, b, want):
    assert (a + b).dtype is want and (b + a).dtype is want and (a * b).dtype is want


def test_integer_powers_and_float_functions_of_integers():
    i = nb.tensor([-3, 0, 2])
    assert (i ** 2).dtype is nb.int64 and (i ** 2).tolist() == [9, 0, 4]
    assert (2 ** nb.tensor([0, 3])).tolist() == [1, 8]
    assert (2 ** nb.tensor([0, 3])).dtype is nb.int64
    assert (i ** 0.5).dtype is nb.float32 and math.isnan((i ** 0.5)[0].item())
    assert (2.0 ** i).dtype is nb.float32
    assert nb.square(nb.tensor([True, False])).dtype is nb.int64
    for f in (nb.exp, nb.log, nb.sqrt, nb.sin, nb.sigmoid, nb.rsqrt, nb.reciprocal, nb.erf):
        assert f(i).dtype is nb.float32
        assert f(nb.tensor([True])).dtype is nb.float32
    for f in (nb.neg, nb.abs, nb.sign, nb.floor, nb.ceil, nb.round, nb.trunc, nb.relu):
        assert f(i).dtype is nb.int64
    assert nb.sign(nb.tensor([True, False])).dtype is nb.bool
    assert (i / 2).dtype is nb.float32 and (i / 2).tolist() == [-1.5, 0.0, 1.0]


def test_default_dtype_float64_is_used_for_integer_inputs():
    nb.set_default_dtype(nb.float64)
    try:
        assert (nb.tensor([1, 2]) + 0.5).dtype is nb.float64
        assert nb.exp(nb.tensor([1])).dtype is nb.float64
    finally:
        nb.set_default_dtype(nb.float32)


def test_gradient_has_the_input_dtype():
    a = nb.tensor([1.0, 2.0], dtype=nb.float32, requires_grad=True)
    b = nb.tensor([3.0, 4.0], dtype=nb.float64, requires_grad=True)
    out = a * b
    assert out.dtype is nb.float64
    out.sum().backward()
    assert a.grad.dtype is nb.float32 and b.grad.dtype is nb.float64
    assert a.grad.tolist() == [3.0, 4.0]


def test_clamp_bounds_take_part_in_promotion():
    i = nb.tensor([-3, 0, 2])
    assert nb.clamp(i, min=1).dtype is nb.int64
    assert nb.clamp(i, min=0.5).dtype is nb.float32
    assert nb.clamp(i, min=0.5).tolist() == [0.5, 0.5, 2.0]
    assert F.hardtanh(i).dtype is nb.int64 and F.hardtanh(i).tolist() == [-1, 0, 1]


# -- integer and float division ----------------------------------------------------------------
def test_integer_division_follows_python_and_c():
    a = nb.tensor([7, -7, 7, -7])
    b = nb.tensor([2, 2, -2, -2])
    assert (a // b).tolist() == [3, -4, -4, 3]
    assert (a % b).tolist() == [1, 1, -1, -1]
    assert nb.fmod(a, b).tolist() == [1, -1, 1, -1]
    assert nb.div(a, b, rounding_mode="trunc").tolist() == [3, -3, -3, 3]
    assert nb.div(a, b, rounding_mode="floor").tolist() == [3, -4, -4, 3]
    assert (7 // nb.tensor([2, -2])).tolist() == [3, -4]
    assert (7 % nb.tensor([2, -2])).tolist() == [1, -1]


def test_float_division_by_zero_gives_ieee_values():
    x = nb.tensor([1.0, -1.0, 0.0])
    assert (x / 0).tolist()[:2] == [math.inf, -math.inf] and math.isnan((x / 0)[2].item())
    assert (x // 0).tolist()[:2] == [math.inf, -math.inf]
    assert all(math.isnan(v) for v in (x % 0).tolist())
    assert all(math.isnan(v) for v in nb.fmod(x, 0.0).tolist())
    assert (nb.tensor([1, 2]) / 0).tolist() == [math.inf, math.inf]
    assert nb.log(nb.tensor([0.0])).item() == -math.inf
    assert nb.reciprocal(nb.tensor([0.0])).item() == math.inf


@pytest.mark.parametrize("n", [6, 300_000])   # serial and parallel kernels
def test_integer_division_by_zero_is_a_runtime_error(n):
    a = nb.ones(n, dtype=nb.int64)
    for fn in (lambda: a // 0, lambda: a % 0, lambda: nb.fmod(a, 0),
               lambda: nb.div(a, nb.zeros(n, dtype=nb.int64), rounding_mode="trunc")):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn()


def test_rounding():
    x = nb.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 2.4])
    assert nb.round(x).tolist() == [0.0, 2.0, 2.0, -0.0, -2.0, 2.0]
    assert nb.round(nb.tensor([1.25, 2.567]), decimals=1).tolist() == pytest.approx([1.2, 2.6])
    assert nb.round(nb.tensor([1234.5]), decimals=-2).tolist() == [1200.0]
    assert nb.tensor([2.567]).round(decimals=2).tolist() == pytest.approx([2.57])
    assert nb.floor(nb.tensor([-1.5, 1.5])).tolist() == [-2.0, 1.0]
    assert nb.ceil(nb.tensor([-1.5, 1.5])).tolist() == [-1.0, 2.0]
    assert nb.trunc(nb.tensor([-1.5, 1.5])).tolist() == [-1.0, 1.0]
    assert nb.fix(nb.tensor([-1.5])).tolist() == [-1.0]
    big = nb.tensor([3e9, -1e20, math.inf])
    assert nb.floor(big).tolist() == big.tolist()


def test_special_values():
    nan = math.nan
    assert math.isnan(nb.maximum(nb.tensor([nan, 1.0]), nb.tensor([1.0, nan]))[0].item())
    assert math.isnan(nb.maximum(nb.tensor([nan, 1.0]), nb.tensor([1.0, nan]))[1].item())
    assert math.isnan(nb.minimum(nb.tensor([1.0]), nb.tensor([nan])).item())
    assert math.isnan(nb.relu(nb.tensor([nan])).item())
    assert math.isnan(nb.clamp(nb.tensor([nan]), 0, 1).item())
    assert nb.sign(nb.tensor([nan, -0.0, 3.0])).tolist() == [0.0, 0.0, 1.0]
    assert nb.clamp(nb.tensor([0.5, 5.0]), min=2.0, max=1.0).tolist() == [1.0, 1.0]
    assert nb.sigmoid(nb.tensor([-200.0, 200.0])).tolist() == [0.0, 1.0]
    assert nb.tanh(nb.tensor([-50.0, 50.0])).tolist() == [-1.0, 1.0]
    assert F.softplus(nb.tensor([100.0, -100.0])).tolist()[0] == 100.0


# -- PyTorch's choices at non-differentiable points ------------------------------------------
def test_gradients_at_kinks_follow_pytorch():
    assert _grad(nb.relu, [0.0, -1.0, 2.0]) == [[0.0, 0.0, 1.0]]
    assert _grad(nb.abs, [0.0, -1.0]) == [[0.0, -1.0]]
    assert _grad(lambda x: nb.clamp(x, 0, 1), [0.0, 1.0, 0.5, 2.0]) == [[1.0, 1.0, 1.0, 0.0]]
    assert _grad(lambda x: nb.clamp(x, min=0), [0.0, -1.0]) == [[1.0, 0.0]]
    assert _grad(lambda x: nb.clamp(x, max=0), [0.0, 1.0]) == [[1.0, 0.0]]
    assert _grad(F.hardtanh, [-1.0, 1.0, 0.5, 2.0]) == [[0.0, 0.0, 1.0, 0.0]]
    assert _grad(F.relu6, [0.0, 6.0, 3.0]) == [[0.0, 0.0, 1.0]]
    assert _grad(nb.maximum, [1.0, 2.0], [1.0, 1.0]) == [[0.5, 1.0], [0.5, 0.0]]
    assert _grad(nb.minimum, [1.0, 2.0], [1.0, 1.0]) == [[0.5, 0.0], [0.5, 1.0]]
    assert _grad(nb.sqrt, [0.0]) == [[math.inf]]
    assert _grad(lambda x: F.leaky_relu(x, 0.1), [0.0]) == [[0.1]]
    assert _grad(lambda x: F.elu(x, 2.0), [0.0]) == [[2.0]]
    assert _grad(nb.atan2, [0.0], [0.0]) == [[0.0], [0.0]]
    for f in (nb.floor, nb.ceil, nb.round, nb.trunc, nb.sign,
              lambda x: nb.div(x, 2, rounding_mode="floor"), lambda x: x // 2):
        assert _grad(f, [0.5, 1.0, -2.0]) == [[0.0, 0.0, 0.0]]


def test_clamp_with_tensor_bounds_sends_gradient_to_the_bound():
    got = _grad(nb.clamp, [0.0, 2.0, -1.0, 0.3], [0.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0])
    assert got == [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]


def test_pow_gradients_at_zero_follow_pytorch():
    gx, gy = _grad(nb.pow, [0.0, 0.0, 0.0, 2.0], [0.0, 2.0, -1.0, 0.0])
    assert gx == [0.0, 0.0, -math.inf, 0.0]
    assert gy[:3] == [0.0, 0.0, -math.inf] and gy[3] == pytest.approx(math.log(2))
    assert _grad(lambda x: x ** 0, [0.0, 3.0]) == [[0.0, 0.0]]
    assert _grad(lambda x: 2.0 ** x, [1.0]) == [[pytest.approx(2 * math.log(2))]]


def test_where_gradient_and_scalars():
    a = nb.tensor([1.0, -1.0], requires_grad=True)
    b = nb.tensor([2.0, 2.0], requires_grad=True)
    out = nb.where(a > 0, a, b)
    assert type(out.grad_fn).__name__ == "WhereBackward0"
    out.sum().backward()
    assert a.grad.tolist() == [1.0, 0.0] and b.grad.tolist() == [0.0, 1.0]
    assert nb.where(a > 0, 1.0, 0.0).dtype is nb.float32
    assert nb.where(a > 0, 1, 0).dtype is nb.int64
    assert nb.where(a > 0, a.double(), 0).dtype is nb.float64
    assert a.where(a > 0, 0.0).tolist() == [1.0, 0.0]


def test_second_order_through_activations():
    x = nb.tensor([0.3, -0.7], dtype=nb.float64, requires_grad=True)
    for f in (nb.sigmoid, nb.tanh, F.gelu, F.silu, F.softplus, lambda t: F.elu(t, 0.5)):
        assert nb.autograd.gradgradcheck(f, (x,))


# -- errors ------------------------------------------------------------------------------------
def test_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\[2, 3\] and \[4\]"):
        nb.ones(2, 3) + nb.ones(4)
    with pytest.raises(RuntimeError, match=r"where"):
        nb.where(nb.ones(2) > 0, nb.ones(3), 0.0)


@pytest.mark.parametrize("call,exc,words", [
    (lambda: nb.exp("a"), TypeError, "exp"),
    (lambda: nb.add(nb.ones(2), [1, 2]), TypeError, "add"),
    (lambda: nb.maximum(nb.ones(2), None), TypeError, "maximum"),
    (lambda: nb.where(nb.ones(2), 1.0, 0.0), RuntimeError, "boolean"),
    (lambda: nb.where(True, nb.ones(2), 0.0), TypeError, "condition"),
    (lambda: nb.clamp(nb.ones(2)), RuntimeError, "min"),
    (lambda: nb.tensor([1, 2]) ** -1, RuntimeError, "negative integer powers"),
    (lambda: -nb.tensor([True]), RuntimeError, "Negation"),
    (lambda: nb.abs(nb.tensor([True])), NotImplementedError, "abs"),
    (lambda: nb.floor(nb.tensor([True])), NotImplementedError, "floor"),
    (lambda: nb.relu(nb.tensor([True])), RuntimeError, "relu"),
    (lambda: nb.tensor([True]) - nb.tensor([False]), RuntimeError, "Subtraction"),
    (lambda: nb.ones(2) & 1, NotImplementedError, "bitwise_and"),
    (lambda: ~nb.ones(2), TypeError, "invert"),
    (lambda: nb.tensor([1]) & 1.5, NotImplementedError, "bitwise_and"),
    (lambda: F.leaky_relu(nb.tensor([1, 2])), NotImplementedError, "leaky_relu"),
    (lambda: F.gelu(nb.tensor([1, 2])), NotImplementedError, "gelu"),
    (lambda: F.gelu(nb.ones(2), approximate="fast"), RuntimeError, "approximate"),
    (lambda: F.softplus(nb.ones(2), beta="2"), TypeError, "beta"),
    (lambda: nb.round(nb.tensor([1, 2]), decimals=1), NotImplementedError, "round"),
    (lambda: nb.round(nb.ones(2), decimals=1.5), TypeError, "decimals"),
    (lambda: nb.div(nb.ones(2), 2, rounding_mode="ceil"), RuntimeError, "rounding_mode"),
    (lambda: nb.add(nb.tensor([1]), 1, alpha=0.5), RuntimeError, "alpha"),
])
def test_bad_input_raises_pytorch_exception_types(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_errors_leave_nothing_recorded():
    x = nb.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError):
        x + nb.ones(3)
    assert x.grad is None and x.grad_fn is None


# -- methods, operators, activations ----------------------------------------------------------
def test_methods_and_reflected_operators():
    x = nb.tensor([1.0, 4.0])
    assert x.exp().tolist() == pytest.approx([math.e, math.e ** 4])
    assert x.clamp(min=2).tolist() == [2.0, 4.0] and x.clip(0, 2).tolist() == [1.0, 2.0]
    assert x.add(x, alpha=2).tolist() == [3.0, 12.0] and x.sub(1).tolist() == [0.0, 3.0]
    assert x.div(3, rounding_mode="floor").tolist() == [0.0, 1.0]
    assert x.pow(2).tolist() == [1.0, 16.0] and x.square().tolist() == [1.0, 16.0]
    assert x.relu().tolist() == [1.0, 4.0] and x.sigmoid().dtype is nb.float32
    assert (2 - x).tolist() == [1.0, -2.0] and (2 / x).tolist() == [2.0, 0.5]
    assert (2 ** x).tolist() == [2.0, 16.0] and (9 // x).tolist() == [9.0, 2.0]
    assert (9 % x).tolist() == [0.0, 1.0] and x.fmod(3).tolist() == [1.0, 1.0]
    assert x.maximum(nb.tensor([2.0, 2.0])).tolist() == [2.0, 4.0]
    assert x.arctan2(x).tolist() == pytest.approx([math.pi / 4] * 2)
    assert x.greater(2).tolist() == [False, True] and x.less_equal(1).tolist() == [True, False]
    assert x.logical_not().tolist() == [False, False]
    i = nb.tensor([12, 5])
    assert (i & 10).tolist() == [8, 0] and (10 | i).tolist() == [14, 15]
    assert (i ^ 1).tolist() == [13, 4] and (~i).tolist() == [-13, -6]
    b = nb.tensor([True, False])
    assert (~b).tolist() == [False, True] and (b & True).tolist() == [True, False]
    assert (b | b).dtype is nb.bool and (i & True).dtype is nb.int64
    assert nb.logical_xor(b, nb.tensor([1, 1])).tolist() == [False, True]
    assert nb.rsub(x, 10).tolist() == [9.0, 6.0]


def test_node_names_are_pytorch_names():
    x = nb.tensor([1.0], requires_grad=True)
    names = {
        "NegBackward0": -x, "Log1PBackward0": nb.log1p(x), "PowBackward0": x ** 2,
        "DivBackward0": x / 2, "DivBackward2": nb.div(x, 2, rounding_mode="floor"),
        "ClampBackward1": nb.clamp(x, 0, 1), "ClampMinBackward0": nb.clamp_min(x, 0),
        "RoundBackward1": nb.round(x, decimals=1), "ReluBackward0": nb.relu(x),
        "LeakyReluBackward0": F.leaky_relu(x), "GeluBackward0": F.gelu(x, "tanh"),
        "HardtanhBackward0": F.relu6(x), "SoftplusBackward0": F.softplus(x),
        "MaximumBackward0": nb.maximum(x, x), "Atan2Backward0": nb.atan2(x, x),
        "RemainderBackward0": x % 2, "AddBackward0": nb.add(x, x, alpha=2),
    }
    for name, out in names.items():
        assert type(out.grad_fn).__name__ == name


def test_parameters_do_not_compile_new_kernels():
    x = nb.randn(7)
    F.leaky_relu(x, 0.1)
    family = nb._REGISTRY["leaky_relu"].forward_family
    before = len(family._kernels)
    for slope in (0.2, 0.3, 0.5):
        F.leaky_relu(x, slope)
    assert len(family._kernels) == before
    got = F.leaky_relu(nb.tensor([-2.0, 2.0]), 0.25).tolist()
    assert got == [-0.5, 2.0]


def test_activation_inplace_writes_into_the_input():
    x = nb.tensor([-1.0, 2.0])
    out = F.leaky_relu(x, 0.5, inplace=True)
    assert out is x and x.tolist() == [-0.5, 2.0]
    w = nb.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        F.elu(w, inplace=True)


def test_large_inputs_use_the_parallel_kernels():
    n = 300_000
    x = nb.linspace(-3, 3, n, requires_grad=True)
    y = nb.tanh(x)
    y.sum().backward()
    xs = np.linspace(-3, 3, n, dtype=np.float32)
    np.testing.assert_allclose(y.detach().numpy(), np.tanh(xs), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(x.grad.numpy(), 1 - np.tanh(xs) ** 2, rtol=1e-5, atol=1e-6)


# -- x op x: one tensor on both sides gets one fused gradient ------------------------------------
@pytest.mark.parametrize("name", ["mul", "add", "sub", "div", "pow", "maximum", "atan2"])
def test_an_op_of_one_tensor_with_itself_matches_two_separate_tensors(name):
    op = nb._REGISTRY[name]
    x = nb.tensor([0.5, 1.5, 2.0], dtype=nb.float64, requires_grad=True)
    op(x, x).sum().backward()
    fused = x.grad
    # the same values as two tensors: the engine adds the two input gradients
    a = nb.tensor([0.5, 1.5, 2.0], dtype=nb.float64, requires_grad=True)
    b = nb.tensor([0.5, 1.5, 2.0], dtype=nb.float64, requires_grad=True)
    op(a, b).sum().backward()
    np.testing.assert_allclose(fused.numpy(), (a.grad + b.grad).numpy(), rtol=1e-15)
    # after an x op x, distinct tensors still get a gradient each (separate plans)
    assert a.grad is not None and b.grad is not None
    assert nb.autograd.gradcheck(lambda t: op(t, t), (x,))
    assert nb.autograd.gradgradcheck(lambda t: op(t, t), (x,))


def test_x_times_x_backward_writes_one_gradient_buffer():
    x = nb.ones(1000, requires_grad=True)
    y = x * 3.0
    z = y * y
    assert z.grad_fn.params[1] == (True, "same")
    with nb.no_grad():   # the compiled rule, as the engine runs it without create_graph
        grads = z.grad_fn.apply((nb.ones(1000),))
    assert grads[1] is None and grads[0].tolist() == [6.0] * 1000


# the 'rows' layout (backends/cpu/elementwise.py): full rows, a row broadcast over them,
# or a value per row, at one split of the shape; everything else stays on 'nd4'
@pytest.mark.parametrize("shape_x,shape_y,layout", [
    ((256, 512), (512,), "rows"), ((3000, 7), (3000, 1), "rows"), ((40, 5, 60), (5, 60), "rows"),
    ((40, 5, 60), (40, 5, 1), "rows"), ((40, 5, 60), (40, 1, 1), "rows"),
    ((200, 30), (1, 30), "rows"), ((40, 5, 60), (1, 5, 1), "nd4"), ((40, 5, 60), (1,), "flat"),
    ((4, 5, 6), (5, 6), "nd4")])   # small: below ROWS_THRESHOLD
def test_broadcast_rows_layout_matches_numpy(shape_x, shape_y, layout):
    from nbgrad.ops.registry import REGISTRY
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(shape_x), rng.standard_normal(shape_y)
    fam = REGISTRY["mul"].forward_family
    fam._kernels.clear()
    fam._serial_flat.clear()   # run's second index of the serial flat kernels
    got = (nb.tensor(x) * nb.tensor(y)).numpy()
    assert np.array_equal(got, x * y)
    assert {key[1] for key in fam._kernels} == {layout}
    for f, ref in ((lambda a, b: b / a - a, lambda a, b: b / a - a),
                   (lambda a, b: (b + 1) * a, lambda a, b: (b + 1) * a)):
        assert np.allclose(f(nb.tensor(x), nb.tensor(y)).numpy(), ref(x, y), rtol=1e-15, atol=0)
    if len(shape_x) == 2 and layout == "rows":   # the row/column on the left, float32 too
        xf, yf = x.astype(np.float32), y.astype(np.float32)
        assert np.array_equal((nb.tensor(yf) - nb.tensor(xf)).numpy(), yf - xf)


def test_broadcast_rows_layout_writes_into_a_transposed_output_by_nd4():
    x = nb.zeros(3, 4).t()   # an in-place target that is not C-contiguous
    x.add_(nb.arange(3.))
    assert x.tolist() == [[0.0, 1.0, 2.0]] * 4
