"""Op database entries for elementwise ops (unary, binary, activations).

Each entry samples several shapes (0-d, 1-d, 2-d, 3-d, a transposed view),
broadcasting pairs and a Python scalar on either side (`tests.opdb.common`),
in a domain that keeps finite differences away from singularities and
jumps.  Integer and special-value behaviour is in tests/test_elementwise.py.
"""

import math

import numpy as np

import nbgrad as nb
from nbgrad.ops import activation as act
from tests.opdb.common import OpInfo, Sample, binary_samples, unary_samples, uniform

_pos = (0.5, 2.0)
_unit = (-0.9, 0.9)
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _u(name, fn, ref, domain=(-2.0, 2.0), **kw):
    return OpInfo(name, fn, ref, unary_samples(domain), **kw)


def _b(name, fn, ref, domain=(-2.0, 2.0), domain_y=None, scalars=(0.7,), **kw):
    return OpInfo(name, fn, ref, binary_samples(domain, domain_y, scalars), **kw)


def _samples(*builders):
    def make(rng):
        return [b(rng) for b in builders]
    return make


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_gelu(x):
    return (0.5 * x * (1 + _erf(x / math.sqrt(2)))).astype(x.dtype)


def _np_gelu_tanh(x):
    k = math.sqrt(2 / math.pi)
    return 0.5 * x * (1 + np.tanh(k * (x + 0.044715 * x ** 3)))


def _np_softplus(x, beta=1.0, threshold=20.0):
    with np.errstate(over="ignore"):
        return np.where(x * beta > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def _np_round(x, decimals=0):
    return np.round(x, decimals)


def _np_div(mode):
    def ref(x, y):
        return np.floor_divide(x, y) if mode == "floor" else np.trunc(np.true_divide(x, y))
    return ref


def _ints(rng, shape, lo=-6, hi=7):
    return rng.integers(lo, hi, size=shape).astype(np.int64)


def _nonzero_ints(rng, shape):
    v = _ints(rng, shape)
    return np.where(v == 0, 3, v)


def _int_pair_samples(nonzero_y=False):
    """Integer pairs (a nonzero divisor if `nonzero_y`), else also bool pairs."""
    def make(rng):
        y = _nonzero_ints if nonzero_y else _ints
        out = [Sample((_ints(rng, (2, 3)), y(rng, (2, 3))), desc="int"),
               Sample((_ints(rng, (2, 1)), y(rng, (3,))), desc="int-broadcast"),
               Sample((_ints(rng, (4,)), 3), desc="int-scalar"),
               Sample((-7, y(rng, (4,))), desc="scalar-int")]
        if not nonzero_y:
            out.append(Sample((rng.uniform(size=(3,)) > 0.5, rng.uniform(size=(3,)) > 0.5),
                              desc="bool"))
        return out
    return make


OPS = [
    # -- signs, exponentials, logarithms --------------------------------------------------
    _u("neg", nb.neg, np.negative),
    _u("abs", nb.abs, np.abs),
    _u("sign", nb.sign, np.sign),
    _u("exp", nb.exp, np.exp),
    _u("expm1", nb.expm1, np.expm1),
    _u("log", nb.log, np.log, _pos),
    _u("log1p", nb.log1p, np.log1p, (-0.5, 2.0)),
    _u("log2", nb.log2, np.log2, _pos),
    _u("log10", nb.log10, np.log10, _pos),
    # -- powers --------------------------------------------------------------------------
    _u("sqrt", nb.sqrt, np.sqrt, _pos),
    _u("rsqrt", nb.rsqrt, lambda x: 1 / np.sqrt(x), _pos),
    _u("square", nb.square, np.square),
    _u("reciprocal", nb.reciprocal, np.reciprocal, _pos),
    _b("pow", nb.pow, np.power, domain=_pos, scalars=(2, 0.5, 1.5)),
    OpInfo("pow_scalar", nb.pow, np.power,
           samples=lambda rng: [Sample((uniform(rng, (2, 3)), 2), desc="square"),
                                Sample((uniform(rng, (4,)), 3), desc="cube"),
                                Sample((uniform(rng, (3,)), 0), desc="zero"),
                                Sample((uniform(rng, (2, 3), _pos), -2), desc="negative"),
                                Sample((uniform(rng, (2, 3), _pos), 0.5), desc="sqrt"),
                                Sample((uniform(rng, (4,), _pos), -0.5), desc="rsqrt"),
                                Sample((uniform(rng, (3,), _pos), -1), desc="reciprocal"),
                                Sample((uniform(rng, (2, 2), _pos), 1.7), desc="general")]),
    OpInfo("pow", lambda x: 2.5 ** x, lambda x: 2.5 ** x, variant="scalar-base",
           samples=unary_samples()),
    # -- trigonometric and hyperbolic ------------------------------------------------------
    _u("sin", nb.sin, np.sin, (-4.0, 4.0)),
    _u("cos", nb.cos, np.cos, (-4.0, 4.0)),
    _u("tan", nb.tan, np.tan, (-1.2, 1.2)),
    _u("asin", nb.asin, np.arcsin, _unit),
    _u("acos", nb.acos, np.arccos, _unit),
    _u("atan", nb.atan, np.arctan, (-3.0, 3.0)),
    _u("sinh", nb.sinh, np.sinh),
    _u("cosh", nb.cosh, np.cosh),
    _u("tanh", nb.tanh, np.tanh),
    _u("sigmoid", nb.sigmoid, _np_sigmoid, (-4.0, 4.0)),
    _u("erf", nb.erf, lambda x: _erf(x).astype(x.dtype)),
    _b("atan2", nb.atan2, np.arctan2),
    # -- rounding (zero gradients) -----------------------------------------------------------
    _u("floor", nb.floor, np.floor, (-3.0, 3.0)),
    _u("ceil", nb.ceil, np.ceil, (-3.0, 3.0)),
    _u("trunc", nb.trunc, np.trunc, (-3.0, 3.0)),
    _u("round", nb.round, np.round, (-3.0, 3.0)),
    OpInfo("round_decimals", nb.round, _np_round,
           samples=lambda rng: [Sample((uniform(rng, (2, 3), (-30, 30)),), {"decimals": 1}),
                                Sample((uniform(rng, (4,), (-30, 30)),), {"decimals": 2}),
                                Sample((uniform(rng, (3,), (-300, 300)),), {"decimals": -1}),
                                Sample((uniform(rng, (), (-3, 3)),), {"decimals": 3})]),
    # -- clamp ------------------------------------------------------------------------------
    OpInfo("clamp", nb.clamp, np.clip, samples=lambda rng: [
        Sample((uniform(rng, (2, 3)), -0.5, 0.6), desc="numbers"),
        Sample((uniform(rng, (4,)), uniform(rng, (4,), (-1.5, -0.2)),
                uniform(rng, (4,), (0.2, 1.5))), desc="tensors"),
        Sample((uniform(rng, (2, 3)), uniform(rng, (3,), (-1.5, -0.2)), 0.5),
               desc="broadcast-min"),
        Sample((uniform(rng, (2, 1)), uniform(rng, (1, 3), (-1.5, -0.2)),
                uniform(rng, (2, 3), (0.2, 1.5))), desc="broadcast-all"),
        Sample((uniform(rng, (4,)), uniform(rng, (4,), (0.5, 1.0)),
                uniform(rng, (4,), (-1.0, 0.0))), desc="min>max")]),
    OpInfo("clamp_min", lambda x, lo: nb.clamp(x, min=lo), lambda x, lo: np.maximum(x, lo),
           samples=lambda rng: [Sample((uniform(rng, (2, 3)), 0.1), desc="number"),
                                Sample((uniform(rng, (2, 3)), uniform(rng, (3,))),
                                       desc="tensor")]),
    OpInfo("clamp_max", lambda x, hi: nb.clamp(x, max=hi), lambda x, hi: np.minimum(x, hi),
           samples=lambda rng: [Sample((uniform(rng, (2, 3)), 0.1), desc="number"),
                                Sample((uniform(rng, (3, 1)), uniform(rng, (3,))),
                                       desc="tensor")]),
    OpInfo("clip", lambda x: nb.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
           unary_samples(), composite=True),
    # -- arithmetic -------------------------------------------------------------------------------
    _b("add", nb.add, np.add),
    _b("sub", nb.sub, np.subtract),
    OpInfo("add_alpha", lambda x, y: nb.add(x, y, alpha=2.5), lambda x, y: x + 2.5 * y,
           binary_samples()),
    OpInfo("sub_alpha", lambda x, y: nb.sub(x, y, alpha=-3), lambda x, y: x + 3 * y,
           binary_samples()),
    OpInfo("rsub", nb.rsub, lambda x, y: y - x, binary_samples(), composite=True),
    _b("mul", nb.mul, np.multiply),
    _b("div", nb.div, np.divide, domain_y=_pos),
    OpInfo("div_trunc", lambda x, y: nb.div(x, y, rounding_mode="trunc"), _np_div("trunc"),
           binary_samples((-6.0, 6.0), _pos, scalars=(0.7,))),
    OpInfo("div_floor", lambda x, y: nb.div(x, y, rounding_mode="floor"), _np_div("floor"),
           binary_samples((-6.0, 6.0), _pos, scalars=(0.7,))),
    OpInfo("div_floor", lambda x, y: nb.div(x, y, rounding_mode="floor"), _np_div("floor"),
           _int_pair_samples(nonzero_y=True), variant="int", grad=False),
    OpInfo("floor_divide", nb.floor_divide, np.floor_divide,
           binary_samples((-6.0, 6.0), _pos), composite=True),
    _b("remainder", nb.remainder, np.remainder, (-6.0, 6.0), (0.5, 2.0)),
    OpInfo("remainder", nb.remainder, np.remainder, _int_pair_samples(nonzero_y=True),
           variant="int", grad=False),
    _b("fmod", nb.fmod, np.fmod, (-6.0, 6.0), (0.5, 2.0)),
    OpInfo("fmod", nb.fmod, np.fmod, _int_pair_samples(nonzero_y=True), variant="int",
           grad=False),
    _b("maximum", nb.maximum, np.maximum),
    _b("minimum", nb.minimum, np.minimum),
    # -- where --------------------------------------------------------------------------------
    OpInfo("where", nb.where, np.where, lambda rng: [
        Sample((uniform(rng, (2, 3)) > 0, uniform(rng, (2, 3)), uniform(rng, (3,))),
               desc="broadcast"),
        Sample((uniform(rng, (4,)) > 0, uniform(rng, (4,)), 0.5), desc="scalar-other"),
        Sample((uniform(rng, (4,)) > 0, -1.5, uniform(rng, (4,))), desc="scalar-input"),
        Sample((uniform(rng, (3, 1)) > 0, uniform(rng, (1, 4)), uniform(rng, ())),
               desc="broadcast-all"),
        Sample((np.array(True), uniform(rng, (2, 3)), uniform(rng, (2, 3))), desc="0d-cond")]),
    # -- activations ----------------------------------------------------------------------------
    _u("relu", nb.relu, lambda x: np.maximum(x, 0)),
    OpInfo("leaky_relu", act.leaky_relu, lambda x, s=0.01: np.where(x > 0, x, s * x),
           samples=_samples(lambda rng: Sample((uniform(rng, (2, 3)),)),
                            lambda rng: Sample((uniform(rng, (4,)), 0.2)),
                            lambda rng: Sample((uniform(rng, ()), 0.5)))),
    OpInfo("elu", act.elu, lambda x, a=1.0: np.where(x > 0, x, a * np.expm1(x)),
           samples=_samples(lambda rng: Sample((uniform(rng, (2, 3)),)),
                            lambda rng: Sample((uniform(rng, (4,)), 0.5)),
                            lambda rng: Sample((uniform(rng, (3, 4)).T, 2.0)))),
    _u("gelu", act.gelu, _np_gelu, (-3.0, 3.0)),
    _u("gelu_tanh", lambda x: act.gelu(x, approximate="tanh"), _np_gelu_tanh, (-3.0, 3.0)),
    _u("silu", act.silu, lambda x: x * _np_sigmoid(x), (-4.0, 4.0)),
    OpInfo("softplus", act.softplus, _np_softplus,
           samples=_samples(lambda rng: Sample((uniform(rng, (2, 3), (-4.0, 4.0)),)),
                            lambda rng: Sample((uniform(rng, (4,), (-4.0, 4.0)), 2.0)),
                            lambda rng: Sample((np.array([-3.0, 1.0, 2.6, 6.0]), 2.0, 5.0),
                                               desc="threshold"))),
    OpInfo("hardtanh", act.hardtanh, lambda x, lo=-1.0, hi=1.0: np.clip(x, lo, hi),
           samples=_samples(lambda rng: Sample((uniform(rng, (2, 3)),)),
                            lambda rng: Sample((uniform(rng, (4,), (-3, 3)), -2.0, 0.5)))),
    _u("relu6", act.relu6, lambda x: np.clip(x, 0, 6), (-3.0, 9.0), composite=True),
]

for _name, _ref in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                    ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal),
                    ("logical_and", np.logical_and), ("logical_or", np.logical_or),
                    ("logical_xor", np.logical_xor)):
    OPS.append(OpInfo(_name, getattr(nb, _name), _ref, binary_samples(), grad=False,
                      gradgrad=False))
OPS.append(OpInfo("logical_and", nb.logical_and, np.logical_and, _int_pair_samples(),
                  variant="int", grad=False, gradgrad=False))
OPS.append(_u("logical_not", nb.logical_not, np.logical_not, grad=False, gradgrad=False))
for _name, _ref in (("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or),
                    ("bitwise_xor", np.bitwise_xor)):
    OPS.append(OpInfo(_name, getattr(nb, _name), _ref, _int_pair_samples(), grad=False,
                      gradgrad=False))
OPS.append(OpInfo("bitwise_not", nb.bitwise_not, np.invert,
                  lambda rng: [Sample((_ints(rng, (2, 3)),), desc="int"),
                               Sample((rng.uniform(size=(4,)) > 0.5,), desc="bool")],
                  grad=False, gradgrad=False))
