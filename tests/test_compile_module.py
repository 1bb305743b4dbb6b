"""``nb.compile(module)`` returns PyTorch's `OptimizedModule` (outcomes recorded
from ``torch.compile`` in tests/compile_data), whose calls replay; PyTorch's
keyword arguments of ``torch.compile`` are accepted."""

import copy
import json
import os
import pickle
import warnings

import numpy as np

import nbgrad as nb
from nbgrad.compiler import CompileWarning
from tests.compile_data.record import describe, describe_inplace

F = nb.nn.functional
_DATA = os.path.join(os.path.dirname(__file__), "compile_data", "torch_compile_module.json")


def test_compiling_a_module_gives_what_torch_compile_gives():
    with open(_DATA) as f:
        want = json.load(f)["module"]
    assert describe(nb) == want


class _Net(nb.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden_size = 5
        self.body = nb.nn.Sequential(nb.nn.Linear(6, self.hidden_size), nb.nn.Tanh(),
                                     nb.nn.Dropout(0.5), nb.nn.Linear(self.hidden_size, 3))

    def forward(self, x):
        return self.body(x)


def _net():
    nb.manual_seed(0)
    return _Net().double()


def _train(model, calls=5):
    opt = nb.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    nb.manual_seed(1)
    losses = []
    for _ in range(calls):
        x, y = nb.randn(4, 6, dtype=nb.float64), nb.randint(0, 3, (4,))
        loss = F.cross_entropy(model(x), y)   # backward outside the compiled call
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.detach().numpy().copy())
    return losses


def test_a_compiled_module_trains_as_the_module_does():
    eager, model = _net(), _net()
    compiled = nb.compile(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        got = _train(compiled)
    want = _train(eager)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    for a, b in zip(eager.parameters(), model.parameters()):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-12)
    assert compiled.stats["replays"] == 4   # dropout draws fresh masks on each replay
    assert compiled.hidden_size == 5 and compiled.body is model.body


def test_eval_mode_records_again_and_turns_dropout_off():
    model = _net()
    compiled = nb.compile(model)
    x = nb.randn(4, 6, dtype=nb.float64)
    compiled(x)
    compiled.eval()
    outs = [compiled(x).detach().numpy() for _ in range(3)]
    assert not model.training and compiled.stats["recordings"] == 2
    for out in outs:
        np.testing.assert_array_equal(out, model(x).detach().numpy())


def test_torch_compile_keywords_are_accepted():
    def double(x):
        return x * 2

    for fn in (nb.compile(double, mode="reduce-overhead", fullgraph=True, dynamic=False,
                          backend="inductor", options={}),
               nb.compile(mode="max-autotune")(double)):
        x = nb.ones(3)
        fn(x)
        np.testing.assert_array_equal(fn(x).numpy(), [2.0, 2.0, 2.0])
        assert fn.stats["replays"] == 1
    assert nb.compile(double, disable=True) is double


def test_a_copy_of_a_compiled_module_records_anew_on_its_own_parameters():
    model = _net()
    compiled = nb.compile(model)
    x = nb.randn(4, 6, dtype=nb.float64)
    compiled.eval()
    compiled(x)
    compiled(x)
    for copied in (copy.deepcopy(compiled), pickle.loads(pickle.dumps(compiled))):
        assert copied._compiled_call.fn is copied._orig_mod   # the copy's own module
        with nb.no_grad():
            copied.body[0].weight.mul_(2)
        copied(x)
        np.testing.assert_array_equal(copied(x).detach().numpy(),
                                      copied._orig_mod(x).detach().numpy())
        assert copied.stats == {"recordings": 1, "replays": 1, "eager_calls": 0,
                                "evictions": 0}
    np.testing.assert_array_equal(compiled(x).detach().numpy(), model(x).detach().numpy())
    assert compiled.stats["replays"] == 2


def test_module_compile_compiles_in_place_as_pytorch():
    """``model.compile()``: PyTorch's in-place form (facts recorded from PyTorch)."""
    with open(_DATA) as f:
        assert describe_inplace(nb) == json.load(f)["module_compile"]
    m = nb.nn.Sequential(nb.nn.Linear(6, 5), nb.nn.ReLU(), nb.nn.Linear(5, 3))
    eager = copy.deepcopy(m)
    assert m.compile() is None
    x = nb.ones(2, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ys = [m(x) for _ in range(3)]
    assert m._compiled_call_impl.stats["replays"] == 2   # the module's own calls replay
    ys[-1].sum().backward()
    eager(x).sum().backward()
    for p, q in zip(m.parameters(), eager.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)
    m.eval()   # the training flag is guarded: a new recording, not the training one
    m(x)
    assert m._compiled_call_impl.stats["recordings"] == 2
    m.compile(disable=True)
    assert m._compiled_call_impl is None
