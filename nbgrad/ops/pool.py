"""Pooling ops: max_pool1d/2d (with indices), avg_pool1d/2d and
adaptive_avg_pool1d/2d, and the window-mean ops behind the average pools'
gradients.

Every op works on (P, H, W) planes (P = N * C, or C unbatched); a 1-d pool is
a 2-d one of unit height.  Max pooling keeps the flat position of each
maximum; its backward adds the gradient at those positions (the backend's
scatter kernel, or the `scatter_add` op when a graph is recorded: its own
backward is a gather, so gradients of any order exist).  Every average pool is
a window mean: the windows (start and end per output row and column) and the
divisor factors are worked out here from PyTorch's rules (padding,
ceil_mode, count_include_pad, divisor_override; adaptive windows
floor(i * n / out) to ceil((i + 1) * n / out)), then one kernel sums them.
Its backward is the op `window_mean_backward`, whose backward is the op
`window_mean` again: both are linear, each the other's adjoint.
"""

import numpy as np

from nbgrad import _factories
from nbgrad.autograd import grad_mode
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import require_tensor
from nbgrad.ops.conv import check_float
from nbgrad.ops.registry import op
from nbgrad.ops.scatter import scatter_add
from nbgrad.tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "adaptive_avg_pool1d"]


def _ints(v, n, opname, name):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]),) * n
        if len(v) != n:
            raise RuntimeError(f"{opname}: {name} must either be a single int, or a tuple of "
                               f"{n} ints")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _planes(opname, x, nd):
    """(P, H, W) view of x's planes (contiguous), the batch shape and (H, W)."""
    require_tensor(opname, x, "input")
    shape = tuple(x._data.shape)
    if len(shape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"{opname}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor "
                           f"for input, but got input of size: {list(shape)}")
    if any(n == 0 for n in shape[-nd:]):
        raise RuntimeError(f"{opname}(): Expected input to have non-zero size for non-batch "
                           f"dimensions, but input has sizes {list(shape)}")
    check_float(opname, x)
    b = dispatch.backend(x.device)
    a = x._data if b.is_contiguous(x._data) else b.contiguous(x._data)
    hw = (1,) + shape[-1:] if nd == 1 else shape[-2:]
    P = int(np.prod(shape[:-nd], dtype=np.int64))
    return b.reshape(a, (P,) + hw), shape[:-nd], hw


def _pool_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _window_args(opname, nd, kernel_size, stride, padding, dilation=1):
    k = _ints(kernel_size, nd, opname, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else \
        _ints(stride, nd, opname, "stride")
    p = _ints(padding, nd, opname, "padding")
    d = _ints(dilation, nd, opname, "dilation")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{opname}: kernel size should be greater than zero, but got "
                           f"kernel_size={list(k)}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"{opname}: stride should not be zero (got stride={list(s)})")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"{opname}: dilation should be greater than zero, but got "
                           f"dilation={list(d)}")
    for kk, pp, dd in zip(k, p, d):
        if pp < 0 or pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")
    if nd == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    return k, s, p, d


def _out_sizes(opname, hw, k, s, p, d, ceil_mode, planes_shape):
    out = tuple(_pool_size(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in
                zip(hw, k, s, p, d))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"{opname}: Given input size: "
                           f"({'x'.join(map(str, planes_shape))}). Calculated output size: "
                           f"({'x'.join(map(str, planes_shape[:-2] + out))}). Output size is "
                           f"too small")
    return out


def _result(b, out3, batch, out_hw, nd):
    return b.reshape(out3, tuple(batch) + tuple(out_hw[-nd:]))


# -- max pooling ----------------------------------------------------------------------
def _max_pool(ctx, opname, nd, x, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    x3, batch, hw = _planes(opname, x, nd)
    k, s, p, d = _window_args(opname, nd, kernel_size, stride, padding, dilation)
    out_hw = _out_sizes(opname, hw, k, s, p, d, ceil_mode, tuple(batch[-1:]) + hw)
    b = dispatch.backend(x.device)
    P = x3.shape[0]
    out = b.empty((P,) + out_hw, x3.dtype)
    idx = b.empty((P,) + out_hw, np.int64)
    if out.size:
        b.conv.max_pool(x3, out, idx, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1])
    idx_t = Tensor._make(_result(b, idx, batch, out_hw, nd), None, x.device)
    ctx.shape = (tuple(x._data.shape), P, hw[0] * hw[1], out_hw[0] * out_hw[1])
    res = _result(b, out, batch, out_hw, nd)
    if ctx.needs_input_grad:
        ctx.save_for_backward(idx_t)
        ctx.metadata = [(tuple(res.shape), x.dtype), (tuple(res.shape), idx_t.dtype)]
    return (res, idx_t) if return_indices else res


def _max_pool_backward(ctx, g, *_):
    (idx,) = ctx.saved_tensors
    shape, P, HW, L = ctx.shape
    dtype = ctx.input_meta[0][1]
    if g.dtype is not dtype:
        g = g.to(dtype)
    if grad_mode.is_grad_enabled():
        zeros = _factories.zeros((P, HW), dtype=dtype, device=g.device)
        return scatter_add(zeros, 1, idx.reshape(P, L), g.reshape(P, L)).reshape(shape)
    b = dispatch.backend(g.device)
    gx = b.fill(b.empty((P, HW, 1), dtype.np), 0)
    if L and P:
        ga = g._data if b.is_contiguous(g._data) else b.contiguous(g._data)
        b.movement.scatter(gx, b.reshape(idx._data, (P, L, 1)), b.reshape(ga, (P, L, 1)), True)
    return Tensor._make(b.reshape(gx, shape), dtype, g.device)


@op("max_pool2d", node="MaxPool2DWithIndicesBackward0")
def max_pool2d(ctx, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum over sliding windows of the last two dims (and, with
    `return_indices`, each maximum's flat position h * W + w in its plane):
    ``nb.max_pool2d(x, 2)``."""
    return _max_pool(ctx, "max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


@op("max_pool1d", node="MaxPool1DWithIndicesBackward0")
def max_pool1d(ctx, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum over sliding windows of the last dim: ``nb.max_pool1d(x, 3, 2)``."""
    return _max_pool(ctx, "max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


max_pool2d.backward(_max_pool_backward)
max_pool1d.backward(_max_pool_backward)


# -- window means -------------------------------------------------------------------------
def _avg_windows(n, k, s, p, ceil_mode, count_include_pad):
    """(starts, ends, divisor factors) of an average pool along one dim."""
    out = _pool_size(n, k, s, p, 1, ceil_mode)
    starts, ends, factors = [], [], []
    for o in range(out):
        lo = o * s - p
        hi = min(lo + k, n + p)
        size = hi - lo
        lo, hi = max(lo, 0), min(hi, n)
        starts.append(lo)
        ends.append(hi)
        factors.append(size if count_include_pad else hi - lo)
    return starts, ends, factors


def _adaptive_windows(n, out):
    starts = [(o * n) // out for o in range(out)]
    ends = [-((-(o + 1) * n) // out) for o in range(out)]
    return starts, ends, [e - s for s, e in zip(starts, ends)]


def _device_windows(b, windows):
    """The windows ((hs, he, fh), (ws, we, fw)) as the backend's arrays."""
    (hs, he, fh), (ws, we, fw) = windows
    ints = [b.to_device(np.asarray(v, dtype=np.int64)) for v in (hs, he, ws, we)]
    floats = [b.to_device(np.asarray(v, dtype=np.float64)) for v in (fh, fw)]
    return ints + floats


def _mean_kernel(b, x3, windows, dtype):
    P = x3.shape[0]
    out = b.empty((P, len(windows[0][0]), len(windows[1][0])), dtype)
    if out.size:
        b.conv.window_mean(x3, *_device_windows(b, windows), out)
    return out


def _mean_backward_kernel(b, g3, windows, hw, dtype):
    gx = b.empty((g3.shape[0],) + tuple(hw), dtype)
    if gx.size:
        b.conv.window_mean_backward(g3, *_device_windows(b, windows), gx)
    return gx


@op("window_mean", node="AvgPool2DBackwardBackward0")
def window_mean(ctx, x, windows):
    """x (P, H, W) -> (P, OH, OW): each output the sum of its window
    ``hs[i]:he[i], ws[j]:we[j]`` over fh[i] * fw[j], for ``windows = ((hs, he, fh),
    (ws, we, fw))`` (lists): the average pools' common form."""
    check_float("window_mean", x)
    if x._data.ndim != 3:
        raise RuntimeError(f"window_mean: expected (P, H, W) planes, got {list(x.shape)}")
    b = dispatch.backend(x.device)
    ctx.windows, ctx.hw = windows, tuple(x._data.shape[1:])
    x3 = x._data if b.is_contiguous(x._data) else b.contiguous(x._data)
    return _mean_kernel(b, x3, windows, x3.dtype)


@window_mean.backward
def _window_mean_backward(ctx, g):
    return window_mean_backward(g, ctx.windows, ctx.hw)


@op("window_mean_backward", node="AvgPool2DBackward0")
def window_mean_backward(ctx, g, windows, hw):
    """The adjoint of `window_mean`: (P, OH, OW) -> (P, *hw), each output's value
    over its divisor spread over its window."""
    check_float("window_mean_backward", g)
    b = dispatch.backend(g.device)
    ctx.windows = windows
    g3 = g._data if b.is_contiguous(g._data) else b.contiguous(g._data)
    return _mean_backward_kernel(b, g3, windows, hw, g3.dtype)


@window_mean_backward.backward
def _window_mean_backward_backward(ctx, gg):
    return window_mean(gg, ctx.windows)


def _mean_pool(ctx, x, windows, nd, opname):
    x3, batch, hw = _planes(opname, x, nd)
    b = dispatch.backend(x.device)
    out = _mean_kernel(b, x3, windows, x3.dtype)
    ctx.pool = (windows, tuple(x._data.shape), x3.shape[0], hw)
    return _result(b, out, batch, out.shape[1:], nd)


def _mean_pool_backward(ctx, g):
    windows, shape, P, hw = ctx.pool
    dtype = ctx.input_meta[0][1]
    if g.dtype is not dtype:
        g = g.to(dtype)
    g3 = g.reshape((P,) + tuple(len(w[0]) for w in windows))
    return window_mean_backward(g3, windows, hw).reshape(shape)


def _avg_pool(ctx, opname, nd, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override=None):
    _, _, hw = _planes(opname, x, nd)
    k, s, p, _ = _window_args(opname, nd, kernel_size, stride, padding)
    _out_sizes(opname, hw, k, s, p, (1, 1), ceil_mode, tuple(x._data.shape[-nd - 1:-nd]) + hw)
    windows = [_avg_windows(n, kk, ss, pp, ceil_mode, count_include_pad)
               for n, kk, ss, pp in zip(hw, k, s, p)]
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        (hs, he, _), (ws, we, _) = windows
        windows = [(hs, he, [float(divisor_override)] * len(hs)), (ws, we, [1] * len(ws))]
    return _mean_pool(ctx, x, tuple(windows), nd, opname)


@op("avg_pool2d", node="AvgPool2DBackward0")
def avg_pool2d(ctx, input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean over sliding windows of the last two dims: ``avg_pool2d(x, 2)``."""
    return _avg_pool(ctx, "avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


@op("avg_pool1d", node="AvgPool1DBackward0")
def avg_pool1d(ctx, input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """The mean over sliding windows of the last dim: ``nb.avg_pool1d(x, 3, 2)``."""
    return _avg_pool(ctx, "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad)


def _adaptive(ctx, opname, nd, x, output_size):
    _, _, hw = _planes(opname, x, nd)
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != nd:
            raise RuntimeError(f"{opname}: output_size must be {nd}")
        sizes = tuple(n if o is None else int(o) for o, n in zip(output_size, hw[-nd:]))
    else:
        sizes = (int(output_size),) * nd
    if any(o < 0 for o in sizes):
        raise RuntimeError(f"{opname}: elements of output_size must be greater than or equal "
                           f"to 0 but received {list(sizes)}")
    if nd == 1:
        sizes = (1,) + sizes
    windows = tuple(_adaptive_windows(n, o) for n, o in zip(hw, sizes))
    return _mean_pool(ctx, x, windows, nd, opname)


@op("adaptive_avg_pool2d", node="AdaptiveAvgPool2DBackward0")
def adaptive_avg_pool2d(ctx, input, output_size):
    """The mean over windows that give `output_size` (an int, or a pair whose None
    keeps that dim) over the last two dims: ``adaptive_avg_pool2d(x, (1, 1))``."""
    return _adaptive(ctx, "adaptive_avg_pool2d", 2, input, output_size)


@op("adaptive_avg_pool1d", node="AdaptiveAvgPool1DBackward0")
def adaptive_avg_pool1d(ctx, input, output_size):
    """The mean over windows that give `output_size` along the last dim."""
    if isinstance(output_size, (tuple, list)) and len(output_size) != 1:
        raise RuntimeError(f"adaptive_avg_pool1d() argument 'output_size' should contain one "
                           f"int (got {len(output_size)})")
    return _adaptive(ctx, "adaptive_avg_pool1d", 1, input, output_size)


for _op in (avg_pool2d, avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool1d):
    _op.backward(_mean_pool_backward)
del _op
