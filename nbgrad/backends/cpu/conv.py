"""CPU kernels of the convolution and pooling ops: im2col / col2im (a convolution
is an im2col then a BLAS matmul; its input gradient a matmul then a col2im),
the per-channel bias and its gradient, max pooling with indices, and the
window mean behind every average pool (plain, adaptive) and its adjoint.

Images are canonical: (N, C, H, W) for im2col / col2im, (P, H, W) planes for
the pools (P = N * C; a 1-d op is a 2-d one of unit height).  Columns are laid
out as PyTorch's ``unfold``: (N, C * kh * kw, OH * OW), row ``(c * kh + i) * kw
+ j``.  `ph`, `pw` are the top and left padding; the bottom and right padding
follow from the output size the caller chose (asymmetric for 'same').

Each kernel runs serially over its planes, or over them in a `prange` above
`PARALLEL_THRESHOLD` elements.  Every plane is written by one thread only (col2im
and the pools' backward accumulate within their own plane), so the parallel
kernels give the serial results bit for bit.
"""


from numba import njit, prange

from nbgrad.backends import neutral
from nbgrad.backends.cpu import elementwise as _elementwise

__all__ = ["im2col", "col2im", "add_bias", "bias_grad", "max_pool", "window_mean",
           "window_mean_backward"]


def _parallel(n):
    return n >= _elementwise.PARALLEL_THRESHOLD


_im2col_entry, _window_max = neutral.compile_for(njit(inline="always"), "im2col_entry",
                                                 "window_max")


# -- im2col / col2im -----------------------------------------------------------
@njit(cache=True, inline="always")
def _im2col_plane(x, cols, p, geom):
    kh, kw, sh, sw, ph, pw, dh, dw, OW = geom
    C = x.shape[1]
    n, c = p // C, p % C
    for i in range(kh):
        for j in range(kw):
            row = (c * kh + i) * kw + j
            for q in range(cols.shape[2]):
                _im2col_entry(x, cols, n, c, row, q, i, j, sh, sw, ph, pw, dh, dw, OW)


@njit(cache=True)
def _im2col_serial(x, cols, geom):
    for p in range(x.shape[0] * x.shape[1]):
        _im2col_plane(x, cols, p, geom)


@njit(cache=True, parallel=True)
def _im2col_parallel(x, cols, geom):
    for p in prange(x.shape[0] * x.shape[1]):
        _im2col_plane(x, cols, p, geom)


def im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, OW):
    """cols[n, (c*kh + i)*kw + j, oh*OW + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
    (0 outside x)."""
    geom = (kh, kw, sh, sw, ph, pw, dh, dw, OW)
    (_im2col_parallel if _parallel(cols.size) else _im2col_serial)(x, cols, geom)


@njit(cache=True, inline="always")
def _col2im_plane(cols, x, p, geom):
    kh, kw, sh, sw, ph, pw, dh, dw, OW = geom
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    n, c = p // C, p % C
    x[n, c] = 0
    L = cols.shape[2]
    for i in range(kh):
        for j in range(kw):
            row = (c * kh + i) * kw + j
            for q in range(L):
                h = (q // OW) * sh - ph + i * dh
                w = (q % OW) * sw - pw + j * dw
                if 0 <= h < H and 0 <= w < W:
                    x[n, c, h, w] += cols[n, row, q]


@njit(cache=True)
def _col2im_serial(cols, x, geom):
    for p in range(x.shape[0] * x.shape[1]):
        _col2im_plane(cols, x, p, geom)


@njit(cache=True, parallel=True)
def _col2im_parallel(cols, x, geom):
    for p in prange(x.shape[0] * x.shape[1]):
        _col2im_plane(cols, x, p, geom)


def col2im(cols, x, kh, kw, sh, sw, ph, pw, dh, dw, OW):
    """The adjoint of `im2col`: x (N, C, H, W) = the sum of the columns' entries
    at the positions im2col read them from."""
    geom = (kh, kw, sh, sw, ph, pw, dh, dw, OW)
    (_col2im_parallel if _parallel(cols.size) else _col2im_serial)(cols, x, geom)


# -- bias ----------------------------------------------------------------------------
@njit(cache=True)
def _add_bias_serial(out, bias):
    N, O, L = out.shape
    for p in range(N * O):
        b = bias[p % O]
        for q in range(L):
            out[p // O, p % O, q] += b


@njit(cache=True, parallel=True)
def _add_bias_parallel(out, bias):
    N, O, L = out.shape
    for p in prange(N * O):
        b = bias[p % O]
        for q in range(L):
            out[p // O, p % O, q] += b


def add_bias(out, bias):
    """out[n, o, :] += bias[o] (out: (N, O, L), in place)."""
    (_add_bias_parallel if _parallel(out.size) else _add_bias_serial)(out, bias)


@njit(cache=True)
def bias_grad(g, out):
    """out[o] = the float64 sum of g[:, o, :] (g: (N, O, L))."""
    N, O, L = g.shape
    for o in range(O):
        s = 0.0
        for n in range(N):
            for q in range(L):
                s += g[n, o, q]
        out[o] = s


# -- max pooling ---------------------------------------------------------------------

@njit(cache=True, inline="always")
def _max_pool_plane(x, out, idx, p, geom):
    kh, kw, sh, sw, ph, pw, dh, dw = geom
    for oh in range(out.shape[1]):
        for ow in range(out.shape[2]):
            best, at = _window_max(x, p, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw)
            out[p, oh, ow] = best
            idx[p, oh, ow] = at


@njit(cache=True)
def _max_pool_serial(x, out, idx, geom):
    for p in range(x.shape[0]):
        _max_pool_plane(x, out, idx, p, geom)


@njit(cache=True, parallel=True)
def _max_pool_parallel(x, out, idx, geom):
    for p in prange(x.shape[0]):
        _max_pool_plane(x, out, idx, p, geom)


def max_pool(x, out, idx, kh, kw, sh, sw, ph, pw, dh, dw):
    """out[p, oh, ow] = the maximum of x[p] over the window, idx its flat position
    h * W + w in the plane (the first maximum; a NaN wins)."""
    geom = (kh, kw, sh, sw, ph, pw, dh, dw)
    (_max_pool_parallel if _parallel(x.size) else _max_pool_serial)(x, out, idx, geom)


# -- window means (average pools) ----------------------------------------------------
@njit(cache=True, inline="always")
def _window_mean_plane(x, bounds, fh, fw, out, p):
    hs, he, ws, we = bounds
    for oh in range(out.shape[1]):
        for ow in range(out.shape[2]):
            s = 0.0
            for h in range(hs[oh], he[oh]):
                for w in range(ws[ow], we[ow]):
                    s += x[p, h, w]
            out[p, oh, ow] = s / (fh[oh] * fw[ow])


@njit(cache=True)
def _window_mean_serial(x, bounds, fh, fw, out):
    for p in range(x.shape[0]):
        _window_mean_plane(x, bounds, fh, fw, out, p)


@njit(cache=True, parallel=True)
def _window_mean_parallel(x, bounds, fh, fw, out):
    for p in prange(x.shape[0]):
        _window_mean_plane(x, bounds, fh, fw, out, p)


def window_mean(x, hs, he, ws, we, fh, fw, out):
    """out[p, oh, ow] = sum(x[p, hs[oh]:he[oh], ws[ow]:we[ow]]) / (fh[oh] * fw[ow]),
    summed in float64 (windows and divisor factors chosen by the caller)."""
    bounds = (hs, he, ws, we)
    (_window_mean_parallel if _parallel(x.size) else _window_mean_serial)(x, bounds, fh, fw,
                                                                          out)


@njit(cache=True, inline="always")
def _window_mean_backward_plane(g, bounds, fh, fw, gx, p):
    hs, he, ws, we = bounds
    gx[p] = 0
    for oh in range(g.shape[1]):
        for ow in range(g.shape[2]):
            v = g[p, oh, ow] / (fh[oh] * fw[ow])
            for h in range(hs[oh], he[oh]):
                for w in range(ws[ow], we[ow]):
                    gx[p, h, w] += v


@njit(cache=True)
def _window_mean_backward_serial(g, bounds, fh, fw, gx):
    for p in range(g.shape[0]):
        _window_mean_backward_plane(g, bounds, fh, fw, gx, p)


@njit(cache=True, parallel=True)
def _window_mean_backward_parallel(g, bounds, fh, fw, gx):
    for p in prange(g.shape[0]):
        _window_mean_backward_plane(g, bounds, fh, fw, gx, p)


def window_mean_backward(g, hs, he, ws, we, fh, fw, gx):
    """The adjoint of `window_mean`: gx (P, H, W) gets g / divisor in every
    element of each output's window."""
    bounds = (hs, he, ws, we)
    kernel = _window_mean_backward_parallel if _parallel(gx.size) else \
        _window_mean_backward_serial
    kernel(g, bounds, fh, fw, gx)
