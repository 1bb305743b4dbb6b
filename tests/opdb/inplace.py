"""Op database entries for the in-place ops (``add_`` ... ``clamp_``).

They are composite entries (built on the out-of-place ops and
`commit_inplace`, not registered themselves).  Each call clones its first
argument first, so that the gradient checks differentiate through the
in-place write into a non-leaf: its value, its new history and what the
recorded op saved of the old value.
"""

import numpy as np

import nbgrad as nb
from tests.opdb.common import OpInfo, Sample, uniform

_TARGET_SHAPES = [((), ()), ((4,), (4,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), (1, 3)),
                  ((2, 3), ())]


def _inplace_binary_samples(domain_y=(-2.0, 2.0)):
    def make(rng):
        out = [Sample((uniform(rng, a), uniform(rng, b, domain_y)), desc=f"{a}{b}")
               for a, b in _TARGET_SHAPES]
        out.append(Sample((uniform(rng, (2, 3)), 0.7), desc="tensor-scalar"))
        out.append(Sample((uniform(rng, (3, 2)).T, uniform(rng, (2, 3), domain_y)),
                          desc="transposed target"))
        return out
    return make


def _unary_samples(rng):
    return [Sample((uniform(rng, s),), desc=str(s)) for s in [(), (5,), (2, 3)]] + \
        [Sample((uniform(rng, (3, 2)).T,), desc="transposed")]


def _method(name, *extra, **kw):
    def call(x, *args):
        return getattr(x.clone(), name)(*args, *extra, **kw)
    return call


OPS = [
    OpInfo("add_", _method("add_"), np.add, _inplace_binary_samples(), composite=True),
    OpInfo("add_", _method("add_", alpha=-2.5), lambda x, y: x - 2.5 * np.asarray(y),
           _inplace_binary_samples(), composite=True, variant="alpha"),
    OpInfo("sub_", _method("sub_"), np.subtract, _inplace_binary_samples(), composite=True),
    OpInfo("mul_", _method("mul_"), np.multiply, _inplace_binary_samples(), composite=True),
    OpInfo("div_", _method("div_"), np.divide, _inplace_binary_samples((0.5, 2.0)),
           composite=True),
    OpInfo("zero_", _method("zero_"), np.zeros_like, _unary_samples, composite=True),
    OpInfo("fill_", _method("fill_", 1.5), lambda x: np.full_like(x, 1.5), _unary_samples,
           composite=True),
    OpInfo("fill_", _method("fill_"), lambda x, v: np.full_like(x, v),
           lambda rng: [Sample((uniform(rng, (2, 3)), uniform(rng, ())), desc="tensor value")],
           composite=True, variant="tensor"),
]

OPS.append(OpInfo("copy_", _method("copy_"),
                  lambda x, y: np.broadcast_to(np.asarray(y, np.asarray(x).dtype),
                                               np.shape(x)).copy(),
                  _inplace_binary_samples(), composite=True))

if hasattr(nb, "clamp"):   # clamp_ delegates to nb.clamp (the unary family)
    OPS.append(OpInfo("clamp_", _method("clamp_", -0.5, 0.5),
                      lambda x: np.clip(x, -0.5, 0.5), _unary_samples, composite=True))
