"""CUDA kernels of the convolution and pooling ops: the twin of
`nbgrad.backends.cpu.conv` (same functions, same arguments, same layouts).

Every kernel is a grid-stride loop with one thread per element it writes, so
none needs atomics and each result is summed in a fixed order: im2col a
thread per column entry; col2im a thread per image element, gathering the
column entries that read it; the pools a thread per output; the window mean's
adjoint a thread per input element, summing the windows that hold it.  Sums
(col2im, bias gradient, window means) accumulate in float64.
"""


from nbgrad.backends import neutral
from nbgrad.backends.cuda import launch as _launch
from nbgrad.backends.cuda._numba_cuda import any_layout as _a
from nbgrad.backends.cuda._numba_cuda import cuda

__all__ = ["im2col", "col2im", "add_bias", "bias_grad", "max_pool", "window_mean",
           "window_mean_backward"]


_im2col_entry, _window_max = neutral.compile_for(cuda.jit(device=True), "im2col_entry",
                                                 "window_max")


# -- im2col / col2im -----------------------------------------------------------
@cuda.jit(cache=True)
def _im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, OW):
    N, CK, L = cols.shape
    for t in range(cuda.grid(1), N * CK * L, cuda.gridsize(1)):
        n, r, q = _launch.coords3(t, CK, L)
        _im2col_entry(x, cols, n, r // (kh * kw), r, q, (r // kw) % kh, r % kw, sh, sw, ph, pw,
                      dh, dw, OW)


def im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, OW):
    """cols[n, (c*kh + i)*kw + j, oh*OW + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
    (0 outside x)."""
    _launch.launch(_im2col, cols.size, _a(x), _a(cols), kh, kw, sh, sw, ph, pw, dh, dw, OW)


@cuda.jit(cache=True)
def _col2im(cols, x, kh, kw, sh, sw, ph, pw, dh, dw, OW):
    N, C, H, W = x.shape
    OH = cols.shape[2] // OW
    for t in range(cuda.grid(1), N * C * H * W, cuda.gridsize(1)):
        w = t % W
        h = (t // W) % H
        c = (t // (W * H)) % C
        n = t // (W * H * C)
        acc = 0.0
        for i in range(kh):
            hh = h + ph - i * dh
            if hh < 0 or hh % sh != 0 or hh // sh >= OH:
                continue
            for j in range(kw):
                ww = w + pw - j * dw
                if ww < 0 or ww % sw != 0 or ww // sw >= OW:
                    continue
                acc += cols[n, (c * kh + i) * kw + j, (hh // sh) * OW + ww // sw]
        x[n, c, h, w] = acc


def col2im(cols, x, kh, kw, sh, sw, ph, pw, dh, dw, OW):
    """The adjoint of `im2col`: x (N, C, H, W) = the sum of the columns' entries
    at the positions im2col read them from."""
    _launch.launch(_col2im, x.size, _a(cols), _a(x), kh, kw, sh, sw, ph, pw, dh, dw, OW)


# -- bias ----------------------------------------------------------------------------
@cuda.jit(cache=True)
def _add_bias(out, bias):
    N, O, L = out.shape
    for t in range(cuda.grid(1), N * O * L, cuda.gridsize(1)):
        o = (t // L) % O
        out[t // (L * O), o, t % L] += bias[o]


def add_bias(out, bias):
    """out[n, o, :] += bias[o] (out: (N, O, L), in place)."""
    _launch.launch(_add_bias, out.size, _a(out), _a(bias))


@cuda.jit(cache=True)
def _bias_grad(g, out):
    N, O, L = g.shape
    for o in range(cuda.grid(1), O, cuda.gridsize(1)):
        s = 0.0
        for n in range(N):
            for q in range(L):
                s += g[n, o, q]
        out[o] = s


def bias_grad(g, out):
    """out[o] = the float64 sum of g[:, o, :] (g: (N, O, L))."""
    _launch.launch(_bias_grad, out.shape[0], _a(g), _a(out))


# -- max pooling ---------------------------------------------------------------------


@cuda.jit(cache=True)
def _max_pool(x, out, idx, kh, kw, sh, sw, ph, pw, dh, dw):
    P, OH, OW = out.shape
    for t in range(cuda.grid(1), P * OH * OW, cuda.gridsize(1)):
        p, oh, ow = _launch.coords3(t, OH, OW)
        best, at = _window_max(x, p, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw)
        out[p, oh, ow] = best
        idx[p, oh, ow] = at


def max_pool(x, out, idx, kh, kw, sh, sw, ph, pw, dh, dw):
    """out[p, oh, ow] = the maximum of x[p] over the window, idx its flat position
    h * W + w in the plane (the first maximum; a NaN wins)."""
    _launch.launch(_max_pool, out.size, _a(x), _a(out), _a(idx), kh, kw, sh, sw, ph, pw, dh,
                   dw)


# -- window means (average pools) ----------------------------------------------------
@cuda.jit(cache=True)
def _window_mean(x, hs, he, ws, we, fh, fw, out):
    P, OH, OW = out.shape
    for t in range(cuda.grid(1), P * OH * OW, cuda.gridsize(1)):
        p, oh, ow = _launch.coords3(t, OH, OW)
        s = 0.0
        for h in range(hs[oh], he[oh]):
            for w in range(ws[ow], we[ow]):
                s += x[p, h, w]
        out[p, oh, ow] = s / (fh[oh] * fw[ow])


def window_mean(x, hs, he, ws, we, fh, fw, out):
    """out[p, oh, ow] = sum(x[p, hs[oh]:he[oh], ws[ow]:we[ow]]) / (fh[oh] * fw[ow])."""
    _launch.launch(_window_mean, out.size, _a(x), _a(hs), _a(he), _a(ws), _a(we), _a(fh),
                   _a(fw), _a(out))


@cuda.jit(cache=True)
def _window_mean_backward(g, hs, he, ws, we, fh, fw, gx):
    P, H, W = gx.shape
    OH, OW = g.shape[1], g.shape[2]
    for t in range(cuda.grid(1), P * H * W, cuda.gridsize(1)):
        p, h, w = _launch.coords3(t, H, W)
        s = 0.0
        for oh in range(OH):
            if hs[oh] <= h < he[oh]:
                for ow in range(OW):
                    if ws[ow] <= w < we[ow]:
                        s += g[p, oh, ow] / (fh[oh] * fw[ow])
        gx[p, h, w] = s


def window_mean_backward(g, hs, he, ws, we, fh, fw, gx):
    """The adjoint of `window_mean`: gx (P, H, W) gets g / divisor in every
    element of each output's window."""
    _launch.launch(_window_mean_backward, gx.size, _a(g), _a(hs), _a(he), _a(ws), _a(we),
                   _a(fh), _a(fw), _a(gx))

