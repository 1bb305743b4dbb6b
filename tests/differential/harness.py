"""Run one differential case against a torch-like module and turn its outcome into JSON data.

A case is a snippet of Python run with ``torch`` bound to either PyTorch (when recording) or
nbgrad (in the test); the value of its last expression is the result.  The outcome is
``{"raises": <exception class name>, "builtin": <its nearest builtin class>}`` or
``{"value": <normalized result>}``; :func:`compare` decides whether two outcomes agree.
This module never imports torch: it is given the module to bind.
"""

import ast
import builtins
import copy
import math
import warnings

import numpy as np

RTOL = {"float16": 1e-3, "bfloat16": 1e-2, "float32": 1e-5, "float64": 1e-10}
_SCALAR_RTOL = 1e-5  # a bare Python float does not say which precision produced it


def builtin_base(exc_type):
    """The first builtin exception class in `exc_type`'s MRO (RuntimeError for
    torch.OutOfMemoryError): what a user's ``except`` clause can portably name."""
    for cls in exc_type.__mro__:
        if getattr(builtins, cls.__name__, None) is cls:
            return cls.__name__
    return "BaseException"


def _compile(code):
    """Compile `code` so that its last expression statement (if any) is the result."""
    tree = ast.parse(code, mode="exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, "<case>", "exec")
    return body, (compile(last, "<case>", "eval") if last is not None else None)


def reset(torch):
    """Put the global state a case may change back to the defaults."""
    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(True)
    torch.manual_seed(0)
    torch.autograd.set_detect_anomaly(False)


def run(torch, code):
    """Run one case with `torch` bound to the given module; return its outcome (JSON-able)."""
    reset(torch)
    env = {"torch": torch, "F": torch.nn.functional, "nn": torch.nn, "np": np,
           "math": math, "copy": copy}
    body, last = _compile(code)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(body, env)  # noqa: S102 - running the case snippet is the point
            result = eval(last, env) if last is not None else None
            value = normalize(result)
    except Exception as e:  # noqa: BLE001 - recording every failure is the point
        return {"raises": type(e).__name__, "builtin": builtin_base(type(e)),
                "message": str(e).strip().splitlines()[0][:200] if str(e).strip() else ""}
    finally:
        reset(torch)
    return {"value": value}


def _float(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def _encode(values):
    if isinstance(values, list):
        return [_encode(v) for v in values]
    if isinstance(values, builtins.float):
        return _float(values)
    if isinstance(values, complex):
        return {"complex": [_float(values.real), _float(values.imag)]}
    return values


def _is_tensor(obj):
    return (type(obj).__name__ in ("Tensor", "Parameter") and hasattr(obj, "dtype")
            and hasattr(obj, "tolist"))


def normalize(obj):
    """A JSON-able description of a case's result (tensors by dtype, shape, values, grad flag)."""
    if obj is None or isinstance(obj, (builtins.bool, builtins.int, str)):
        return obj
    if isinstance(obj, builtins.float):
        return {"float": _float(obj)}
    if isinstance(obj, complex):
        return _encode(obj)
    if _is_tensor(obj):
        t = obj.detach()
        return {"tensor": str(t.dtype).split(".")[-1], "shape": list(t.shape),
                "requires_grad": builtins.bool(obj.requires_grad), "values": _encode(t.tolist())}
    if type(obj).__name__ == "dtype":
        return {"dtype": str(obj).split(".")[-1]}
    if type(obj).__name__ == "device":
        return {"device": str(obj)}
    if isinstance(obj, np.ndarray):
        return {"ndarray": str(obj.dtype), "shape": list(obj.shape),
                "values": _encode(obj.tolist())}
    if isinstance(obj, np.generic):
        return {"numpy_scalar": str(obj.dtype), "value": normalize(obj.item())}
    if isinstance(obj, (tuple, list)):
        return [normalize(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): normalize(v) for k, v in obj.items()}
    return {"object": type(obj).__name__}


def _close(a, b, rtol):
    if isinstance(a, str) or isinstance(b, str):  # nan / inf encodings must agree exactly
        return a == b
    if isinstance(a, builtins.bool) or isinstance(b, builtins.bool):
        return a is b
    if isinstance(a, builtins.int) and isinstance(b, builtins.int):
        return a == b
    return abs(a - b) <= rtol * (1.0 + abs(b))


def _values_agree(a, b, rtol):
    if isinstance(a, list) or isinstance(b, list):
        return (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
                and all(_values_agree(x, y, rtol) for x, y in zip(a, b)))
    return _close(a, b, rtol)


def differences(got, want, path="result"):
    """A list of human-readable differences between two normalized results (empty: same)."""
    if isinstance(want, dict) and "tensor" in want:
        if not (isinstance(got, dict) and "tensor" in got):
            return [f"{path}: expected a tensor, got {got!r:.200}"]
        out = [f"{path}.{k}: {got[k]!r} != {want[k]!r}"
               for k in ("tensor", "shape", "requires_grad") if got[k] != want[k]]
        if not out and not _values_agree(got["values"], want["values"],
                                         RTOL.get(want["tensor"], 0.0)):
            out.append(f"{path}.values: {got['values']!r:.300} != {want['values']!r:.300}")
        return out
    if isinstance(want, dict) and "float" in want:
        ok = isinstance(got, dict) and "float" in got and _close(got["float"], want["float"],
                                                                 _SCALAR_RTOL)
        return [] if ok else [f"{path}: {got!r} != {want!r}"]
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{path}: {got!r:.200} != {want!r:.200}"]
        return [d for i, (g, w) in enumerate(zip(got, want))
                for d in differences(g, w, f"{path}[{i}]")]
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return [f"{path}: {got!r:.200} != {want!r:.200}"]
        return [d for k in want for d in differences(got[k], want[k], f"{path}.{k}")]
    if type(got) is not type(want) or got != want:
        return [f"{path}: {got!r:.200} != {want!r:.200}"]
    return []


def classify(got, want):
    """'same', 'silent' (PyTorch raised and nbgrad did not, or values differ), 'type' (both
    raised, different builtin classes) or 'raises' (nbgrad raised where PyTorch did not)."""
    if "raises" in want:
        if "raises" not in got:
            return "silent"
        return "same" if got["builtin"] == want["builtin"] else "type"
    if "raises" in got:
        return "raises"
    return "same" if not differences(got["value"], want["value"]) else "silent"
