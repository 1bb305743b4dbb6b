"""gradcheck / gradgradcheck: compare autograd's Jacobians with central finite
differences (use float64 inputs; other floating inputs get PyTorch's warning).

The numerical Jacobian perturbs one input element at a time in place (and
restores it); the analytical one takes one ``autograd.grad`` per output
element, for all inputs at once, on a graph recorded once.  The element
reads and writes, the differences and the comparison are small Numba kernels.
"""

import warnings

import numba
import numpy as np

from nbgrad import _dtypes
from nbgrad.autograd.buffers import linspace, zeros_like
from nbgrad.autograd.engine import grad
from nbgrad.autograd.functional import _standard_basis
from nbgrad.autograd.grad_mode import enable_grad, no_grad
from nbgrad.backends import dispatch
from nbgrad.backends.cpu.creation import fill
from nbgrad.tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytical and a numerical Jacobian differ."""


@numba.njit(cache=True)
def _peek(a, idx):
    return a[idx]


@numba.njit(cache=True)
def _poke(a, idx, value):
    a[idx] = value


@numba.njit(cache=True)
def _central_difference(plus, minus, eps, jac, row):
    for k in range(plus.shape[0]):
        jac[row, k] = (plus[k] - minus[k]) / (2.0 * eps)


@numba.njit(cache=True)
def _set_column(jac, col, values):
    for r in range(values.shape[0]):
        jac[r, col] = values[r]


@numba.njit(cache=True)
def _allclose(a, b, rtol, atol):
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            x, y = a[i, j], b[i, j]
            if x != y and not abs(x - y) <= atol + rtol * abs(y):
                return False
    return True


def _as_tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _outputs(fn, inputs):
    return [o for o in _as_tuple(fn(*inputs)) if o.dtype.is_floating_point]


def _flat64(t):
    """A tensor's values as a flat contiguous float64 array (a kernel copy)."""
    return dispatch.backend(t.device).cast(t._data, _dtypes.float64).reshape(-1)


def _numerical(fn, inputs, i, eps, outs):
    """d(outputs)/d(inputs[i]): per output, an (numel_in, numel_out) float64 array."""
    a = inputs[i]._data   # perturbed in place, one element at a time, then restored
    jacs = [np.empty((a.size, o._data.size)) for o in outs]
    with no_grad():
        for row, idx in enumerate(np.ndindex(a.shape)):
            orig = _peek(a, idx)
            _poke(a, idx, orig + eps)
            plus = [_flat64(o) for o in _outputs(fn, inputs)]
            _poke(a, idx, orig - eps)
            minus = [_flat64(o) for o in _outputs(fn, inputs)]
            _poke(a, idx, orig)
            for jac, p, m in zip(jacs, plus, minus):
                _central_difference(p, m, eps, jac, row)
    return jacs


def _analytical(outs, inputs, diff):
    """Per output, per differentiated input: an (numel_in, numel_out) float64 array."""
    jacs = []
    for o in outs:
        per_input = [np.empty((inputs[i]._data.size, o._data.size)) for i in diff]
        for jac in per_input:
            if jac.size:
                fill(jac.reshape(-1), 0.0)
        if o.requires_grad:
            for k, idx in enumerate(np.ndindex(o._data.shape)):
                v = zeros_like(o)
                _poke(v._data, idx, 1.0)
                gs = grad(o, [inputs[i] for i in diff], v, retain_graph=True, allow_unused=True)
                for jac, i, g in zip(per_input, diff, gs):
                    if g is not None:
                        _check_grad_meta(g, inputs[i], i)
                        _set_column(jac, k, _flat64(g))
        jacs.append(per_input)
    return jacs


def _check_grad_meta(g, t, i):
    if g.dtype is not t.dtype:
        raise GradcheckError(f"Gradient has dtype mismatch: grad for input {i} has dtype "
                             f"{g.dtype!r} but the input has {t.dtype!r}")
    if g._data.shape != t._data.shape:
        raise GradcheckError(f"Gradient has shape mismatch: grad for input {i} has shape "
                             f"{list(g._data.shape)} but the input has {list(t._data.shape)}")


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_backward_ad=True, fast_mode=False,
              masked=None, **unused):
    """True if autograd's Jacobian of `func` at `inputs` matches finite differences.

    Compares with ``|analytical - numerical| <= atol + rtol * |numerical|``;
    on a mismatch raises GradcheckError (a RuntimeError), or returns False
    when ``raise_exception=False``.  ``check_batched_grad=True`` also checks
    ``autograd.grad(..., is_grads_batched=True)`` against the row-by-row result.
    ``fast_mode`` is accepted and runs the full check.

    >>> x = nb.randn(3, dtype=nb.float64, requires_grad=True)
    >>> nb.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    for i in diff:
        if inputs[i].dtype.name != "float64":
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ", UserWarning, stacklevel=2)
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")
    try:
        outs = _outputs(func, inputs)
        ana = _analytical(outs, inputs, diff)
        for pos, i in enumerate(diff):
            num = _numerical(func, inputs, i, eps, outs)
            for k, n in enumerate(num):
                a = ana[k][pos]
                if not _allclose(a, n, rtol, atol):
                    raise GradcheckError(
                        f"Jacobian mismatch for output {k} with respect to input {i},\n"
                        f"numerical:{Tensor._make(n)}\nanalytical:{Tensor._make(a)}\n")
        if check_batched_grad:
            _check_batched(outs, inputs, diff, ana, rtol, atol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _check_batched(outs, inputs, diff, ana, rtol, atol):
    """One batched backward per output (the identity as grad_outputs) must give
    the same Jacobian as the row-by-row backward calls."""
    for k, o in enumerate(outs):
        if not o.requires_grad or o.numel() == 0:
            continue
        (basis,), _ = _standard_basis([o])
        gs = grad(o, [inputs[i] for i in diff], basis, retain_graph=True, allow_unused=True,
                  is_grads_batched=True)
        for pos, (i, g) in enumerate(zip(diff, gs)):
            if g is None:
                continue
            jac = np.empty((inputs[i]._data.size, o._data.size))
            rows = _flat64(g).reshape(o._data.size, inputs[i]._data.size)
            for r in range(o._data.size):
                _set_column(jac, r, rows[r])
            if not _allclose(jac, ana[k][pos], rtol, atol):
                raise GradcheckError(
                    f"Batched grad mismatch for output {k} with respect to input {i} "
                    f"(is_grads_batched=True),\nbatched:{jac}\nrow by row:{ana[k][pos]}\n")


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True,
                  fast_mode=False, masked=False, **unused):
    """gradcheck of the first derivative (with random grad_outputs): checks the
    second derivatives of `func`.

    >>> x = nb.randn(3, dtype=nb.float64, requires_grad=True)
    >>> nb.autograd.gradgradcheck(lambda t: (t * t * t).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        # fixed, distinct values of both signs: reproducible checks
        grad_outputs = tuple(
            linspace(-1.3, 1.1, o._data.size, o.dtype)
            .reshape(o._data.shape).requires_grad_() for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if getattr(t, "requires_grad", False)]

    def first_derivative(*args):
        xs, vs = args[:n_in], args[n_in:]
        with enable_grad():   # the numerical pass runs under no_grad
            os_ = _outputs(func, xs)
            pairs = [(o, v) for o, v in zip(os_, vs) if o.requires_grad]
            if not pairs:
                return tuple(zeros_like(xs[i]) for i in diff_idx)
            gs = grad([o for o, _ in pairs], [xs[i] for i in diff_idx], [v for _, v in pairs],
                      create_graph=True, allow_unused=True, materialize_grads=True)
        return tuple(gs)

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_batched_grad=check_batched_grad)
