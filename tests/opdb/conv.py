"""Op database entries for the convolution and pooling ops (NumPy references
written from PyTorch's documented formulas: direct sums over padded windows)."""

import numpy as np

import nbgrad as nb
import nbgrad.nn.functional as F
from nbgrad.ops import REGISTRY
from tests.opdb.common import OpInfo, Sample, uniform


def _pair(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _as2d(x, nd, batch_dims):
    """x as (N, C, H, W): a unit height for 1-d, a unit batch when unbatched."""
    if x.ndim == batch_dims - 1:
        x = x[None]
    return x[:, :, None, :] if nd == 1 else x


def _np_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, nd=2):
    shape_in = x.shape
    x4, w4 = _as2d(x, nd, nd + 2), (w[:, :, None, :] if nd == 1 else w)
    stride, dilation = _pair(stride, nd), _pair(dilation, nd)
    k = w.shape[2:]
    if padding == "same":
        pads = [(d * (kk - 1) // 2, d * (kk - 1) - d * (kk - 1) // 2)
                for d, kk in zip(dilation, k)]
    elif padding == "valid":
        pads = [(0, 0)] * nd
    else:
        pads = [(p, p) for p in _pair(padding, nd)]
    if nd == 1:
        stride, dilation, pads = (1,) + stride, (1,) + dilation, [(0, 0)] + pads
    xp = np.pad(x4, [(0, 0), (0, 0)] + pads)
    N, C, H, W = xp.shape
    O, Cg, kh, kw = w4.shape
    (sh, sw), (dh, dw) = stride, dilation
    OH, OW = (H - dh * (kh - 1) - 1) // sh + 1, (W - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, O, OH, OW), dtype=x.dtype)
    Og = O // groups
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i * dh:i * dh + sh * (OH - 1) + 1:sh,
                       j * dw:j * dw + sw * (OW - 1) + 1:sw]
            for g in range(groups):
                wg = w4[g * Og:(g + 1) * Og, :, i, j]
                out[:, g * Og:(g + 1) * Og] += np.einsum("nchw,oc->nohw",
                                                         patch[:, g * Cg:(g + 1) * Cg], wg)
    if b is not None:
        out += b[None, :, None, None]
    if nd == 1:
        out = out[:, :, 0]
    return out[0] if len(shape_in) == nd + 1 else out


def _conv2d_samples(rng):
    u = uniform
    return [Sample((u(rng, (2, 3, 5, 4)), u(rng, (4, 3, 3, 2)), u(rng, (4,))), desc="bias"),
            Sample((u(rng, (1, 4, 6, 5)), u(rng, (4, 2, 2, 2))),
                   {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2},
                   desc="strided-dilated-groups"),
            Sample((u(rng, (2, 2, 4, 3)), u(rng, (3, 2, 2, 3))), {"padding": "same"},
                   desc="same-even-kernel"),
            Sample((u(rng, (2, 4, 4)), u(rng, (2, 2, 3, 3)), u(rng, (2,))),
                   {"padding": "valid"}, desc="unbatched"),
            Sample((u(rng, (5, 4, 2, 2)).transpose(2, 3, 0, 1), u(rng, (2, 2, 1, 1))),
                   {"stride": 2, "groups": 1}, desc="transposed-1x1")]


def _conv1d_samples(rng):
    u = uniform
    return [Sample((u(rng, (2, 3, 7)), u(rng, (2, 3, 3)), u(rng, (2,))),
                   {"stride": 2, "padding": 1}, desc="bias-strided"),
            Sample((u(rng, (1, 4, 6)), u(rng, (4, 1, 2))),
                   {"padding": "same", "dilation": 3, "groups": 4}, desc="same-depthwise"),
            Sample((u(rng, (3, 5)), u(rng, (2, 3, 2))), desc="unbatched")]


def _pool_ref(x, nd, reduce, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
              count_include_pad=True, divisor_override=None):
    """Max (value, flat index) or mean of each window, by direct loops."""
    x4 = _as2d(x, nd, nd + 2)
    k, p, d = _pair(kernel_size, nd), _pair(padding, nd), _pair(dilation, nd)
    s = k if stride is None else _pair(stride, nd)
    if nd == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    N, C, H, W = x4.shape

    def size(n, kk, ss, pp, dd):
        o = -(-(n + 2 * pp - dd * (kk - 1) - 1) // ss) if ceil_mode else \
            (n + 2 * pp - dd * (kk - 1) - 1) // ss
        o += 1
        return o - 1 if ceil_mode and (o - 1) * ss >= n + pp else o

    OH, OW = size(H, k[0], s[0], p[0], d[0]), size(W, k[1], s[1], p[1], d[1])
    out = np.zeros((N, C, OH, OW), x.dtype)
    idx = np.zeros((N, C, OH, OW), np.int64)
    for oh in range(OH):
        for ow in range(OW):
            h0, w0 = oh * s[0] - p[0], ow * s[1] - p[1]
            hs = [h0 + i * d[0] for i in range(k[0]) if 0 <= h0 + i * d[0] < H]
            ws = [w0 + j * d[1] for j in range(k[1]) if 0 <= w0 + j * d[1] < W]
            win = x4[:, :, hs][:, :, :, ws].reshape(N, C, -1)
            if reduce == "max":
                a = np.argmax(win, axis=2)
                out[:, :, oh, ow] = np.max(win, axis=2)
                idx[:, :, oh, ow] = np.array(hs)[a // len(ws)] * W + np.array(ws)[a % len(ws)]
                continue
            if divisor_override:
                div = divisor_override
            elif count_include_pad:
                div = ((min(h0 + k[0], H + p[0]) - h0) * (min(w0 + k[1], W + p[1]) - w0))
            else:
                div = len(hs) * len(ws)
            out[:, :, oh, ow] = win.sum(axis=2) / div
    out, idx = (out[:, :, 0], idx[:, :, 0]) if nd == 1 else (out, idx)
    if x.ndim == nd + 1:
        out, idx = out[0], idx[0]
    return (out, idx) if reduce == "max" else out


def _avg_ref(nd, x, kernel_size, stride=None, padding=0, ceil_mode=False,
             count_include_pad=True, divisor_override=None):
    return _pool_ref(x, nd, "avg", kernel_size, stride, padding, 1, ceil_mode, count_include_pad,
                     divisor_override)


def _adaptive_ref(x, output_size, nd):
    x4 = _as2d(x, nd, nd + 2)
    sizes = _pair(output_size, nd)
    sizes = tuple(n if o is None else o for o, n in zip(sizes, x4.shape[-nd:]))
    if nd == 1:
        sizes = (1,) + sizes
    H, W = x4.shape[2:]
    out = np.zeros(x4.shape[:2] + sizes, x.dtype)
    for i in range(sizes[0]):
        for j in range(sizes[1]):
            h0, h1 = i * H // sizes[0], -(-(i + 1) * H // sizes[0])
            w0, w1 = j * W // sizes[1], -(-(j + 1) * W // sizes[1])
            out[:, :, i, j] = x4[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    out = out[:, :, 0] if nd == 1 else out
    return out[0] if x.ndim == nd + 1 else out


def _max2d_samples(rng):
    u = uniform
    return [Sample((u(rng, (2, 2, 4, 4)), 2), desc="k2"),
            Sample((u(rng, (1, 2, 5, 6)), 3, 2, 1), {"ceil_mode": True}, desc="padded-ceil"),
            Sample((u(rng, (2, 5, 5)), (2, 3), 1, 0, 2), desc="unbatched-dilated"),
            Sample((u(rng, (4, 5, 2, 1)).transpose(2, 3, 0, 1), 2, 1), desc="transposed")]


def _max1d_samples(rng):
    u = uniform
    return [Sample((u(rng, (2, 3, 7)), 3, 2, 1), desc="padded"),
            Sample((u(rng, (2, 6)), 2, None, 0, 2, True), desc="unbatched-dilated-ceil")]


def _avg2d_samples(rng):
    u = uniform
    return [Sample((u(rng, (2, 2, 4, 4)), 2), desc="k2"),
            Sample((u(rng, (1, 2, 5, 6)), 3, 2, 1, True), desc="padded-ceil"),
            Sample((u(rng, (1, 2, 5, 6)), 3, 2, 1, True, False), desc="exclude-pad"),
            Sample((u(rng, (2, 5, 4)), (2, 3), 1, (1, 0)), {"divisor_override": 4},
                   desc="unbatched-divisor")]


def _avg1d_samples(rng):
    u = uniform
    return [Sample((u(rng, (2, 3, 7)), 3, 2, 1), desc="padded"),
            Sample((u(rng, (2, 7)), 3, 2, 1, True, False), desc="unbatched-ceil-exclude")]


def _adaptive2d_samples(rng):
    u = uniform
    return [Sample((u(rng, (2, 2, 5, 4)), (2, 3)), desc="shrink"),
            Sample((u(rng, (1, 3, 3)), 4), desc="unbatched-grow"),
            Sample((u(rng, (1, 2, 5, 4)), (None, 1)), desc="keep-dim")]


def _adaptive1d_samples(rng):
    return [Sample((uniform(rng, (2, 3, 7)), 3), desc="shrink"),
            Sample((uniform(rng, (2, 5)), 1), desc="unbatched-global")]


_GEOM = (2, 2, 2, 1, 1, 0, 0, 1, 1, 2)   # kh kw sh sw pad top bottom left right dh dw


def _im2col_ref(x, geom):
    kh, kw, sh, sw, pt, pb, pl, pr, dh, dw = geom
    xp = np.pad(x, [(0, 0), (0, 0), (pt, pb), (pl, pr)])
    N, C, H, W = xp.shape
    OH, OW = (H - dh * (kh - 1) - 1) // sh + 1, (W - dw * (kw - 1) - 1) // sw + 1
    cols = np.zeros((N, C, kh, kw, OH, OW), x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i * dh:i * dh + sh * (OH - 1) + 1:sh,
                                  j * dw:j * dw + sw * (OW - 1) + 1:sw]
    return cols.reshape(N, C * kh * kw, OH * OW)


def _col2im_ref(cols, size, geom):
    # the adjoint, through the reference im2col's matrix (one column per input element)
    N, CK, L = cols.shape
    C = CK // (geom[0] * geom[1])
    basis = np.eye(C * size[0] * size[1]).reshape(-1, 1, C, *size)
    m = np.stack([_im2col_ref(e, geom)[0] for e in basis])   # (C*H*W, CK, L)
    return np.einsum("ekl,nkl->ne", m, cols).reshape(N, C, *size).astype(cols.dtype)


def _window_samples(rng):
    windows = (([0, 1, 3], [2, 4, 5], [2.0, 3.0, 2.0]), ([0, 2], [3, 4], [3.0, 4.0]))
    return [Sample((uniform(rng, (3, 5, 4)), windows), desc="overlapping")]


def _window_ref(x, windows):
    (hs, he, fh), (ws, we, fw) = windows
    out = np.zeros((x.shape[0], len(hs), len(ws)), x.dtype)
    for i in range(len(hs)):
        for j in range(len(ws)):
            out[:, i, j] = x[:, hs[i]:he[i], ws[j]:we[j]].sum(axis=(1, 2)) / (fh[i] * fw[j])
    return out


def _window_backward_ref(g, windows, hw):
    (hs, he, fh), (ws, we, fw) = windows
    gx = np.zeros((g.shape[0],) + tuple(hw), g.dtype)
    for i in range(len(hs)):
        for j in range(len(ws)):
            gx[:, hs[i]:he[i], ws[j]:we[j]] += (g[:, i, j] / (fh[i] * fw[j]))[:, None, None]
    return gx


def _window_backward_samples(rng):
    (s,) = _window_samples(rng)
    return [Sample((uniform(rng, (3, 3, 2)), s.args[1], (5, 4)), desc="overlapping")]


OPS = [
    OpInfo("conv2d", F.conv2d, _np_conv, _conv2d_samples),
    OpInfo("conv2d", nb.conv2d, _np_conv, lambda rng: _conv2d_samples(rng)[4:], variant="nb"),
    OpInfo("conv1d", F.conv1d, lambda *a, **k: _np_conv(*a, nd=1, **k), _conv1d_samples),
    OpInfo("max_pool2d", F.max_pool2d, lambda *a, **k: _pool_ref(a[0], 2, "max", *a[1:], **k)[0],
           _max2d_samples),
    OpInfo("max_pool2d", lambda *a, **k: F.max_pool2d(*a, **k, return_indices=True),
           lambda *a, **k: _pool_ref(a[0], 2, "max", *a[1:], **k), _max2d_samples,
           variant="indices", grad=False),
    OpInfo("max_pool1d", F.max_pool1d, lambda *a, **k: _pool_ref(a[0], 1, "max", *a[1:], **k)[0],
           _max1d_samples),
    OpInfo("avg_pool2d", F.avg_pool2d, lambda *a, **k: _avg_ref(2, *a, **k), _avg2d_samples),
    OpInfo("avg_pool1d", F.avg_pool1d, lambda *a, **k: _avg_ref(1, *a, **k), _avg1d_samples),
    OpInfo("adaptive_avg_pool2d", F.adaptive_avg_pool2d,
           lambda x, o: _adaptive_ref(x, o, 2), _adaptive2d_samples),
    OpInfo("adaptive_avg_pool1d", F.adaptive_avg_pool1d,
           lambda x, o: _adaptive_ref(x, o, 1), _adaptive1d_samples),
    OpInfo("im2col", REGISTRY["im2col"], _im2col_ref,
           lambda rng: [Sample((uniform(rng, (2, 2, 4, 3)), _GEOM), desc="asymmetric-pad")]),
    OpInfo("col2im", REGISTRY["col2im"], _col2im_ref,
           lambda rng: [Sample((uniform(rng, (2, 8, 4)), (4, 3), _GEOM), desc="asymmetric-pad")]),
    OpInfo("window_mean", REGISTRY["window_mean"], _window_ref, _window_samples),
    OpInfo("window_mean_backward", REGISTRY["window_mean_backward"], _window_backward_ref,
           _window_backward_samples),
]
