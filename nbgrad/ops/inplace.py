"""In-place ops (``add_``, ``mul_``, ``__setitem__`` ...).

An in-place op computes its result out of place (recorded as usual), writes
it into the target's buffer with a kernel, bumps the target's version and
moves the target's history onto the new node (`commit_inplace`), so saved
references to the old value are detected at backward.
"""

__all__ = []


def commit_inplace(target, result):
    """Make `target` hold `result` in place: copy the values, bump the version,
    and take over `result`'s place in the graph.  Returns `target`."""
    from nbgrad.backends.cpu import elementwise as cpu
    from nbgrad.ops.elementwise import _identity
    if result._data.shape != target._data.shape:
        raise RuntimeError(f"in-place op: output with shape {list(target._data.shape)} doesn't "
                           f"match the broadcast shape {list(result._data.shape)}")
    cpu.run(_identity, [result._data], [target.dtype.np], target._data.shape,
            outs=[target._data])
    target._bump_version()
    if result.grad_fn is not None:
        target.grad_fn = result.grad_fn
        target._output_nr = result._output_nr
        target._requires_grad = True
    return target
