"""Hooks the engine runs around a node, in PyTorch's order.

Before a node: tensor hooks (``Tensor.register_hook``, in registration order,
each may replace its gradient), then ``retain_grad``, then node pre-hooks
(``Node.register_prehook``, on all the node's gradients).  After a node:
its post-hooks (``Node.register_hook``), which may replace the input
gradients; after a leaf's accumulation: the post-accumulate-grad hooks.
Hooks live on the nodes (`nbgrad.autograd.node`).
"""

from nbgrad.autograd.node import RetainGradHook
from nbgrad.tensor import Tensor

__all__ = ["run_pre_hooks", "run_post_hooks", "run_leaf_post_hooks"]


def run_pre_hooks(node, grads_out):
    """The gradients `node` will see, after its tensor hooks, retain_grad and
    pre-hooks.  A tensor hook may return a replacement gradient."""
    grads_out = list(grads_out)
    later = None
    for entry in list(node.pre_hooks):
        nr, hook = entry
        if nr is None or hook.__class__ is RetainGradHook:
            later = [entry] if later is None else later + [entry]
            continue
        g = grads_out[nr]
        if g is None:
            continue
        r = hook(g)
        if r is not None:
            _check_hook_result(hook, g, r)
            grads_out[nr] = r
    if later is not None:
        later.sort(key=lambda e: e[0] is None)   # retain_grad before node pre-hooks
        for nr, hook in later:
            if nr is not None:
                if grads_out[nr] is not None:
                    hook(grads_out[nr])
                continue
            r = hook(tuple(grads_out))
            if r is not None:
                grads_out = list(r)
    return grads_out


def _check_hook_result(hook, g, r):
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(r, Tensor):
        raise TypeError(f"hook '{name}' returned {type(r).__name__}; a tensor hook must return "
                        "a Tensor or None")
    if r._data.shape != g._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value (from "
                           f"{list(g._data.shape)} to {list(r._data.shape)})")
    if r.dtype is not g.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {g.dtype!r} got "
                           f"{r.dtype!r})")


def run_post_hooks(node, grads_in, grads_out):
    """`node`'s post-hooks ``fn(grads_in, grads_out)``; each may replace grads_in."""
    for hook in node.post_hooks:
        r = hook(grads_in, grads_out)
        if r is not None:
            grads_in = r
    return grads_in


def run_leaf_post_hooks(acc, leaf):
    """A leaf's post-accumulate-grad hooks ``fn(leaf)`` (its AccumulateGrad's post-hooks)."""
    if acc.post_hooks:
        for hook in list(acc.post_hooks):
            hook(leaf)
