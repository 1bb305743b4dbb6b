"""`functional_call`: call a Module with the given tensors in place of its parameters
and buffers (PyTorch's torch.func.functional_call), so that nb.func transforms can
differentiate and vmap over a model's parameters.

The module's ``_parameters`` / ``_buffers`` entries (or plain attributes) named by
the dotted keys are swapped for the given tensors during the call and restored
afterwards, even when the call raises; tied weights (one tensor under several
names) are all replaced when one of their names is given (``tie_weights=True``).
"""

from nbgrad.tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the named tensors of `parameter_and_buffer_dicts`
    (a dict ``{'layer.weight': tensor}`` or a tuple of dicts) in place of the module's own:

    >>> params = {k: v.detach() for k, v in model.named_parameters()}
    >>> nb.func.functional_call(model, params, (x,))
    """
    tensors = _merge(parameter_and_buffer_dicts)
    if tie_weights:
        tensors = _untie(module, tensors)
    if strict:
        _check_keys(module, tensors)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    originals = []
    try:
        for name, t in tensors.items():
            originals.append((name, _swap(module, name, t)))
        return module(*args, **(kwargs or {}))
    finally:
        for name, old in reversed(originals):
            _swap(module, name, old)


def _merge(dicts):
    if isinstance(dicts, dict):
        return dict(dicts)
    if isinstance(dicts, (tuple, list)):
        if not all(isinstance(d, dict) for d in dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                             "dictionaries")
        keys = [k for d in dicts for k in d]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        return {k: v for d in dicts for k, v in d.items()}
    raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                     f"dicts, but got {type(dicts)}")


def _all_named(module):
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    return named


def _untie(module, tensors):
    """Every name of a tied tensor gets the value given for one of its names."""
    groups = {}
    for name, t in _all_named(module).items():
        groups.setdefault(id(t), set()).add(name)
    out = dict(tensors)
    for names in groups.values():
        given = names & set(tensors)
        if len(names) < 2 or not given:
            continue
        if len({id(tensors[n]) for n in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             "which are tied. Consider using tie_weights=False")
        value = tensors[next(iter(given))]
        for n in names:
            out[n] = value
    return out


def _check_keys(module, tensors):
    names = set(_all_named(module))
    unexpected = sorted(set(tensors) - names)
    missing = sorted(names - set(tensors))
    msgs = []
    if unexpected:
        msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if msgs:
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                           + "\n\t".join(msgs))


def _swap(module, name, tensor):
    """Put `tensor` under dotted `name`; returns what was there (_MISSING if nothing)."""
    *path, leaf = name.split(".")
    owner = module.get_submodule(".".join(path)) if path else module
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"functional_call: {name!r} must be a Tensor, got {type(tensor)}")
    for store in (owner._parameters, owner._buffers):
        if leaf in store:
            old = store[leaf]
            if tensor is _MISSING:
                del store[leaf]
            else:
                store[leaf] = tensor
            return old
    old = owner.__dict__.get(leaf, _MISSING)
    if tensor is _MISSING:
        owner.__dict__.pop(leaf, None)
    else:
        owner.__dict__[leaf] = tensor
    return old
