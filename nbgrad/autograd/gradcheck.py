"""gradcheck / gradgradcheck: compare autograd's gradients with central finite
differences (use float64 inputs)."""

import warnings

import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytical and a numerical Jacobian differ."""


def _as_tuple(x):
    from nbgrad.tensor import Tensor
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _outputs(fn, inputs):
    return [o for o in _as_tuple(fn(*inputs)) if o.dtype.is_floating_point]


def _numerical(fn, inputs, i, eps):
    """d(outputs)/d(inputs[i]) as a list (per output) of (numel_in, numel_out) arrays."""
    from nbgrad.autograd.grad_mode import no_grad
    a = inputs[i]._data   # perturbed in place, one element at a time, then restored
    cols = []
    with no_grad():
        for idx in np.ndindex(a.shape):
            orig = a[idx].item()
            a[idx] = orig + eps
            plus = [o._data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
            a[idx] = orig - eps
            minus = [o._data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
            a[idx] = orig
            cols.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    n_out = len(cols[0]) if cols else len(_outputs(fn, inputs))
    return [np.array([c[k] for c in cols]).reshape(a.size, -1) for k in range(n_out)]


def _analytical(fn, inputs, i):
    from nbgrad import _factories
    from nbgrad.autograd import grad
    outs = _outputs(fn, inputs)
    jacs = []
    for o in outs:
        rows = np.zeros((inputs[i]._data.size, o._data.size))
        for k in range(o._data.size):
            v = _factories.zeros_like(o)
            v._data.reshape(-1)[k] = 1
            if not o.requires_grad:
                continue
            (g,) = grad(o, inputs[i], v, retain_graph=True, allow_unused=True)
            if g is not None:
                rows[:, k] = g._data.astype(np.float64).reshape(-1)
        jacs.append(rows)
    return jacs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False, **unused):
    """True if autograd's Jacobian of `func` at `inputs` matches finite differences.

    >>> x = nb.randn(3, dtype=nb.float64, requires_grad=True)
    >>> nb.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    from nbgrad.tensor import Tensor
    for t in inputs:
        if isinstance(t, Tensor) and t.requires_grad and t.dtype.name != "float64":
            warnings.warn(
                f"Input #{inputs.index(t)} requires gradient and is not a double precision "
                "floating point. This check will likely fail if all the inputs are not of "
                "double precision floating point.", UserWarning, stacklevel=2)
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        num = _numerical(func, inputs, i, eps)
        ana = _analytical(func, inputs, i)
        for k, (n, a) in enumerate(zip(num, ana)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {k} with respect to input {i},\n"
                    f"numerical:{n}\nanalytical:{a}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, **unused):
    """gradcheck of the first derivative: checks second derivatives of `func`."""
    from nbgrad import _factories
    from nbgrad.autograd import grad
    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _factories.tensor(rng.standard_normal(o._data.shape), dtype=o.dtype,
                              requires_grad=True) for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if getattr(t, "requires_grad", False)]

    def first_derivative(*args):
        from nbgrad.autograd.grad_mode import enable_grad
        xs, vs = args[:n_in], args[n_in:]
        with enable_grad():   # the numerical pass runs under no_grad
            os_ = _outputs(func, xs)
            pairs = [(o, v) for o, v in zip(os_, vs) if o.requires_grad]
            gs = grad([o for o, _ in pairs], [xs[i] for i in diff_idx], [v for _, v in pairs],
                      create_graph=True, allow_unused=True, materialize_grads=True)
        return tuple(gs)

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
