"""Batching rules of the matrix products, indexing, losses, convolutions, pools and
dropout (the rest of the table in `nbgrad.func.rules`).

- addmm/addmv/addr/baddbmm/addbmm: ``beta * input + alpha * product``, the product
  and the sum batched by their own rules;
- matmul/mm/mv/bmm/dot: one batched matmul of the physical tensors (1-D operands
  gain and lose a dim, logical dims are padded so that broadcasting covers the
  batch dims); an unbatched matrix multiplies a batch directly;
- ``x[key]``: the key gains a full slice per batch dim (unbatched index tensors
  only, next to each other);
- losses: the elementwise loss with ``reduction='none'`` over the batch, then each
  sample's mean or sum;
- convolutions and pools: the batch dims merged into the op's N dim (weights unbatched);
- dropout: per vmap's ``randomness`` ('error' raises, 'different' draws a mask per
  sample, 'same' one mask for every sample).
"""

from nbgrad.func import rules as R
from nbgrad.func._batched import LEVELS, BatchedTensor, align, levels_of, physical, wrap
from nbgrad.ops import REGISTRY
from nbgrad.ops import addmm as _addmm
from nbgrad.tensor import Tensor

__all__ = ["getitem_key"]

_MATMUL = REGISTRY["matmul"]   # the op for operands of 3 or more dims


def _product(x, y, xvec, yvec):
    """x @ y over the batch: 1-D operands (`xvec`, `yvec`) as a row / a column."""
    px, py = physical(x), physical(y)
    lx, ly = levels_of(x), levels_of(y)
    nx, ny = len(x.shape), len(y.shape)
    if not ly and not yvec and ny == 2 and not xvec:
        return wrap(_MATMUL(px, py), lx)   # a batch times one matrix
    if xvec:
        px, nx = px.unsqueeze(-2), 2
    if yvec:
        py, ny = py.unsqueeze(-1), 2
    bx, by = wrap(px, lx), wrap(py, ly)
    (ax, ay), levels = align([bx, by], ndim=max(nx, ny))
    out = _MATMUL(ax, ay)
    if yvec:
        out = out.squeeze(-1)
    if xvec:
        out = out.squeeze(-1 if yvec else -2)
    return wrap(out, levels)


def _need(op, x, y, nx, ny):
    if len(x.shape) != nx or len(y.shape) != ny:
        raise RuntimeError(f"{op.name}: expected {nx}-D and {ny}-D tensors, got tensors of "
                           f"logical shapes {list(x.shape)} and {list(y.shape)} (inside vmap)")


def _fixed_product(nx, ny, xvec, yvec):
    """The rule of a product of an nx-D by an ny-D tensor (mm, mv, dot)."""
    def rule(op, args, kwargs):
        x, y = args
        _need(op, x, y, nx, ny)
        return _product(x, y, xvec, yvec)
    return rule


mm = _fixed_product(2, 2, False, False)
mv = _fixed_product(2, 1, False, True)
dot = _fixed_product(1, 1, True, True)


def bmm(op, args, kwargs):
    x, y = args
    _need(op, x, y, 3, 3)
    if x.shape[0] != y.shape[0]:
        raise RuntimeError(f"bmm: batch1 and batch2 must have same number of batches, got "
                           f"{x.shape[0]} and {y.shape[0]}")
    return _product(x, y, False, False)


def matmul(op, args, kwargs):
    x, y = args
    return _product(x, y, len(x.shape) == 1, len(y.shape) == 1)


def scaled_product(op, args, kwargs):
    """addmm/addmv/addr/baddbmm/addbmm: the op's product and ``beta * input + alpha *
    product`` in ops that batch by their own rules (the product's and broadcasting's)."""
    a = R._bind(op, args, kwargs).arguments
    input, operands = a["input"], (a["a"], a["b"])
    beta, alpha = _addmm.check(op.name, input, operands, a["beta"], a["alpha"])
    product = _addmm.PRODUCTS[op.name](*operands)
    return _addmm.scaled_sum(op.name, input, product, beta, alpha)


# -- indexing -------------------------------------------------------------------------
def _key_items(key):
    return key if isinstance(key, tuple) else (key,)


def getitem_key(x, key):
    """``x[key]`` of a batched tensor: the key with a full slice per batch dim first."""
    items = _key_items(key)
    advanced = [i for i, k in enumerate(items)
                if isinstance(k, (Tensor, list)) or hasattr(k, "__array__")]
    for k in items:
        if k.__class__ is BatchedTensor:
            raise NotImplementedError("vmap: indexing with a batched index tensor is not "
                                      "supported; use nb.gather or index_select instead")
    if advanced and advanced[-1] - advanced[0] + 1 != len(advanced):
        raise NotImplementedError("vmap: advanced indices separated by slices (their "
                                  "result dims would move in front of the batch) are not "
                                  "supported")
    k = len(levels_of(x))
    return wrap(physical(x)[(slice(None),) * k + items], levels_of(x))


def getitem(op, args, kwargs):
    x, key = args
    k = len(levels_of(x))
    return wrap(op(physical(x), (slice(None),) * k + _key_items(key)), levels_of(x))


def select(op, args, kwargs):
    """``x.select(dim, index)``: the logical dim moved past the batch dims."""
    x, dim, index = (lambda input, dim, index: (input, dim, index))(*args, **kwargs)
    k = len(levels_of(x))
    return wrap(op(physical(x), dim if dim < 0 else dim + k, index), levels_of(x))


# -- losses ----------------------------------------------------------------------------
def _reduce(loss, k, reduction):
    """Each sample's mean or sum of `loss` (physical, k batch dims)."""
    if reduction == "none" or loss.ndim == k:
        return loss
    lead = tuple(loss.shape[:k])
    flat = loss.reshape(lead + (-1,))
    return flat.mean(k) if reduction == "mean" else flat.sum(k)


def elementwise_loss(op, args, kwargs):
    """mse_loss, binary_cross_entropy(_with_logits): every tensor aligned, the loss of
    each element, then each sample's reduction."""
    ba = R._bind(op, args, kwargs)
    a = ba.arguments
    names = [n for n, v in a.items() if isinstance(v, Tensor)]
    ndim = max(len(a[n].shape) for n in names)
    # input and target of one shape each sample: both get the batch dims
    values, levels = align([a[n] for n in names], ndim=ndim, expand=True)
    for n, v in zip(names, values):
        a[n] = v
    reduction = a["reduction"]
    a["reduction"] = "none"
    return wrap(_reduce(R._call(op, ba), len(levels), reduction), levels)


def nll_loss(op, args, kwargs):
    """nll_loss of (C,) or (N, C) log-probabilities: the samples' rows flattened into N."""
    ba = R._bind(op, args, kwargs)
    a = ba.arguments
    R.only_batched(op, {"weight": a["weight"]}, "input")
    x, t = a["input"], a["target"]
    if len(x.shape) > 2:
        raise NotImplementedError("vmap: nll_loss/cross_entropy of inputs with more than two "
                                  "dims is not supported")
    (px, pt), levels = align([x, t], expand=True)
    k = len(levels)
    lead = tuple(px.shape[:k]) + tuple(x.shape[:-1])
    loss = op(px.reshape((-1, x.shape[-1])), pt.reshape(-1), a["weight"], a["ignore_index"],
              "none").reshape(lead)
    reduction = a["reduction"]
    if reduction == "none" or len(x.shape) == 1 and reduction == "sum":
        return wrap(loss, levels)
    total = loss.sum(k) if len(x.shape) == 2 else loss
    if reduction == "sum":
        return wrap(total, levels)
    return wrap(total / _class_weights(a, pt, k, len(x.shape)), levels)


def _class_weights(a, pt, k, ndim):
    """The mean's divisor per sample: the summed weights of the counted targets."""
    counted = pt != a["ignore_index"]
    if a["weight"] is None:
        w = counted.to(a["input"].dtype)
    else:
        safe = pt.masked_fill(~counted, 0)
        w = a["weight"].index_select(0, safe.reshape(-1)).reshape(tuple(pt.shape)) * counted
    return w.sum(k) if ndim == 2 else w


# -- convolutions and pools --------------------------------------------------------------
def merged(spatial):
    """conv/pool ops: the batch dims merged into the op's N dim (the logical input is
    (N, C, *spatial) or (C, *spatial)); every other tensor argument unbatched."""
    def rule(op, args, kwargs):
        ba = R._bind(op, args, kwargs)
        a = ba.arguments
        x = a["input"]
        a["input"] = physical(x)
        R.only_batched(op, a, "input")
        levels = levels_of(x)
        k = len(levels)
        value = physical(x)
        lead = tuple(value.shape[:k + len(x.shape) - spatial - 1])
        a["input"] = value.reshape((-1,) + tuple(value.shape[len(lead):]))
        out = R._call(op, ba)
        outs = out if isinstance(out, tuple) else (out,)
        outs = tuple(o.reshape(lead + tuple(o.shape[1:])) for o in outs)
        return R._result(outs if isinstance(out, tuple) else outs[0], levels)
    return rule


# -- randomness --------------------------------------------------------------------------
def dropout(op, args, kwargs):
    ba = R._bind(op, args, kwargs)
    x = ba.arguments["x"]
    levels = levels_of(x)
    modes = {m for lv, _, m in LEVELS if lv in levels}
    if "error" in modes or len(modes) != 1:
        raise RuntimeError("vmap: called random operation while in randomness error mode. "
                           "Please either use the 'same' or 'different' randomness flags on "
                           "vmap or perform the randomness operation out of vmap (dropout)")
    if modes == {"different"}:
        return wrap(op(physical(x), ba.arguments["p"]), levels)
    from nbgrad import _factories
    mask = op(_factories.ones(tuple(x.shape), dtype=x.dtype), ba.arguments["p"])
    return wrap(physical(x) * mask, levels)


def _table():
    r, t = REGISTRY, R.RULES
    for name, rule in (("mm", mm), ("bmm", bmm), ("mv", mv), ("dot", dot),
                       ("matmul", matmul), ("getitem", getitem), ("select", select),
                       ("nll_loss", nll_loss),
                       ("dropout", dropout)):
        t[r[name]] = rule
    for name in _addmm.PRODUCTS:
        t[r[name]] = scaled_product
    for name in ("mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"):
        t[r[name]] = elementwise_loss
    for name, spatial in (("conv2d", 2), ("conv1d", 1), ("max_pool2d", 2), ("max_pool1d", 1),
                          ("avg_pool2d", 2), ("avg_pool1d", 1), ("adaptive_avg_pool2d", 2),
                          ("adaptive_avg_pool1d", 1)):
        t[r[name]] = merged(spatial)


_table()
