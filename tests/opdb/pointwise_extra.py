"""Op database entries for the extra pointwise ops (nbgrad.ops.pointwise_extra) and the
scaled matrix-product sums (nbgrad.ops.addmm): values against NumPy, float64 gradients
and second-order gradients, and the CUDA device (tests/test_cuda_ops.py).  PyTorch's
own outcomes for them are recorded in tests/differential/cases_namespace.py."""

import numpy as np

import nbgrad as nb
from tests.opdb.common import BINARY_SHAPES, OpInfo, Sample, uniform

_SPECIAL = np.array([0.0, -1.5, np.inf, -np.inf, np.nan, 2.0])


def _special(rng):
    return [Sample((_SPECIAL.copy(),), desc="special"),
            Sample((_SPECIAL.reshape(2, 3).T.copy().T,), desc="special 2-d view"),
            Sample((uniform(rng, (2, 3)),), desc="finite")]


def _classifier(name, fn, ref):
    return OpInfo(name, fn, ref, _special, grad=False)


def _isclose_samples(rng):
    a = np.array([1.0, 2.0, np.nan, np.inf, -np.inf, 1e-9, 100.0])
    b = np.array([1.0 + 1e-7, 2.1, np.nan, np.inf, np.inf, 0.0, 100.001])
    return [Sample((a, b), desc="special"),
            Sample((a, b), {"equal_nan": True}, desc="equal_nan"),
            Sample((a, b), {"rtol": 1e-3, "atol": 0.0}, desc="rtol"),
            Sample((uniform(rng, (2, 3)), uniform(rng, (3,))), desc="broadcast")]


def _np_isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def _ternary(domain_z=(-2.0, 2.0), **kw):
    shapes = [((), (), ()), ((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (2, 1)),
              ((3,), (2, 3), (1, 3))]

    def make(rng):
        out = [Sample((uniform(rng, a), uniform(rng, b), uniform(rng, c, domain_z)), dict(kw),
                      desc=f"{a}{b}{c}") for a, b, c in shapes]
        out.append(Sample((uniform(rng, (3, 2)).T, uniform(rng, (2, 3)),
                           uniform(rng, (2, 3), domain_z)), dict(kw), desc="transposed"))
        return out
    return make


_NONZERO = (0.5, 2.0)   # divisors and copysign magnitudes away from 0


def _lerp_samples(rng):
    out = [Sample((uniform(rng, a), uniform(rng, b), w), desc=f"{a}{b} w={w}")
           for (a, b), w in zip(BINARY_SHAPES[:4], (0.25, 0.75, -0.3, 1.4))]
    return out


def _lerp_tensor_samples(rng):
    return [Sample((uniform(rng, (2, 3)), uniform(rng, (2, 3)), uniform(rng, (2, 3), (-1, 2))),
                   desc="same shapes"),
            Sample((uniform(rng, (2, 3)), uniform(rng, (3,)), uniform(rng, (2, 1), (-1, 2))),
                   desc="broadcast")]


def _np_lerp(x, y, w):
    return np.where(np.abs(w) < 0.5, x + w * (y - x), y - (y - x) * (1 - w))


def _copysign_samples(rng):
    mag = np.array([0.7, -1.3, 2.0, -0.6])
    return [Sample((mag, uniform(rng, (4,))), desc="tensor sign"),
            Sample((mag.reshape(2, 2), uniform(rng, (2,))), desc="broadcast")]


def _copysign_scalar_samples(rng):
    return [Sample((np.array([0.7, -1.3, 2.0]), -2.0), desc="negative"),
            Sample((np.array([[0.7, -1.3]]), 0.5), desc="positive")]


def _mm_samples(shapes, **kw):
    def make(rng):
        return [Sample(tuple(uniform(rng, s) for s in group), dict(kw), desc=str(group))
                for group in shapes]
    return make


def _np_scaled(product):
    def ref(inp, a, b, beta=1, alpha=1):
        return (0 if beta == 0 else beta * inp) + alpha * product(a, b)
    return ref


_ADDMM = [((3, 4), (3, 2), (2, 4)), ((4,), (3, 2), (2, 4)), ((3, 1), (3, 2), (2, 4))]
_ADDMV = [((3,), (3, 2), (2,)), ((1,), (3, 2), (2,))]
_ADDR = [((3, 4), (3,), (4,)), ((4,), (3,), (4,))]
_BADDBMM = [((2, 3, 4), (2, 3, 5), (2, 5, 4)), ((3, 4), (2, 3, 5), (2, 5, 4))]
_ADDBMM = [((3, 4), (2, 3, 5), (2, 5, 4)), ((4,), (2, 3, 5), (2, 5, 4))]


def _scaled_entries():
    out = []
    for name, fn, product, shapes in (
            ("addmm", nb.addmm, np.matmul, _ADDMM), ("addmv", nb.addmv, np.matmul, _ADDMV),
            ("addr", nb.addr, np.outer, _ADDR), ("baddbmm", nb.baddbmm, np.matmul, _BADDBMM),
            ("addbmm", nb.addbmm, lambda a, b: np.matmul(a, b).sum(0), _ADDBMM)):
        out.append(OpInfo(name, fn, _np_scaled(product), _mm_samples(shapes)))
        out.append(OpInfo(name, fn, _np_scaled(product),
                          _mm_samples(shapes[:1], beta=0.5, alpha=-2.0), variant="scaled"))
        out.append(OpInfo(name, fn, _np_scaled(product),
                          _mm_samples(shapes[:1], beta=0, alpha=3.0), variant="beta0"))
    return out


OPS = [
    _classifier("isnan", nb.isnan, np.isnan),
    _classifier("isinf", nb.isinf, np.isinf),
    _classifier("isposinf", nb.isposinf, np.isposinf),
    _classifier("isneginf", nb.isneginf, np.isneginf),
    _classifier("isfinite", nb.isfinite, np.isfinite),
    OpInfo("isreal", nb.isreal, np.isreal, _special, grad=False, composite=True),
    OpInfo("isclose", nb.isclose, _np_isclose, _isclose_samples, grad=False),
    OpInfo("allclose", lambda a, b, **kw: nb.tensor(nb.allclose(a, b, **kw), device=a.device),
           lambda a, b, **kw: np.array(np.allclose(a, b, **kw)), _isclose_samples,
           grad=False, composite=True),
    OpInfo("equal", lambda a, b: nb.tensor(nb.equal(a, b), device=a.device),
           lambda a, b: np.array(a.shape == b.shape and bool(np.all(a == b))),
           lambda rng: [Sample((np.arange(4.0), np.arange(4.0))),
                        Sample((np.arange(4.0), np.arange(4.0) * 2)),
                        Sample((np.arange(4.0), np.arange(3.0))),
                        Sample((_SPECIAL, _SPECIAL), desc="nan is unequal")],
           grad=False, composite=True),
    OpInfo("addcmul", nb.addcmul, lambda x, y, z, value=1: x + value * y * z, _ternary()),
    OpInfo("addcmul", nb.addcmul, lambda x, y, z, value=1: x + value * y * z,
           _ternary(value=-0.5), variant="value"),
    OpInfo("addcdiv", nb.addcdiv, lambda x, y, z, value=1: x + value * y / z,
           _ternary(_NONZERO)),
    OpInfo("addcdiv", nb.addcdiv, lambda x, y, z, value=1: x + value * y / z,
           _ternary(_NONZERO, value=2.0), variant="value"),
    OpInfo("lerp", nb.lerp, _np_lerp, _lerp_samples),
    OpInfo("lerp_tensor", nb.lerp, _np_lerp, _lerp_tensor_samples),
    OpInfo("copysign", nb.copysign, np.copysign, _copysign_samples),
    OpInfo("copysign_scalar", nb.copysign, np.copysign, _copysign_scalar_samples),
] + _scaled_entries()
