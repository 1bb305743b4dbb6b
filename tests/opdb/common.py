"""OpInfo and Sample, and sample builders shared by the family files."""

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np


@dataclass
class Sample:
    """One call: `args` (NumPy arrays become tensors; anything else is passed
    as is) and `kwargs`.  `diff` lists the positions of arrays that are
    differentiated (default: every floating array)."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    diff: Optional[tuple] = None
    desc: str = ""

    def diff_positions(self):
        if self.diff is not None:
            return self.diff
        return tuple(i for i, a in enumerate(self.args)
                     if isinstance(a, np.ndarray) and a.dtype.kind == "f")


@dataclass
class OpInfo:
    """How to test one op.

    call(*args, **kwargs): runs the op through nbgrad (args are tensors).
    ref(*args, **kwargs): the expected value from NumPy arrays (None: no value test).
    samples(rng): a list of Sample, small shapes, broadcasting and dim cases.
    grad: differentiable (float64 finite-difference check); gradgrad: second order.
    composite: a public function built only from other registered ops (no
        REGISTRY entry of its own, e.g. einsum); it is tested all the same.
    """

    name: str
    call: Callable
    ref: Optional[Callable]
    samples: Callable
    grad: bool = True
    gradgrad: bool = True
    rtol: float = 1e-5
    atol: float = 1e-6
    domain: tuple = (-2.0, 2.0)
    variant: str = ""
    composite: bool = False

    @property
    def id(self):
        return self.name + (f"-{self.variant}" if self.variant else "")


def uniform(rng, shape, domain=(-2.0, 2.0), dtype=np.float64):
    lo, hi = domain
    return np.asarray(rng.uniform(lo, hi, size=shape), dtype=dtype)


UNARY_SHAPES = [(), (5,), (2, 3), (2, 3, 4)]
BINARY_SHAPES = [((), ()), ((4,), (4,)), ((2, 3), (2, 3)), ((2, 3), (3,)),
                 ((2, 1), (1, 3)), ((3,), (2, 1, 3)), ((2, 3), ())]


def unary_samples(domain=(-2.0, 2.0)):
    def make(rng):
        out = [Sample((uniform(rng, s, domain),), desc=str(s)) for s in UNARY_SHAPES]
        # a non-contiguous input (a transposed view)
        out.append(Sample((uniform(rng, (3, 4), domain).T,), desc="transposed"))
        return out
    return make


def binary_samples(domain=(-2.0, 2.0), domain_y=None, scalars=(0.7,)):
    domain_y = domain_y or domain

    def make(rng):
        out = [Sample((uniform(rng, a, domain), uniform(rng, b, domain_y)), desc=f"{a}{b}")
               for a, b in BINARY_SHAPES]
        for s in scalars:
            out.append(Sample((uniform(rng, (2, 3), domain), s), desc="tensor-scalar"))
            out.append(Sample((s, uniform(rng, (2, 3), domain_y)), desc="scalar-tensor"))
        return out
    return make
