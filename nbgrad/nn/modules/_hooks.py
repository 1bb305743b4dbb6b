"""Hook bookkeeping for `Module`: the handle that ``register_*_hook`` returns
(``torch.utils.hooks.RemovableHandle``), the process-wide module hooks
(``nn.modules.module.register_module_forward_hook`` ...) and ``torch.typename``
(the type names PyTorch's module errors print)."""

from collections import OrderedDict

from nbgrad.tensor import Tensor

__all__ = ["RemovableHandle", "typename"]


class RemovableHandle:
    """What ``register_forward_hook`` and its kin return: ``handle.remove()``
    unregisters the hook (also on leaving a ``with`` block)."""

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict = hooks_dict
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if extra_dict is None:
            extra_dict = ()
        elif isinstance(extra_dict, dict):
            extra_dict = (extra_dict,)
        self.extra_dicts = tuple(extra_dict)

    def remove(self):
        for d in (self.hooks_dict,) + self.extra_dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, hook, prepend=False, flags=()):
    """Register `hook` in the OrderedDict `hooks` (first when `prepend`), marked
    True in each dict of `flags` (``(dict, on)`` pairs) where `on`; the handle
    it returns removes it from all of them."""
    handle = RemovableHandle(hooks, extra_dict=[d for d, _ in flags])
    hooks[handle.id] = hook
    for d, on in flags:
        if on:
            d[handle.id] = True
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


# process-wide hooks, run before each module's own (PyTorch's global module hooks)
global_forward_pre_hooks = OrderedDict()
global_forward_hooks = OrderedDict()
global_forward_hooks_always_called = OrderedDict()


def register_module_forward_pre_hook(hook):
    """Run ``hook(module, args)`` before every module's forward; returns a handle."""
    return add_hook(global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, always_call=False):
    """Run ``hook(module, args, output)`` after every module's forward; returns a handle."""
    return add_hook(global_forward_hooks, hook,
                    flags=[(global_forward_hooks_always_called, always_call)])


def typename(obj):
    """The name PyTorch's ``torch.typename`` gives: ``torch.FloatTensor`` for a
    tensor, ``int`` for a builtin, ``package.module.Class`` otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"
