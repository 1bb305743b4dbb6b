"""`vmap`: a function of one sample, run once over a batch (PyTorch's torch.func.vmap).

The batched inputs become `BatchedTensor`s of a new vmap level (their batch dim
moved to the front of the physical tensor); every op the function calls runs its
batching rule (`nbgrad.func.rules`) once over the whole batch; the outputs' batch
dims move to ``out_dims``.  Nested vmaps stack levels; ``nb.func.grad`` inside a
vmap differentiates each sample (per-sample gradients).
"""

import functools

from nbgrad.func import _pytree
from nbgrad.func._batched import (LEVELS, BatchedTensor, levels_of, physical, pop_level,
                                  push_level, wrap)
from nbgrad.tensor import Tensor

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a dim of its inputs: ``vmap(f)(xs)`` stacks ``f(x)`` for
    each ``x`` in ``xs`` (computed in one pass of batched ops, not a loop).

    in_dims / out_dims: an int, None (not mapped) or a nested tuple/list/dict of
    them matching the arguments / outputs.  randomness: 'error', 'different' or
    'same' (random ops on batched tensors).  chunk_size: run the batch in chunks
    of that many samples (less memory).

    >>> nb.func.vmap(nb.dot)(nb.ones(5, 3), nb.ones(5, 3))
    tensor([3., 3., 3., 3., 3.])
    """
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got "
                         f"{chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        flat, spec = _pytree.flatten(args)
        dims = _in_dims(func, in_dims, args, flat)
        size = _batch_size(func, in_dims, flat, dims)
        if chunk_size is None or chunk_size >= size:
            return _run(func, flat, spec, dims, kwargs, size, out_dims, randomness)
        return _chunked(func, flat, spec, dims, kwargs, size, out_dims, randomness,
                        chunk_size)
    return wrapped


def _name(func):
    return getattr(func, "__name__", repr(func))


def _in_dims(func, in_dims, args, flat):
    if not isinstance(in_dims, (int, tuple, list, dict)) and in_dims is not None:
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...): expected `in_dims` to "
                         f"be int or a (potentially nested) tuple matching the structure of "
                         f"inputs, got: {type(in_dims)}.")
    if isinstance(in_dims, tuple) and len(in_dims) != len(args):
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): in_dims is "
                         f"not compatible with the structure of `inputs`. in_dims has "
                         f"{len(in_dims)} elements but inputs has {len(args)} elements.")
    prefix = in_dims if not isinstance(in_dims, list) else tuple(in_dims)
    dims = _pytree.broadcast_prefix(prefix, args, "in_dims")
    for d, x in zip(dims, flat):
        if d is None:
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): in_dims "
                             f"must be int or None, got {d!r}")
        if not isinstance(x, Tensor):
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                             f"in_dim={d} for an input but the input is of type {type(x)}. "
                             "We cannot vmap over non-Tensor arguments, please use None as "
                             "the respective in_dim")
        n = len(x.shape)
        if not -n <= d < n:
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                             f"in_dim={d} for some input, but that input is a Tensor of "
                             f"dimensionality {n} so expected in_dim to satisfy -{n} <= in_dim "
                             f"< {n}.")
    return [None if d is None else d % len(x.shape) for d, x in zip(dims, flat)]


def _batch_size(func, in_dims, flat, dims):
    sizes = [x.shape[d] for d, x in zip(dims, flat) if d is not None]
    if not sizes:
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): at least one "
                         "input must be a Tensor with an in_dim that is not None (got none "
                         "to vmap over)")
    if len(set(sizes)) != 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0]


def _run(func, flat, spec, dims, kwargs, size, out_dims, randomness):
    level = push_level(size, randomness)
    try:
        batched = [x if d is None else _add_level(x, d, level) for x, d in zip(flat, dims)]
        out = func(*_pytree.unflatten(batched, spec), **kwargs)
        return _unwrap(func, out, out_dims, level, size)
    finally:
        pop_level()


def _add_level(x, d, level):
    """x with logical dim d as the batch dim of `level` (the last batch dim)."""
    levels = levels_of(x)
    k = len(levels)
    value = physical(x)
    if d != 0 or k:
        order = list(range(value.ndim))
        order.insert(k, order.pop(k + d))
        if order != list(range(value.ndim)):
            value = value.permute(order)
    return wrap(value, levels + (level,))


def _unwrap(func, out, out_dims, level, size):
    flat, spec = _pytree.flatten(out)
    prefix = out_dims if not isinstance(out_dims, list) else tuple(out_dims)
    if isinstance(prefix, tuple) and not isinstance(out, tuple):
        prefix = prefix[0] if len(prefix) == 1 else prefix
    dims = _pytree.broadcast_prefix(prefix, out, "out_dims")
    return _pytree.unflatten([_remove_level(func, x, d, level, size)
                              for x, d in zip(flat, dims)], spec)


def _remove_level(func, x, d, level, size):
    if not isinstance(x, Tensor):
        if d is None:
            return x
        raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, "
                         f"got type {type(x)}. Did you mean to set out_dims= to None for "
                         "output?")
    levels = levels_of(x)
    if levels and levels[-1] > level:
        raise RuntimeError("vmap: a tensor batched by an inner vmap escaped it (returned or "
                           "stored outside the inner vmap)")
    if d is None:
        if level in levels:
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` can not return a "
                             "BatchedTensor when out_dim is None")
        return x
    n = len(x.shape) + 1
    if not -n <= d < n:
        raise ValueError(f"vmap: out_dim {d} is out of range for an output of "
                         f"{n - 1} logical dims")
    d %= n
    value = physical(x)
    if level not in levels:   # not batched: the same value for every sample
        k = len(levels)
        value = value.unsqueeze(k)
        value = value.expand(tuple(value.shape[:k]) + (size,) + tuple(value.shape[k + 1:]))
        levels = levels + (level,)
    k = len(levels) - 1
    if d:
        order = list(range(value.ndim))
        order.insert(k + d, order.pop(k))
        value = value.permute(order)
    return wrap(value, levels[:-1])


def _chunked(func, flat, spec, dims, kwargs, size, out_dims, randomness, chunk):
    """chunk_size: the batch in slices of `chunk` samples (each one batched pass),
    the outputs concatenated along their out_dims."""
    outs = []
    for start in range(0, size, chunk):
        stop = min(start + chunk, size)
        part = [x if d is None else x[(slice(None),) * d + (slice(start, stop),)]
                for x, d in zip(flat, dims)]
        outs.append(_run(func, part, spec, dims, kwargs, stop - start, out_dims, randomness))
    leaves = [_pytree.flatten(o)[0] for o in outs]
    _, ospec = _pytree.flatten(outs[0])
    odims = _pytree.broadcast_prefix(out_dims if not isinstance(out_dims, list)
                                     else tuple(out_dims), outs[0], "out_dims")
    from nbgrad.ops.joining import cat
    joined = [parts[0] if d is None else cat(list(parts), d)
              for d, parts in zip(odims, zip(*leaves))]
    return _pytree.unflatten(joined, ospec)


def is_batched(x):
    """True for a tensor batched by an active vmap (inside the mapped function)."""
    return x.__class__ is BatchedTensor and bool(LEVELS)
