"""Compiled calls of large tensors whose outputs still require grad (a compiled
module's forward, ``nb.compile(model)``): the backward comes later from the
engine and runs the plan's reverse steps (nbgrad.compiler.array_reverse), with
the eager results, errors and freeing rules."""

import warnings

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.compiler import CompileWarning
from nbgrad.compiler.arrays import ArrayPlan
from tests.test_compile_arrays import _float_sample, _plan_kinds, _tape_op_cases

F = nb.nn.functional
BATCH, IN, HIDDEN, CLASSES = 96, 80, 64, 10


def _model(dtype):
    nb.manual_seed(0)
    return nb.nn.Sequential(nb.nn.Linear(IN, HIDDEN), nb.nn.ReLU(),
                            nb.nn.Linear(HIDDEN, CLASSES)).to(dtype)


def _data(dtype, n):
    nb.manual_seed(1)
    return [(nb.randn(BATCH, IN, dtype=dtype), nb.randint(0, CLASSES, (BATCH,)))
            for _ in range(n)]


def _plan(compiled):
    (plan,) = [p for ps in compiled._compiled_call._plans.values() for p in ps]
    return plan


def _train(model, data, forwards):
    """SGD steps whose loss sums `forwards` forward calls, all made before the backward."""
    opt = nb.optim.SGD(_orig(model).parameters(), lr=0.1, momentum=0.9)
    losses = []
    for x, y in data:
        loss = sum(F.cross_entropy(model(x * (k + 1)), y) for k in range(forwards))
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.detach().numpy().copy())
    return losses


def _orig(model):
    return getattr(model, "_orig_mod", model)


@pytest.mark.parametrize("forwards", [1, 3], ids=["one_forward", "three_forwards"])
@pytest.mark.parametrize("dtype", [nb.float64, nb.float32], ids=["float64", "float32"])
def test_a_compiled_module_trains_with_the_eager_parameters(dtype, forwards):
    data = _data(dtype, 4)
    eager, compiled = _model(dtype), nb.compile(_model(dtype))
    want = _train(eager, data, forwards)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        got = _train(compiled, data, forwards)
    # float32: the second layer's product is below BLAS's size here, and its host op
    # reads a copied transpose, which NumPy may round an ulp differently
    rtol = 1e-12 if dtype is nb.float64 else 1e-5
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    for a, b in zip(eager.parameters(), compiled.parameters()):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=rtol, atol=rtol)
    assert isinstance(_plan(compiled), ArrayPlan)
    assert compiled.stats["replays"] == 4 * forwards - 1


def test_outputs_backward_in_any_order_after_later_calls():
    nb.manual_seed(2)
    xs = [nb.randn(BATCH, IN, dtype=nb.float64, requires_grad=True) for _ in range(3)]
    model = _model(nb.float64)
    compiled = nb.compile(model)
    outs = [compiled(x) for x in xs]   # each call saves the arena for the one before
    want_outs = [model(x) for x in xs]
    grads = [nb.autograd.grad((o * o).sum(), [x] + list(model.parameters()))
             for o, x in zip(reversed(outs), reversed(xs))]
    want = [nb.autograd.grad((o * o).sum(), [x] + list(model.parameters()))
            for o, x in zip(reversed(want_outs), reversed(xs))]
    for gs, ws in zip(grads, want):
        for g, w in zip(gs, ws):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12, atol=1e-12)
    assert compiled.stats["replays"] == 2


def test_a_training_loop_copies_no_arena_and_a_dropped_output_none():
    model = nb.compile(_model(nb.float64))
    for x, y in _data(nb.float64, 2):
        F.cross_entropy(model(x), y).backward()
        pending = _plan(model).pending if model.stats["replays"] else None
    model(x)   # the last output was backwarded: released, nothing to save
    assert pending is not None and pending.values is None
    pending = _plan(model).pending
    model(x)   # that output was dropped: its node is gone, nothing to save
    assert pending.values is None
    kept = model(x)
    pending = _plan(model).pending
    model(x)   # `kept` may still run backward: the arena is saved for it
    assert pending.values is not None and kept.grad_fn is not None


def test_a_second_backward_without_retain_graph_raises_as_eagerly():
    x, _ = _data(nb.float64, 1)[0]
    for model in (_model(nb.float64), nb.compile(_model(nb.float64))):
        model(x)
        out = model(x).sum()
        out.backward(retain_graph=True)
        out.backward()   # retained once: runs
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            out.backward()


def test_a_parameter_changed_in_place_before_the_backward_raises_as_eagerly():
    x, _ = _data(nb.float64, 1)[0]
    for model in (_model(nb.float64), nb.compile(_model(nb.float64))):
        model(x)
        out = model(x).sum()
        with nb.no_grad():
            _orig(model)[0].weight.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.backward()


def test_a_small_replay_frees_its_graph_after_one_backward_too():
    x = nb.tensor([1.0, 2.0, 3.0], dtype=nb.float64, requires_grad=True)
    for fn in (lambda t: (t * t).sum(), nb.compile(lambda t: (t * t).sum())):
        fn(x)
        out = fn(x)
        out.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            out.backward()


@pytest.mark.parametrize("info", _tape_op_cases())
def test_every_tape_op_of_the_database_backward_later(info):
    """Each elementwise op of the tape's vocabulary at (64, 80), then a product, its
    result returned still requiring grad: ``autograd.grad`` of it later, through the
    replay's reverse steps, gives eager's gradients."""
    sample = _float_sample(info)
    arrays = [np.resize(a, (64, 80)) for a in sample.args if isinstance(a, np.ndarray)]
    diff = set(sample.diff_positions()) if info.grad else set()

    def body(w, *ts):
        it = iter(ts)
        args = [next(it) if isinstance(a, np.ndarray) else a for a in sample.args]
        return (info.call(*args, **sample.kwargs) @ w).tanh()

    def make():
        w = nb.tensor(np.random.default_rng(1).standard_normal((80, 3)), requires_grad=True)
        return [w] + [nb.tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    eager_args, args = make(), make()
    step = nb.compile(body)
    for call in range(3):
        want_out, out = body(*eager_args), step(*args)
        np.testing.assert_allclose(out.detach().numpy(), want_out.detach().numpy(),
                                   rtol=1e-12, atol=1e-12)
        leaves = [k for k, t in enumerate(args) if t.requires_grad]
        seed = nb.tensor(np.random.default_rng(call).standard_normal((64, 3)))
        want = nb.autograd.grad(want_out, [eager_args[k] for k in leaves], seed)
        got = nb.autograd.grad(out, [args[k] for k in leaves], seed)
        for g, e in zip(got, want):
            np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-12, atol=1e-12)
    assert step.stats["replays"] == 2
    assert set(_plan_kinds(step)) == {"ArrayPlan"}
