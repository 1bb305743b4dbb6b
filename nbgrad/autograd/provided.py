"""What the autograd layer needs from the ops layer, provided by it at import.

Autograd sits below the ops (it knows nodes, not ops) and never imports them.
The few op-level functions the engine calls are handed to it instead: the
ops package calls `provide` when it is imported, and autograd reads them as
attributes of this module (``provided.add(a, b)``):

- ``add(a, b)``: ``a + b`` of two gradients with the add kernel, not recorded
  (the engine's accumulation when ``create_graph`` is off);
- ``add_into(old, g)``: ``old += g`` in place (a leaf's ``.grad``), no node;
- ``kernel_op(...)``: the implementation behind `nbgrad.autograd.kernel_op`
  (it declares an op, which is the ops layer's business).

Until ``nbgrad.ops`` is imported each name raises a RuntimeError saying so.
"""

__all__ = ["provide", "add", "add_into", "kernel_op"]

_NAMES = ("add", "add_into", "kernel_op")


def _missing(name):
    def not_provided(*args, **kwargs):
        raise RuntimeError(f"nbgrad.autograd needs {name!r} from the ops layer, which "
                           "registers it when imported: import nbgrad first")
    not_provided.__name__ = name
    return not_provided


add = _missing("add")
add_into = _missing("add_into")
kernel_op = _missing("kernel_op")


def provide(**functions):
    """Register the ops layer's functions by name (one of ``add``, ``add_into``,
    ``kernel_op``).

    >>> provide(add=lambda a, b: a + b)
    """
    space = globals()
    for name, fn in functions.items():
        if name not in _NAMES:
            raise ValueError(f"provide(): autograd needs no {name!r} (it takes {_NAMES})")
        if not callable(fn):
            raise TypeError(f"provide(): {name} must be callable, got {type(fn).__name__}")
        space[name] = fn
