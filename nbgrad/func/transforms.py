"""The derivative transforms of nb.func (PyTorch's torch.func): `grad`,
`grad_and_value`, `vjp`, `jvp`, `jacrev`, `jacfwd`, `hessian`.

Each runs the function on fresh differentiable copies of the chosen inputs and
calls nbgrad's reverse-mode engine (`nbgrad.autograd.grad`):

- inside `vmap`, every input is first given every active batch level (an unbatched
  input is expanded: logically one copy per sample), so one backward of the summed
  per-sample outputs gives each sample's own gradient;
- `jacrev` (and so `hessian`) gets all rows of a Jacobian from ONE batched backward
  (``is_grads_batched=True``) over the standard basis;
- `jvp` is forward mode computed in reverse mode by the double-vjp trick: with
  u a dummy cotangent, ``g(u) = J^T u`` is linear in u, and the vjp of g with the
  tangent t is ``J t``; `jacfwd` returns what `jacrev` returns;
- nested transforms (``grad(grad(f))``, ``jacrev(jacrev(f))``) and inputs that
  already require grad record the backward (``create_graph``), so the results are
  differentiable again.
"""

from nbgrad import _factories
from nbgrad.autograd import engine
from nbgrad.autograd.grad_mode import enable_grad, is_grad_enabled
from nbgrad.func import _pytree
from nbgrad.func._batched import full_physical, level_sizes, levels_of, wrap
from nbgrad.tensor import Tensor

__all__ = ["grad", "grad_and_value", "vjp"]

# transforms running now (each counts itself before making its inputs): an inner one
# (depth > 1) records its backward, so that the outer one can differentiate it
_DEPTH = [0]


class _Inputs:
    """Differentiable physical copies of some input tensors (every active vmap level
    present), and their logical wrappers that the function receives."""

    def __init__(self, tree, what):
        leaves, self.spec = _pytree.flatten(tree)
        self.levels, self.sizes = level_sizes()
        self.create = is_grad_enabled() and (
            _DEPTH[0] > 1 or any(isinstance(t, Tensor) and t.requires_grad for t in leaves))
        self.physical, wrapped = [], []
        for t in leaves:
            if not isinstance(t, Tensor) or not t.dtype.is_floating_point:
                raise RuntimeError(f"{what}: Expected inputs to be floating-point tensors "
                                   f"to differentiate with respect to (got "
                                   f"{type(t).__name__ if not isinstance(t, Tensor) else t.dtype})")
            p = full_physical(t, self.levels, self.sizes) if self.levels else t
            p = p.view(tuple(p.shape)) if p.requires_grad else p.detach().requires_grad_()
            self.physical.append(p)
            wrapped.append(wrap(p, self.levels))
        self.tree = _pytree.unflatten(wrapped, self.spec)

    def phys_output(self, out):
        """out's physical tensor with every level of these inputs."""
        return full_physical(out, self.levels, self.sizes) if self.levels else out

    def grads(self, outs, cotangents, batched=False, raw=False):
        """The gradients of `outs` (physical) for `cotangents`, as logical tensors
        in the inputs' structure; zeros for inputs that do not reach the outputs.
        batched or raw: the engine's list of physical gradients (None if unused)."""
        live = [i for i, o in enumerate(outs) if o.requires_grad]
        gs = [None] * len(self.physical)
        if live:   # outputs that do not reach any input have zero gradients
            gs = engine.grad([outs[i] for i in live], self.physical,
                             None if cotangents is None else [cotangents[i] for i in live],
                             retain_graph=True, create_graph=self.create, allow_unused=True,
                             is_grads_batched=batched)
        if batched or raw:
            return gs
        gs = [_factories.zeros_like(p) if g is None else g for g, p in zip(gs, self.physical)]
        return _pytree.unflatten([wrap(g, self.levels) for g in gs], self.spec)

    def value(self, x):
        """An output handed back: detached unless a backward is recorded."""
        if self.create or not isinstance(x, Tensor):
            return x
        return x.detach()


def _argnums(argnums, args, what):
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not nums:
        raise RuntimeError(f"{what}: argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int) or isinstance(a, bool):
            raise RuntimeError(f"{what}: argnums must be int or Tuple[int, ...], got: "
                               f"{type(a).__name__}")
        if not -len(args) <= a < len(args):
            raise RuntimeError(f"Got argnums={a}, but only {len(args)} positional inputs")
    return tuple(a % len(args) for a in nums)


def _with_inputs(args, argnums, what):
    nums = _argnums(argnums, args, what)
    chosen = tuple(args[i] for i in nums) if isinstance(argnums, tuple) else args[nums[0]]
    inputs = _Inputs(chosen, what)
    new = list(args)
    if isinstance(argnums, tuple):
        for i, t in zip(nums, inputs.tree):
            new[i] = t
    else:
        new[nums[0]] = inputs.tree
    return inputs, new


def _split_aux(out, has_aux, what):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{what}(f, ...)(*args): output of function f should be a tuple: "
                           "(output, aux) if has_aux is True")
    return out


def grad_and_value(func, argnums=0, has_aux=False):
    """(gradient, value) of a function returning one element: ``grad_and_value(f)(x)``
    is ``(df/dx, f(x))``; with ``has_aux`` f returns (value, aux) and this gives
    (gradient, (value, aux))."""
    def wrapper(*args, **kwargs):
        _DEPTH[0] += 1
        try:
            with enable_grad():
                inputs, new = _with_inputs(args, argnums, "grad_and_value")
                out, aux = _split_aux(func(*new, **kwargs), has_aux, "grad_and_value")
                _check_scalar(out)
                total = inputs.phys_output(out)
                if total.ndim:
                    total = total.sum()
                g = inputs.grads([total], None)
        finally:
            _DEPTH[0] -= 1
        value = inputs.value(out)
        if has_aux:
            return g, (value, _pytree.tree_map(inputs.value, aux))
        return g, value
    return wrapper


def _check_scalar(out):
    if not isinstance(out, Tensor):
        raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, "
                           f"got {type(out)}")
    if len(out.shape) != 0:
        raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar "
                           f"Tensor, got tensor with {len(out.shape)} dims. Maybe you wanted "
                           "to use the vjp or jacrev APIs instead?")


def grad(func, argnums=0, has_aux=False):
    """The gradient of a function returning one element, with respect to argument
    `argnums` (an int or a tuple of ints): ``grad(lambda x: (x ** 2).sum())(x)`` is
    ``2 * x``.  With ``has_aux`` f returns (value, aux) and this gives (gradient, aux)."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn): ``vjp_fn(cotangents)`` gives the vector-Jacobian
    products, one per primal (a tuple).  vjp_fn may be called many times (and
    inside vmap: one batched backward for a batch of cotangents)."""
    _DEPTH[0] += 1
    try:
        with enable_grad():
            inputs = _Inputs(primals, "vjp")
            out, aux = _split_aux(func(*inputs.tree), has_aux, "vjp")
    finally:
        _DEPTH[0] -= 1
    flat_out, out_spec = _pytree.flatten(out)
    phys = [inputs.phys_output(o) for o in flat_out]

    def vjp_fn(cotangents):
        flat_ct, ct_spec = _pytree.flatten(cotangents)
        if ct_spec != out_spec or len(flat_ct) != len(phys):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function")
        return _vjp_apply(inputs, phys, flat_out, flat_ct)
    result = (_pytree.tree_map(inputs.value, out), vjp_fn)
    return result + (_pytree.tree_map(inputs.value, aux),) if has_aux else result


def _vjp_apply(inputs, phys, flat_out, flat_ct):
    extra = sorted({lv for c in flat_ct for lv in levels_of(c)} - set(inputs.levels))
    for c, o in zip(flat_ct, flat_out):
        if tuple(c.shape) != tuple(o.shape):
            raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                               f"{list(c.shape)} and output[0] has a shape of {list(o.shape)}.")
    if not extra:
        cts = [full_physical(c, inputs.levels, inputs.sizes) if inputs.levels else c
               for c in flat_ct]
        return inputs.grads(phys, cts)
    return _batched_vjp(inputs, phys, flat_ct, extra)


def _batched_vjp(inputs, phys, flat_ct, extra):
    """vjp_fn under vmaps started after vjp: their levels become one leading batch dim
    of the cotangents, run through ONE batched backward."""
    from nbgrad.func._batched import LEVELS
    sizes = {lv: s for lv, s, _ in LEVELS}
    levels = tuple(inputs.levels) + tuple(extra)
    allsizes = tuple(inputs.sizes) + tuple(sizes[lv] for lv in extra)
    k, e = len(inputs.levels), len(extra)
    cts = []
    for c in flat_ct:
        p = full_physical(c, levels, allsizes)
        order = list(range(k, k + e)) + list(range(k)) + list(range(k + e, p.ndim))
        cts.append(p.permute(order).reshape((-1,) + tuple(p.shape[:k]) + tuple(p.shape[k + e:])))
    gs = inputs.grads(phys, cts, batched=True)
    out = []
    for g, p in zip(gs, inputs.physical):
        if g is None:
            g = _factories.zeros((cts[0].shape[0],) + tuple(p.shape), dtype=p.dtype)
        g = g.reshape(allsizes[k:] + tuple(g.shape[1:]))
        order = list(range(e, e + k)) + list(range(e)) + list(range(e + k, g.ndim))
        out.append(wrap(g.permute(order), levels))
    return _pytree.unflatten(out, inputs.spec)
