"""CPU kernels of the convolution and pooling ops: im2col / col2im (a convolution
is an im2col then a BLAS matmul; its input gradient a matmul then a col2im),
the per-channel bias and its gradient, max pooling with indices, and the
window mean behind every average pool (plain, adaptive) and its adjoint.

Images are canonical: (N, C, H, W) for im2col / col2im, (P, H, W) planes for
the pools (P = N * C; a 1-d op is a 2-d one of unit height).  Columns are laid
out as PyTorch's ``unfold``: (N, C * kh * kw, OH * OW), row ``(c * kh + i) * kw
+ j``.  `ph`, `pw` are the top and left padding; the bottom and right padding
follow from the output size the caller chose (asymmetric for 'same').

Each kernel is a loop over its planes, compiled serial and parallel from one
function (`nbgrad.backends.cpu.parallel`); the parallel one runs above
`PARALLEL_THRESHOLD` elements.  Every plane is written by one thread only (col2im
and the pools' backward accumulate within their own plane), so the parallel
kernels give the serial results bit for bit.
"""


from numba import njit, prange

from nbgrad.backends import neutral
from nbgrad.backends.cpu.parallel import by_size, serial_and_parallel

__all__ = ["im2col", "col2im", "add_bias", "bias_grad", "max_pool", "window_mean",
           "window_mean_backward"]


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


def _im2col_planes(x, cols, geom):
    for p in prange(x.shape[0] * x.shape[1]):
        _im2col_plane(x, cols, p, geom)


_im2col = serial_and_parallel(_im2col_planes)


def im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, OW):
    """cols[n, (c*kh + i)*kw + j, oh*OW + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
    (0 outside x)."""
    geom = (kh, kw, sh, sw, ph, pw, dh, dw, OW)
    by_size(_im2col, cols.size)(x, cols, geom)


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


def _col2im_planes(cols, x, geom):
    for p in prange(x.shape[0] * x.shape[1]):
        _col2im_plane(cols, x, p, geom)


_col2im = serial_and_parallel(_col2im_planes)


def col2im(cols, x, kh, kw, sh, sw, ph, pw, dh, dw, OW):
    """The adjoint of `im2col`: x (N, C, H, W) = the sum of the columns' entries
    at the positions im2col read them from."""
    geom = (kh, kw, sh, sw, ph, pw, dh, dw, OW)
    by_size(_col2im, cols.size)(cols, x, geom)


# -- bias ----------------------------------------------------------------------------
def _add_bias_rows(out, bias):
    N, O, L = out.shape
    for p in prange(N * O):
        b = bias[p % O]
        for q in range(L):
            out[p // O, p % O, q] += b


_add_bias = serial_and_parallel(_add_bias_rows)


def add_bias(out, bias):
    """out[n, o, :] += bias[o] (out: (N, O, L), in place)."""
    by_size(_add_bias, out.size)(out, bias)


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


def _max_pool_planes(x, out, idx, geom):
    for p in prange(x.shape[0]):
        _max_pool_plane(x, out, idx, p, geom)


_max_pool = serial_and_parallel(_max_pool_planes)


def max_pool(x, out, idx, kh, kw, sh, sw, ph, pw, dh, dw):
    """out[p, oh, ow] = the maximum of x[p] over the window, idx its flat position
    h * W + w in the plane (the first maximum; a NaN wins)."""
    geom = (kh, kw, sh, sw, ph, pw, dh, dw)
    by_size(_max_pool, x.size)(x, out, idx, geom)


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


def _window_mean_planes(x, bounds, fh, fw, out):
    for p in prange(x.shape[0]):
        _window_mean_plane(x, bounds, fh, fw, out, p)


_window_mean = serial_and_parallel(_window_mean_planes)


def window_mean(x, hs, he, ws, we, fh, fw, out):
    """out[p, oh, ow] = sum(x[p, hs[oh]:he[oh], ws[ow]:we[ow]]) / (fh[oh] * fw[ow]),
    summed in float64 (windows and divisor factors chosen by the caller)."""
    bounds = (hs, he, ws, we)
    by_size(_window_mean, x.size)(x, bounds, fh, fw, out)


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


def _window_mean_backward_planes(g, bounds, fh, fw, gx):
    for p in prange(g.shape[0]):
        _window_mean_backward_plane(g, bounds, fh, fw, gx, p)


_window_mean_backward = serial_and_parallel(_window_mean_backward_planes)


def window_mean_backward(g, hs, he, ws, we, fh, fw, gx):
    """The adjoint of `window_mean`: gx (P, H, W) gets g / divisor in every
    element of each output's window."""
    bounds = (hs, he, ws, we)
    by_size(_window_mean_backward, gx.size)(g, bounds, fh, fw, gx)
