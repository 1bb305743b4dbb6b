"""asv: ``autograd.functional.jacobian`` of a function from R^1000 to R^1000,
vectorized (one batched backward over the identity) against row by row (one
backward per output element, what ``vectorize=False`` does).

Self-contained: run by asv, or by ``functional_ratio.py`` for the speed-up.
"""

import nbgrad as nb
from nbgrad.autograd.functional import hessian, jacobian

N = 1000


def f(x):
    """An elementwise map R^N -> R^N (a diagonal Jacobian, every entry computed)."""
    return x * (x * 0.5).exp() + x * x / (x * x + 1)


class JacobianR1000:
    """The Jacobian of `f` at 1000 points, float32 (the default dtype)."""

    timeout = 300

    def setup(self):
        self.x = nb.linspace(-2, 2, N)
        jacobian(f, self.x, vectorize=True)      # compile the kernels outside the timing
        jacobian(f, self.x[:10])

    def time_jacobian_vectorized(self):
        jacobian(f, self.x, vectorize=True)

    def time_jacobian_row_by_row(self):
        jacobian(f, self.x, vectorize=False)


class HessianR100:
    """The Hessian of ``f(x).sum()`` at 100 points."""

    def setup(self):
        self.x = nb.linspace(-2, 2, 100, dtype=nb.float64)
        hessian(self._scalar, self.x, vectorize=True)
        hessian(self._scalar, self.x[:5])

    @staticmethod
    def _scalar(x):
        return f(x).sum()

    def time_hessian_vectorized(self):
        hessian(self._scalar, self.x, vectorize=True)

    def time_hessian_row_by_row(self):
        hessian(self._scalar, self.x, vectorize=False)
