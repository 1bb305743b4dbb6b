"""The scaled matrix-product sums ``beta * input + alpha * product`` (BLAS's gemm
form): ``addmm`` (mm), ``addmv`` (mv), ``addr`` (outer), ``baddbmm`` (bmm) and
``addbmm`` (bmm summed over the batch), with their in-place Tensor methods.

Each is one op declaration: the forward runs the product's kernel (the backend's
matmul) and one elementwise kernel for the scaled sum; the backward is written in
nbgrad ops (matrix products again), so it is differentiable again.  As in PyTorch,
``beta == 0`` ignores `input` (its NaN and inf do not propagate), `input` must
broadcast to the product's shape, and all tensors share one dtype.
"""

from nbgrad.autograd import grad_mode
from nbgrad.backends import dispatch
from nbgrad.ops import binary, linalg
from nbgrad.ops.elementwise import broadcast_shapes
from nbgrad.ops.pointwise_extra import inplace_form
from nbgrad.ops.registry import op, tensor_method
from nbgrad.ops.unary import describe

__all__ = ["addmm", "addmv", "addr", "baddbmm", "addbmm"]


def _number(opname, name, v, ts):
    """`alpha`/`beta` as PyTorch's Scalar takes it (a number or a 0-d tensor)."""
    if hasattr(v, "_data"):
        if v._data.ndim or v._requires_grad:
            raise TypeError(f"{opname}(): argument '{name}' must be Number, not Tensor")
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{opname}(): argument '{name}' must be Number, not {type(v).__name__}")
    if isinstance(v, float) and not ts[0].dtype.is_floating_point:
        return int(v)   # PyTorch's Scalar as an integer: truncated
    return v


def check(opname, input, operands, beta, alpha):
    ts = (input,) + operands
    for t in ts:
        if not hasattr(t, "_data"):
            raise TypeError(f"{opname}(): argument must be Tensor, not {type(t).__name__}")
    for t in ts[1:]:
        if t.dtype is not input.dtype:
            raise RuntimeError(f"{opname}: expected all tensors to have the same dtype, but got "
                               f"{input.dtype!r} and {t.dtype!r} (a {describe(t)})")
    return _number(opname, "beta", beta, ts), _number(opname, "alpha", alpha, ts)


def scaled_sum(opname, input, product, beta, alpha):
    """beta * input + alpha * product (input broadcast to product's shape), in ops: the
    forward runs it under no_grad, and vmap's rule on batched tensors."""
    shape = tuple(product.shape)
    if broadcast_shapes(opname, tuple(input.shape), shape) != shape:
        raise RuntimeError(f"{opname}: the input of shape {list(input.shape)} does not "
                           f"broadcast to the product's shape {list(shape)}")
    if beta == 0:   # input ignored, as PyTorch: its NaN and inf do not propagate
        return product if alpha == 1 else binary.mul(product, alpha)
    scaled = input if beta == 1 else binary.mul(input, beta)
    return binary.add(scaled, product, alpha=alpha)


def _forward(opname, product):
    def forward(ctx, input, a, b, *, beta=1, alpha=1):
        beta, alpha = check(opname, input, (a, b), beta, alpha)
        ctx.beta, ctx.alpha = beta, alpha
        ctx.save_for_backward(a, b)
        if opname == "addmm" and beta == 1 and alpha == 1:
            out = _input_plus_product(input, a, b)
            if out is not None:
                return out
        with grad_mode.no_grad():
            return scaled_sum(opname, input, product(a, b), beta, alpha)._data
    forward.__name__ = opname
    return forward


def _input_plus_product(input, a, b):
    """``input + a @ b`` (F.linear's addmm) as BLAS computes it: `input` broadcast into
    the result's buffer, then gemm adds the product there (no second buffer, no pass
    for the sum).  None where the backend does not (other shapes, small products, a
    device): `scaled_sum` then runs, with its checks and errors."""
    A, B = a._data, b._data
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0] or input.device != a.device \
            or b.device != a.device:
        return None
    shape = (A.shape[0], B.shape[1])
    if input._data.ndim > 2 or broadcast_shapes("addmm", input._data.shape, shape) != shape:
        return None
    return dispatch.backend(a.device).matmul.addmm_2d(input._data, A, B)


def _scale(t, v):
    return t if v == 1 else t * v


def _grads(ctx, g, ga, gb):
    """(input's, a's, b's) gradients from g and the unscaled ga(a, b, g), gb(a, b, g)."""
    a, b = ctx.saved_tensors
    need = ctx.needs_input_grad
    return (_scale(g, ctx.beta) if need[0] else None,
            _scale(ga(a, b, g), ctx.alpha) if need[1] else None,
            _scale(gb(a, b, g), ctx.alpha) if need[2] else None)


def _sum_bmm(a, b):
    return linalg.bmm(a, b).sum(0)


# each op's product (vmap's batching rule reads it too)
PRODUCTS = {"addmm": linalg.mm, "addmv": linalg.mv, "addr": linalg.outer,
            "baddbmm": linalg.bmm, "addbmm": _sum_bmm}
_addmm = op("addmm", node="AddmmBackward0")(_forward("addmm", PRODUCTS["addmm"]))
_addmv = op("addmv", node="AddmvBackward0")(_forward("addmv", PRODUCTS["addmv"]))
_addr = op("addr", node="AddrBackward0")(_forward("addr", PRODUCTS["addr"]))
_baddbmm = op("baddbmm", node="BaddbmmBackward0")(_forward("baddbmm", PRODUCTS["baddbmm"]))
_addbmm = op("addbmm", node="AddbmmBackward0")(_forward("addbmm", PRODUCTS["addbmm"]))


@_addmm.backward
def _addmm_backward(ctx, g):
    return _grads(ctx, g, lambda a, b, g: linalg.mm(g, b.t()), _mat2_gradient)


def _mat2_gradient(a, b, g):
    # in mat2's layout, as mm_backward: F.linear's weight.t() then gets the transposed
    # view of a contiguous (out, in) gradient, which .grad takes without a copy
    return linalg.mm(g.t(), a).t() if linalg.column_major(b) else linalg.mm(a.t(), g)


@_addmv.backward
def _addmv_backward(ctx, g):
    return _grads(ctx, g, lambda a, b, g: linalg.outer(g, b),
                  lambda a, b, g: linalg.mv(a.t(), g))


@_addr.backward
def _addr_backward(ctx, g):
    return _grads(ctx, g, lambda a, b, g: linalg.mv(g, b),
                  lambda a, b, g: linalg.mv(g.t(), a))


@_baddbmm.backward
def _baddbmm_backward(ctx, g):
    return _grads(ctx, g, lambda a, b, g: linalg.bmm(g, b.mT),
                  lambda a, b, g: linalg.bmm(a.mT, g))


@_addbmm.backward
def _addbmm_backward(ctx, g):
    def batched(a, g):
        return g.expand(a.shape[0], *g.shape)
    return _grads(ctx, g, lambda a, b, g: linalg.bmm(batched(a, g), b.mT),
                  lambda a, b, g: linalg.bmm(a.mT, batched(a, g)))


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), mat1 (n, k), mat2 (k, m), input
    broadcasting to (n, m): ``nb.addmm(b, x, w)`` is a linear layer's ``x @ w + b``."""
    return _addmm(input, mat1, mat2, beta=beta, alpha=alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec), mat (n, m), vec (m,):
    ``nb.addmv(nb.zeros(2), nb.eye(2), nb.ones(2))`` is ``tensor([1., 1.])``."""
    return _addmv(input, mat, vec, beta=beta, alpha=alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2):
    ``nb.addr(nb.zeros(2, 2), nb.ones(2), nb.ones(2))`` is a 2x2 tensor of ones."""
    return _addr(input, vec1, vec2, beta=beta, alpha=alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2), batch1 (b, n, k), batch2 (b, k, m)."""
    return _baddbmm(input, batch1, batch2, beta=beta, alpha=alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum over the batch of batch1[i] @ batch2[i] (an (n, m)
    result)."""
    return _addbmm(input, batch1, batch2, beta=beta, alpha=alpha)


for _f in (addmm, addmv, addr, baddbmm, addbmm):
    tensor_method(_f.__name__)(_f)
    inplace_form(_f.__name__, _f)
