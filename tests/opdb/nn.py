"""Op database entries for the nn ops and nbgrad.nn.functional (closed forms in NumPy)."""

import math

import numpy as np

import nbgrad as nb
import nbgrad.nn.functional as F
from tests.opdb.common import OpInfo, Sample, uniform, unary_samples


def _np_softmax(x, dim):
    e = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return e / np.sum(e, axis=dim, keepdims=True)


def _np_log_softmax(x, dim):
    m = np.max(x, axis=dim, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True))


def _softmax_samples(rng):
    x = uniform(rng, (2, 3, 4))
    return [Sample((uniform(rng, (5,)), 0), desc="1d"),
            Sample((uniform(rng, (3, 4)), 1), desc="rows"),
            Sample((uniform(rng, (3, 4)), 0), desc="columns"),
            Sample((x, 1), desc="3d-middle"), Sample((x, -1), desc="3d-last"),
            Sample((x, 0), desc="3d-first"),
            Sample((uniform(rng, (4, 3)).T, 1), desc="transposed"),
            Sample((uniform(rng, ()), 0), desc="0d"),
            Sample((uniform(rng, (2, 3), (-30.0, 30.0)), 1), desc="wide-range")]


def _reduce(loss, reduction):
    if reduction == "mean":
        return np.mean(loss)
    return np.sum(loss) if reduction == "sum" else loss


def _np_nll(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    logp = np.asarray(logp)
    if logp.ndim == 1:
        logp, target = logp[None], np.asarray(target)[None]
    C = logp.shape[1]
    w = np.ones(C) if weight is None else weight
    t = np.where(target == ignore_index, 0, target)
    picked = np.take_along_axis(logp, np.expand_dims(t, 1), 1)[:, 0]
    wt = np.where(target == ignore_index, 0.0, w[t])
    loss = -wt * picked
    if reduction == "mean":
        return np.sum(loss) / np.sum(wt)
    return _reduce(loss, reduction)


def _nll_ref(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    out = _np_nll(logp, target, weight, ignore_index, reduction)
    return out.reshape(np.shape(target)) if reduction == "none" else out


def _targets(rng, shape, C, ignore=None):
    t = rng.integers(0, C, size=shape)
    if ignore is not None:
        t.reshape(-1)[0] = ignore
    return t


def _nll_samples(rng):
    w = rng.uniform(0.5, 2.0, 4)
    return [Sample((uniform(rng, (3, 4)), _targets(rng, (3,), 4)), desc="2d"),
            Sample((uniform(rng, (3, 4)), _targets(rng, (3,), 4)), {"reduction": "sum"},
                   desc="sum"),
            Sample((uniform(rng, (3, 4)), _targets(rng, (3,), 4)), {"reduction": "none"},
                   desc="none"),
            Sample((uniform(rng, (3, 4)), _targets(rng, (3,), 4), w), diff=(0,),
                   desc="weight"),
            Sample((uniform(rng, (4, 4)), _targets(rng, (4,), 4, ignore=-100)),
                   desc="ignored"),
            Sample((uniform(rng, (4, 4)), _targets(rng, (4,), 4, ignore=1)),
                   {"ignore_index": 1, "reduction": "none"}, desc="ignore-index"),
            Sample((uniform(rng, (2, 3, 2, 2)), _targets(rng, (2, 2, 2), 3)), desc="4d"),
            Sample((uniform(rng, (2, 3, 4)), _targets(rng, (2, 4), 3)), {"reduction": "none"},
                   desc="3d-none"),
            Sample((uniform(rng, (5,)), np.array(2)), desc="1d")]


def _ce_ref(x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    cd = 0 if x.ndim == 1 else 1
    C = x.shape[cd]
    logp = _np_log_softmax(x, cd)
    if target.dtype.kind == "f":   # class probabilities
        t = target * (1 - label_smoothing) + label_smoothing / C
        wb = 1.0 if weight is None else weight.reshape([-1 if d == cd else 1
                                                        for d in range(x.ndim)])
        per = -np.sum(logp * t * wb, axis=cd)
        return np.sum(per) / (x.size // C) if reduction == "mean" else _reduce(per, reduction)
    moved = np.moveaxis(logp, cd, -1).reshape(-1, C)
    flat_t = target.reshape(-1)
    nll = _np_nll(moved, flat_t, weight, ignore_index, "none").reshape(target.shape)
    w = np.ones(C) if weight is None else weight
    keep = flat_t != ignore_index
    wt = np.where(keep, w[np.where(keep, flat_t, 0)], 0.0)
    smooth = -np.sum(moved * w, axis=1) * keep
    if reduction == "mean":
        nll_r, smooth_r = np.sum(nll) / np.sum(wt), np.sum(smooth) / np.sum(wt)
    elif reduction == "sum":
        nll_r, smooth_r = np.sum(nll), np.sum(smooth)
    else:
        nll_r, smooth_r = nll, smooth.reshape(target.shape)
    return (1 - label_smoothing) * nll_r + smooth_r * label_smoothing / C


def _probs(rng, shape, dim=1):
    p = rng.uniform(0.1, 1.0, shape)
    return p / np.sum(p, axis=dim, keepdims=True)


def _ce_samples(rng):
    w = rng.uniform(0.5, 2.0, 4)
    return [Sample((uniform(rng, (3, 4)), _targets(rng, (3,), 4)), desc="2d"),
            Sample((uniform(rng, (3, 4)), _targets(rng, (3,), 4), w), diff=(0,),
                   desc="weight"),
            Sample((uniform(rng, (4, 4)), _targets(rng, (4,), 4, ignore=-100)),
                   {"reduction": "sum"}, desc="ignored-sum"),
            Sample((uniform(rng, (2, 3, 4)), _targets(rng, (2, 4), 3)), {"reduction": "none"},
                   desc="3d-none"),
            Sample((uniform(rng, (4,)), np.array(1)), desc="1d"),
            Sample((uniform(rng, (3, 4)), _targets(rng, (3,), 4, ignore=0), w),
                   {"label_smoothing": 0.2, "ignore_index": 0}, diff=(0,), desc="smoothing"),
            Sample((uniform(rng, (2, 3, 2)), _targets(rng, (2, 2), 3)),
                   {"label_smoothing": 0.1, "reduction": "none"}, desc="smoothing-none"),
            Sample((uniform(rng, (3, 4)), _probs(rng, (3, 4))), desc="probabilities"),
            Sample((uniform(rng, (2, 4, 3)), _probs(rng, (2, 4, 3)), w),
                   {"label_smoothing": 0.3, "reduction": "none"}, diff=(0, 1),
                   desc="probabilities-weight")]


def _pair_samples(rng, domain=(-2.0, 2.0), tdomain=None):
    tdomain = tdomain or domain
    out = []
    for shape in ((), (5,), (2, 3), (2, 3, 2)):
        for red in ("mean", "sum", "none"):
            out.append(Sample((uniform(rng, shape, domain), uniform(rng, shape, tdomain)),
                              {"reduction": red}, desc=f"{shape}-{red}"))
    return out


def _mse_samples(rng):
    return _pair_samples(rng) + [
        Sample((uniform(rng, (2, 3)), uniform(rng, (3,))), desc="broadcast"),
        Sample((uniform(rng, (3, 2)).T, uniform(rng, (2, 3))), desc="transposed")]


def _bce_ref(x, t, weight=None, reduction="mean"):
    loss = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log(1 - x), -100))
    return _reduce(loss if weight is None else loss * weight, reduction)


def _bce_samples(rng):
    p = (0.05, 0.95)
    return _pair_samples(rng, p, (0.0, 1.0)) + [
        Sample((uniform(rng, (2, 3), p), uniform(rng, (2, 3), (0.0, 1.0)),
                rng.uniform(0.5, 2, 3)), diff=(0, 1), desc="weight")]


def _bcel_ref(x, t, weight=None, reduction="mean", pos_weight=None):
    pw = 1.0 if pos_weight is None else pos_weight
    log_sig = -np.logaddexp(0, -x)
    log_1m = -np.logaddexp(0, x)
    loss = -(pw * t * log_sig + (1 - t) * log_1m)
    return _reduce(loss if weight is None else loss * weight, reduction)


def _bcel_samples(rng):
    unit = (0.0, 1.0)
    return _pair_samples(rng, (-3.0, 3.0), unit) + [
        Sample((uniform(rng, (2, 3)), uniform(rng, (2, 3), unit), rng.uniform(0.5, 2, 3)),
               diff=(0, 1), desc="weight"),
        Sample((uniform(rng, (2, 3)), uniform(rng, (2, 3), unit)),
               {"pos_weight": nb.tensor(rng.uniform(0.5, 3, 3), dtype=nb.float64)},
               desc="pos_weight"),
        Sample((uniform(rng, (4,), (-50.0, 50.0)), uniform(rng, (4,), unit)),
               {"reduction": "none"}, desc="large-logits")]


def _bcel_call(x, t, *args, pos_weight=None, **kw):
    if pos_weight is not None:
        pos_weight = pos_weight.to(x.dtype)
    return F.binary_cross_entropy_with_logits(x, t, *args, pos_weight=pos_weight, **kw)


def _bcel_ref_np(x, t, *args, pos_weight=None, **kw):
    pw = None if pos_weight is None else pos_weight.numpy().astype(x.dtype)
    return _bcel_ref(x, t, *args, pos_weight=pw, **kw)


def _seeded_dropout(x, **kw):
    # the same mask on every call, so that finite differences see one function
    nb.manual_seed(7)
    return F.dropout(x, **kw)


def _dropout_samples(rng):
    return [Sample((uniform(rng, (50,)),), {"p": 0.3}, desc="p0.3"),
            Sample((uniform(rng, (4, 5)),), {"p": 0.5}, desc="2d"),
            Sample((uniform(rng, (5, 4)).T,), {"p": 0.8}, desc="transposed"),
            Sample((uniform(rng, (6,)),), {"p": 1.0}, desc="p1")]


def _linear_ref(x, w, b=None):
    out = x @ w.T
    return out if b is None else out + b


def _linear_samples(rng):
    return [Sample((uniform(rng, (2, 3)), uniform(rng, (4, 3)), uniform(rng, (4,))),
                   desc="2d"),
            Sample((uniform(rng, (2, 3)), uniform(rng, (4, 3))), desc="no-bias"),
            Sample((uniform(rng, (2, 2, 3)), uniform(rng, (4, 3)), uniform(rng, (4,))),
                   desc="batch"),
            Sample((uniform(rng, (3,)), uniform(rng, (4, 3)), uniform(rng, (4,))), desc="1d")]


OPS = [
    OpInfo("softmax", nb.softmax, _np_softmax, _softmax_samples),
    OpInfo("softmax", F.softmax, _np_softmax, _softmax_samples, variant="F", composite=True),
    OpInfo("log_softmax", nb.log_softmax, _np_log_softmax, _softmax_samples),
    OpInfo("log_softmax", lambda x, d: x.log_softmax(d), _np_log_softmax, _softmax_samples,
           variant="method", composite=True),
    OpInfo("dropout", _seeded_dropout, None, _dropout_samples),
    OpInfo("nll_loss", F.nll_loss, _nll_ref, _nll_samples),
    OpInfo("cross_entropy", F.cross_entropy, _ce_ref, _ce_samples, composite=True),
    OpInfo("mse_loss", F.mse_loss, lambda x, t, reduction="mean": _reduce((x - t) ** 2,
                                                                           reduction),
           _mse_samples),
    OpInfo("l1_loss", F.l1_loss, lambda x, t, reduction="mean": _reduce(np.abs(x - t),
                                                                         reduction),
           lambda rng: _pair_samples(rng), composite=True),
    OpInfo("binary_cross_entropy", F.binary_cross_entropy, _bce_ref, _bce_samples),
    OpInfo("binary_cross_entropy_with_logits", _bcel_call, _bcel_ref_np, _bcel_samples),
    OpInfo("linear", F.linear, _linear_ref, _linear_samples, composite=True),
]


# nn.functional's activations call elementwise ops declared in the unary family;
# each gets a composite entry once its op exists (the op's own entry is there)
_erf = np.vectorize(math.erf)
_ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "softplus": lambda x: np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20)))),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "hardtanh": lambda x: np.clip(x, -1, 1),
    "relu6": lambda x: np.clip(x, 0, 6),
}
for _name, _ref in _ACTIVATIONS.items():
    if _name in nb._REGISTRY or hasattr(nb, _name) or _name == "relu6" and "hardtanh" in \
            nb._REGISTRY:
        OPS.append(OpInfo(_name, getattr(F, _name), lambda x, _ref=_ref: _ref(x).astype(x.dtype),
                          unary_samples(), variant="F", composite=True))
