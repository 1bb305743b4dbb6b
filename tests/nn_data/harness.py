"""Run the cases of `tests/nn_data/cases.py` with a given library bound to
``torch`` (PyTorch when recording, nbgrad when testing) and describe what
happened as plain data (lists, floats, strings) that JSON can store."""

import ast
import builtins
import copy
import math
import warnings
import zlib

import numpy as np

from tests.nn_data import cases


def env(lib):
    """The names the case code sees: torch, nn, F, np, copy, math and MODEL_SRC's classes."""
    names = {"torch": lib, "nn": lib.nn, "F": lib.nn.functional, "np": np, "copy": copy,
             "math": math}
    exec(cases.MODEL_SRC, names)  # noqa: S102 - the cases' own model classes
    return names


# -- arrays as data ----------------------------------------------------------------
def pack(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape), "data": a.reshape(-1).tolist()}


def unpack(d):
    return np.array(d["data"], dtype=d["dtype"]).reshape(d["shape"])


def to_numpy(t):
    return np.array(t.detach().tolist(), dtype=str(t.dtype).split(".")[-1]).reshape(
        tuple(t.shape))


def rng_for(text):
    return np.random.default_rng(zlib.crc32(text.encode()))


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def make_input(spec, rng):
    """One input spec as data: {'array': packed, 'grad': bool} or {'tuple': [...]}."""
    kind = spec[0]
    if kind == "tuple":
        return {"tuple": [make_input(s, rng) for s in spec[1]]}
    if kind == "index":
        return {"array": pack(np.array(spec[1], dtype=np.int64)), "grad": False}
    shape = spec[1]
    gens = {
        "randn": (lambda: rng.standard_normal(shape), True),
        "randn2": (lambda: 2 * rng.standard_normal(shape), True),
        "const": (lambda: rng.standard_normal(shape), False),
        "unit": (lambda: rng.uniform(0.05, 0.95, shape), True),
        "unit_t": (lambda: rng.uniform(0, 1, shape), False),
        "probs": (lambda: _softmax(rng.standard_normal(shape)), False),
        "logprobs": (lambda: np.log(_softmax(rng.standard_normal(shape))), True),
        "sign": (lambda: np.where(rng.standard_normal(shape) > 0, 1.0, -1.0), False),
        "randint": (lambda: rng.integers(0, spec[2], shape).astype(np.int64), False),
    }
    fn, grad = gens[kind]
    return {"array": pack(fn()), "grad": grad}


def to_lib(lib, data):
    """The library's tensor (or tuple of them) for an input made by `make_input`."""
    if "tuple" in data:
        return tuple(to_lib(lib, d) for d in data["tuple"])
    a = unpack(data["array"])
    t = lib.tensor(a, dtype=getattr(lib, str(a.dtype)))
    return t.requires_grad_(True) if data["grad"] else t


def leaves(x):
    """The tensors of a nested output, in order."""
    if isinstance(x, (tuple, list)):
        return [t for item in x for t in leaves(item)]
    return [x]


def _grad(t):
    return None if t.grad is None else pack(to_numpy(t.grad))


# -- module cases --------------------------------------------------------------------
def run_module_case(lib, case, state=None, data=None):
    """Build the case's module in float64 (loading `state` when given), run it on the
    inputs, backpropagate sum(out * cotangent) and describe everything as data."""
    names = env(lib)
    rng = rng_for(case["make"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = eval(case["make"], names).double()
        if state is None and case.get("setup"):
            with lib.no_grad():
                exec(case["setup"], dict(names, m=m))  # noqa: S102 - the case's setup
        if state is not None:
            m.load_state_dict({k: lib.tensor(unpack(v), dtype=getattr(lib, v["dtype"]))
                               for k, v in state.items()})
        recorded_state = {k: pack(to_numpy(v)) for k, v in m.state_dict().items()}
        inputs = data["inputs"] if data else [make_input(s, rng) for s in case["inputs"]]
        args = [to_lib(lib, d) for d in inputs]
        m.train(case.get("mode", "train") == "train")
        for _ in range(case.get("calls", 1)):
            out = m(*args)
    outs = leaves(out)
    cots = data["cotangents"] if data else [pack(rng.standard_normal(tuple(o.shape)))
                                            for o in outs]
    total = None
    for o, c in zip(outs, cots):
        if o.requires_grad:
            term = (o * lib.tensor(unpack(c))).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    return {"make": case["make"], "state": recorded_state, "inputs": inputs,
            "cotangents": cots, "outputs": [pack(to_numpy(o)) for o in outs],
            "param_grads": {n: _grad(p) for n, p in m.named_parameters()},
            "input_grads": [_grad(a) for a in leaves(args) if a.requires_grad],
            "buffers": {n: pack(to_numpy(b)) for n, b in m.named_buffers()}}


# -- snippets ------------------------------------------------------------------------
def builtin_base(exc_type):
    for cls in exc_type.__mro__:
        if getattr(builtins, cls.__name__, None) is cls:
            return cls.__name__
    return "BaseException"


def normalize(obj):
    """A comparable, JSON-storable description of a snippet's value."""
    name = type(obj).__name__
    if name in ("Tensor", "Parameter", "Buffer") and hasattr(obj, "dtype"):
        return {"tensor": str(obj.dtype), "type": name, "requires_grad": obj.requires_grad,
                "value": pack(to_numpy(obj))}
    if name == "dtype":
        return {"dtype": str(obj)}
    if name == "Size":
        return {"size": list(obj)}
    if isinstance(obj, dict):
        return {"dict": [[normalize(k), normalize(v)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return [normalize(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"float": str(obj)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return {"str": str(obj)}


def outcome(lib, code):
    """('value', normalized) or ('raises', builtin exception class, message)."""
    names = env(lib)
    tree = ast.parse(code)
    tail = tree.body.pop() if isinstance(tree.body[-1], ast.Expr) else ast.Expr(ast.Constant(None))
    last = ast.Expression(tail.value)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(tree, "<case>", "exec"), names)  # noqa: S102 - the snippet
            return ["value", normalize(eval(compile(last, "<case>", "eval"), names))]
    except Exception as e:  # noqa: BLE001 - the exception is the outcome
        return ["raises", builtin_base(type(e)), str(e)]


def init_stats(lib, expr):
    """numel, mean, variance, min and max (float64) of the tensor `expr` gives."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = eval(expr, env(lib))
    a = to_numpy(t).astype(np.float64)
    return {"numel": int(a.size), "mean": float(a.mean()), "var": float(a.var()),
            "min": float(a.min()), "max": float(a.max()), "dtype": str(t.dtype)}


def repr_of(lib, make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return str(eval(make, env(lib)))
