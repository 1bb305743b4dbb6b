"""nb.compile of training steps that call ``optimizer.step()`` and
``lr_scheduler.step()``: the program replays, then the steps run on the live
optimizer (nbgrad.compiler.epilogue), so every call gives the eager step's
parameters, losses and learning rates."""

import warnings

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.compiler import CompileWarning
from nbgrad.compiler.arrays import ArrayPlan
from nbgrad.compiler.replay import TapePlan

F = nb.nn.functional

OPTIMIZERS = {
    "sgd": lambda ps: nb.optim.SGD(ps, lr=0.1),
    "sgd_nesterov": lambda ps: nb.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True,
                                            weight_decay=1e-2),
    "adam": lambda ps: nb.optim.Adam(ps, lr=0.01),
    "adamw_amsgrad": lambda ps: nb.optim.AdamW(ps, lr=0.01, amsgrad=True),
    "rmsprop": lambda ps: nb.optim.RMSprop(ps, lr=0.01, momentum=0.5),
    "adagrad": lambda ps: nb.optim.Adagrad(ps, lr=0.1),
}
# (batch, features): the small one replays on the tape interpreter, the large one
# (65,536-element input) as array steps
SIZES = {"tape": (4, 6), "arrays": (256, 256)}


def _model(features, dtype=nb.float64):
    nb.manual_seed(0)
    return nb.nn.Sequential(nb.nn.Linear(features, 8), nb.nn.ReLU(),
                            nb.nn.Linear(8, 3)).to(dtype)


def _batches(size, n, dtype=nb.float64):
    nb.manual_seed(1)
    return [(nb.randn(*size, dtype=dtype), nb.randint(0, 3, (size[0],))) for _ in range(n)]


def _trainer(opt_name, size, zero_first=True, scheduler=None, dtype=nb.float64):
    model = _model(size[1], dtype)
    opt = OPTIMIZERS[opt_name](model.parameters())
    sched = scheduler(opt) if scheduler else None

    def step(x, y):
        if zero_first:
            opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        if not zero_first:
            opt.zero_grad()
        return loss
    return model, opt, step


def _train(compiled, batches, **kw):
    model, opt, step = _trainer(**kw)
    fn = nb.compile(step) if compiled else step
    losses = [fn(x, y).detach().numpy().copy() for x, y in batches]
    return model, opt, fn, losses


def _assert_same_training(kw, calls=6, rtol=1e-12):
    batches = _batches(kw["size"], calls, kw.get("dtype", nb.float64))
    me, oe, _, le = _train(False, batches, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        mc, oc, fn, lc = _train(True, batches, **kw)
    for a, b in zip(le, lc):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol)
    for pe, pc in zip(me.parameters(), mc.parameters()):
        np.testing.assert_allclose(pc.detach().numpy(), pe.detach().numpy(),
                                   rtol=rtol, atol=rtol)
        assert pc._version == pe._version
    assert [g["lr"] for g in oc.param_groups] == [g["lr"] for g in oe.param_groups]
    assert fn.stats["eager_calls"] == 0 and fn.stats["replays"] >= calls - 2
    return fn


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("zero_first", [True, False], ids=["zero_grad_first",
                                                           "zero_grad_last"])
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_a_training_step_with_an_optimizer_replays_as_eagerly(opt_name, zero_first, size):
    fn = _assert_same_training(dict(opt_name=opt_name, size=SIZES[size],
                                    zero_first=zero_first))
    kinds = {type(p) for plans in fn._plans.values() for p in plans}
    assert kinds == ({ArrayPlan} if size == "arrays" else {TapePlan})


def test_float32_array_replay_with_momentum_is_bit_identical():
    _assert_same_training(dict(opt_name="sgd_nesterov", size=SIZES["arrays"],
                               dtype=nb.float32), rtol=0)


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_scheduler_stepped_inside_the_function_moves_the_learning_rate(size):
    def scheduler(opt):
        return nb.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    _assert_same_training(dict(opt_name="sgd_nesterov", size=SIZES[size],
                               scheduler=scheduler), calls=7)


def test_a_learning_rate_changed_between_calls_is_used_by_the_replay():
    batches = _batches(SIZES["tape"], 6)
    results = []
    for compiled in (False, True):
        model, opt, step = _trainer("adam", SIZES["tape"])
        fn = nb.compile(step) if compiled else step
        for k, (x, y) in enumerate(batches):
            opt.param_groups[0]["lr"] = 0.01 * (k + 1)   # as a scheduler outside would
            fn(x, y)
        results.append([p.detach().numpy().copy() for p in model.parameters()])
    assert fn.stats["replays"] == 4   # calls 3-6 (call 2 records: .grad no longer None)
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_step_hooks_run_on_every_replay():
    model, opt, step = _trainer("sgd", SIZES["tape"])
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append("pre"))
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append("post"))
    fn = nb.compile(step)
    for x, y in _batches(SIZES["tape"], 4):
        fn(x, y)
    assert fn.stats["replays"] >= 2
    assert seen == ["pre", "post"] * 4


def test_an_op_after_the_step_on_other_tensors_replays():
    model, opt, _ = _trainer("sgd", SIZES["tape"])

    def step(x, y):
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.detach() * 2   # the loss was computed before the step
    fn = nb.compile(step)
    model_e, opt_e, _ = _trainer("sgd", SIZES["tape"])
    for x, y in _batches(SIZES["tape"], 4):
        with warnings.catch_warnings():
            warnings.simplefilter("error", CompileWarning)
            got = fn(x, y)
        want = F.cross_entropy(model_e(x), y)
        want.backward()
        opt_e.step()
        opt_e.zero_grad()
        np.testing.assert_allclose(got.numpy(), 2 * want.detach().numpy(), rtol=1e-12)
    assert fn.stats["replays"] == 3


def _after_step_on_parameter(model, opt, x, y, z):
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss + model[0].weight.sum()   # reads the updated weight


def _backward_after_step(model, opt, x, y, z):
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    other = (z * z).sum()   # z is no parameter, yet a backward after a step is refused
    opt.step()
    other.backward()
    return loss


def _step_with_closure(model, opt, x, y, z):
    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        return loss
    return opt.step(closure)


@pytest.mark.parametrize("body, message", [
    (_after_step_on_parameter, "op 'sum' on a tensor a step updates"),
    (_backward_after_step, "a backward.. after optimizer.step"),
    (_step_with_closure, r"SGD.step\(\) with an argument"),
])
def test_what_a_step_would_change_runs_eagerly_with_a_warning(body, message):
    batches = _batches(SIZES["tape"], 3)
    model_e, opt_e, _ = _trainer("sgd", SIZES["tape"])
    model, opt, _ = _trainer("sgd", SIZES["tape"])
    z_e, z = (nb.tensor([1.0, -2.0], dtype=nb.float64, requires_grad=True) for _ in "ab")
    fn = nb.compile(lambda x, y: body(model, opt, x, y, z))
    for k, (x, y) in enumerate(batches):
        want = body(model_e, opt_e, x, y, z_e)
        if k == 0:
            with pytest.warns(CompileWarning, match=message):
                got = fn(x, y)
        else:
            got = fn(x, y)
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    assert fn.stats["eager_calls"] == 2 and fn.stats["replays"] == 0
    assert (z.grad is None) == (z_e.grad is None)
    extra_e, extra = ([z_e.grad], [z.grad]) if z.grad is not None else ([], [])
    for pe, pc in zip(list(model_e.parameters()) + extra_e,
                      list(model.parameters()) + extra):
        np.testing.assert_allclose(pc.detach().numpy(), pe.detach().numpy(), rtol=1e-12)


def test_returning_a_tensor_still_requiring_grad_with_a_step_runs_eagerly():
    model, opt, _ = _trainer("sgd", SIZES["tape"])
    model_e, opt_e, _ = _trainer("sgd", SIZES["tape"])

    def body(model, opt, x, y):
        out = model(x)
        F.cross_entropy(out, y).backward(retain_graph=True)
        opt.step()
        opt.zero_grad()
        return out   # eagerly, out.backward() now raises: the step changed the weights
    fn = nb.compile(lambda x, y: body(model, opt, x, y))
    x, y = _batches(SIZES["tape"], 1)[0]
    with pytest.warns(CompileWarning, match="calls optimizer.step"):
        got = fn(x, y)
    want = body(model_e, opt_e, x, y)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    for out in (got, want):
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_gradients_clipped_before_the_step_replay_as_eagerly(size):
    results = []
    for compiled in (False, True):
        model, opt, _ = _trainer("sgd_nesterov", SIZES[size])

        def step(x, y):
            loss = F.cross_entropy(model(x), y) * 50   # large gradients: clipping acts
            loss.backward()
            norm = nb.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad()
            return loss, norm
        fn = nb.compile(step) if compiled else step
        norms = [fn(x, y)[1].numpy().copy() for x, y in _batches(SIZES[size], 5)]
        results.append((norms, [p.detach().numpy().copy() for p in model.parameters()]))
        if compiled:
            assert fn.stats["replays"] == 4 and fn.stats["eager_calls"] == 0
    (norms_e, params_e), (norms_c, params_c) = results
    assert min(norms_e) > 1   # the clip changed every step's gradients
    for a, b in zip(norms_e + params_e, norms_c + params_c):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_a_fused_elementwise_step_with_an_optimizer_replays_as_eagerly():
    results = []
    for compiled in (False, True):
        nb.manual_seed(0)
        w = nb.randn(20_000, dtype=nb.float64, requires_grad=True)
        opt = nb.optim.Adam([w], lr=0.01)

        def step(x):
            loss = ((x * w).tanh() * 3 + w * w).sum()
            loss.backward()
            opt.step()
            opt.zero_grad()
            return loss
        fn = nb.compile(step) if compiled else step
        nb.manual_seed(1)
        losses = [fn(nb.randn(20_000, dtype=nb.float64)).detach().numpy() for _ in range(4)]
        results.append(losses + [w.detach().numpy().copy()])
        if compiled:
            assert fn.stats["replays"] == 3
            assert {type(p).__name__ for ps in fn._plans.values() for p in ps} == {"FusedPlan"}
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
