"""A module's settings: PyTorch's layers keep each constructor argument as an
attribute of the same name (``conv.stride``, ``lstm.hidden_size``, ``pool.ceil_mode``)
and print most of them in ``extra_repr`` as ``name=value``.  Naming the settings once
(a tuple of names) lets one piece of code store them and one print them."""

__all__ = ["keep_arguments", "named_values"]


def keep_arguments(module, arguments, names):
    """``module.<name> = arguments[name]`` for each of `names`, in order (`arguments`: the
    constructor's ``locals()``, taken after any normalisation of the values)."""
    for name in names:
        setattr(module, name, arguments[name])


def named_values(module, names):
    """``'a=1, b=2'``: `module`'s `names` as PyTorch's ``extra_repr`` writes them."""
    return ", ".join(f"{name}={getattr(module, name)}" for name in names)
