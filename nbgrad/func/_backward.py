"""Batched backward rules from vmap: a node's backward run once over a batch of
gradients (``autograd.grad(..., is_grads_batched=True)``, which `jacrev` and
`hessian` use) by calling its backward formula under `vmap`.

A function-style op's backward is written with nbgrad ops, so running it with
the batched gradient as a `BatchedTensor` batches it op by op through the rules of
`nbgrad.func.rules` (functorch's "vmap of the vjp").  `install` sets this as the
``batch_rule`` of every registered op that declares none; a backward that reads
raw buffers or uses an op without a batching rule returns None, and the engine
then falls back to its per-sample loop (`nbgrad.autograd.batching`), as before.
"""

from nbgrad.func._batched import BatchedTensor, pop_level, push_level, wrap
from nbgrad.ops import REGISTRY
from nbgrad.ops.registry import FunctionOp

__all__ = ["vmapped_backward", "install"]

_UNBATCHABLE = set()   # ops whose backward cannot run under vmap (tried once)


def vmapped_backward(node, grads_out):
    """The node's input gradients for batched `grads_out` (leading batch dim), or None."""
    op = node.op
    if op in _UNBATCHABLE:
        return None
    batch = next((g._data.shape[0] for g in grads_out if g is not None), None)
    if batch is None:
        return None
    level = push_level(batch, "error")
    try:
        res = node.apply([None if g is None else wrap(g, (level,)) for g in grads_out])
        return tuple(None if r is None else _physical(r, level, batch) for r in res)
    except RuntimeError:
        return None   # the per-sample loop raises it again, with its usual message
    except Exception:   # noqa: BLE001 - any other failure: this op's backward reads raw buffers
        _UNBATCHABLE.add(op)
        return None
    finally:
        pop_level()


def _physical(r, level, batch):
    """r with the batch dim of `level` in front (expanded when r does not depend on it)."""
    if r.__class__ is BatchedTensor:
        if r._levels != (level,):
            raise NotImplementedError("a backward rule returned a tensor of another vmap level")
        return r._value
    return r.unsqueeze(0).expand((batch,) + tuple(r._data.shape))


def install():
    """Set `vmapped_backward` as the batch rule of every function-style op without one."""
    for op in REGISTRY.values():
        if isinstance(op, FunctionOp) and getattr(op, "batch_rule", None) is None:
            op.batch_rule = vmapped_backward


install()
