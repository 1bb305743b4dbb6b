"""The benchmarked computations, each defined once for nbgrad and for NumPy.

Used by the asv benchmarks (``bench_*.py``) and by ``ratios.py``, so both time
exactly the same code.  Every case is a zero-argument callable doing forward
plus backward; NumPy references are written the way NumPy users write them:
one array expression per forward op, then a hand-written backward, one
expression per derivative, no fusion.

Elementwise ops are enumerated from ``nbgrad._REGISTRY``; an op needs an entry
in `NUMPY_REFS` (NumPy forward, NumPy backward, input domains) to be
benchmarked, and is skipped with a clear message otherwise.
"""

import math

import numpy as np

import nbgrad as nb
from nbgrad.ops.elementwise import Elementwise

# -- the tutorial step -------------------------------------------------------
# x = ones(n, requires_grad=True); y = x + 2; z = y * y * 3; out = z.mean();
# out.backward()
TUTORIAL_SHAPES = {"2x2": (2, 2), "1M": (1_000_000,)}


def nbgrad_tutorial_step(shape):
    """The seed notebook's step in nbgrad: forward and backward, returns x.grad."""
    def step():
        x = nb.ones(*shape, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        out.backward()
        return x.grad
    return step


def numpy_tutorial_step(shape):
    """The same step in NumPy float32: forward, then the chain rule by hand."""
    def step():
        x = np.ones(shape, np.float32)
        y = x + 2
        t = y * y
        z = t * 3
        out = z.mean()  # noqa: F841 (the forward result a user would print)
        gz = np.full_like(z, 1.0 / z.size)   # d mean
        gt = gz * 3                           # d (t * 3)
        gy = 2 * y * gt                       # d (y * y)
        gx = gy                               # d (x + 2)
        return gx
    return step


# -- a chain of 100 small ops --------------------------------------------------
CHAIN_OPS = 100
CHAIN_SHAPE = (2, 2)


def nbgrad_chain():
    """100 alternating mul/add ops on a 2x2 tensor, then sum().backward()."""
    x = nb.ones(*CHAIN_SHAPE, requires_grad=True)

    def step():
        x.grad = None
        y = x
        for _ in range(CHAIN_OPS // 2):
            y = y * 1.01
            y = y + 0.01
        y.sum().backward()
        return x.grad
    return step


def numpy_chain():
    """The same chain in NumPy, with the backward written out."""
    x = np.ones(CHAIN_SHAPE, np.float32)
    c = np.float32(1.01)
    d = np.float32(0.01)

    def step():
        y = x
        for _ in range(CHAIN_OPS // 2):
            y = y * c
            y = y + d
        y.sum()
        g = np.ones_like(y)
        for _ in range(CHAIN_OPS // 2):
            g = g * c   # the add passes g through; the mul scales it
        return g
    return step


# -- a new process: import plus the tutorial step --------------------------------
STARTUP_CODE = """\
import nbgrad as torch
x = torch.ones(2, 2, requires_grad=True)
y = x + 2
z = y * y * 3
out = z.mean()
out.backward()
x.grad
"""

# -- elementwise ops at 1,000,000 float32 elements ----------------------------
ELEMENTWISE_N = 1_000_000
_ALL = (-2.0, 2.0)
_POS = (0.5, 2.0)
_UNIT = (-0.9, 0.9)


def _sig(x):
    return 1 / (1 + np.exp(-x))


_K = math.sqrt(2 / math.pi)  # a Python float keeps the arrays' dtype


# NumPy has no erf (SciPy does): the Abramowitz-Stegun 7.1.26 formula (absolute error
# below 1.5e-7, float32's level), written as NumPy users write it
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_SQRT1_2 = math.sqrt(0.5)
_2_SQRTPI = 2 / math.sqrt(math.pi)


def _erf(x):
    t = 1 / (1 + _AS_P * np.abs(x))
    a1, a2, a3, a4, a5 = _AS_A
    y = 1 - ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t * np.exp(-x * x)
    return np.copysign(y, x)


def _gelu_grad(x):
    # d/dx x Phi(x) = Phi(x) + x phi(x)
    return 0.5 * (1 + _erf(x * _SQRT1_2)) + x * np.exp(-0.5 * x * x) * (0.5 * _2_SQRTPI * _SQRT1_2)


def _gelu_tanh_grad(x):
    # x * x * x, not x ** 3: NumPy's float32 power is ~300x slower than two multiplies
    t = np.tanh(_K * (x + 0.044715 * (x * x * x)))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _K * (1 + 3 * 0.044715 * x * x)


class Ref:
    """NumPy reference of an elementwise op.

    forward(*inputs) -> out; backward(g, *inputs, out) -> one gradient per
    differentiable input, in order.  domains: a single (lo, hi) for every
    input, or one spec per input: (lo, hi) (a uniform array), 'bool'
    (a random condition) or a number (a scalar parameter, not differentiated).
    tolerance: how far (relative) its gradients may be from nbgrad's in
    `check_elementwise_case`; looser only where the reference approximates."""

    def __init__(self, forward, backward, domains=_ALL, tolerance=1e-6):
        self.forward = forward
        self.backward = backward
        self.domains = domains
        self.tolerance = tolerance

    def domain(self, i):
        d = self.domains
        return d if isinstance(d[0], (int, float)) else d[i]


# op name -> Ref.  Add an entry when an elementwise op is added to nbgrad; names
# not (yet) registered are ignored.
NUMPY_REFS = {
    # unary
    "neg": Ref(np.negative, lambda g, x, out: (-g,)),
    "exp": Ref(np.exp, lambda g, x, out: (g * out,)),
    "exp2": Ref(np.exp2, lambda g, x, out: (g * out * math.log(2),)),
    "expm1": Ref(np.expm1, lambda g, x, out: (g * (out + 1),)),
    "log": Ref(np.log, lambda g, x, out: (g / x,), _POS),
    "log2": Ref(np.log2, lambda g, x, out: (g / (x * math.log(2)),), _POS),
    "log10": Ref(np.log10, lambda g, x, out: (g / (x * math.log(10)),), _POS),
    "log1p": Ref(np.log1p, lambda g, x, out: (g / (x + 1),), _POS),
    "abs": Ref(np.abs, lambda g, x, out: (g * np.sign(x),)),
    "sign": Ref(np.sign, lambda g, x, out: (np.zeros_like(g),)),
    "sqrt": Ref(np.sqrt, lambda g, x, out: (g / (2 * out),), _POS),
    "rsqrt": Ref(lambda x: 1 / np.sqrt(x), lambda g, x, out: (-0.5 * g * out * out * out,),
                 _POS),
    "square": Ref(np.square, lambda g, x, out: (2 * x * g,)),
    "reciprocal": Ref(np.reciprocal, lambda g, x, out: (-g * out * out,), _POS),
    "sin": Ref(np.sin, lambda g, x, out: (g * np.cos(x),)),
    "cos": Ref(np.cos, lambda g, x, out: (-g * np.sin(x),)),
    "tan": Ref(np.tan, lambda g, x, out: (g * (1 + out * out),), (-1.2, 1.2)),
    "asin": Ref(np.arcsin, lambda g, x, out: (g / np.sqrt(1 - x * x),), _UNIT),
    "acos": Ref(np.arccos, lambda g, x, out: (-g / np.sqrt(1 - x * x),), _UNIT),
    "atan": Ref(np.arctan, lambda g, x, out: (g / (1 + x * x),)),
    "sinh": Ref(np.sinh, lambda g, x, out: (g * np.cosh(x),)),
    "cosh": Ref(np.cosh, lambda g, x, out: (g * np.sinh(x),)),
    "tanh": Ref(np.tanh, lambda g, x, out: (g * (1 - out * out),)),
    "asinh": Ref(np.arcsinh, lambda g, x, out: (g / np.sqrt(x * x + 1),)),
    "acosh": Ref(np.arccosh, lambda g, x, out: (g / np.sqrt(x * x - 1),), (1.1, 3.0)),
    "atanh": Ref(np.arctanh, lambda g, x, out: (g / (1 - x * x),), _UNIT),
    "sigmoid": Ref(_sig, lambda g, x, out: (g * out * (1 - out),)),
    "relu": Ref(lambda x: np.maximum(x, 0), lambda g, x, out: (g * (x > 0),)),
    "silu": Ref(lambda x: x * _sig(x),
                lambda g, x, out: (g * (_sig(x) * (1 + x * (1 - _sig(x)))),)),
    "softplus": Ref(lambda x, beta, threshold: np.log1p(np.exp(x)),
                    lambda g, x, beta, threshold, out: (g * _sig(x),), (_ALL, 1.0, 20.0)),
    "elu": Ref(lambda x, a: np.where(x > 0, x, a * np.expm1(x)),
               lambda g, x, a, out: (g * np.where(x > 0, 1, out + a),), (_ALL, 1.0)),
    "leaky_relu": Ref(lambda x, k: np.where(x > 0, x, k * x),
                      lambda g, x, k, out: (g * np.where(x > 0, 1, k),), (_ALL, 0.01)),
    "hardtanh": Ref(np.clip, lambda g, x, lo, hi, out: (g * ((x > lo) & (x < hi)),),
                    (_ALL, -1.0, 1.0)),
    "gelu_tanh": Ref(lambda x: 0.5 * x * (1 + np.tanh(_K * (x + 0.044715 * (x * x * x)))),
                     lambda g, x, out: (g * _gelu_tanh_grad(x),)),
    "clamp": Ref(np.clip, lambda g, x, lo, hi, out: (g * ((x >= lo) & (x <= hi)),),
                 (_ALL, -1.0, 1.0)),
    "clamp_min": Ref(np.maximum, lambda g, x, lo, out: (g * (x >= lo),), (_ALL, 0.0)),
    "clamp_max": Ref(np.minimum, lambda g, x, hi, out: (g * (x <= hi),), (_ALL, 0.0)),
    "erf": Ref(_erf, lambda g, x, out: (g * _2_SQRTPI * np.exp(-x * x),)),
    # the reference's erf is accurate to 1.5e-7 absolute: its gradient's relative error
    # grows where the gradient crosses zero (x near -0.75)
    "gelu": Ref(lambda x: 0.5 * x * (1 + _erf(x * _SQRT1_2)),
                lambda g, x, out: (g * _gelu_grad(x),), tolerance=1e-4),
    "round_decimals": Ref(lambda x, p, neg: np.round(x * p) / p,
                          lambda g, x, p, neg, out: (np.zeros_like(g),), (_ALL, 100.0, False)),
    "floor": Ref(np.floor, lambda g, x, out: (np.zeros_like(g),)),
    "ceil": Ref(np.ceil, lambda g, x, out: (np.zeros_like(g),)),
    "round": Ref(np.round, lambda g, x, out: (np.zeros_like(g),)),
    "trunc": Ref(np.trunc, lambda g, x, out: (np.zeros_like(g),)),
    # binary
    "add": Ref(np.add, lambda g, x, y, out: (g, g)),
    "sub": Ref(np.subtract, lambda g, x, y, out: (g, -g)),
    "add_alpha": Ref(lambda x, y, a: x + a * y, lambda g, x, y, a, out: (g, g * a),
                     (_ALL, _ALL, 2.0)),
    "sub_alpha": Ref(lambda x, y, a: x - a * y, lambda g, x, y, a, out: (g, -g * a),
                     (_ALL, _ALL, 2.0)),
    "div_floor": Ref(np.floor_divide, lambda g, x, y, out: (np.zeros_like(g),) * 2,
                     (_ALL, _POS)),
    "div_trunc": Ref(lambda x, y: np.trunc(x / y), lambda g, x, y, out: (np.zeros_like(g),) * 2,
                     (_ALL, _POS)),
    "remainder": Ref(np.remainder, lambda g, x, y, out: (g, -g * np.floor_divide(x, y)),
                     (_ALL, _POS)),
    "fmod": Ref(np.fmod, lambda g, x, y, out: (g, -g * np.trunc(x / y)), (_ALL, _POS)),
    "mul": Ref(np.multiply, lambda g, x, y, out: (g * y, g * x)),
    "div": Ref(np.divide, lambda g, x, y, out: (g / y, -g * x / (y * y)), (_ALL, _POS)),
    "pow": Ref(np.power, lambda g, x, y, out: (g * y * x ** (y - 1), g * out * np.log(x)),
               (_POS, _POS)),
    # x ** 2.0: an exponent both nbgrad and NumPy shortcut (NumPy's general float32
    # power is far slower)
    "pow_scalar": Ref(np.power, lambda g, x, y, out: (g * y * x ** (y - 1),), (_ALL, 2.0)),
    "maximum": Ref(np.maximum, lambda g, x, y, out: (g * (x >= y), g * (x < y))),
    "minimum": Ref(np.minimum, lambda g, x, y, out: (g * (x <= y), g * (x > y))),
    "atan2": Ref(np.arctan2, lambda g, x, y, out: (g * y / (x * x + y * y),
                                                   -g * x / (x * x + y * y))),
    "hypot": Ref(np.hypot, lambda g, x, y, out: (g * x / out, g * y / out)),
    "logaddexp": Ref(np.logaddexp, lambda g, x, y, out: (g * np.exp(x - out),
                                                         g * np.exp(y - out))),
    # where(c, x, y): the condition is not differentiated
    "where": Ref(np.where, lambda g, c, x, y, out: (np.where(c, g, 0), np.where(c, 0, g)),
                 ("bool", _ALL, _ALL)),
}


# What a reader of a ratio above 1.0 should know (printed by ratios.py).
REFERENCE_NOTES = {
    "add": "with out.backward(g), nbgrad gives each leaf its own .grad, so with a "
           "caller-held g it copies g twice, as PyTorch does (x.grad and y.grad never share "
           "g's storage there either); nb.autograd.grad returns g itself, as NumPy does",
    "sub": "with out.backward(g), nbgrad copies g into x.grad, as PyTorch does; "
           "nb.autograd.grad returns g itself for x, as NumPy does",
}


def elementwise_op_names():
    """Registered differentiable elementwise ops (with a node class), sorted."""
    return sorted(name for name, op in nb._REGISTRY.items()
                  if isinstance(op, Elementwise) and op.node_class is not None)


class NoReference(NotImplementedError):
    """Raised for an op without a usable NumPy reference (asv: skipped)."""


def _inputs(ref, n_inputs, n, seed, dtype):
    rng = np.random.default_rng(seed)
    arrays = []
    for i in range(n_inputs):
        d = ref.domain(i)
        if d == "bool":
            arrays.append(rng.random(n) < 0.5)
        elif isinstance(d, (int, float)):
            arrays.append(d)
        else:
            arrays.append(rng.uniform(d[0], d[1], n).astype(dtype))
    return arrays


def elementwise_case(name, n=ELEMENTWISE_N, seed=0, dtype=np.float32, api="grad"):
    """(nbgrad step, NumPy step) for op `name` on `n`-element inputs of `dtype`.

    Each step is forward + backward with an incoming gradient of ones, and
    returns the gradients.  `api` chooses nbgrad's backward:

    - "grad": ``nb.autograd.grad(out, inputs, g)``, which returns the
      gradients, as the NumPy reference does (the same computation);
    - "backward": ``out.backward(g)``, which also stores each gradient as its
      leaf's own ``.grad``: a gradient that is ``g`` itself (add, sub's x) is
      copied there, as PyTorch does, since the caller still holds ``g``.

    Raises NoReference if the op has no entry in NUMPY_REFS (or it does not fit)."""
    if api not in ("grad", "backward"):
        raise ValueError(f"api must be 'grad' or 'backward', not {api!r}")
    op = nb._REGISTRY.get(name)
    if not isinstance(op, Elementwise) or op.node_class is None:
        raise NoReference(f"{name}: not a registered differentiable elementwise op")
    ref = NUMPY_REFS.get(name)
    if ref is None:
        raise NoReference(f"{name}: no NumPy reference; add it to "
                          "asv_benchmarks/cases.py NUMPY_REFS to benchmark it")
    arrays = _inputs(ref, len(op.inputs), n, seed, dtype)
    diff = [i for i, (p, a) in enumerate(zip(op.inputs, arrays))
            if p in op.grads and isinstance(a, np.ndarray) and a.dtype != np.bool_]
    g_np = np.ones(n, dtype)
    try:
        out_np = ref.forward(*arrays)
        grads_np = ref.backward(g_np, *arrays, out_np)
    except TypeError as e:
        raise NoReference(f"{name}: the NumPy reference does not fit nbgrad's inputs "
                          f"{op.inputs} ({e})") from None
    if len(grads_np) != len(diff):
        raise NoReference(f"{name}: the NumPy backward gives {len(grads_np)} gradients, "
                          f"nbgrad differentiates {len(diff)} inputs")

    tensors = [nb.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a for a in arrays]
    leaves = [tensors[i] for i in diff]
    for t in leaves:
        t.requires_grad_(True)
    g_nb = nb.from_numpy(g_np.copy())

    if api == "grad":
        grad = nb.autograd.grad

        def nbgrad_step():
            return grad(op(*tensors), leaves, g_nb)
    else:
        def nbgrad_step():
            for t in leaves:
                t.grad = None
            out = op(*tensors)
            out.backward(g_nb)
            return [t.grad for t in leaves]

    fwd, bwd = ref.forward, ref.backward

    def numpy_step():
        out = fwd(*arrays)
        return bwd(g_np, *arrays, out)

    return nbgrad_step, numpy_step


def check_elementwise_case(name, n=64, dtype=np.float64):
    """Largest relative difference between nbgrad's and NumPy's gradients
    (a sanity check that both sides compute the same thing; float64 by
    default, whose kernels the op tests have compiled already)."""
    worst = 0.0
    for api in ("grad", "backward"):   # both nbgrad steps against the reference
        a, b = elementwise_case(name, n, dtype=dtype, api=api)
        got, want = a(), b()
        assert len(got) == len(want), (name, api, len(got), len(want))
        for ga, gb in zip(got, want):
            ga = ga.numpy()
            gb = np.broadcast_to(np.asarray(gb, np.float64), ga.shape)
            worst = max(worst, float(np.max(np.abs(ga - gb) / (1e-6 + np.abs(gb)))))
    return worst
