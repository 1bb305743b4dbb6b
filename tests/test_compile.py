"""nb.compile: replays give the eager results, fall back honestly, and re-record
when the signature or a guard changes."""

import collections
import re
import warnings

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.compiler import CompileWarning
from nbgrad.ops.elementwise import Elementwise
from nbgrad.ops.registry import REGISTRY
from tests.opdb import ALL_OPS


def _np(v):
    if isinstance(v, nb.Tensor):
        return v.detach().numpy()
    if isinstance(v, (tuple, list)):
        return [_np(x) for x in v]
    return v


def _same(a, b, rtol=1e-12):
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y, rtol)
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol)
    else:
        assert a == b


def tutorial_step(x):
    loss = ((x + 2) * (x + 2) * 3).mean()
    loss.backward()
    return loss


def test_tutorial_step_replays_the_eager_values_and_grads():
    step = nb.compile(tutorial_step)
    x_eager = nb.tensor([[1.0, 2.0], [3.0, -4.0]], dtype=nb.float64, requires_grad=True)
    x = nb.tensor([[1.0, 2.0], [3.0, -4.0]], dtype=nb.float64, requires_grad=True)
    for i in range(4):
        expected = tutorial_step(x_eager)
        got = step(x)
        _same(_np(expected), _np(got))
        _same(_np(x_eager.grad), _np(x.grad))   # accumulated across calls as eagerly
        assert got.requires_grad
    assert got.grad_fn.name() == "CompiledFunctionBackward"   # the last call replayed

    # x.grad None on the first call, set after: one recording per guard state
    assert step.stats["recordings"] == 2 and step.stats["replays"] == 2
    x.grad = None
    step(x)
    assert step.stats["recordings"] == 2 and step.stats["replays"] == 3


def test_backward_of_a_replayed_loss_raises_as_a_consumed_graph():
    step = nb.compile(tutorial_step)
    x = nb.ones(2, 2, requires_grad=True)
    step(x)
    loss = step(x)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_a_leaf_made_inside_is_fresh_per_call_and_float32_matches_eager():
    def fn():
        x = nb.ones(2, 2, requires_grad=True)
        ((x + 2) * (x + 2) * 3).mean().backward()
        return x.grad
    step = nb.compile(fn)
    step()
    second, third = step(), step()
    _same(_np(fn()), _np(third))
    assert third is not second and third.dtype == nb.float32
    assert step.stats == {"recordings": 1, "replays": 2, "eager_calls": 0, "evictions": 0}


def scalar_graph(xs, rounds=60):
    vals = list(xs)
    for i in range(rounds):
        n = len(vals)
        a, b, c, d = (vals[(7 * i + 13 * k + 1) % n] for k in range(4))
        t = nb.stack([a, b, c, d]).sum()
        p = nb.nn.functional.softplus(a) * t
        vals.append(nb.softmax(nb.stack([p, b, c, d]), 0)[0])
    return nb.stack(vals[-4:]).sum()


def test_scalar_graph_with_autograd_grad():
    def fn(xs):
        loss = scalar_graph(xs)
        return loss, nb.autograd.grad(loss, xs, allow_unused=True)
    xs = [nb.tensor(v, dtype=nb.float64, requires_grad=True) for v in np.linspace(-2, 2, 20)]
    step = nb.compile(fn)
    expected = fn(xs)
    for _ in range(3):
        got = step(xs)
        assert [g is None for g in got[1]] == [g is None for g in expected[1]]
        _same(_np(expected[0]), _np(got[0]))
        _same([_np(g) for g in expected[1] if g is not None],
              [_np(g) for g in got[1] if g is not None])
    assert step.stats["replays"] == 2
    # new values, same signature: a replay computes them
    ys = [nb.tensor(v, dtype=nb.float64, requires_grad=True) for v in np.linspace(-1, 3, 20)]
    _same(_np(fn(ys)[0]), _np(step(ys)[0]))
    assert step.stats["recordings"] == 1


def test_captured_parameters_are_read_on_every_call_and_get_their_grad():
    w = nb.tensor([0.5, -1.0, 2.0], dtype=nb.float64, requires_grad=True)

    def fn(x):
        loss = (x * w).sigmoid().sum()
        loss.backward()
        return loss
    step = nb.compile(fn)
    x = nb.tensor([1.0, 2.0, 3.0], dtype=nb.float64)
    step(x)
    w.grad = None
    with nb.no_grad():
        w.mul_(3.0)   # changed outside the function: the replay reads the new values
    w_eager = w.detach().clone().requires_grad_()
    expected = (x * w_eager).sigmoid().sum()
    expected.backward()
    got = step(x)
    _same(_np(expected), _np(got))
    _same(_np(w_eager.grad), _np(w.grad))


def test_new_signature_records_again_and_the_cache_is_bounded():
    step = nb.compile(lambda x: (x * 2).exp(), cache_size_limit=2)
    for n in (1, 2, 3, 1):
        x = nb.ones(n, dtype=nb.float64)
        _same(_np((x * 2).exp()), _np(step(x)))
    assert step.stats["recordings"] == 4 and step.stats["evictions"] == 2
    step(nb.ones(1, dtype=nb.float64))
    assert step.stats["replays"] == 1


def test_the_same_tensor_twice_is_another_signature():
    step = nb.compile(lambda a, b: a * b + a)
    x = nb.tensor([1.0, 2.0], dtype=nb.float64)
    y = nb.tensor([3.0, 5.0], dtype=nb.float64)
    step(x, x)
    step(x, x)
    _same(_np(x * y + x), _np(step(x, y)))
    assert step.stats["recordings"] == 2


@pytest.mark.parametrize("body, what", [
    (lambda x: x * 2 if x.sum() > 0 else x * 3, "bool(tensor)"),
    (lambda x: x * x.sum().item(), "Tensor.item()"),
    (lambda x: x * float(x.sum()), "float(tensor)"),
    (lambda x: x * len(x.tolist()), "Tensor.tolist()"),
    (lambda x: x[x > 0], "indexes with a mask (its result's shape depends on the mask's"),
    (lambda x: x * 2 if print(x) is None else x, "print()"),   # a replay would not print
    (lambda x: x * 2 if print("step") is None else x, "print()"),   # before: not detected
    (lambda x: x * 2 if str(x) else x, "str(tensor)"),
    (lambda x: x * 2 if f"{x.sum():.2f}" else x, "format(tensor)"),
    (lambda x: x[x.argmax()], "Tensor.item()"),
])
def test_what_cannot_replay_runs_eagerly_with_one_warning_naming_the_line(body, what):
    step = nb.compile(body)
    x = nb.tensor([1.0, -2.0, 4.0], dtype=nb.float64)
    with pytest.warns(CompileWarning, match=re.escape(what)) as caught:
        first = step(x)
    assert f"{__file__}:" in str(caught[0].message)
    _same(_np(body(x)), _np(first))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        step(x)
    assert step.stats["eager_calls"] == 1 and step.stats["recordings"] == 1


def test_the_warning_names_the_users_file_and_line():
    def body(x):
        return x * x.sum().item()
    with pytest.warns(CompileWarning) as caught:
        nb.compile(body)(nb.ones(2))
    assert f"{__file__}:" in str(caught[0].message)


def test_in_place_update_of_an_argument_is_written_back_with_its_version():
    def body(x):
        x.add_(1.0)
        return x
    step = nb.compile(body)
    x = nb.zeros(2)
    for _ in range(3):
        assert step(x) is x
    assert x.tolist() == [3.0, 3.0] and x._version == 3
    assert step.stats["replays"] == 2


def sgd_step(w, b, x, y):
    loss = ((x * w).sum() + b - y) ** 2
    loss.backward()
    with nb.no_grad():
        w.sub_(w.grad * 0.01)
        b.sub_(0.01 * b.grad)
        w.grad = None
    return loss


def test_a_training_step_with_sgd_updates_replays_as_eager():
    def params():
        return (nb.tensor([0.5, -1.0, 2.0], dtype=nb.float64, requires_grad=True),
                nb.tensor(0.1, dtype=nb.float64, requires_grad=True))
    x = nb.tensor([1.0, 2.0, 3.0], dtype=nb.float64)
    y = nb.tensor(1.0, dtype=nb.float64)
    we, be = params()
    w, b = params()
    step = nb.compile(lambda: sgd_step(w, b, x, y))   # parameters captured in a closure
    for _ in range(5):
        _same(_np(sgd_step(we, be, x, y)), _np(step()))
        _same(_np(we), _np(w))
        _same(_np(be), _np(b))
        _same(_np(be.grad), _np(b.grad))   # accumulated (never cleared)
        assert w.grad is None and we.grad is None
    assert step.stats["replays"] >= 3


def test_fill_in_place_runs_eagerly_with_a_warning():
    w = nb.tensor([0.5, -1.0], dtype=nb.float64, requires_grad=True)

    def body():
        loss = (w * w).sum()
        loss.backward()
        w.grad.fill_(0.0)   # an in-place op the tape does not record
        return loss
    with pytest.warns(CompileWarning, match="in-place change"):
        nb.compile(body)()
    assert w.grad is not None and float(w.grad.abs().sum()) == 0.0


def test_in_place_update_of_a_tensor_sharing_memory_with_another_is_refused():
    base = nb.zeros(4, dtype=nb.float64)
    part = base[:2]

    def body(x):
        x.add_(1.0)
        return part * 2
    with pytest.warns(CompileWarning, match="share memory"):
        nb.compile(body)(base)


def _samples(info, seed=0):
    rng = np.random.default_rng(seed)
    return info.samples(rng)[:2]


def _db_cases():
    """(OpInfo, sample, the sample drawn with another seed) of every op of the op
    database (two samples each): the same shapes and arguments, other values."""
    return [pytest.param(info, s, t, id=f"{info.id}-{s.desc}") for info in ALL_OPS
            for s, t in zip(_samples(info), _samples(info, seed=1))]


def _is_tape_op(info):
    op = REGISTRY.get(info.name)
    return isinstance(op, Elementwise) and op.out_dtype != "bool" and not info.composite


def _float_tensors(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, nb.Tensor) and o.dtype.is_floating_point]


@pytest.mark.parametrize("info, sample, other", _db_cases())
def test_every_op_of_the_database_replays_as_eager(info, sample, other):
    """Forward and gradients of every op, compiled vs eager (float64): ops of the
    tape's vocabulary run as rows, the others as host rows or eagerly.  The
    recording is made on `sample`'s values and replayed on `other`'s (a value
    kept from the recording would show as a difference), then on `sample`'s."""
    arrays = [a for a in sample.args if isinstance(a, np.ndarray)]
    others = [a for a in other.args if isinstance(a, np.ndarray)]
    assert [(a.shape, a.dtype) for a in others] == [(a.shape, a.dtype) for a in arrays]
    diff = [i for i, a in enumerate(arrays) if i in sample.diff_positions() and info.grad]

    def fn(*ts):
        it = iter(ts)
        args = [next(it) if isinstance(a, np.ndarray) else a for a in sample.args]
        out = info.call(*args, **sample.kwargs)
        wrt = [ts[i] for i in diff]
        rg = [o for o in _float_tensors(out) if o.requires_grad]
        if not wrt or not rg:
            return out
        loss = rg[0].sum()
        for o in rg[1:]:
            loss = loss + o.sum()
        return out, nb.autograd.grad(loss, wrt, allow_unused=True)

    def inputs(values):
        return [nb.tensor(a, requires_grad=i in diff) for i, a in enumerate(values)]
    try:
        nb.manual_seed(7)   # random ops (dropout) then draw the same numbers in both
        fn(*inputs(arrays))
    except Exception as exc:   # a sample of an error case: compiled raises the same
        with pytest.raises(type(exc)):
            nb.compile(fn)(*inputs(arrays))
        return
    step = nb.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompileWarning)
        step(*inputs(arrays))
        for values in (others, arrays):
            _replays_as_eager(fn, step, inputs(values), inputs(values))
    same_shape = len({a.shape for a in arrays}) == 1 and all(
        a.dtype == np.float64 for a in arrays)
    if same_shape and _is_tape_op(info):
        assert step.stats["replays"] == 2, f"{info.id} fell back: see CompileWarning"


def _replays_as_eager(fn, step, eager_inputs, compiled_inputs):
    """step(*inputs) gives fn's results, or raises fn's error type."""
    try:
        nb.manual_seed(7)
        expected = fn(*eager_inputs)
    except Exception as exc:   # these values are an error case (a singular matrix...)
        with pytest.raises(type(exc)):
            nb.manual_seed(7)
            step(*compiled_inputs)
        return
    nb.manual_seed(7)
    _same(_np(expected), _np(step(*compiled_inputs)))


def test_backward_after_the_call_runs_the_compiled_reverse():
    w = nb.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=nb.float64, requires_grad=True)

    def model(x):
        return (x * w).tanh() * x + w
    step = nb.compile(model)
    x = nb.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=nb.float64, requires_grad=True)
    x_eager = x.detach().clone().requires_grad_()
    w_eager = w.detach().clone().requires_grad_()
    ((x_eager * w_eager).tanh() * x_eager + w_eager).pow(2).sum().backward()
    step(x)
    out = step(x)
    assert out.grad_fn.name() == "CompiledFunctionBackward"
    w.grad = x.grad = None
    out.pow(2).sum().backward()
    _same(_np(x_eager.grad), _np(x.grad))
    _same(_np(w_eager.grad), _np(w.grad))


def test_a_saved_input_changed_before_the_compiled_backward_raises():
    step = nb.compile(lambda x: (x * x).sum())
    x = nb.tensor([1.0, 2.0], dtype=nb.float64, requires_grad=True)
    step(x)
    loss = step(x)
    with nb.no_grad():
        x.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_ops_outside_the_vocabulary_replay_on_their_eager_kernels():
    """A tiny MLP step: linear layers (matmul, broadcast bias), cross_entropy with int64
    targets, SGD updates: host ops between interpreter rows, values as eager."""
    def make():
        nb.manual_seed(3)
        return nb.nn.Sequential(nb.nn.Linear(4, 5), nb.nn.Tanh(), nb.nn.Linear(5, 3)).double()
    model_eager, model = make(), make()
    x = nb.tensor(np.linspace(-1, 1, 24).reshape(6, 4), dtype=nb.float64)
    y = nb.tensor([0, 2, 1, 1, 0, 2])

    def train_step(m, x, y):
        loss = nb.nn.functional.cross_entropy(m(x), y)
        loss.backward()
        with nb.no_grad():
            for p in m.parameters():
                p.sub_(0.5 * p.grad)
                p.grad = None
        return loss
    step = nb.compile(lambda x, y: train_step(model, x, y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(4):
            _same(_np(train_step(model_eager, x, y)), _np(step(x, y)))
    for pe, p in zip(model_eager.parameters(), model.parameters()):
        _same(_np(pe), _np(p))
    assert step.stats["replays"] == 3


def _backward_and_live(x):
    y = x.cumsum(0) * x
    (y * y).sum().backward()
    return y   # still requires grad: a later y.sum().backward() must work


def test_large_tensors_the_array_replay_cannot_serve_run_eagerly_without_a_warning():
    step = nb.compile(_backward_and_live)
    x = nb.ones(10_000, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        step(x)
        step(x)
    assert step.stats["eager_calls"] == 1 and "eager kernels" in step.last_reason
    assert "with its own backward" in step.last_reason


def fused_body(x, y, w):
    h = (x * w + 2.5).tanh() * y - x.exp() * 0.5
    loss = h.mean() + (h * h).sum() * 0.25
    loss.backward()
    return loss, h.detach()


@pytest.mark.parametrize("dtype", [nb.float64, nb.float32])
def test_large_elementwise_chains_replay_as_fused_kernels(dtype):
    """Two parallel passes (forward with the reductions, backward recomputing the
    values) give eager's loss, values and accumulated .grad."""
    tol = 1e-12 if dtype is nb.float64 else 1e-5
    rng = np.random.default_rng(0)
    values = [rng.uniform(-1, 1, 6000) for _ in range(2)]
    w = nb.tensor(0.7, dtype=dtype, requires_grad=True)
    we = nb.tensor(0.7, dtype=dtype, requires_grad=True)
    x, y = (nb.tensor(v, dtype=dtype, requires_grad=True) for v in values)
    xe, ye = (nb.tensor(v, dtype=dtype, requires_grad=True) for v in values)
    step = nb.compile(lambda x, y: fused_body(x, y, w))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):   # .grad None, then accumulated in place
            _same(_np(fused_body(xe, ye, we)), _np(step(x, y)), tol)
            _same(_np(xe.grad), _np(x.grad), tol)
            _same(_np(ye.grad), _np(y.grad), tol)
            _same(_np(we.grad), _np(w.grad), tol)   # a scalar parameter: a sum in pass 2
    assert step.stats["replays"] == 1 and step.stats["eager_calls"] == 0
    assert type(step._plans[next(iter(step._plans))][-1]).__name__ == "FusedPlan"



def test_random_ops_draw_fresh_numbers_on_every_replay():
    step = nb.compile(lambda x: nb.nn.functional.dropout(x * 2, 0.5))
    x = nb.ones(64, dtype=nb.float64)
    step(x)
    masks = {tuple(step(x).tolist()) for _ in range(3)}
    assert step.stats["replays"] == 3 and len(masks) == 3


def test_add_with_alpha_under_no_grad_replays():
    w = nb.tensor([1.0, -2.0], dtype=nb.float64, requires_grad=True)
    we = w.detach().clone().requires_grad_()

    def body(w):
        loss = (w * w * w).sum()
        loss.backward()
        with nb.no_grad():
            w.add_(w.grad, alpha=-0.1)
            w.grad = None
        return loss
    step = nb.compile(lambda: body(w))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            _same(_np(body(we)), _np(step()))
            _same(_np(we), _np(w))
    assert step.stats["replays"] == 2 and w._version == we._version


def test_a_compiled_function_called_inside_another_is_part_of_its_recording():
    inner = nb.compile(lambda x: x.exp() * 2)
    x = nb.tensor([0.5, 1.0], dtype=nb.float64)
    inner(x)
    inner(x)   # inner has a plan: its replay must not hide its ops from the outer recording
    outer = nb.compile(lambda x: inner(x) + x)
    for k in range(3):
        y = x + k   # new values, same signature
        _same(_np(y.exp() * 2 + y), _np(outer(y)))
    assert outer.stats["replays"] == 2


@pytest.mark.parametrize("make", [
    lambda x: x.detach(), lambda x: x.data, lambda x: x.new_tensor(x), lambda x: nb.tensor(x),
    lambda x: nb.tensor([[x[0, 0], x[0, 1]], [x[1, 0], x[1, 1]]]),
    lambda x: x.detach().clone(), lambda x: x.to(nb.float64),
    lambda x: x.double(), lambda x: x.clone(), lambda x: x.contiguous(), lambda x: x.type_as(x),
    lambda x: x.cpu(), lambda x: x.t(), lambda x: nb.as_tensor(x), lambda x: x.mT,
    lambda x: x.detach().requires_grad_(), lambda x: x.float(),
], ids=["detach", "data", "new_tensor", "tensor", "tensor_of_list", "detach_clone", "to",
        "double", "clone", "contiguous", "type_as", "cpu", "t", "as_tensor", "mT",
        "requires_grad_", "float"])
def test_tensors_made_from_a_tensor_outside_the_ops_never_replay_stale_values(make):
    """detach()/.data alias their base; copies of values outside the ops refuse."""
    def fn(x):
        return (x * make(x).reshape(2, 2)).sum()
    step = nb.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompileWarning)
        for k in range(3):
            x = nb.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=nb.float64) + k
            _same(_np(fn(x)), _np(step(x)))


def test_a_module_switched_to_eval_records_again():
    nb.manual_seed(0)
    model = nb.nn.Sequential(nb.nn.Linear(3, 3).double(), nb.nn.Dropout(0.5))
    step = nb.compile(lambda x: model(x))
    x = nb.ones(2, 3, dtype=nb.float64)
    step(x)
    step(x)
    model.eval()
    _same(_np(model(x)), _np(step(x)))   # no dropout: as eager in eval mode
    assert step.stats["recordings"] == 2


def test_returning_a_view_of_an_argument_runs_eagerly():
    step = nb.compile(lambda x: x[0])
    x = nb.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=nb.float64)
    with pytest.warns(CompileWarning, match="view of an argument"):
        step(x)
    row = step(x)
    row.mul_(10)   # a view, as eagerly: the write reaches x
    assert x.tolist()[0] == [10.0, 20.0]


def test_a_plan_does_not_keep_the_recorded_tensors_alive(monkeypatch):
    import gc
    import weakref

    from nbgrad.compiler import side_effects
    # `seen` spies on the recording: the extend would make it run eagerly (no plan)
    monkeypatch.setattr(side_effects, "first_change", lambda before: None)
    seen = []

    def fn(x):
        y = x @ x            # a host row
        z = (y * 2).tanh()   # a tape row
        seen.extend([weakref.ref(y), weakref.ref(z)])
        return z.sum()
    step = nb.compile(fn)
    step(nb.ones(2, 2, dtype=nb.float64))
    assert step.last_reason is None and len(step._plans) == 1   # a plan was made
    gc.collect()
    assert [r() for r in seen] == [None, None]



@pytest.mark.parametrize("body", [
    lambda x, y: (x.sigmoid() * y + 1.0).sum(),
    lambda x, y: ((x - y) ** 2).mean() * 3.0 + (x * 0.5).exp().sum() / 7.0,
    lambda x, y: (x.sin() * y.cos()).mean() - x.mean(),
])
def test_fused_kernels_with_autograd_grad(body):
    rng = np.random.default_rng(1)
    arrays = [rng.uniform(-1, 1, 5000) for _ in range(2)]

    def fn(x, y):
        loss = body(x, y)
        return loss, nb.autograd.grad(loss, [x, y])
    step = nb.compile(fn)
    for k in range(3):
        args = [nb.tensor(a + k, dtype=nb.float64, requires_grad=True) for a in arrays]
        eargs = [nb.tensor(a + k, dtype=nb.float64, requires_grad=True) for a in arrays]
        _same(_np(fn(*eargs)), _np(step(*args)))
    assert step.stats["replays"] == 2
    assert type(step._plans[next(iter(step._plans))][-1]).__name__ == "FusedPlan"


def test_int_indexing_replays_as_views_of_the_tape():
    """x[i] of a leaf that requires grad (PyTorch's select) and of an argument (the eager
    fast path, which steps aside while recording) are slots of the tape, not host rows;
    each replay reads the new argument."""
    w = nb.tensor([1.0, 2.0, 3.0], dtype=nb.float64, requires_grad=True)

    def body(x):
        y = (x[1] * w).sum() + x[0, 2] * w[2] * w[0]
        y.backward()
        return y
    step = nb.compile(body)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in range(3):
            x = nb.arange(6.0, dtype=nb.float64).reshape(2, 3) + k
            w.grad = None
            got, grad = _np(step(x)), _np(w.grad)
            w.grad = None
            _same(_np(body(x)), got)
            _same(_np(w.grad), grad)
    assert step.stats["replays"] == 2
    (plan,) = next(iter(step._plans.values()))
    assert plan.hosts == []


def test_the_cycle_collector_pauses_while_recording_only(monkeypatch):
    """A recording runs with the collector off (it only re-scans the live graph there)
    and gives it back as it found it: on, off, or on after the function raised."""
    import gc

    from nbgrad.compiler import side_effects
    # `seen` spies on the recordings: the append would make them run eagerly, and a
    # short list read by the function is guarded whole (a deque is not)
    monkeypatch.setattr(side_effects, "first_change", lambda before: None)
    seen = collections.deque()

    def step(x):
        seen.append(gc.isenabled())
        return (x * 2).sum()

    f = nb.compile(step)
    x = nb.ones(3, requires_grad=True)
    assert gc.isenabled()
    f(x)
    f(x)   # a replay does not run step
    f(nb.ones(4, requires_grad=True))   # a new signature records again
    assert list(seen) == [False, False] and gc.isenabled()
    assert f.stats["replays"] == 1
    gc.disable()
    try:
        f(nb.ones(5, requires_grad=True))
        assert not gc.isenabled()   # the user's choice stays
    finally:
        gc.enable()

    def broken(x):
        raise ValueError("inside the recording")

    with pytest.raises(ValueError, match="inside the recording"):
        nb.compile(broken)(x)
    assert gc.isenabled()


def test_the_collector_stays_paused_until_the_last_recording_ends():
    """Two recordings overlapping (threads: one lowers while the next records): the one
    that ends first leaves the collector off under the other; the last turns it on."""
    import gc
    from nbgrad.compiler.api import _collector_paused
    first, second = _collector_paused(), _collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()
