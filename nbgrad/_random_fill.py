"""The in-place random fills, as Tensor methods: ``uniform_``, ``normal_``,
``bernoulli_``, ``random_``, ``exponential_``, ``geometric_``, ``cauchy_``,
``log_normal_`` (each with ``generator=``).

Each checks its arguments as PyTorch does (before any draw), then writes
fresh numbers into the tensor: straight into a contiguous buffer, else
through a temporary; the version counter is bumped.  When the write must be
recorded (the tensor, or a view's base, requires grad), the values come from
a node with PyTorch's name (UniformBackward0, RandomBackward0/1/2, ...)
whose gradient is zero, and `nbgrad.ops.inplace.commit_inplace` writes
them, as for any in-place op.
"""

import numbers

import numpy as np

from nbgrad import _dtypes, _factories, _random
from nbgrad._random_ops import check_p, check_probabilities, fmt
from nbgrad.autograd.function import Function
from nbgrad.backends import dispatch, philox
from nbgrad.ops.inplace import _needs_graph, check_inplace, commit_inplace
from nbgrad.ops.registry import tensor_method
from nbgrad.tensor import Tensor

__all__ = []


def _redraw(node):
    """An autograd Function recording node `node`: its forward returns fresh
    values (from the callable last argument), its gradient is zero."""
    class Redraw(Function):
        _node_name = node

        @staticmethod
        def forward(ctx, target, *rest):
            return rest[-1]()

        @staticmethod
        def backward(ctx, g):
            return tuple(None if m is None else
                         _factories.zeros(m[0], dtype=m[1], device=g.device)
                         for m in ctx.input_meta)
    return Redraw


_NODES = {name: _redraw(name) for name in (
    "UniformBackward0", "NormalBackward0", "BernoulliBackward1", "BernoulliBackward2",
    "RandomBackward0", "RandomBackward1", "RandomBackward2", "ExponentialBackward0",
    "GeometricBackward0", "CauchyBackward0", "LogNormalBackward0")}


def _fill(self, name, node, fill, tensors=()):
    """Overwrite `self` with `fill(flat)`'s values (fill writes a flat contiguous
    array of self's dtype); recorded as `node` when a graph needs it."""
    check_inplace(self, name)
    b = dispatch.backend(self.device)

    def fresh():
        data = b.empty(self._data.shape, self.dtype.np)
        if data.size:
            fill(b.reshape(data, (data.size,)))
        return Tensor._make(data, self.dtype, self.device)
    if _needs_graph(self, *tensors):
        return commit_inplace(self, _NODES[node].apply(self, *tensors, fresh))
    a = self._data
    if b.is_contiguous(a):
        if a.size:
            fill(b.reshape(a, (a.size,)))
    else:
        b.copy_into(a, fresh()._data)
    self._bump_version()
    return self


def _sampler(self, generator, name, kind, a=0.0, b=0.0, each=None):
    """fill(flat) drawing distribution `kind` (parameters a, b; or per element
    from tensor `each`) into a flat array of self's dtype (through float64 for
    other dtypes)."""
    be = dispatch.backend(self.device)
    gen = _random.generator_for(generator, self.device, name)

    def fill(out):
        target = out if out.dtype in (np.float32, np.float64) and each is None else \
            be.empty(out.shape, np.float64)
        s, o = gen._take(out.size)
        if each is None:
            be.creation.sample(target, kind, s, o, a, b)
        else:
            p = be.reshape(be.cast(be.broadcast_to(each._data, self._data.shape), np.float64),
                           (out.size,))
            be.creation.sample_each(target, kind, s, o, p, p)
        if target is not out:
            be.copy_into(out, target)
    return fill


def _float_only(self, message):
    d = self.dtype
    if not d.is_floating_point:
        raise message(d)


def _real(v, name, op_name):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{op_name}(): argument '{name}' must be float, not {type(v).__name__}")
    return v


def _not_implemented(kernel, op_name):
    return lambda d: NotImplementedError(f"\"{kernel}\" not implemented for '{d.torch_name}' "
                                         f"({op_name} of a {d!r} tensor: use a float dtype)")


class _Distribution:
    """A fill with the samples of one distribution: its checks in PyTorch's
    order (each parameter a real number, then the dtype, then the parameters'
    range), then the draw recorded as `node`."""

    def __init__(self, name, node, kind, params, dtype_error, valid, range_message):
        self.name, self.node, self.kind, self.params = name, node, kind, params
        self.dtype_error = dtype_error   # None: any dtype (through float64)
        self.valid = valid
        self.range_message = range_message   # str.format'ed with the parameters, as fmt

    def draw(self, t, generator, *values):
        for v, param in zip(values, self.params):
            _real(v, param, self.name)
        if self.dtype_error is not None:
            _float_only(t, self.dtype_error)
        if not self.valid(*values):
            raise RuntimeError(self.range_message.format(*[fmt(v) for v in values]))
        fill = _sampler(t, generator, self.name, self.kind, *values)
        return _fill(t, self.name, self.node, fill)


def _continuous_only(name, dtype_name):
    return lambda d: RuntimeError(
        f"{name} distribution is a continuous probability distribution. dtype must be a "
        f"floating point but you specified {dtype_name(d)}")


_DISTRIBUTIONS = {d.name: d for d in (
    _Distribution("normal_", "NormalBackward0", philox.NORMAL, ("mean", "std"),
                  _not_implemented("normal_kernel_cpu", "normal_"),
                  lambda mean, std: std >= 0, "normal expects std >= 0.0, but found std {1}"),
    _Distribution("exponential_", "ExponentialBackward0", philox.EXPONENTIAL, ("lambd",),
                  _continuous_only("Exponential", lambda d: d.torch_name),
                  lambda lambd: lambd > 0,
                  "exponential_ expects lambda > 0.0, but found lambda={0}"),
    _Distribution("geometric_", "GeometricBackward0", philox.GEOMETRIC, ("p",), None,
                  lambda p: 0 < p < 1, "geometric_ expects p to be in (0, 1), but got p={0}"),
    _Distribution("cauchy_", "CauchyBackward0", philox.CAUCHY, ("median", "sigma"),
                  _continuous_only("Cauchy", lambda d: d.c_name),
                  lambda median, sigma: sigma > 0,
                  "cauchy_ expects sigma > 0.0, but found sigma={1}"),
    _Distribution("log_normal_", "LogNormalBackward0", philox.LOG_NORMAL, ("mean", "std"),
                  _not_implemented("log_normal_cpu", "log_normal_"),
                  lambda mean, std: std > 0, "log_normal_ expects std > 0.0, but found std={1}"),
)}


@tensor_method("uniform_")
def uniform_(self, from_=0.0, to=1.0, *, generator=None):
    """Fill with U(from, to) samples in place: ``w.uniform_(-0.1, 0.1)``."""
    _real(from_, "from", "uniform_"), _real(to, "to", "uniform_")
    _float_only(self, _not_implemented("check_uniform_bounds", "uniform_"))
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={fmt(from_)} > to={fmt(to)}")
    top = float(np.finfo(self.dtype.np).max)
    for v, what in ((from_, "from"), (to, "to")):
        if not -top <= v <= top:
            raise RuntimeError(f"{what} is out of bounds for {self.dtype.c_name} "
                               f"({what}={fmt(v)})")
    if to - from_ > top:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<"
                           f"{self.dtype.torch_name}>::max(), but found to={to:g} and "
                           f"from={from_:g} which result in to-from to exceed the limit")
    fill = _sampler(self, generator, "uniform_", philox.UNIFORM, from_, to)
    return _fill(self, "uniform_", "UniformBackward0", fill)


@tensor_method("normal_")
def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with N(mean, std**2) samples in place: ``w.normal_(0, 0.02)``."""
    return _DISTRIBUTIONS["normal_"].draw(self, generator, mean, std)


@tensor_method("bernoulli_")
def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 1 (probability p, a float or a tensor broadcast to self) or 0 in place."""
    if isinstance(p, Tensor):
        p_b = p.detach().expand(*self.shape)   # PyTorch's broadcast errors
        check_probabilities(p)
        fill = _sampler(self, generator, "bernoulli_", philox.BERNOULLI, each=p_b)
        return _fill(self, "bernoulli_", "BernoulliBackward1", fill, (p,))
    check_p(p)
    fill = _sampler(self, generator, "bernoulli_", philox.BERNOULLI, p)
    return _fill(self, "bernoulli_", "BernoulliBackward2", fill)


@tensor_method("exponential_")
def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with Exp(lambd) samples in place."""
    return _DISTRIBUTIONS["exponential_"].draw(self, generator, lambd)


@tensor_method("geometric_")
def geometric_(self, p, *, generator=None):
    """Fill with Geometric(p) samples (trials to the first success, >= 1) in place."""
    return _DISTRIBUTIONS["geometric_"].draw(self, generator, p)


@tensor_method("cauchy_")
def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with Cauchy(median, sigma) samples in place."""
    return _DISTRIBUTIONS["cauchy_"].draw(self, generator, median, sigma)


@tensor_method("log_normal_")
def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with exp(N(mean, std**2)) samples in place."""
    return _DISTRIBUTIONS["log_normal_"].draw(self, generator, mean, std)


# -- random_ -----------------------------------------------------------------------------
def _top(d):
    """The largest value random_ draws by default for dtype `d` (PyTorch's)."""
    if d.is_floating_point:
        return 1 << (24 if d is _dtypes.float32 else 53)
    return 1 if d is _dtypes.bool else _dtypes._limits(d)[1]


def _random_range(self, args, kwargs):
    """(low, high, node) of a random_ call: random_(), random_(to), random_(from, to)."""
    kw = dict(kwargs)
    got = list(args) + [kw.pop(k) for k in ("from", "to") if k in kw]
    if kw or len(got) > 2 or any(
            v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Integral))
            for v in got) or (len(got) == 1 and got[0] is None):
        shown = ", ".join([type(v).__name__ for v in args] +
                          [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
        raise TypeError(f"random_() received an invalid combination of arguments - got "
                        f"({shown}), but expected one of: (*, Generator generator), "
                        "(int to, *, Generator generator), "
                        "(int from, int to, *, Generator generator)")
    d = self.dtype
    if not got:
        return 0, _top(d) + 1, "RandomBackward2"
    if len(got) == 1:
        low, high, node = 0, int(got[0]), "RandomBackward1"
    else:
        low = int(got[0])
        high = _top(d) + 1 if got[1] is None else int(got[1])
        node = "RandomBackward0"
    for v in (low, high):
        if not -(1 << 63) <= v < 1 << 63 and not (v == high and got[-1] is None):
            raise ValueError(f"random_(): Overflow when unpacking long long ({v})")
    _random.check_int_bounds(low, high, d)
    return low, high, node


@tensor_method("random_")
def random_(self, *args, generator=None, **kwargs):
    """Fill with integers in place: ``random_()`` (0 to the dtype's largest
    integer), ``random_(to)``, ``random_(from, to)`` (to=None: to the largest)."""
    low, high, node = _random_range(self, args, kwargs)
    be = dispatch.backend(self.device)
    gen = _random.generator_for(generator, self.device, "random_")

    def fill(out):
        s, o = gen._take(out.size)
        tmp = out if out.dtype == np.int64 else be.empty(out.shape, np.int64)
        be.creation.integers(tmp, s, o, low, (high - low) % (1 << 64))
        if tmp is not out:
            be.copy_into(out, tmp)
    return _fill(self, "random_", node, fill)
