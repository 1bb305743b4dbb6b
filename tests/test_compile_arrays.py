"""nb.compile's array-level replay of large tensors (`nbgrad.compiler.arrays`): a
training step with matrix products, log_softmax and nll_loss replays as direct
kernel calls and gives eager's values, gradients and parameters."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbgrad as nb
from nbgrad.compiler.arrays import ArrayPlan
from tests.opdb import ALL_OPS
from tests.test_compile import _is_tape_op
from tests.test_compile_programs import programs, replay_matches_eager

F = nb.nn.functional


def _plan_kinds(step):
    return [type(p).__name__ for plans in step._plans.values() for p in plans]


def _the_plan(step):
    """The first plan `step` keeps."""
    return next(iter(step._plans.values()))[0]


def _mlp(dtype, seed=0, sizes=(64, 96, 128, 10)):
    rng = np.random.default_rng(seed)
    n, d_in, hidden, classes = sizes
    model = nb.nn.Sequential(nb.nn.Linear(d_in, hidden), nb.nn.ReLU(),
                             nb.nn.Linear(hidden, classes))
    with nb.no_grad():
        for p in model.parameters():
            p.copy_(nb.tensor(rng.uniform(-0.2, 0.2, tuple(p.shape))))
    model.to(dtype)
    x = nb.tensor(rng.standard_normal((n, d_in)), dtype=dtype)
    target = nb.tensor(rng.integers(0, classes, n))
    return model, x, target


def _sgd_step(model, x, target, lr=0.1):
    loss = F.cross_entropy(model(x), target)
    loss.backward()
    with nb.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
            p.grad = None
    return loss


def _run_both(body, make, calls=3, rtol=1e-12):
    """`body(*make())` eagerly and compiled from equal starts, `calls` times; the
    results and every tensor `make` gave compared after each call."""
    eager_args, compiled_args = make(), make()
    step = nb.compile(body)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(calls):
            want, got = body(*eager_args), step(*compiled_args)
            _close(want, got, rtol)
            for a, b in zip(_tensors(eager_args), _tensors(compiled_args)):
                _close(a, b, rtol)
                _close(a.grad, b.grad, rtol)
    assert step.stats["eager_calls"] == 0
    assert step.stats["replays"] == calls - step.stats["recordings"] > 0
    return step


def _tensors(args):
    for a in args:
        if isinstance(a, nb.nn.Module):
            yield from a.parameters()
        elif isinstance(a, nb.Tensor):
            yield a


def _close(a, b, rtol):
    if isinstance(a, (tuple, list)):
        for x, y in zip(a, b, strict=True):
            _close(x, y, rtol)
        return
    if a is None or b is None:
        assert a is None and b is None
        return
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [nb.float64, nb.float32])
def test_a_training_step_replays_as_kernel_calls_with_eager_parameters(dtype):
    """float32 too: the same kernels on the same values give the same numbers."""
    step = _run_both(_sgd_step, lambda: _mlp(dtype), calls=4,
                     rtol=1e-12 if dtype is nb.float64 else 0)
    assert _plan_kinds(step) == ["ArrayPlan"]
    plan = _the_plan(step)
    assert len(plan.alias) == 2   # both weight.t() are views, not copies
    assert plan.hosted == []      # addmm, log_softmax and nll_loss have array forms
    # the first weight is updated in place (the other parameters' small updates
    # run on the interpreter, in the arena), its .grad read where G holds it
    assert [t.shape for t, _ in plan.bound] == [(128, 96)]
    assert sum(m[3] is None for m in plan.moved) == 1


def test_bound_parameters_follow_a_replaced_data_and_count_versions():
    (model_e, x, t), (model_c, _, _) = _mlp(nb.float64), _mlp(nb.float64)
    step = nb.compile(_sgd_step)
    for k in range(4):
        if k == 2:   # the weight's array replaced: the replay binds the new one
            for m in (model_e, model_c):
                m[0].weight.data = m[0].weight.detach() * 0.5
        _close(_sgd_step(model_e, x, t), step(model_c, x, t), 1e-12)
        for pe, pc in zip(model_e.parameters(), model_c.parameters()):
            _close(pe, pc, 1e-12)
            assert pe._version == pc._version
    plan = _the_plan(step)
    assert plan.bound[0][1] is model_c[0].weight._data


def test_an_out_of_range_class_raises_on_replay_as_eagerly():
    model, x, target = _mlp(nb.float64)
    step = nb.compile(_sgd_step)
    step(model, x, target)
    bad = target.clone()
    bad[3] = 12
    with pytest.raises(IndexError, match="Target 12 is out of bounds."):
        step(model, x, bad)
    assert step.stats["replays"] == 1


def _linear_grads(x, w, b):
    """autograd.grad of a mean (inputs' gradients too), a bias of shape (1, C)."""
    y = (x @ w.t() + b).tanh()
    loss = (y * y).mean() + (y * 0.5).sum()
    gx, gw, gb = nb.autograd.grad(loss, (x, w, b))
    return loss, gx * 2, gw, gb


def _linear_args(seed=1):
    rng = np.random.default_rng(seed)
    x = nb.tensor(rng.standard_normal((80, 60)), requires_grad=True)
    w = nb.tensor(rng.standard_normal((50, 60)) * 0.1, requires_grad=True)
    b = nb.tensor(rng.standard_normal((1, 50)), requires_grad=True)
    return x, w, b


def test_autograd_grad_of_products_and_elementwise_rows():
    step = _run_both(_linear_grads, _linear_args)
    assert set(_plan_kinds(step)) == {"ArrayPlan"}


def _by_hand(dtype, bias_shape, bias_first):
    """A tanh layer written by hand, ``x @ w + b`` (or ``b + x @ w``), cross_entropy and
    SGD: the bias add is an array step (`_AddRow`), its gradient a sum of rows."""
    rng = np.random.default_rng(3)
    w = nb.tensor(rng.standard_normal((60, 40)) * 0.2, dtype=dtype, requires_grad=True)
    b = nb.tensor(rng.standard_normal(bias_shape) * 0.1, dtype=dtype, requires_grad=True)
    x = nb.tensor(rng.standard_normal((80, 60)), dtype=dtype)
    target = nb.tensor(rng.integers(0, 40, 80))

    def step(x, target, w, b):
        h = b + x @ w if bias_first else x @ w + b
        loss = F.cross_entropy(h.tanh() * 3.0, target)
        loss.backward()
        with nb.no_grad():
            for p in (w, b):
                p -= 0.1 * p.grad
                p.grad = None
        return loss
    return step, (x, target, w, b)


@pytest.mark.parametrize("dtype", [nb.float64, nb.float32])
@pytest.mark.parametrize("bias_shape, bias_first", [((40,), False), ((1, 40), False),
                                                    ((40,), True)])
def test_a_bias_added_by_hand_replays_as_an_array_step(dtype, bias_shape, bias_first):
    step_fn = _by_hand(dtype, bias_shape, bias_first)[0]
    step = _run_both(step_fn, lambda: _by_hand(dtype, bias_shape, bias_first)[1], calls=4,
                     rtol=1e-12 if dtype is nb.float64 else 0)
    assert _plan_kinds(step) == ["ArrayPlan"]
    assert _the_plan(step).hosted == []   # mm, the add, log_softmax, nll_loss: forms


def _accumulating(x, w, b):
    """.grad kept across calls (added into), two backward passes in one call."""
    h = x @ w.t() + b
    (h.relu() * h).mean().backward(retain_graph=True)
    (h.sigmoid() * 3.0).sum().backward()
    return h.detach()


def test_grads_accumulate_across_calls_and_two_backward_passes():
    step = _run_both(_accumulating, _linear_args, calls=4)
    assert _plan_kinds(step).count("ArrayPlan") == 2   # .grad None, then set


@pytest.mark.parametrize("read, hosted", [
    # a host op without an array form reads the arena through its HostCall
    (lambda wt: (wt.cumsum(0) * 0.01).exp().mean(), "cumsum"),
    # an elementwise step reads its operands by arena offset, not through the view
    (lambda wt: (wt * wt).mean(), None),
    # a stack reads its sources through aux offsets, not the rows' fields
    (lambda wt: (nb.stack([wt, wt]) ** 2).mean(), None),
], ids=["host-op", "elementwise-row", "stack"])
def test_a_transpose_another_row_reads_is_a_copy(read, hosted):
    def body(x, w, b):
        wt = w.t()
        loss = nb.addmm(b, x, wt).tanh().mean() + read(wt)
        loss.backward()
        return loss
    plan = _the_plan(_run_both(body, _linear_args))
    assert isinstance(plan, ArrayPlan) and not plan.alias
    assert hosted is None or hosted in plan.hosted


def _scaled(x, s):
    """A 0-d factor used twice (its gradient a sum over the elements) and x * x."""
    loss = ((x * s) * (x * s)).mean() + (x * x).sum() * 0.5
    loss.backward()
    return loss


def test_a_scalar_used_twice_in_a_fused_chain():
    """Two updates of the scalar's gradient per element were no reduction prange
    accepts: the fused kernel did not compile (a ValueError from Numba)."""
    def make():
        rng = np.random.default_rng(2)
        return (nb.tensor(rng.standard_normal(5000), requires_grad=True),
                nb.tensor(1.5, dtype=nb.float64, requires_grad=True))
    step = _run_both(_scaled, make)
    assert set(_plan_kinds(step)) == {"FusedPlan"}


def _scaled_product(x, w, s):
    h = (x @ w) * s
    loss = (h * h).mean() + (h * x[:, :50]).sum() * 0.5
    loss.backward()
    return loss


def _product_args(seed, scale):
    """x (100, 60), w (60, 50) and a 0-d factor, all requiring grad."""
    def make():
        rng = np.random.default_rng(seed)
        return (nb.tensor(rng.standard_normal((100, 60)), requires_grad=True),
                nb.tensor(rng.standard_normal((60, 50)), requires_grad=True),
                nb.tensor(scale, dtype=nb.float64, requires_grad=True))
    return make


def test_a_scalar_factor_of_a_product_and_a_view():
    """A backward row with a one-element operand: its gradient is the sum of the
    row's per-element contributions."""
    step = _run_both(_scaled_product, _product_args(3, 0.7))
    assert set(_plan_kinds(step)) == {"ArrayPlan"}
    assert "mm" not in _the_plan(step).hosted   # x @ w: gemm


def _doubled(x, w, s):
    h = x @ w
    loss = ((h + h) - h * s).tanh().mean()
    loss.backward()
    return loss


def test_gradients_that_are_g_itself():
    """add's and sub's first input take the incoming gradient as it is (no kernel
    family: found by the random programs below)."""
    step = _run_both(_doubled, _product_args(4, 0.3))
    assert set(_plan_kinds(step)) == {"ArrayPlan"}


def _attention_like(x, w, s):
    """softmax over the last dimension (a tape row), a stack of large tensors (a
    gather row) and its sum."""
    h = x @ w
    p = (h * s).softmax(-1)
    both = nb.stack([p, h, p])
    loss = (both * both).mean() + both[1].tanh().sum() * 0.01
    loss.backward()
    return loss


def test_softmax_rows_and_stacks_of_large_tensors():
    step = _run_both(_attention_like, _product_args(5, 0.9))
    assert set(_plan_kinds(step)) == {"ArrayPlan"}


def _sgd_with_alpha(model, x, target, lr=0.1):
    """``p.add_(p.grad, alpha=-lr)``: the update computed, then copied into p (a
    forward copy row)."""
    loss = F.cross_entropy(model(x), target)
    loss.backward()
    with nb.no_grad():
        for p in model.parameters():
            p.add_(p.grad, alpha=-lr)
            p.grad = None
    return loss


def test_updates_committed_by_a_copy():
    step = _run_both(_sgd_with_alpha, lambda: _mlp(nb.float64), calls=4)
    assert _plan_kinds(step) == ["ArrayPlan"]


PLANS = []


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.booleans())
def test_random_programs_of_large_tensors_replay_as_eager(program, x_requires_grad):
    """test_compile_programs' random programs with every last dimension 1,500 times
    longer (up to 9,000 elements a tensor)."""
    step = replay_matches_eager(program, x_requires_grad, widen=1500)
    PLANS.extend(_plan_kinds(step))


def test_many_random_programs_of_large_tensors_ran_as_array_plans():
    """The property above ran (same session) and the array replay served many."""
    assert len(PLANS) >= 10 and PLANS.count("ArrayPlan") >= 5, PLANS


def _float_sample(info):
    """The first sample whose arrays are all finite float64 (a product can take them)."""
    for sample in info.samples(np.random.default_rng(0)):
        arrays = [a for a in sample.args if isinstance(a, np.ndarray)]
        if arrays and all(a.dtype == np.float64 and np.isfinite(a).all() for a in arrays):
            return sample
    return None


def _tape_op_cases():
    return [pytest.param(info, id=info.id) for info in ALL_OPS
            if _is_tape_op(info) and _float_sample(info) is not None]


@pytest.mark.parametrize("info", _tape_op_cases())
def test_every_tape_op_of_the_database_as_array_steps(info):
    """Each elementwise op of the tape's vocabulary on (64, 80) operands (its first
    float sample's values, tiled), followed by a matrix product: its forward and
    backward rows run as array steps and give eager's values and gradients."""
    sample = _float_sample(info)
    arrays = [np.resize(a, (64, 80)) for a in sample.args if isinstance(a, np.ndarray)]
    diff = set(sample.diff_positions()) if info.grad else set()

    def body(w, *ts):
        it = iter(ts)
        args = [next(it) if isinstance(a, np.ndarray) else a for a in sample.args]
        out = info.call(*args, **sample.kwargs)
        loss = (out @ w).tanh().sum()
        if loss.requires_grad:
            loss.backward()
        return loss.detach(), out.detach()

    def make():
        w = nb.tensor(np.random.default_rng(1).standard_normal((80, 3)), requires_grad=True)
        return [w] + [nb.tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    step = _run_both(body, make)
    assert set(_plan_kinds(step)) == {"ArrayPlan"}
