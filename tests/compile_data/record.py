"""Record what ``torch.compile(module)`` returns (run once; the tests never import torch).

    .venv/bin/python -m tests.compile_data.record   # writes torch_compile_module.json here

Recorded with PyTorch 2.13 (CPU): the type, repr, state-dict keys and parameter
names of ``torch.compile(Sequential(Linear(6, 5), ReLU(), Linear(5, 3)))``, whether
it keeps the module and its parameters, what a deep copy and a pickle give, what
``eval()`` does to the module, what indexing it raises, and that ``disable=True``
returns the module itself; and for ``module.compile()`` (in place): what it returns,
the module's type, state-dict keys and repr after, its output, and its deep copy.
"""

import copy
import json
import os
import pickle


def describe(lib):
    """The facts above, for `lib` (torch or nbgrad)."""
    nn = lib.nn
    m = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    cm = lib.compile(m, mode="max-autotune", dynamic=False)
    out = {"type": type(cm).__name__, "repr": repr(cm),
           "state_dict_keys": list(cm.state_dict().keys()),
           "named_parameters": [n for n, _ in cm.named_parameters()],
           "orig_is_model": cm._orig_mod is m,
           "same_params": [a is b for a, b in zip(cm.parameters(), m.parameters())],
           "is_module": isinstance(cm, nn.Module),
           "disable_returns_model": lib.compile(m, disable=True) is m}
    copied = copy.deepcopy(cm)
    out["deepcopy"] = [type(copied).__name__, copied._orig_mod is not m,
                       copied._orig_mod[0].weight is not m[0].weight]
    out["pickled"] = type(pickle.loads(pickle.dumps(cm))).__name__
    cm.eval()
    out["orig_training_after_eval"] = m.training
    try:
        cm[0]
        out["getitem"] = "ok"
    except Exception as e:   # noqa: BLE001 (the type and message are the outcome)
        out["getitem"] = f"{type(e).__name__}: {e}"
    return out


def describe_inplace(lib):
    """The facts of ``module.compile()`` above, for `lib`."""
    nn = lib.nn
    m = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    keys = list(m.state_dict().keys())
    returned = m.compile(mode="max-autotune")
    y = m(lib.ones(2, 6))
    copied = copy.deepcopy(m)
    return {"returns": repr(returned), "type": type(m).__name__, "repr": repr(m),
            "state_dict_keys_unchanged": list(m.state_dict().keys()) == keys,
            "compiled_call_impl_set": m._compiled_call_impl is not None,
            "output": [list(y.shape), y.requires_grad, type(y.grad_fn).__name__ != "NoneType"],
            "deepcopy": [type(copied).__name__, copied._compiled_call_impl is not None]}


if __name__ == "__main__":
    import torch
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_compile_module.json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "module": describe(torch),
                   "module_compile": describe_inplace(torch)}, f, indent=1)
        f.write("\n")
