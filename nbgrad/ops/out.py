"""The keyword forms PyTorch's argument parser gives every function: ``out=`` (write
the result into a given tensor) and NumPy's names ``keepdims`` / ``axis`` for
``keepdim`` / ``dim`` on the reductions.

Both are one wrapper per public name, installed on the ``nbgrad`` namespace (and,
for the NumPy names, on the reductions' Tensor methods: Tensor methods have no
``out=`` in PyTorch) by `install`, which ``nbgrad/__init__.py`` calls last.  The
ops themselves, their internal callers and the Python operators never go through
it.  ``out=`` follows PyTorch's rules, checked before anything runs:

- a tensor argument (or `out`) that requires grad in grad mode is a RuntimeError
  (functions with ``out=`` are not differentiable);
- the result's dtype must be castable to out's (no float into an integer `out`,
  nothing but bool into a bool one), and out must be on the result's device;
- an `out` of another shape is resized (with PyTorch's UserWarning when it had
  elements), the result is written into its buffer by a kernel, its version is
  bumped, and `out` itself is returned (a tuple of them for several results);
- a factory (``zeros(..., out=t)``) takes out's dtype and device unless given.
"""

import functools
import inspect
import warnings

from nbgrad import _dtypes
from nbgrad.autograd import grad_mode
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import require_tensor
from nbgrad.tensor import Tensor

__all__ = ["OUT_NAMES", "FACTORIES", "REDUCTIONS", "install", "write_out"]

# PyTorch functions with an out= overload that nbgrad has (torch.<name>(..., out=t))
OUT_NAMES = frozenset("""
abs absolute acos arccos asin arcsin atan arctan atan2 arctan2 ceil cos cosh erf exp expm1 fix
floor log log10 log1p log2 neg negative reciprocal round rsqrt sigmoid sign sin sinh sqrt square
tan tanh trunc clamp clip clamp_min clamp_max add sub subtract mul multiply div divide
true_divide floor_divide remainder fmod pow maximum minimum eq ne lt le gt ge greater less
greater_equal less_equal not_equal logical_and logical_or logical_xor logical_not bitwise_and
bitwise_or bitwise_xor bitwise_not where sum mean prod amax amin argmax argmin max min std var
logsumexp all any count_nonzero norm cumsum cumprod median nanmedian mode kthvalue sort topk
msort matmul mm bmm mv dot outer ger inverse cholesky cholesky_solve kron cross diag tril triu
cat concat concatenate stack gather index_select masked_select nonzero nan_to_num searchsorted
bucketize histc histogram lerp addcmul addcdiv addmm addr baddbmm addbmm addmv copysign
zeros ones empty full arange linspace eye rand randn randint randperm normal
bernoulli multinomial
""".split())

# factories: with out=, they make out's dtype on out's device unless told otherwise
FACTORIES = frozenset("zeros ones empty full arange linspace eye rand randn randint "
                      "randperm".split())

# out= gives these their dtype (PyTorch computes in out's dtype, as with dtype=)
DTYPE_FROM_OUT = frozenset("sum prod nansum cumsum cumprod".split())
# results that are indices: out must be int64 itself
INDEX_RESULTS = frozenset("argmax argmin nonzero".split())

# reductions taking keepdims= for keepdim= and axis= for dim= (PyTorch's NumPy aliases)
REDUCTIONS = frozenset("""
sum mean prod all any amax amin argmax argmin max min std var std_mean var_mean logsumexp
nansum nanmean median nanmedian mode kthvalue count_nonzero cumsum cumprod
""".split())

_ALIASES = (("keepdims", "keepdim"), ("axis", "dim"))


def _numpy_names(name, kwargs):
    """`kwargs` with keepdims/axis renamed keepdim/dim; TypeError if both are given."""
    kwargs = dict(kwargs)
    for alias, real in _ALIASES:
        if alias in kwargs:
            if real in kwargs:
                raise TypeError(f"{name}() got an unexpected keyword argument '{alias}' "
                                f"(it is an alias of '{real}', which is given too)")
            kwargs[real] = kwargs.pop(alias)
    return kwargs


def _check_out_tensors(name, out):
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    for o in outs:
        require_tensor(name, o, "out")
    return outs


def _requires_grad(args, kwargs, outs):
    def tensors(values):
        for v in values:
            if isinstance(v, Tensor):
                yield v
            elif isinstance(v, (tuple, list)):
                yield from (t for t in v if isinstance(t, Tensor))
    return any(t._requires_grad for t in tensors((*args, *kwargs.values(), *outs)))


def _castable(src, dst):
    """PyTorch's canCast: no floating result into an integer out, only bool into bool."""
    if dst is _dtypes.bool:
        return src is _dtypes.bool
    return not (src.is_floating_point and not dst.is_floating_point)


def write_out(name, result, out, exact=False):
    """Write tensor `result` into tensor `out` by PyTorch's out= rules (see the module
    docstring): dtype and device checks, a resize, a kernel copy, a version bump.
    `exact`: out must have the result's dtype (indices)."""
    if out.device != result.device:
        raise RuntimeError(f"Expected out tensor to have device {result.device}, but got "
                           f"{out.device} instead ({name})")
    if exact and out.dtype is not result.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {result.dtype.c_name}, but got "
                           f"{out.dtype.c_name} instead ({name} with out=)")
    if not _castable(result.dtype, out.dtype):
        raise RuntimeError(f"result type {result.dtype.torch_name} can't be cast to the "
                           f"desired output type {out.dtype.torch_name} ({name} with out=)")
    b = dispatch.backend(out.device)
    shape = tuple(result._data.shape)
    if tuple(out._data.shape) != shape:
        if out._data.size and name not in FACTORIES:   # factories resize silently
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(out._data.shape)}, which does not match the required output shape "
                f"{list(shape)}. This behavior is deprecated, and in a future PyTorch release "
                "outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                "with t.resize_(0).", UserWarning, stacklevel=4)
        out._data = b.empty(shape, out.dtype.np)
    if result._data.size:
        b.copy_into(out._data, result._data)
    out._bump_version()
    return out


def _call_with_out(name, fn, args, kwargs, out):
    outs = _check_out_tensors(name, out)
    if grad_mode._state.enabled and _requires_grad(args, kwargs, outs):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    if name == "where" and not all(isinstance(a, Tensor) for a in args[1:3]):
        raise TypeError("where(): with out=, 'input' and 'other' must be Tensors, not numbers")
    if name in FACTORIES:
        kwargs.setdefault("dtype", outs[0].dtype)
        kwargs.setdefault("device", outs[0].device)
    elif name in DTYPE_FROM_OUT:
        kwargs.setdefault("dtype", outs[0].dtype)
    result = fn(*args, **kwargs)
    results = result if isinstance(result, tuple) else (result,)
    if len(results) != len(outs):
        raise TypeError(f"{name}(): argument 'out' must be a tuple of {len(results)} Tensors "
                        f"(got {len(outs)})")
    for k, (r, o) in enumerate(zip(results, outs)):
        write_out(name, r, o, exact=k > 0 or name in INDEX_RESULTS)
    if not isinstance(result, tuple):
        return outs[0]
    return type(result)(*outs) if hasattr(result, "_fields") else tuple(outs)


def _public(name, fn, with_out, numpy_names):
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if kwargs and numpy_names and ("keepdims" in kwargs or "axis" in kwargs):
            kwargs = _numpy_names(name, kwargs)
        if out is None:
            return fn(*args, **kwargs)
        if not with_out:
            raise TypeError(f"{name}() got an unexpected keyword argument 'out'")
        return _call_with_out(name, fn, args, kwargs, out)
    wrapper.__wrapped_op__ = fn
    return wrapper


_UNSET = object()


def _exact_method(name, fn):
    """`fn` (a reduction method) with keyword-only ``keepdims``/``axis`` added to its own
    signature, generated so that a call without them costs one plain call (no
    ``**kwargs`` dict); None when `fn`'s signature has ``*args`` or ``**kwargs``."""
    params = list(inspect.signature(fn).parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return None
    env = {"_fn": fn, "_U": _UNSET, "_aliased": _aliased, "_name": name}
    heads, calls, names, required, star = [], [], [], [], False
    for p in params:
        if p.kind is p.KEYWORD_ONLY and not star:
            heads.append("*")
            star = True
        if p.default is p.empty and p.name in ("dim", "keepdim"):
            heads.append(f"{p.name}=_U")   # may come as axis=: checked in _aliased
            required.append(p.name)
        elif p.default is p.empty:
            heads.append(p.name)
        else:
            env["_d_" + p.name] = p.default
            heads.append(f"{p.name}=_d_{p.name}")
        calls.append(p.name if p.kind is not p.KEYWORD_ONLY else f"{p.name}={p.name}")
        names.append(p.name)
    heads += ([] if star else ["*"]) + ["keepdims=_U", "axis=_U"]
    given = ", ".join(f"{n!r}: {n}" for n in names)
    missing = "".join(f" or {n} is _U" for n in required)
    src = (f"def {name}({', '.join(heads)}):\n"
           f"    if keepdims is not _U or axis is not _U{missing}:\n"
           f"        return _aliased(_name, _fn, {{{given}}}, keepdims, axis)\n"
           f"    return _fn({', '.join(calls)})\n")
    exec(src, env)   # noqa: S102 - a wrapper with fn's own signature
    return functools.wraps(fn)(env[name])


def _aliased(name, fn, given, keepdims, axis):
    """Call `fn` with keepdims/axis as keepdim/dim (TypeError when the real name is
    also given: a value other than its default)."""
    defaults = {k: p.default for k, p in inspect.signature(fn).parameters.items()}
    for alias, real, value in (("keepdims", "keepdim", keepdims), ("axis", "dim", axis)):
        if value is _UNSET:
            continue
        if real not in given:
            raise TypeError(f"{name}() got an unexpected keyword argument '{alias}'")
        if given[real] is not _UNSET and given[real] is not defaults[real]:
            raise TypeError(f"{name}() got an unexpected keyword argument '{alias}' (it is an "
                            f"alias of '{real}', which is given too)")
        given[real] = value
    return fn(**{k: v for k, v in given.items() if v is not _UNSET})


def _method(name, fn):
    exact = _exact_method(name, fn)
    if exact is not None:
        return exact

    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        if kwargs and ("keepdims" in kwargs or "axis" in kwargs):
            kwargs = _numpy_names(name, kwargs)
        return fn(self, *args, **kwargs)
    return method


def install(namespace):
    """Wrap the public functions in `namespace` (the nbgrad package's globals) that
    take out= or NumPy's names, and the reductions' Tensor methods; idempotent."""
    for name in OUT_NAMES | REDUCTIONS:
        fn = namespace.get(name)
        if fn is None or hasattr(fn, "__wrapped_op__"):
            continue
        namespace[name] = _public(name, fn, name in OUT_NAMES, name in REDUCTIONS)
    for name in REDUCTIONS:
        m = Tensor.__dict__.get(name)
        if m is not None and not hasattr(m, "__wrapped_method__"):
            wrapped = _method(name, m)
            wrapped.__wrapped_method__ = m
            setattr(Tensor, name, wrapped)
