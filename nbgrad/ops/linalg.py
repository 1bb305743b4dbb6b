"""Linear algebra: matrix products (matmul, mm, bmm, dot, mv, outer), the
diagonal and trace, and einsum.

Matrix products call the backend's ``matmul.matmul_nd``: the BLAS that NumPy
ships on a CPU (the fastest route there), a tiled kernel on a CUDA device;
their backward rules are matrix products again.  `matmul` follows
PyTorch's rank rules by dispatching to dot / mv / mm, and to the batched
`matmul` op for three or more dimensions, so each case gets PyTorch's node
name.  `einsum` is built from these ops and diagonal / sum / permute.
"""

import numpy as np

from nbgrad import _dtypes
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import check_scalar_type, scalar_name
from nbgrad.ops.reduce import _sum_array
from nbgrad.ops.registry import op, tensor_method
from nbgrad.tensor import Tensor, _wrap_dim

__all__ = ["matmul", "mm", "bmm", "dot", "mv", "outer", "ger", "diagonal", "trace", "einsum"]

# the names PyTorch's messages use for a dtype's C++ type
_CTYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
          "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
          "bool": "bool"}


def _check_tensors(opname, *ts):
    for t in ts:
        if not isinstance(t, Tensor):
            raise TypeError(f"{opname}(): argument must be Tensor, not {type(t).__name__}")
    for t in ts[1:]:
        if t.device is not ts[0].device:
            raise RuntimeError(f"{opname}: Expected all tensors to be on the same device, but "
                               f"found at least two devices, {ts[0].device} and {t.device}!")


def _mat(shape):
    return "x".join(map(str, shape))


def _check_mm_dtypes(x, y):
    if x.dtype is not y.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CTYPE[x.dtype.name]} != {_CTYPE[y.dtype.name]}")


def _grad_like(g, dtype):
    # a root gradient may come in another float dtype than the output
    return g if g.dtype is dtype else g.to(dtype)


def _matmul(a, b):
    """``a @ b`` (NumPy's rank rules) by the backend where the arrays live."""
    return dispatch.backend_for(a).matmul.matmul_nd(a, b)


def _crossed_product(ctx, x, y):
    """x @ y (mm, bmm, dot, mv), saving for backward only what a needed gradient uses."""
    # d/dx needs y and d/dy needs x
    need = ctx.needs_input_grad
    if need:
        ctx.save_for_backward(x if need[1] else None, y if need[0] else None)
    return _matmul(x._data, y._data)


def _crossed_saved(ctx, g):
    """What `_crossed_product` saved, which gradients are needed, and g in the saved dtype."""
    x, y = ctx.saved_tensors
    need_x, need_y = ctx.needs_input_grad
    return x, y, need_x, need_y, _grad_like(g, (y if need_x else x).dtype)


@op("mm", node="MmBackward0")
def mm(ctx, x, y):
    """Matrix product of two 2-D tensors: ``nb.mm(a, b)`` with a (n, k), b (k, m)."""
    _check_tensors("mm", x, y)
    if x._data.ndim != 2:
        raise RuntimeError(f"self must be a matrix (mm got a {x._data.ndim}-D tensor of shape "
                           f"{list(x._data.shape)})")
    if y._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix (mm got a {y._data.ndim}-D tensor of shape "
                           f"{list(y._data.shape)})")
    if x._data.shape[1] != y._data.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_mat(x._data.shape)} "
                           f"and {_mat(y._data.shape)})")
    _check_mm_dtypes(x, y)
    if ctx.needs_input_grad:   # the layouts the gradients take (see mm_backward)
        ctx.column_major = (column_major(x), column_major(y))
    return _crossed_product(ctx, x, y)


def column_major(t):
    """True for a 2-D tensor laid out by columns (a transposed contiguous matrix, as
    F.linear's weight.t())."""
    a, size = t._data, t.dtype.itemsize   # (a device array has no .itemsize)
    return a.strides[0] == size and a.strides[1] == a.shape[0] * size and \
        a.shape[0] > 1 and a.shape[1] > 1


@mm.backward
def mm_backward(ctx, g):
    # each gradient in its input's layout, as PyTorch's mm_mat1/mat2_backward: the
    # gradient of F.linear's weight.t() is then the transposed view of a contiguous
    # (out, in) matrix, which .grad takes without a transposing copy
    x, y, need_x, need_y, g = _crossed_saved(ctx, g)
    x_by_columns, y_by_columns = ctx.column_major
    gx = gy = None
    if need_x:
        gx = mm(y, g.t()).t() if x_by_columns else mm(g, y.t())
    if need_y:
        gy = mm(g.t(), x).t() if y_by_columns else mm(x.t(), g)
    return gx, gy


@op("bmm", node="BmmBackward0")
def bmm(ctx, x, y):
    """Batched matrix product of 3-D tensors, (b, n, k) @ (b, k, m) -> (b, n, m):
    ``nb.bmm(nb.ones(4, 2, 3), nb.ones(4, 3, 5)).shape == (4, 2, 5)``."""
    _check_tensors("bmm", x, y)
    a, b = x._data, y._data
    if a.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (bmm got shape {list(a.shape)})")
    if b.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor (bmm got shape {list(b.shape)})")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, "
                           f"{b.shape[1]}].")
    check_scalar_type(x.dtype, y.dtype, f" (bmm of {list(a.shape)} and {list(b.shape)})")
    return _crossed_product(ctx, x, y)


@bmm.backward
def bmm_backward(ctx, g):
    x, y, need_x, need_y, g = _crossed_saved(ctx, g)
    return (bmm(g, y.mT) if need_x else None, bmm(x.mT, g) if need_y else None)


def _check_vectors(opname, x, y):
    _check_tensors(opname, x, y)
    a, b = x._data, y._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    if x.dtype is not y.dtype:
        raise RuntimeError(f"{opname} : expected both vectors to have same dtype, but found "
                           f"{scalar_name(x.dtype)} and {scalar_name(y.dtype)}")


@op("dot", node="DotBackward0")
def dot(ctx, x, y):
    """Inner product of two 1-D tensors of the same size: ``nb.dot(a, b)`` is a 0-d tensor."""
    _check_vectors("dot", x, y)
    return _crossed_product(ctx, x, y)


@dot.backward
def dot_backward(ctx, g):
    x, y, need_x, need_y, g = _crossed_saved(ctx, g)
    return (g * y if need_x else None, g * x if need_y else None)


@op("mv", node="MvBackward0")
def mv(ctx, x, y):
    """Matrix-vector product, (n, k) @ (k,) -> (n,): ``nb.mv(nb.eye(2), nb.ones(2))``."""
    _check_tensors("mv", x, y)
    a, b = x._data, y._data
    if a.ndim != 2 or b.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {b.ndim}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({_mat(a.shape)}), "
                           f"vec ({b.shape[0]})")
    _check_mm_dtypes(x, y)
    return _crossed_product(ctx, x, y)


@mv.backward
def mv_backward(ctx, g):
    x, y, need_x, need_y, g = _crossed_saved(ctx, g)
    return (outer(g, y) if need_x else None, mv(x.t(), g) if need_y else None)


def _check_matmul(x, y):
    _check_tensors("matmul", x, y)
    a, b = x._data, y._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    k1 = a.shape[-1]
    k2 = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k1 != k2:
        rows = a.shape[:-1] if a.ndim > 1 else (1,)
        sa = _mat((int(np.prod(rows)), k1))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and "
                           f"{_mat(b.shape[-2:])}) (matmul of {list(a.shape)} and "
                           f"{list(b.shape)})")
    _check_mm_dtypes(x, y)
    ba, bb = a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ()
    n = max(len(ba), len(bb))
    pa, pb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
    for i, (p, q) in enumerate(zip(pa, pb)):
        if p != q and p != 1 and q != 1:
            raise RuntimeError(f"The size of tensor a ({p}) must match the size of tensor b "
                               f"({q}) at non-singleton dimension {i} (matmul of "
                               f"{list(a.shape)} and {list(b.shape)})")


@op("matmul", node="UnsafeViewBackward0")
def _matmul_batched(ctx, x, y):
    """matmul with at least one operand of three or more dimensions."""
    _check_matmul(x, y)
    if ctx.needs_input_grad:
        ctx.save_for_backward(x, y)
    return _matmul(x._data, y._data)


@_matmul_batched.backward
def _matmul_batched_backward(ctx, g):
    x, y = ctx.saved_tensors
    g = _grad_like(g, x.dtype)
    nx, ny = x.ndim, y.ndim
    x2 = x.unsqueeze(0) if nx == 1 else x
    y2 = y.unsqueeze(-1) if ny == 1 else y
    if nx == 1:
        g = g.unsqueeze(-2)
    if ny == 1:
        g = g.unsqueeze(-1)
    need_x, need_y = ctx.needs_input_grad
    # broadcast batch dimensions are summed back by the engine (sum_to_size)
    gx = matmul(g, y2.mT) if need_x else None
    gy = matmul(x2.mT, g) if need_y else None
    if gx is not None and nx == 1:
        gx = gx.sum_to_size((1,) + x.shape).reshape(x.shape)
    if gy is not None and ny == 1:
        gy = gy.sum_to_size(y.shape + (1,)).reshape(y.shape)
    return gx, gy


def matmul(input, other):
    """Matrix product with PyTorch's rank rules: 1-D @ 1-D is a dot product,
    2-D @ 1-D a matrix-vector product, 1-D operands gain and lose a dimension,
    and leading (batch) dimensions broadcast.

    >>> nb.matmul(nb.ones(5, 2, 3), nb.ones(3, 4)).shape
    torch.Size([5, 2, 4])
    """
    _check_tensors("matmul", input, other)
    nx, ny = input._data.ndim, other._data.ndim
    if nx == 0 or ny == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{nx}D and {ny}D")
    if nx == 2 and ny == 2 and input._data.shape[1] != other._data.shape[0]:
        # PyTorch's words, plus the op the user called
        raise RuntimeError(f"matmul: mat1 and mat2 shapes cannot be multiplied "
                           f"({_mat(input._data.shape)} and {_mat(other._data.shape)})")
    if nx == 1 and ny == 1:
        return dot(input, other)
    if nx == 2 and ny == 1:
        return mv(input, other)
    if nx == 2 and ny == 2:
        return mm(input, other)
    if nx == 1 and ny == 2:
        return mm(input.unsqueeze(0), other).squeeze(0)
    return _matmul_batched(input, other)


def outer(input, vec2):
    """Outer product of two 1-D tensors: ``nb.outer(a, b)[i, j] == a[i] * b[j]``."""
    _check_tensors("outer", input, vec2)
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got "
                               f"{t._data.ndim}-D")
    # an elementwise product: dtypes promote and the node is MulBackward0, as in PyTorch
    return input.reshape(-1, 1) * vec2


ger = outer


def _diagonal_view(a, offset, d1, d2):
    """The (offset) diagonal of dims d1, d2 of array `a` as a strided view; the
    diagonal becomes the last dimension."""
    n1, n2 = a.shape[d1], a.shape[d2]
    if offset >= 0:
        length = max(0, min(n1, n2 - offset))
        start = [0] * a.ndim
        start[d2] = min(offset, n2)
    else:
        length = max(0, min(n1 + offset, n2))
        start = [0] * a.ndim
        start[d1] = min(-offset, n1)
    b = dispatch.backend_for(a)
    base = b.getitem(a, tuple(slice(s, None) for s in start))
    rest = [d for d in range(a.ndim) if d not in (d1, d2)]
    shape = tuple(a.shape[d] for d in rest) + (length,)
    strides = tuple(a.strides[d] for d in rest) + (a.strides[d1] + a.strides[d2],)
    return b.as_strided(base, shape, strides)


def _diagonal_dims(x, offset, dim1, dim2, opname):
    n = x._data.ndim
    if n < 2:
        _wrap_dim(max(dim1, dim2), n, opname)   # PyTorch's message: dimension out of range
    d1, d2 = _wrap_dim(dim1, n, opname), _wrap_dim(dim2, n, opname)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return int(offset), d1, d2


@op("diagonal", node="DiagonalBackward0", view=True)
def diagonal(ctx, input, offset=0, dim1=0, dim2=1):
    """The diagonal of dims `dim1`, `dim2` (a view, appended as the last dim):
    ``nb.diagonal(nb.eye(3)) -> tensor([1., 1., 1.])``."""
    offset, d1, d2 = _diagonal_dims(input, offset, dim1, dim2, "diagonal")
    ctx.args = (tuple(input._data.shape), offset, d1, d2)
    return _diagonal_view(input._data, offset, d1, d2)


@diagonal.backward
def diagonal_backward(ctx, g):
    return diagonal_scatter_zeros(g, *ctx.args)


@op("diagonal_scatter_zeros", node="DiagonalBackwardBackward0")
def diagonal_scatter_zeros(ctx, g, shape, offset, d1, d2):
    """A zero tensor of `shape` whose (offset) diagonal of dims d1, d2 is `g`."""
    b = dispatch.backend(g.device)
    out = b.empty(shape, g.dtype.np)
    if out.size:
        b.fill(out, 0)
        dst = _diagonal_view(out, offset, d1, d2)
        if dst.size:
            b.copy_into(dst, g._data)
    ctx.args = (offset, d1, d2)
    return out


@diagonal_scatter_zeros.backward
def diagonal_scatter_zeros_backward(ctx, gg):
    offset, d1, d2 = ctx.args
    return diagonal(gg, offset, d1, d2)


@op("trace", node="TraceBackward0")
def trace(ctx, input):
    """Sum of the main diagonal of a 2-D tensor: ``nb.trace(nb.eye(3)) -> tensor(3.)``."""
    _check_tensors("trace", input)
    a = input._data
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    out_dtype = input.dtype if input.dtype.is_floating_point else _dtypes.int64
    diag = _diagonal_view(a, 0, 0, 1)
    ctx.shape = tuple(a.shape)
    return dispatch.backend_for(a).reshape(_sum_array(diag, (0,), out_dtype), ())


@trace.backward
def trace_backward(ctx, g):
    n = min(ctx.shape)
    return diagonal_scatter_zeros(g.reshape(1).expand(n), ctx.shape, 0, 0, 1)


def _method(fn):
    def m(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    m.__name__ = fn.__name__
    return m


@tensor_method("__matmul__")
def _matmul_operator(self, other):
    if isinstance(other, np.ndarray):   # PyTorch hands ``t @ ndarray`` to NumPy's dtypes
        from nbgrad.ops.binary import _with_array
        return _with_array(matmul, self, other, elementwise=False)
    return matmul(self, other)


for _name, _fn in (("matmul", matmul), ("mm", mm), ("bmm", bmm),
                   ("dot", dot), ("mv", mv), ("outer", outer), ("ger", outer),
                   ("diagonal", diagonal), ("trace", trace)):
    tensor_method(_name)(_method(_fn))


@tensor_method("__rmatmul__")
def _rmatmul(self, other):
    return matmul(other, self)


# -- einsum ------------------------------------------------------------------
def _einsum_parse(equation, operands):
    """Labels per operand and for the output.  Letters are their ordinals;
    the dimensions under '...' get labels -1, -2, ... counted from the right,
    so that they broadcast like trailing-aligned shapes."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           f"equation {equation!r}")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           f"equation {equation!r}")
    pos = 0
    letters = _einsum_letters
    labels, n_ell = [], 0
    for k, (term, t) in enumerate(zip(terms, operands)):
        head, ell, tail = term.partition("...")
        named = letters(head, pos) + letters(tail, pos + len(head) + len(ell))
        ndim = t._data.ndim
        if not ell and len(named) != ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(named)}) does not match the number of dimensions "
                               f"({ndim}) for operand {k} and no ellipsis was given")
        if ell and len(named) > ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(named)}) is more than the number of dimensions "
                               f"({ndim}) for operand {k}")
        e = ndim - len(named) if ell else 0
        n_ell = max(n_ell, e)
        labels.append(named[:len(head)] + list(range(-e, 0)) + named[len(head):])
        pos += len(term) + 1
    return labels, _einsum_output(rhs if arrow else None, pos, labels, n_ell)


def _einsum_letters(term, where):
    """The labels (ordinals) of the letters of `term`, at index `where` of the equation."""
    out = []
    for ch in term:
        if not ch.isascii() or not ch.isalpha():
            raise RuntimeError(f"einsum(): invalid subscript given at index {where} in the "
                               "equation string, subscripts must be in [a-zA-Z]")
        out.append(ord(ch))
        where += 1
    return out


def _einsum_output(rhs, pos, labels, n_ell):
    """The output labels: those of `rhs` (None: implicit, the ellipsis then the
    letters seen once, sorted), checked against the inputs' `labels`."""
    if rhs is not None:
        head, ell, tail = rhs.partition("...")
        out = _einsum_letters(head, pos) + list(range(-n_ell, 0) if ell else []) + \
            _einsum_letters(tail, pos + len(head) + len(ell))
        seen = set()
        for lab in out:
            if lab in seen:
                raise RuntimeError(f"einsum(): output subscript {chr(lab)} appears more than "
                                   "once in the output")
            seen.add(lab)
            if lab >= 0 and not any(lab in ls for ls in labels):
                raise RuntimeError(f"einsum(): output subscript {chr(lab)} does not appear "
                                   "in the equation for any input operand")
    else:   # implicit output: the ellipsis, then letters seen once, sorted
        counts = {}
        for ls in labels:
            for lab in ls:
                counts[lab] = counts.get(lab, 0) + 1
        out = list(range(-n_ell, 0)) + sorted(lab for lab, c in counts.items()
                                              if lab >= 0 and c == 1)
    return out


def _einsum_sizes(labels, operands):
    sizes = {}
    for k, (ls, t) in enumerate(zip(labels, operands)):
        own = {}
        for lab, n in zip(ls, t._data.shape):
            name = chr(lab) if lab >= 0 else "..."
            if lab in own and own[lab] != n:
                raise RuntimeError(f"einsum(): subscript {name} is repeated for operand {k} "
                                   f"but the sizes don't match, {n} != {own[lab]}")
            own[lab] = n
            seen = sizes.get(lab, 1)
            if n != seen and n != 1 and seen != 1:
                raise RuntimeError(f"einsum(): subscript {name} has size {n} for operand {k} "
                                   f"which does not broadcast with previously seen size "
                                   f"{seen}")
            sizes[lab] = max(seen, n)
    return sizes


def _take_diagonals(t, ls):
    """Repeated labels in one operand: keep their diagonal (moved last)."""
    ls = list(ls)
    while True:
        for i, lab in enumerate(ls):
            if lab in ls[i + 1:]:
                j = ls.index(lab, i + 1)
                t = diagonal(t, 0, i, j)
                ls = [x for k, x in enumerate(ls) if k not in (i, j)] + [lab]
                break
        else:
            return t, ls


def _sum_labels(t, ls, keep):
    """Sum out the labels not in `keep`."""
    dims = tuple(i for i, lab in enumerate(ls) if lab not in keep)
    if not dims:
        return t, ls
    from nbgrad.ops.reduce import sum as sum_
    return sum_(t, dims), [lab for lab in ls if lab in keep]


def _contract(a, la, b, lb, keep, sizes):
    """The product of two operands summed over their shared labels not in `keep`,
    as one batched matrix product; returns it and its labels."""
    batch = [lab for lab in la if lab in lb and lab in keep]
    summed = [lab for lab in la if lab in lb and lab not in keep]
    left = [lab for lab in la if lab not in lb]
    right = [lab for lab in lb if lab not in la]

    def arrange(t, ls, order):
        t = t.permute([ls.index(lab) for lab in order])
        want = tuple(sizes[lab] for lab in order)
        return t.expand(want) if tuple(t._data.shape) != want else t

    def prod(labs):
        n = 1
        for lab in labs:
            n *= sizes[lab]
        return n

    nb_, nl, nk, nr = prod(batch), prod(left), prod(summed), prod(right)
    a3 = arrange(a, la, batch + left + summed).reshape(nb_, nl, nk)
    b3 = arrange(b, lb, batch + summed + right).reshape(nb_, nk, nr)
    out = bmm(a3, b3) if nb_ != 1 else mm(a3.reshape(nl, nk), b3.reshape(nk, nr))
    labels = batch + left + right
    return out.reshape(tuple(sizes[lab] for lab in labels)), labels


def einsum(equation, *operands):
    """Einstein summation: ``nb.einsum('ij,jk->ik', a, b)`` is ``a @ b``.

    Supports any number of operands, implicit and explicit outputs, repeated
    subscripts (diagonals: ``'ii->i'``, ``'ii'``), sums and ``...`` broadcast
    dimensions.  Operands are contracted left to right, each pair as one
    batched matrix product, so the result is differentiable to any order.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    _check_tensors("einsum", *operands)
    for t in operands[1:]:
        check_scalar_type(operands[0].dtype, t.dtype, f" (einsum {equation!r})")
    labels, out = _einsum_parse(equation, operands)
    sizes = _einsum_sizes(labels, operands)
    ts = []
    for t, ls in zip(operands, labels):
        ts.append(_take_diagonals(t, ls))
    for k in range(len(ts)):   # labels used by one operand only and not output: sum now
        others = set(out)
        for j, (_, ls) in enumerate(ts):
            if j != k:
                others.update(ls)
        ts[k] = _sum_labels(*ts[k], others)
    acc, la = ts[0]
    for k in range(1, len(ts)):
        keep = set(out)
        for _, ls in ts[k + 1:]:
            keep.update(ls)
        b, lb = ts[k]
        acc, la = _contract(acc, la, b, lb, keep, sizes)
    acc, la = _sum_labels(acc, la, set(out))
    if la != out:
        acc = acc.permute([la.index(lab) for lab in out])
    want = tuple(sizes[lab] for lab in out)
    return acc.expand(want) if tuple(acc._data.shape) != want else acc
