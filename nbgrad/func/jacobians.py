"""`jvp`, `jacrev`, `jacfwd` and `hessian` (see `nbgrad.func.transforms` for how
the transforms differentiate).

`jacrev` gets every row of a Jacobian from ONE batched backward over the standard
basis (``autograd.grad(..., is_grads_batched=True)``), not a loop of backwards.
nbgrad is reverse-mode only: `jvp` uses the double-vjp trick and `jacfwd` returns
what `jacrev` returns (the same values, computed in reverse mode).
"""

from nbgrad import _factories
from nbgrad.autograd import engine
from nbgrad.autograd.grad_mode import enable_grad
from nbgrad.func import _pytree
from nbgrad.func._batched import full_physical, wrap
from nbgrad.func.transforms import _DEPTH, _split_aux, _with_inputs
from nbgrad.tensor import Tensor

__all__ = ["jvp", "jacrev", "jacfwd", "hessian"]


def _run(func, args, kwargs, argnums, has_aux, what):
    _DEPTH[0] += 1
    try:
        with enable_grad():
            inputs, new = _with_inputs(args, argnums, what)
            out, aux = _split_aux(func(*new, **kwargs), has_aux, what)
    finally:
        _DEPTH[0] -= 1
    return inputs, out, aux


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """The Jacobian of func's output(s) with respect to argument(s) `argnums`, of
    shape output shape + input shape: ``jacrev(nb.sin)(x)`` is ``nb.diag(nb.cos(x))``.
    All its rows come from one batched backward.  (chunk_size is accepted for
    PyTorch's signature; the rows are never split.)"""
    def wrapper(*args, **kwargs):
        inputs, out, aux = _run(func, args, kwargs, argnums, has_aux, "jacrev")
        flat, spec = _pytree.flatten(out)
        for o in flat:
            if not isinstance(o, Tensor):
                raise RuntimeError(f"jacrev(f, ...)(*args): expected f(*args) to return only "
                                   f"tensors, got unsupported type {type(o)}")
        jac = _pytree.unflatten([_rows(inputs, o) for o in flat], spec)
        if has_aux:
            return jac, _pytree.tree_map(inputs.value, aux)
        return jac
    return wrapper


def _rows(inputs, out):
    """d out / d inputs, shape out + input for each input (one batched backward)."""
    oshape = tuple(out.shape)
    n = 1
    for s in oshape:
        n *= s
    phys = inputs.phys_output(out)
    k = len(inputs.levels)
    grads = [None] * len(inputs.physical)
    if n == 1 and phys.requires_grad:   # one row: a plain backward (hessian's inner jacrev)
        grads = [None if g is None else g.unsqueeze(0) for g in
                 inputs.grads([phys], [_factories.ones_like(phys)], raw=True)]
    elif n and phys.requires_grad:
        basis = _factories.eye(n, dtype=phys.dtype).reshape((n,) + (1,) * k + oshape)
        basis = basis.expand((n,) + tuple(phys.shape))
        grads = inputs.grads([phys], [basis], batched=True)
    jacs = []
    for g, p in zip(grads, inputs.physical):
        lead, ishape = tuple(p.shape[:k]), tuple(p.shape[k:])
        if g is None:
            j = _factories.zeros(lead + oshape + ishape, dtype=p.dtype)
        else:
            if k:
                g = g.permute(list(range(1, k + 1)) + [0] + list(range(k + 1, g.ndim)))
            j = g.reshape(lead + oshape + ishape)
        jacs.append(wrap(j, inputs.levels))
    return _pytree.unflatten(jacs, inputs.spec)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian, as `jacrev` computes it (nbgrad is reverse-mode: the same values)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The matrix of second derivatives of a function with one-element output:
    ``jacfwd(jacrev(func, argnums), argnums)``; shape input shape + input shape."""
    return jacfwd(jacrev(func, argnums), argnums)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """(func(*primals), J @ tangents): the Jacobian-vector product, computed in reverse
    mode by the double-vjp trick (g(u) = J^T u for a dummy u; the vjp of g with the
    tangents is J t)."""
    _check_jvp_args(primals, tangents)
    inputs, out, aux = _run(lambda *a: func(*a), tuple(primals), {}, tuple(range(len(primals))),
                            has_aux, "jvp")
    flat, spec = _pytree.flatten(out)
    phys = [inputs.phys_output(o) for o in flat]
    dummies = [_factories.zeros_like(p).requires_grad_() for p in phys]
    live = [i for i, p in enumerate(phys) if p.requires_grad]
    tflat = _pytree.flatten(tuple(tangents))[0]
    tphys = [full_physical(t, inputs.levels, inputs.sizes) if inputs.levels else t
             for t in tflat]
    results = [None] * len(phys)
    with enable_grad():
        if live:
            g = engine.grad([phys[i] for i in live], inputs.physical, [dummies[i] for i in live],
                            create_graph=True, allow_unused=True)
            pairs = [(gi, ti) for gi, ti in zip(g, tphys) if gi is not None and gi.requires_grad]
            if pairs:
                res = engine.grad([a for a, _ in pairs], [dummies[i] for i in live],
                                  [b for _, b in pairs], create_graph=inputs.create,
                                  allow_unused=True)
                for i, r in zip(live, res):
                    results[i] = r
    tan = [wrap(_factories.zeros_like(p) if r is None else r, inputs.levels)
           for r, p in zip(results, phys)]
    value = _pytree.tree_map(inputs.value, out)
    result = (value, _pytree.unflatten(tan, spec))
    return result + (_pytree.tree_map(inputs.value, aux),) if has_aux else result


def _check_jvp_args(primals, tangents):
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it "
                           "should be valid to call f(*primals).")
    if not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected tangents to be a tuple.")
    fp, sp = _pytree.flatten(primals)
    ft, st = _pytree.flatten(tangents)
    if sp != st:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure.")
    for p, t in zip(fp, ft):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to "
                               f"have the same shape; got {list(p.shape)} and "
                               f"{list(t.shape)}")

