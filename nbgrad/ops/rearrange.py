"""The copying rearrangements: flip, roll, repeat, tril and triu.

flip reverses along dims (the backend's ``movement.flip``: a negative-stride
view copied by the identity kernel on the CPU, a gather on a device), roll
copies blocks, repeat writes through a broadcast view, tril/triu run the
backend's ``movement.triangle`` kernel.  Each backward rule is the inverse
rearrangement of the gradient (repeat's sums the tiles).
"""

import itertools

from nbgrad.backends import dispatch
from nbgrad.ops.movement import _method, _size_arg
from nbgrad.ops.registry import op, tensor_method
from nbgrad.tensor import _wrap_dim

__all__ = ["flip", "roll", "repeat", "tril", "triu"]


def _dims_list(dims, ndim, opname):
    from nbgrad.ops.argcheck import check_int
    if not isinstance(dims, (list, tuple)):
        dims = (dims,)
    out = []
    for d in dims:   # ints only: 0. or 'a' is PyTorch's TypeError
        w = _wrap_dim(check_int(opname, d, "dims", "tuple of ints"), ndim, opname)
        if w in out:
            raise RuntimeError(f"{opname}: dim {w} appears multiple times in the list of dims")
        out.append(w)
    return tuple(out)


@op("flip", node="FlipBackward0")
def flip(ctx, x, *args, dims=None):
    """Reverse the order of elements along `dims` (a copy): ``x.flip(0)``."""
    if not args and dims is None:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    dims = args if dims is None else dims
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    dims = _dims_list(dims, x._data.ndim, "flip")
    ctx.dims = dims
    a = x._data
    b = dispatch.backend_for(a)
    return b.cast(a, x.dtype) if a.ndim == 0 else b.movement.flip(a, dims)


@flip.backward
def flip_backward(ctx, g):
    return flip(g, ctx.dims)


@op("roll", node="RollBackward0")
def roll(ctx, x, shifts, dims=None):
    """Shift elements circularly along `dims` (flattened if None): ``x.roll(1, 0)``."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    a = x._data
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: "
                               f"{len(shifts)}, dims:0")
        ctx.shifts, ctx.dims = shifts, None
        b = dispatch.backend_for(a)
        flat = b.reshape(b.contiguous(a), (a.size,))
        return b.reshape(_roll_array(flat, shifts, (0,), x.dtype), tuple(a.shape))
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    dims = tuple(_wrap_dim(d, a.ndim, "roll") for d in dims)
    ctx.shifts, ctx.dims = shifts, dims
    if a.ndim == 0:
        return dispatch.backend_for(a).cast(a, x.dtype)
    return _roll_array(a, shifts, dims, x.dtype)


def _roll_array(a, shifts, dims, dtype):
    # total shift per dim (a dim may be named twice), then one block copy per
    # combination of the two halves of each rolled dim
    total = {}
    for s, d in zip(shifts, dims):
        total[d] = total.get(d, 0) + s
    b = dispatch.backend_for(a)
    out = b.empty(tuple(a.shape), dtype.np)
    if not a.size:
        return out
    pieces = [[(slice(None), slice(None))] for _ in range(a.ndim)]
    for d, s in total.items():
        n = a.shape[d]
        s %= n
        if s:
            pieces[d] = [(slice(0, n - s), slice(s, n)), (slice(n - s, n), slice(0, s))]
    get = b.getitem
    for combo in itertools.product(*pieces):
        b.copy_into(get(out, tuple(c[1] for c in combo)), get(a, tuple(c[0] for c in combo)))
    return out


@roll.backward
def roll_backward(ctx, g):
    return roll(g, tuple(-s for s in ctx.shifts), ctx.dims)


@op("repeat", node="RepeatBackward0")
def repeat(ctx, x, *repeats):
    """Tile `x` `repeats[i]` times along each dimension: ``x.repeat(2, 1)``."""
    repeats = _size_arg(repeats)
    a = x._data
    if len(repeats) < a.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           f"of dimensions of tensor (repeats {list(repeats)} for shape "
                           f"{list(a.shape)})")
    if any(r < 0 for r in repeats):
        raise RuntimeError(f"repeat: Trying to create tensor with negative dimension: repeats "
                           f"{list(repeats)}")
    padded = (1,) * (len(repeats) - a.ndim) + tuple(a.shape)
    pairs = tuple(v for rp in zip(repeats, padded) for v in rp)   # (r0, s0, r1, s1 ...)
    ctx.shape, ctx.pairs = tuple(a.shape), pairs
    b = dispatch.backend_for(a)
    out = b.empty(tuple(r * s for r, s in zip(repeats, padded)), x.dtype.np)
    if out.size:
        src = b.reshape(a, padded)
        for k in range(len(padded)):
            src = b.expand_dims(src, 2 * k)   # (1, s0, 1, s1, ...): broadcast over r_k
        b.copy_into(b.reshape(out, pairs), src)
    return out


@repeat.backward
def repeat_backward(ctx, g):
    g = g.reshape(ctx.pairs).sum(tuple(range(0, len(ctx.pairs), 2)))
    return g.reshape(ctx.shape)


# -- tril / triu --------------------------------------------------------------------

def _triangle(ctx, x, diagonal, lower, opname):
    a = x._data
    if a.ndim < 2:
        raise RuntimeError(f"{opname}: input tensor must have at least 2 dimensions (got shape "
                           f"{list(a.shape)})")
    ctx.diagonal = int(diagonal)
    b = dispatch.backend_for(a)
    src = b.contiguous(a)
    n, m = tuple(a.shape)[-2:]
    out = b.empty(tuple(a.shape), x.dtype.np)
    if out.size:
        shape3 = (a.size // (n * m), n, m)
        b.movement.triangle(b.reshape(src, shape3), b.reshape(out, shape3), int(diagonal),
                            lower)
    return out


def _triangle_op(opname, lower, doc):
    """The function op tril (`lower`) or triu: its gradient is the same triangle of g."""
    def forward(ctx, x, diagonal=0):
        return _triangle(ctx, x, diagonal, lower, opname)
    forward.__doc__ = doc
    triangle = op(opname, node=f"{opname.capitalize()}Backward0")(forward)
    triangle.backward(lambda ctx, g: triangle(g, ctx.diagonal))
    return triangle


tril = _triangle_op("tril", True,
                    "The lower triangle of the last two dims (others zeroed): ``x.tril(-1)``.")
triu = _triangle_op("triu", False,
                    "The upper triangle of the last two dims (others zeroed): ``x.triu(1)``.")


for _fn in (flip, roll, repeat, tril, triu):
    tensor_method(_fn.__name__)(_method(_fn))
