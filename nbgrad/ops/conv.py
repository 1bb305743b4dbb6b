"""Convolution ops: conv1d and conv2d (stride, padding with 'same' / 'valid',
dilation, groups, bias), and the im2col / col2im ops their recorded backward
is made of.

A convolution is an im2col (the backend's `conv` kernels) then one batched
matmul of the weight, a group at a time, with the columns, plus the bias.  A
1-d convolution is a 2-d one of unit height.  The backward without a graph
runs the kernels directly: the weight gradient is a matmul of the incoming
gradient with the columns kept from the forward (summed over the batch), the
input gradient a matmul of the weight with it, then a col2im.  With
``create_graph=True`` the same formula is recorded in nbgrad ops: `im2col`
and `col2im` are ops of their own, each the other's adjoint, so gradients of
any order exist.  PyTorch's argument checks run first, with its messages,
before any kernel.
"""

import numpy as np

from nbgrad.autograd import grad_mode
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import check_scalar_type, require_tensor, scalar_name
from nbgrad.ops.registry import op
from nbgrad.tensor import Tensor

__all__ = ["conv1d", "conv2d"]

_FLOATS = ("float32", "float64")


# -- argument checks -----------------------------------------------------------------
def _ints(v, n, name):
    if isinstance(v, (tuple, list)):
        if len(v) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(v)}")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def check_float(opname, x):
    """NotImplementedError for a dtype the kernels do not run (not float32/float64)."""
    if x.dtype.name not in _FLOATS:
        raise NotImplementedError(f"{opname}: \"{opname}\" not implemented for "
                                  f"'{scalar_name(x.dtype)}' (the kernels run in float32 and "
                                  f"float64)")


def _check_tensors(opname, x, w, bias):
    require_tensor(opname, x, "input"), require_tensor(opname, w, "weight")
    if bias is not None:
        require_tensor(opname, bias, "bias")
    for name, t in (("weight", w), ("bias", bias)):
        if t is not None and t.device != x.device:
            raise RuntimeError(f"{opname}: Expected all tensors to be on the same device, but "
                               f"found at least two devices, {x.device} and {t.device}! "
                               f"({name})")
    check_float(opname, x)
    check_scalar_type(x.dtype, w.dtype, f" ({opname} of a {x.dtype} input and a {w.dtype} "
                      "weight)")
    if bias is not None and bias.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({_c(x)}) and bias "
                           f"type ({_c(bias)}) should be the same")


def _c(t):
    return {"float32": "float", "float64": "double"}.get(t.dtype.name, t.dtype.name)


def _check_shapes(opname, xs, ws, bias, groups, nd):
    if len(ws) != nd + 2:
        raise RuntimeError(f"{opname}: expected a {nd + 2}-dimensional weight (out_channels, "
                           f"in_channels / groups, kernel size...), but got weight of size "
                           f"{list(ws)}")
    if len(xs) not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{opname}, but got input of size: {list(xs)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    C = xs[-nd - 1]
    if ws[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {list(ws)} instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size [{list(ws)}] "
                           f"instead")
    if C != ws[1] * groups:
        batched = list(xs) if len(xs) == nd + 2 else [1] + list(xs)
        raise RuntimeError(f"Given groups={groups}, weight of size {list(ws)}, expected "
                           f"input{batched} to have {ws[1] * groups} channels, but got {C} "
                           f"channels instead")
    if bias is not None and tuple(bias._data.shape) != (ws[0],):
        raise RuntimeError(f"Given weight of size {list(ws)}, expected bias to be "
                           f"1-dimensional with {ws[0]} elements, but got bias of size "
                           f"{list(bias._data.shape)} instead")


def _pads(padding, kernel, stride, dilation, nd):
    """(low, high) padding per dim: PyTorch's 'same' puts an odd extra at the end."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in totals)
    pad = _ints(padding, nd, "padding")
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    return tuple((p, p) for p in pad)


def _geometry(opname, xs, ws, stride, padding, dilation, nd):
    """The 2-d geometry (kh, kw, sh, sw, pt, pb, pl, pr, dh, dw) and (OH, OW)."""
    stride = _ints(stride, nd, "stride")
    dilation = _ints(dilation, nd, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    kernel = tuple(ws[2:])
    pads = _pads(padding, kernel, stride, dilation, nd)
    spatial = tuple(xs[-nd:])
    padded = [n + lo + hi for n, (lo, hi) in zip(spatial, pads)]
    effective = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(p < e for p, e in zip(padded, effective)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, effective))}). Kernel size can't be greater "
                           f"than actual input size")
    out = tuple((p - e) // s + 1 for p, e, s in zip(padded, effective, stride))
    if nd == 1:   # a unit height
        kernel, stride, dilation, pads, out = ((1,) + kernel, (1,) + stride, (1,) + dilation,
                                               ((0, 0),) + pads, (1,) + out)
    (pt, pb), (pl, pr) = pads
    geom = (kernel[0], kernel[1], stride[0], stride[1], pt, pb, pl, pr, dilation[0], dilation[1])
    return geom, out


# -- im2col / col2im ----------------------------------------------------------------------
def _columns(b, x4, geom, OH, OW):
    kh, kw, sh, sw, pt, pb, pl, pr, dh, dw = geom
    N, C = x4.shape[0], x4.shape[1]
    cols = b.empty((N, C * kh * kw, OH * OW), x4.dtype)
    if cols.size:
        b.conv.im2col(_contig(b, x4), cols, kh, kw, sh, sw, pt, pl, dh, dw, OW)
    return cols


def _image(b, cols, geom, size, OW):
    kh, kw, sh, sw, pt, pb, pl, pr, dh, dw = geom
    N, CK = cols.shape[0], cols.shape[1]
    x = b.empty((N, CK // (kh * kw)) + tuple(size), cols.dtype)
    if x.size:
        b.conv.col2im(_contig(b, cols), x, kh, kw, sh, sw, pt, pl, dh, dw, OW)
    return x


def _out_size(geom, H, W):
    kh, kw, sh, sw, pt, pb, pl, pr, dh, dw = geom
    return (H + pt + pb - dh * (kh - 1) - 1) // sh + 1, (W + pl + pr - dw * (kw - 1) - 1) // sw + 1


def _contig(b, a):
    return a if b.is_contiguous(a) else b.contiguous(a)


@op("im2col", node="Im2ColBackward0")
def im2col(ctx, x, geom):
    """(N, C, H, W) -> (N, C * kh * kw, OH * OW) columns for the 2-d geometry
    ``(kh, kw, sh, sw, pad_top, pad_bottom, pad_left, pad_right, dh, dw)``:
    what ``F.unfold`` computes (the convolutions' recorded backward uses it)."""
    check_float("im2col", x)
    if x._data.ndim != 4:
        raise RuntimeError(f"im2col: expected a 4-D (N, C, H, W) input, got {list(x.shape)}")
    H, W = x._data.shape[2:]
    OH, OW = _out_size(geom, H, W)
    ctx.geom, ctx.size = geom, (H, W)
    return _columns(dispatch.backend(x.device), x._data, geom, OH, OW)


@im2col.backward
def _im2col_backward(ctx, g):
    return col2im(g, ctx.size, ctx.geom)


@op("col2im", node="Col2ImBackward0")
def col2im(ctx, cols, size, geom):
    """The adjoint of `im2col`: (N, C * kh * kw, OH * OW) columns summed back into
    an (N, C, *size) image (what ``F.fold`` computes)."""
    check_float("col2im", cols)
    H, W = size
    OH, OW = _out_size(geom, H, W)
    cs = tuple(cols._data.shape)
    if len(cs) != 3 or cs[1] % (geom[0] * geom[1]) or cs[2] != OH * OW:
        raise RuntimeError(f"col2im: expected (N, C * {geom[0]} * {geom[1]}, {OH * OW}) "
                           f"columns for an image of size {list(size)}, got {list(cs)}")
    ctx.geom = geom
    return _image(dispatch.backend(cols.device), cols._data, geom, (H, W), OW)


@col2im.backward
def _col2im_backward(ctx, g):
    return im2col(g, ctx.geom)


# -- the convolution --------------------------------------------------------------------
def _conv_forward(ctx, opname, nd, x, w, bias, stride, padding, dilation, groups):
    _check_tensors(opname, x, w, bias)
    xs, ws = tuple(x._data.shape), tuple(w._data.shape)
    _check_shapes(opname, xs, ws, bias, groups, nd)
    geom, out_sp = _geometry(opname, xs, ws, stride, padding, dilation, nd)
    b = dispatch.backend(x.device)
    N = xs[0] if len(xs) == nd + 2 else 1
    C, O = xs[-nd - 1], ws[0]
    x4 = b.reshape(_contig(b, x._data), (N, C) + ((1,) if nd == 1 else ()) + xs[-nd:])
    OH, OW = out_sp
    cols = _columns(b, x4, geom, OH, OW)
    K, L = C // groups * geom[0] * geom[1], OH * OW
    w3 = b.reshape(_contig(b, w._data), (groups, O // groups, K))
    out = b.matmul.matmul_nd(w3, b.reshape(cols, (N, groups, K, L)))
    out3 = b.reshape(out, (N, O, L))
    if bias is not None and out3.size:
        b.conv.add_bias(out3, _contig(b, bias._data))
    ctx.args = (nd, geom, groups, xs, ws, N, C, O, K, L)
    need = ctx.needs_input_grad
    if need:   # the columns only for the weight's gradient (kept: not recomputed)
        keep = Tensor._make(cols, x.dtype, x.device) if need[1] else None
        ctx.save_for_backward(x, w, keep)
    batch = (N,) if len(xs) == nd + 2 else ()
    return b.reshape(out3, batch + (O,) + out_sp[-nd:])


def _conv_backward(ctx, g):
    x, w, cols = ctx.saved_tensors
    nd, geom, groups, xs, ws, N, C, O, K, L = ctx.args
    need = ctx.needs_input_grad
    if g.dtype is not x.dtype:
        g = g.to(x.dtype)
    if grad_mode.is_grad_enabled():
        grads = _conv_backward_recorded(ctx, x, w, g)
    else:
        grads = _conv_backward_kernels(ctx, None if cols is None else cols._data, w, g)
    return tuple(grads[:len(need)])


def _conv_backward_kernels(ctx, cols, w, g):
    """The three gradients with the kernels and the backend's matmul (no graph)."""
    nd, geom, groups, xs, ws, N, C, O, K, L = ctx.args
    need = ctx.needs_input_grad
    b = dispatch.backend(g.device)
    dt, dev = g.dtype, g.device
    g4 = b.reshape(_contig(b, g._data), (N, groups, O // groups, L))
    gx = gw = gb = None
    if need[0]:
        w3 = b.reshape(_contig(b, w._data), (groups, O // groups, K))
        gcols = b.matmul.matmul_nd(b.swapaxes(w3, 1, 2), g4)
        size = (1,) + xs[-1:] if nd == 1 else xs[-2:]
        img = _image(b, b.reshape(gcols, (N, C * geom[0] * geom[1], L)), geom, size,
                     _out_size(geom, *size)[1])
        gx = Tensor._make(b.reshape(img, xs), dt, dev)
    if need[1]:
        prod = b.matmul.matmul_nd(g4, b.swapaxes(b.reshape(cols, (N, groups, K, L)), 2, 3))
        flat = b.empty((1, O * K), dt.np)
        if flat.size:
            b.reduce.sum_arb(b.reshape(prod, (1, N, O * K)), flat, np.float64(0), 1.0)
        gw = Tensor._make(b.reshape(flat, ws), dt, dev)
    if len(need) > 2 and need[2]:
        out = b.empty((O,), dt.np)
        b.conv.bias_grad(b.reshape(g4, (N, O, L)), out)
        gb = Tensor._make(out, dt, dev)
    return gx, gw, gb


def _conv_backward_recorded(ctx, x, w, g):
    """The same gradients in nbgrad ops (create_graph: differentiable again)."""
    nd, geom, groups, xs, ws, N, C, O, K, L = ctx.args
    need = ctx.needs_input_grad
    g4 = g.reshape(N, groups, O // groups, L)
    size = (1,) + xs[-1:] if nd == 1 else xs[-2:]
    gx = gw = gb = None
    if need[0]:
        w3 = w.reshape(groups, O // groups, K).transpose(1, 2)
        gx = col2im((w3 @ g4).reshape(N, C * geom[0] * geom[1], L), size, geom).reshape(xs)
    if need[1]:
        cols = im2col(x.reshape((N, C) + size), geom).reshape(N, groups, K, L)
        gw = (g4 @ cols.transpose(2, 3)).sum(0).reshape(ws)
    if len(need) > 2 and need[2]:
        gb = g4.reshape(N, O, L).sum((0, 2))
    return gx, gw, gb


@op("conv2d", node="ConvolutionBackward0")
def conv2d(ctx, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of an (N, C_in, H, W) or (C_in, H, W) input with a
    (C_out, C_in / groups, kh, kw) weight: ``nb.conv2d(x, w, b, padding=1)``.
    `padding`: ints, 'valid' or 'same' (stride 1; an odd total pads one more
    at the bottom / right, as PyTorch)."""
    return _conv_forward(ctx, "conv2d", 2, input, weight, bias, stride, padding, dilation,
                         groups)


@op("conv1d", node="ConvolutionBackward0")
def conv1d(ctx, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of an (N, C_in, L) or (C_in, L) input with a
    (C_out, C_in / groups, k) weight: ``nb.conv1d(x, w, stride=2)``."""
    return _conv_forward(ctx, "conv1d", 1, input, weight, bias, stride, padding, dilation,
                         groups)


conv2d.backward(_conv_backward)
conv1d.backward(_conv_backward)
