"""In-place ops (``add_ sub_ mul_ div_ zero_ fill_ clamp_ copy_``, ``+=`` and
friends) and `commit_inplace`, which ``__setitem__`` and ``inplace=True``
functions also use.

An in-place op that must be recorded computes its result out of place (a
normal recorded op), then `commit_inplace` writes it into the target's
buffer with a kernel, bumps the target's version and moves the target onto
the new node, so saved references to the old value are caught at backward.
Without anything to record (no grad mode, or nothing requires grad) the op's
kernel writes straight into the target (``Elementwise.into``).

Errors come before any kernel runs: a leaf that requires grad (or a view of
one) in grad mode, a shape the target cannot hold, a dtype it cannot take,
and memory overlap by PyTorch's rules (ATen's MemoryOverlap.cpp): a target
whose elements overlap (an expanded tensor), and an input that shares memory
with the target in part (``x[1:] += x[:-1]``, ``x.add_(x.t())``).  An input
that is the target itself (same address, same strides) is allowed: each
element is read before it is written.  Sharing that PyTorch cannot classify
(strided views) is allowed too, and computed through a temporary, so the
result never depends on the order in which a kernel visits the elements.
"""

import numpy as np

from nbgrad import _dtypes, _factories
from nbgrad._device import cpu_device
from nbgrad._dtypes import _FLOAT
from nbgrad.autograd import grad_mode
from nbgrad.autograd.function import Function
from nbgrad.autograd.node import joined_watches, watch_input, watches_of
from nbgrad.backends import dispatch
from nbgrad.ops import binary, unary
from nbgrad.ops.elementwise import plain_subclasses
from nbgrad.ops.overlap import aliases, arrays_of, check_internal_overlap, check_overlap
from nbgrad.ops.registry import REGISTRY, dispatch_wrapped, tensor_method
from nbgrad.tensor import Tensor

__all__ = []

_ndarray = np.ndarray
_LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
_LEAF_VIEW = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def check_inplace(target, op="in-place op", internal=True):
    """Raise PyTorch's errors for an in-place write into `target` (before any kernel);
    `internal`: also refuse a target whose elements overlap (not for fill_ / zero_,
    which write one value everywhere, as PyTorch)."""
    if grad_mode._state.enabled:
        if target._requires_grad and target.grad_fn is None:
            if target._base is not None:
                raise RuntimeError(_LEAF_VIEW)
            raise RuntimeError(_LEAF)
        base = target._base
        if base is not None and base._requires_grad and base.grad_fn is None:
            raise RuntimeError(_LEAF_VIEW)
    a = target._data
    if internal and 0 in a.strides:   # (only a zero stride can make elements share memory)
        check_internal_overlap(op, a)
    if a.__class__ is _ndarray and not a.flags.writeable and \
            not any(s == 0 and n > 1 for n, s in zip(a.shape, a.strides)):   # not expanded
        raise RuntimeError(f"{op}: the tensor's memory is a read-only NumPy array (from "
                           "nb.from_numpy or nb.as_tensor of a non-writable array); copy the "
                           "array (array.copy()) or make it writable before writing to it")


def commit_inplace(target, result, internal=True):
    """Make `target` hold `result` in place: copy the values, bump the version,
    and take over `result`'s place in the graph.  Returns `target`.  `internal`:
    refuse an expanded target (see `check_inplace`).

    >>> y = x * 1
    >>> commit_inplace(y, y * 2)    # y.mul_(2)
    """
    if result._data.shape != target._data.shape:
        raise RuntimeError(f"in-place op: output with shape {list(target._data.shape)} doesn't "
                           f"match the broadcast shape {list(result._data.shape)}")
    check_inplace(target, internal=internal)
    node = result.grad_fn
    base = target._base
    region = None
    if node is not None:
        _snapshot_saved_target(node, target)
        if base is not None:
            from nbgrad.autograd.copy_slices import region_of
            region = region_of(target, base)
            if region is None:
                raise RuntimeError(
                    f"in-place op on a view of shape {list(target._data.shape)}: its base "
                    f"(shape {list(base._data.shape)}) is not contiguous; clone() it first")
    elif base is not None and base._requires_grad and grad_mode._state.enabled:
        from nbgrad.autograd.copy_slices import region_of
        region = region_of(target, base)
    if region is not None:
        from nbgrad.autograd.copy_slices import rebase_view
        rebase_view(target, base, result if node is not None else result.detach(), region)
    elif node is not None:
        _adopt_saved_output(node, result, target)
        target.grad_fn = node
        target._output_nr = result._output_nr
        target._requires_grad = True
    elif target._requires_grad and grad_mode._state.enabled:
        # overwritten by values without history: the old history gets a zero gradient
        target.grad_fn, target._output_nr = _Overwritten.apply(target).grad_fn, 0
    if target._retains_grad and target.grad_fn is not None:
        from nbgrad.autograd.node import RetainGradHook
        target.grad_fn._add_tensor_hook(target._output_nr, RetainGradHook(target))
    src = result._data
    b = dispatch.backend(target.device)
    if aliases(target._data, src):   # a view of target's memory (copy_): read it all first
        src = b.cast(src, result.dtype)
    b.copy_into(target._data, src)
    target._bump_version()
    return target


def _snapshot_saved_target(node, target):
    """The node just recorded may have saved `target` itself; after the write it
    would read the new values.  Give it a copy of the old value instead."""
    saved = node.saved
    if isinstance(saved, dict):           # an elementwise node
        keys = [k for k, v in saved.items() if v is target]
        if not keys:
            return
        copy = _snapshot(target)
        for k in keys:
            saved[k] = copy
        node.watched = joined_watches(watch_input(copy) if w[2] is target else w
                                      for w in watches_of(node.watched))
    elif isinstance(saved, tuple) and any(t is target for t in saved):
        copy = _snapshot(target)
        node.saved = tuple(copy if t is target else t for t in saved)
        node.saved_versions = tuple(0 if t is target else v
                                    for t, v in zip(saved, node.saved_versions))


def _adopt_saved_output(node, result, target):
    """`target` takes `result`'s place as the output of `node`: a saved output
    is now target itself, so a later in-place change of target is caught
    (PyTorch's ``y.exp_(); y.mul_(2)`` raises at backward)."""
    vc = result._version_counter
    if vc is None or not node.watched:
        return
    after = target._version + 1   # the version this write gives target
    node.watched = joined_watches((target._shared_version_counter(), after) + w[2:]
                                  if w[0] is vc else w for w in watches_of(node.watched))


def _snapshot(t):
    from nbgrad.tensor import Tensor
    c = Tensor._make(dispatch.backend(t.device).cast(t._data, t.dtype), t.dtype, t.device)
    c.grad_fn, c._output_nr, c._requires_grad = t.grad_fn, t._output_nr, t._requires_grad
    return c


def _needs_graph(*tensors):
    if not grad_mode._state.enabled:
        return False
    for t in tensors:
        if getattr(t, "_requires_grad", False):   # a number has none
            return True
    base = tensors[0]._base
    return base is not None and base._requires_grad


# the dtype category of a Python number operand (PyTorch's promotion: a number changes
# the result's dtype only when its category is higher than the tensor's)
_NUMBER_CATEGORY = {bool: _dtypes.bool.category, int: _dtypes.int64.category,
                    float: _dtypes.float64.category}


def _check_result(op, target, other, result_dtype=None):
    """Shape and dtype checks of ``target.op_(other)``."""
    if result_dtype is None and \
            _NUMBER_CATEGORY.get(other.__class__, 3) <= target.dtype.category:
        return   # a number of the target's category or lower: nothing can go wrong
    from nbgrad.ops.elementwise import broadcast_shapes
    from nbgrad.tensor import Tensor
    shape = target._data.shape
    if isinstance(other, Tensor):
        if other.device is not target.device:
            raise RuntimeError(f"{op}: Expected all tensors to be on the same device, but found "
                               f"at least two devices, {target.device} and {other.device}!")
        b = broadcast_shapes(op, shape, other._data.shape)
        if b != shape:
            raise RuntimeError(f"{op}: output with shape {list(shape)} doesn't match the "
                               f"broadcast shape {list(b)}")
    elif not isinstance(other, (int, float, bool)) and not hasattr(other, "dtype"):
        raise TypeError(f"{op}(): argument 'other' must be Tensor or Number, not "
                        f"{type(other).__name__}")
    res = result_dtype or _dtypes.result_type(target, other)
    if res.category > target.dtype.category:
        raise RuntimeError(f"{op}: result type {_type_name(res)} can't be cast to the desired "
                           f"output type {_type_name(target.dtype)}")


def _type_name(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(d.name, d.name.capitalize())


def _fast_operands(target, operands):
    """The kernel operands of ``target.op_(*operands)`` when none of the checks of the
    general path below can fail and nothing is recorded (a plain update such as
    ``p -= lr * p.grad`` under no_grad), else None.  That is: no nb.compile recording
    and no grad mode, or nothing that requires grad; a writable C-contiguous CPU target;
    each operand a Python number of the target's dtype category or lower, or a
    C-contiguous CPU tensor of the target's shape and dtype that is the target's buffer
    itself or shares no memory with it (both own their buffers)."""
    c = target.__class__
    if dispatch_wrapped or c is not Tensor and c not in plain_subclasses:
        return None
    recording = grad_mode._state.enabled
    if recording and (target._requires_grad or target._base is not None):
        return None
    d = target._data
    if d.__class__ is not _ndarray or target.device is not cpu_device or \
            not d.flags.c_contiguous or not d.flags.writeable:
        return None
    dtype = target.dtype
    kargs = []
    for x in operands:
        c = x.__class__
        if c is float or c is int:
            if _NUMBER_CATEGORY[c] > dtype.category:
                return None
            try:
                kargs.append(_dtypes.scalar_value(x, dtype))
            except OverflowError:
                return None
        elif c is Tensor or c in plain_subclasses:
            o = x._data
            if x.dtype is not dtype or o.__class__ is not _ndarray or o.shape != d.shape or \
                    not o.flags.c_contiguous or (recording and x._requires_grad):
                return None
            if o is not d and (o.base is not None or d.base is not None):
                return None   # views may overlap: the general path checks
            kargs.append(o.ravel())
        else:
            return None
    return kargs


def _binary_inplace(name, fn, declared, target, other, result_dtype=None, **kwargs):
    """``target.<name>(other)``: `fn` is the public op (recorded path, keywords
    passed on); `declared` names the registered elementwise op whose kernel
    writes straight into the target when nothing is recorded (None: compute
    out of place, then copy)."""
    if declared is not None and (result_dtype is None or result_dtype is target.dtype):
        kargs = _fast_operands(target, (other,))
        if kargs is not None:
            return REGISTRY[declared].into_flat(target, kargs)
    check_inplace(target, name)
    number = other.__class__ in _NUMBER_CATEGORY   # no memory to overlap
    if not number:
        check_overlap(name, target._data, arrays_of(other))   # first, as PyTorch's TensorIterator
    _check_result(name, target, other, result_dtype)
    if _needs_graph(target, other):
        return commit_inplace(target, fn(target, other, **kwargs))
    if declared is None or not number and any(aliases(target._data, a)
                                              for a in arrays_of(other)):
        with grad_mode.no_grad():
            return commit_inplace(target, fn(target, other, **kwargs))
    return REGISTRY[declared].into(target, target, other)


def _float_result(target, other):
    """The dtype of a true division (integers divide into the default float)."""
    res = _dtypes.result_type(target, other)
    return res if res.is_floating_point else _dtypes.get_default_dtype()


@tensor_method("add_")
def add_(self, other, *, alpha=1):
    """In place ``self += alpha * other``: ``w.add_(g, alpha=-0.1)``."""
    if alpha.__class__ is int and alpha == 1:
        return _binary_inplace("add_", binary.add, "add", self, other)
    return _alpha_inplace("add_", binary.add, "add_alpha", self, other, alpha)


@tensor_method("sub_")
def sub_(self, other, *, alpha=1):
    """In place ``self -= alpha * other``: ``w.sub_(0.1 * g)``."""
    if alpha.__class__ is int and alpha == 1:
        return _binary_inplace("sub_", binary.sub, "sub", self, other)
    return _alpha_inplace("sub_", binary.sub, "sub_alpha", self, other, alpha)


def _alpha_inplace(name, fn, declared, target, other, alpha):
    """``target.add_(other, alpha=a)`` / ``sub_``: a float target and a number `alpha`
    take the fast path (the optimizers' ``p.add_(g, alpha=-lr)``); anything else
    computes out of place, then copies."""
    if (alpha.__class__ is float or alpha.__class__ is int) and target.dtype.category == _FLOAT:
        kargs = _fast_operands(target, (other, alpha))
        if kargs is not None:
            return REGISTRY[declared].into_flat(target, kargs)
    return _binary_inplace(name, fn, None, target, other, alpha=alpha)


@tensor_method("mul_")
def mul_(self, other):
    """In place ``self *= other``: ``y.mul_(2)``."""
    return _binary_inplace("mul_", binary.mul, "mul", self, other)


@tensor_method("div_")
def div_(self, other, *, rounding_mode=None):
    """In place ``self /= other``: ``y.div_(2)``; ``rounding_mode`` as in `nb.div`."""
    if rounding_mode is None:
        return _binary_inplace("div_", binary.div, "div", self, other,
                               result_dtype=_float_result(self, other))
    return _binary_inplace("div_", binary.div, None, self, other, rounding_mode=rounding_mode)


def _fill_value(t, value):
    dispatch.backend(t.device).copy_into(t._data, _dtypes.checked_scalar(value, t.dtype))


def _zero_gradient(node_name, forward):
    """A Function recording `node_name` whose result, `forward(ctx, t, ...)`,
    does not depend on the values of `t` (overwritten or filled): its gradient
    is zero (None for a number argument)."""
    def backward(ctx, g):
        return _factories.zeros_like(g), None
    return type(node_name, (Function,), {"_node_name": node_name,
                                         "forward": staticmethod(forward),
                                         "backward": staticmethod(backward)})


_Overwritten = _zero_gradient("CopyBackwards", lambda ctx, t: t)
_Zero = _zero_gradient("ZeroBackward0", lambda ctx, t: _factories.zeros_like(t))
_FillScalar = _zero_gradient("FillBackward2",
                             lambda ctx, t, value: _factories.full_like(t, value))


class _FillTensor(Function):
    _node_name = "FillBackward3"

    @staticmethod
    def forward(ctx, t, value):
        ctx.value_dtype = value.dtype
        return _factories.full_like(t, value.item())

    @staticmethod
    def backward(ctx, g):
        gv = g.sum()
        return _factories.zeros_like(g), gv if gv.dtype is ctx.value_dtype else \
            gv.to(ctx.value_dtype)


@tensor_method("zero_")
def zero_(self):
    """Fill with zeros in place: ``w.grad.zero_()``."""
    check_inplace(self, "zero_", internal=False)
    if _needs_graph(self):
        return commit_inplace(self, _Zero.apply(self), internal=False)
    _fill_value(self, 0)
    self._bump_version()
    return self


@tensor_method("fill_")
def fill_(self, value):
    """Fill with `value` (a number or a 0-dim tensor) in place: ``x.fill_(3)``."""
    from nbgrad.tensor import Tensor
    check_inplace(self, "fill_", internal=False)
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        if _needs_graph(self, value):
            return commit_inplace(self, _FillTensor.apply(self, value), internal=False)
        value = value.item()
    elif not isinstance(value, (int, float, bool)):
        raise TypeError(f"fill_(): argument 'value' must be Number or Tensor, not "
                        f"{type(value).__name__}")
    # PyTorch's check: RuntimeError for a value the dtype cannot hold (a negative int
    # wraps into uint8, a float truncates toward zero into an integer dtype)
    value = _dtypes.checked_scalar(value, self.dtype).item()
    if _needs_graph(self):
        return commit_inplace(self, _FillScalar.apply(self, value), internal=False)
    _fill_value(self, value)
    self._bump_version()
    return self


@tensor_method("clamp_", "clip_")
def clamp_(self, min=None, max=None):
    """Clamp into [min, max] in place: ``w.clamp_(-1, 1)``."""
    check_inplace(self, "clamp_")
    check_overlap("clamp_", self._data, arrays_of(min, max))
    if _needs_graph(self, min, max):
        return commit_inplace(self, unary.clamp(self, min, max))
    with grad_mode.no_grad():
        result = unary.clamp(self, min, max)
    if result.dtype.category > self.dtype.category:
        raise RuntimeError(f"clamp_: result type {_type_name(result.dtype)} can't be cast to "
                           f"the desired output type {_type_name(self.dtype)}")
    return commit_inplace(self, result)


class _CopyFrom(Function):
    _node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, t, src):
        ctx.src_meta = (tuple(src.shape), src.dtype, src.device)
        out = _factories.empty_like(t)
        dispatch.backend(t.device).copy_into(
            out._data, (src if src.device == t.device else src.to(t.device))._data)
        return out

    @staticmethod
    def backward(ctx, g):
        shape, dtype, device = ctx.src_meta
        gs = g if tuple(g.shape) == shape else g.sum_to_size(shape)
        if gs.dtype is not dtype or gs.device != device:
            gs = gs.to(device=device, dtype=dtype)
        return _factories.zeros_like(g), gs


@tensor_method("copy_")
def copy_(self, src, non_blocking=False):
    """Copy `src` into self in place (broadcast to self's shape, converted to its
    dtype and device): ``w.copy_(w0)``; `non_blocking` is accepted and ignored."""
    from nbgrad.ops.elementwise import broadcast_shapes
    from nbgrad.tensor import Tensor
    check_inplace(self, "copy_")
    if not isinstance(src, Tensor):
        if not isinstance(src, (int, float, bool)):
            raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
        src = _factories.tensor(src, dtype=self.dtype, device=self.device)
    check_overlap("copy_", self._data, arrays_of(src))   # first, as PyTorch's TensorIterator
    shape = tuple(self._data.shape)
    b = broadcast_shapes("copy_", shape, tuple(src._data.shape))
    if b != shape:
        raise RuntimeError(f"copy_: output with shape {list(shape)} doesn't match the "
                           f"broadcast shape {list(b)}")
    if _needs_graph(self, src):
        return commit_inplace(self, _CopyFrom.apply(self, src))
    a = (src if src.device == self.device else src.to(self.device))._data
    be = dispatch.backend(self.device)
    if aliases(self._data, a):
        a = be.cast(a, src.dtype)
    be.copy_into(self._data, a)
    self._bump_version()
    return self


def _operator(method):
    def op(self, other):
        return method(self, other)
    op.__name__ = method.__name__
    return op


for _name, _method in (("__iadd__", add_), ("__isub__", sub_), ("__imul__", mul_),
                       ("__itruediv__", div_)):
    tensor_method(_name)(_operator(_method))
