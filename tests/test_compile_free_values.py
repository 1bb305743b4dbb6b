"""A compiled function's globals and closure cells are guarded (free_values.py).

Before the guards, rebinding a name the function read -- a float global, a
closure variable, a global tensor updated functionally, a global model -- left
every later call replaying the recorded value: a silently wrong result.  Each test
here fails on that code (the replay returns the old value)."""

import dataclasses
import functools
import math
import types

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.compiler import CompileWarning

SCALE = 2.0
W = nb.tensor([1.0, 2.0], dtype=nb.float64, requires_grad=True)
USE_SHIFT = False
ALPHA = 0.5
MODEL = None


def _config():
    return types.SimpleNamespace(lr=0.5, inner=types.SimpleNamespace(depth=2.0))


CFG = _config()

# every function here replays (a warning would mean it ran eagerly: nothing tested)
pytestmark = pytest.mark.filterwarnings("error::nbgrad.compiler.CompileWarning")


def _scaled(x):
    return (x * SCALE * W).sum()


def _x():
    return nb.tensor([1.0, 1.0], dtype=nb.float64)


@pytest.fixture
def restore_globals():
    saved = dict(SCALE=SCALE, W=W, USE_SHIFT=USE_SHIFT, ALPHA=ALPHA, MODEL=MODEL,
                 CFG=CFG)
    globals()["CFG"] = _config()   # a fresh one: a test changes its attributes
    yield
    globals().update(saved)


def test_a_rebound_global_number_records_again(restore_globals):
    global SCALE
    f = nb.compile(_scaled)
    x = _x()
    for _ in range(3):
        assert f(x).item() == 6.0
    SCALE = 3.0
    assert f(x).item() == 9.0 == _scaled(x).item()
    assert f(x).item() == 9.0
    assert f.stats["recordings"] == 2
    SCALE = 2.0   # the first recording holds again: replayed, not recorded
    assert f(x).item() == 6.0
    assert f.stats["recordings"] == 2


def test_a_number_of_another_class_records_again(restore_globals):
    global SCALE
    f = nb.compile(_scaled)
    x = _x()
    f(x)
    f(x)
    SCALE = 2   # equal to 2.0, but an int: the recording read a float
    f(x)
    assert f.stats["recordings"] == 2


def test_a_rebound_closure_variable_records_again():
    k = 1.0

    def g(x):
        return (x * k).sum()
    cg = nb.compile(g)
    x = _x()
    for _ in range(3):
        assert cg(x).item() == 2.0
    k = 7.0
    assert cg(x).item() == 14.0 == g(x).item()


def test_a_global_tensor_updated_functionally_is_read_anew(restore_globals):
    """``W = W - lr * grad`` outside the function: each call uses the new W."""
    global W
    f = nb.compile(_scaled)
    x = _x()
    for _ in range(4):
        want = (x * SCALE * W.detach()).sum().item()
        loss = f(x)
        assert loss.item() == want
        loss.backward()
        W = (W - 0.1 * W.grad).detach().requires_grad_()


def test_a_global_flag_steering_python_records_again(restore_globals):
    global USE_SHIFT

    def h(x):
        y = x * 2
        if USE_SHIFT:
            y = y + 10
        return y.sum()
    ch = nb.compile(h)
    x = _x()
    assert ch(x).item() == ch(x).item() == 4.0
    USE_SHIFT = True
    assert ch(x).item() == 24.0


def _helper(y):
    return y * ALPHA


def _calls_helper(x):
    return _helper(x).sum()


def test_a_helpers_global_is_guarded(restore_globals):
    global ALPHA
    f = nb.compile(_calls_helper)
    x = _x()
    assert f(x).item() == f(x).item() == 1.0
    ALPHA = 4.0
    assert f(x).item() == 8.0


def _reads_config(x):
    return (x * CFG.lr * CFG.inner.depth).sum()


@pytest.mark.parametrize("change", ["attribute", "nested attribute", "object"])
def test_a_config_objects_attributes_are_guarded(restore_globals, change):
    global CFG
    f = nb.compile(_reads_config)
    x = _x()
    assert f(x).item() == f(x).item() == 2.0
    if change == "attribute":
        CFG.lr = 2.0
    elif change == "nested attribute":
        CFG.inner.depth = 8.0
    else:
        CFG = types.SimpleNamespace(lr=2.0, inner=CFG.inner)
    assert f(x).item() == _reads_config(x).item() != 2.0


def test_an_attribute_of_a_module_object_and_a_class_is_guarded():
    settings = types.ModuleType("settings")   # `import settings; settings.SCALE`
    settings.SCALE = 3.0

    class Consts:
        SHIFT = 1.0

    def g(x):
        return (x * settings.SCALE + Consts.SHIFT).sum()
    cg = nb.compile(g)
    x = _x()
    assert cg(x).item() == cg(x).item() == 8.0
    settings.SCALE = 1.0
    assert cg(x).item() == 4.0
    Consts.SHIFT = -1.0
    assert cg(x).item() == 0.0


HP = {"lr": 0.5}
PARAMS = [nb.tensor([1.0, 2.0], dtype=nb.float64)]


def _reads_items(x):
    return (x * HP["lr"] * PARAMS[0]).sum()


@pytest.mark.parametrize("change", ["dict item", "list item", "list shortened"])
def test_constant_subscripts_are_guarded(change):
    saved = dict(HP), list(PARAMS)
    try:
        f = nb.compile(_reads_items)
        x = _x()
        assert f(x).item() == f(x).item() == 1.5
        if change == "dict item":
            HP["lr"] = 2.0
        elif change == "list item":
            PARAMS[0] = nb.tensor([3.0, 3.0], dtype=nb.float64)
        else:
            PARAMS.clear()
            with pytest.raises(IndexError):
                f(x)
            return
        assert f(x).item() == _reads_items(x).item() != 1.5
    finally:
        HP.update(saved[0])
        PARAMS[:] = saved[1]


class _Trainer:
    def __init__(self):
        self.temperature = 2.0

    def step(self, x):
        return (x / self.temperature).sum()


SCALES = [1.0, 2.0]
WEIGHTS = []


def _scaled_by_index(x):
    return sum((x * SCALES[i]).sum() for i in range(len(SCALES)))


def _weighted_in_a_loop(x):
    for w in WEIGHTS:
        x = x * w
    return x.sum()


@pytest.mark.parametrize("change", ["number item", "tensor item", "appended"])
def test_a_short_lists_items_read_in_a_loop_or_by_a_computed_key_are_guarded(change):
    """Before, only constant subscripts (``SCALES[0]``) were guarded: a replay kept the
    recorded item after ``SCALES[1] = 5.0`` (6.0 for 12.0), the recorded tensor
    after ``WEIGHTS[1] = other``, the recorded loop count after an append."""
    SCALES[:] = [1.0, 2.0]
    WEIGHTS[:] = [nb.tensor([2.0, 2.0], dtype=nb.float64), nb.tensor([3.0, 3.0], dtype=nb.float64)]
    fn = _scaled_by_index if change == "number item" else _weighted_in_a_loop
    f, x = nb.compile(fn), _x()
    try:
        assert f(x).item() == f(x).item() == fn(x).item()
        if change == "number item":
            SCALES[1] = 5.0
        elif change == "tensor item":
            WEIGHTS[1] = nb.tensor([10.0, 10.0], dtype=nb.float64)
        else:
            WEIGHTS.append(nb.tensor([0.5, 0.5], dtype=nb.float64))
        assert f(x).item() == fn(x).item()
        assert f.stats["recordings"] == 2
    finally:
        SCALES[:] = [1.0, 2.0]
        WEIGHTS.clear()


class _Defaults:
    lr = 1.0      # a class-level default a config instance reads


class _Derived(_Defaults):
    pass


def _with_class_default(x, cfg):
    return (x * cfg.lr).sum()


@pytest.mark.parametrize("change", ["set on the instance", "set on the class",
                                    "set on the subclass"])
def test_an_attribute_a_class_holds_is_guarded(change):
    """Before, an attribute read from an instance's class (not its __dict__) was not
    guarded: ``cfg.lr = 3.0`` on the instance, or a new class value, replayed the
    recorded 2.0 for 6.0."""
    cfg = _Derived()
    f, x = nb.compile(_with_class_default), _x()
    try:
        assert f(x, cfg).item() == f(x, cfg).item() == 2.0
        target = {"set on the instance": cfg, "set on the class": _Defaults,
                  "set on the subclass": _Derived}[change]
        target.lr = 3.0
        assert f(x, cfg).item() == 6.0
    finally:
        _Defaults.lr = 1.0
        _Derived.__dict__.get("lr") is not None and delattr(_Derived, "lr")


def test_a_compiled_methods_self_attributes_are_guarded():
    trainer = _Trainer()
    step = nb.compile(trainer.step)
    x = _x()
    assert step(x).item() == step(x).item() == 1.0
    trainer.temperature = 0.5
    assert step(x).item() == 4.0


class _Net(nb.nn.Module):
    def __init__(self, value):
        super().__init__()
        self.w = nb.nn.Parameter(nb.full((2,), value, dtype=nb.float64))

    def forward(self, x):
        return (x * self.w * SCALE).sum()


def _uses_model(x):
    return MODEL(x)


def test_a_rebound_global_model_records_again(restore_globals):
    global MODEL
    MODEL = _Net(1.0)
    f = nb.compile(_uses_model)
    x = _x()
    assert f(x).item() == f(x).item() == 4.0
    MODEL = _Net(5.0)
    assert f(x).item() == 20.0


def test_a_compiled_modules_forward_globals_are_guarded(restore_globals):
    global SCALE
    model = nb.compile(_Net(1.0))
    x = _x()
    assert model(x).item() == model(x).item() == 4.0
    SCALE = 0.5
    assert model(x).item() == 1.0


def test_a_deleted_global_raises_as_eagerly(restore_globals):
    global ALPHA
    f = nb.compile(_calls_helper)
    x = _x()
    f(x)
    f(x)
    del ALPHA
    with pytest.raises(NameError):
        f(x)


def test_unchanged_names_keep_replaying(restore_globals):
    """The guards fail only on a rebinding: a list the function reads an item of,
    a list it makes and appends to, modules and functions it calls, all hold."""
    weights = [1.5]

    def step(x):
        parts = []
        parts.append((x * SCALE * W * weights[0]).sum())
        parts.append(nb.tensor(math.pi, dtype=nb.float64))
        return nb.nn.functional.softplus(parts[0] * parts[1])
    f = nb.compile(step)
    x = _x()
    for _ in range(5):
        f(x)
    assert f.stats["recordings"] == 1 and f.stats["replays"] == 4


def test_library_modules_guard_nothing_of_theirs():
    from nbgrad.compiler.free_values import snapshot
    assert snapshot(nb.nn.Linear(2, 3)) == ()
    assert snapshot(nb.nn.functional.softplus) == ()
    assert [e[1] for e in snapshot(_calls_helper)] == ["_helper", "ALPHA"]


class _Scaled(nb.nn.Module):
    """A module whose forward reads a number attribute and a submodule."""

    def __init__(self):
        super().__init__()
        self.lin = nb.nn.Linear(2, 1).double()
        self.scale = 2.0

    def forward(self, x):
        return (self.lin(x) * self.scale).sum()


def _eager_scaled(model, x):
    with nb.no_grad():
        return (nb.nn.functional.linear(x, model.lin.weight, model.lin.bias)
                * model.scale).sum().item()


@pytest.mark.parametrize("change", ["number attribute", "parameter", "submodule"])
def test_a_changed_module_member_records_again(change):
    model = _Scaled()
    compiled = nb.compile(model)
    x = _x()
    assert compiled(x).item() == compiled(x).item() == pytest.approx(_eager_scaled(model, x))
    if change == "number attribute":
        model.scale = -3.0
    elif change == "parameter":
        model.lin.weight = nb.nn.Parameter(nb.full((1, 2), 4.0, dtype=nb.float64))
    else:
        model.lin = nb.nn.Linear(2, 1).double()
    assert compiled(x).item() == pytest.approx(_eager_scaled(model, x), abs=0, rel=1e-15)
    assert compiled.stats["recordings"] == 2


def test_a_modules_dropout_probability_is_guarded():
    model = nb.nn.Sequential(nb.nn.Linear(2, 2).double(), nb.nn.Dropout(0.5))
    compiled = nb.compile(model)
    x = _x()
    compiled(x)
    compiled(x)
    model[1].p = 0.0   # no dropout: the output is the linear layer's
    with nb.no_grad():
        want = model[0](x)
    assert nb.equal(compiled(x).detach(), want)


@dataclasses.dataclass
class _Config:   # eq=True: unhashable, so a signature holds it by identity
    lr: float


class _PlainConfig:   # hashable by identity
    def __init__(self, lr):
        self.lr = lr


def _with_config(x, cfg):
    return (x * cfg.lr).sum()


@pytest.mark.parametrize("config", [_Config, _PlainConfig])
def test_an_argument_objects_attributes_are_guarded(config):
    f = nb.compile(_with_config)
    x = _x()
    cfg = config(1.0)
    assert f(x, cfg).item() == f(x, cfg).item() == 2.0
    cfg.lr = 5.0
    assert f(x, cfg).item() == 10.0


def test_a_partials_arguments_are_bound_before_the_calls():
    cfg = _PlainConfig(1.0)
    f = nb.compile(functools.partial(_with_config, cfg=cfg))
    x = _x()
    assert f(x).item() == f(x).item() == 2.0
    cfg.lr = 3.0
    assert f(x).item() == 6.0


_DEFAULT_CONFIG = _PlainConfig(1.0)


def _with_default_config(x, cfg=_DEFAULT_CONFIG):
    return (x * cfg.lr).sum()


def _with_keyword_default_config(x, *, cfg=_DEFAULT_CONFIG):
    return (x * cfg.lr).sum()


@pytest.mark.parametrize("fn", [_with_default_config, _with_keyword_default_config])
def test_a_default_arguments_attributes_are_guarded(fn):
    """Before, a default argument was not among the arguments scanned: the replay
    kept the recorded lr (2.0 for 6.0)."""
    f = nb.compile(fn)
    x = _x()
    try:
        assert f(x).item() == f(x).item() == 2.0
        _DEFAULT_CONFIG.lr = 3.0
        assert f(x).item() == 6.0
        assert f(x, cfg=_PlainConfig(0.5)).item() == 1.0   # a passed one, not the default
    finally:
        _DEFAULT_CONFIG.lr = 1.0


def test_an_unhashable_argument_is_kept_alive_by_its_key():
    """A key holding only id(cfg) replayed cfg's recording for a new object made
    right after cfg was freed, at its address (returning 2.0 here)."""
    f = nb.compile(_with_config)
    x = _x()
    cfg = _Config(1.0)
    f(x, cfg)
    f(x, cfg)
    del cfg
    cfg = _Config(5.0)   # CPython would give it the freed object's memory
    assert f(x, cfg).item() == 10.0


def test_a_numpy_array_argument_runs_eagerly_with_a_warning():
    def g(x, a):
        return (x * nb.from_numpy(a)).sum()
    f = nb.compile(g)
    x = _x()
    a = np.array([1.0, 2.0])
    with pytest.warns(CompileWarning, match="NumPy array argument"):
        assert f(x, a).item() == 3.0
    assert f(x, a).item() == 3.0
    a[0] = 10.0   # a replay would keep [1, 2]
    assert f(x, a).item() == 12.0
    assert f.stats["eager_calls"] == 2 and "NumPy" in f.last_reason


# -- Python state the function changes: a replay would not change it ----------------------
LAST = None
HISTORY = []


def _appends(x):
    loss = (x * 2).sum()
    HISTORY.append(loss)
    return loss


def _sets_global(x):
    global LAST
    LAST = (x * 2).sum()
    return x.sum()


def _stores_item(x, stats):
    stats["loss"] = (x * 2).sum()
    return x.sum()


def _counts(x, counter):
    counter.steps += 1
    return (x * 2).sum()


TRACKER = types.SimpleNamespace(history=[])


def _appends_through_a_local(x):
    tracker = TRACKER
    history = tracker.history   # a list inside an object, reached through locals
    history.append((x * 2).sum())
    return x.sum()


class _Remembers(nb.nn.Module):
    def forward(self, x):
        self.last = x * 2
        return self.last.sum()


def _calls_of(case):
    """(the compiled call, what to check after three calls) for each side effect."""
    if case == "list append":
        HISTORY.clear()
        return nb.compile(_appends), lambda: len(HISTORY) == 3
    if case == "global":
        f = nb.compile(_sets_global)

        def call(x):
            global LAST
            LAST = None
            return f(x)
        return call, lambda: LAST is not None
    if case == "dict item":
        stats, f = {}, nb.compile(_stores_item)

        def call(x):
            stats.pop("loss", None)
            return f(x, stats)
        return call, lambda: "loss" in stats
    if case == "attribute":
        counter, f = types.SimpleNamespace(steps=0), nb.compile(_counts)
        return (lambda x: f(x, counter)), lambda: counter.steps == 3
    if case == "list inside an object":
        TRACKER.history.clear()
        return nb.compile(_appends_through_a_local), lambda: len(TRACKER.history) == 3
    model = _Remembers()
    compiled = nb.compile(model)

    def call(x):
        model.__dict__.pop("last", None)
        return compiled(x)
    return call, lambda: "last" in model.__dict__


@pytest.mark.parametrize("case", ["list append", "global", "dict item", "attribute",
                                  "list inside an object", "module attribute"])
def test_a_change_to_python_state_runs_eagerly_with_a_warning(restore_globals, case):
    """Before, the replays skipped the change: the list kept one entry, the global
    and the attribute the first call's values, the dict item stayed deleted."""
    call, made = _calls_of(case)
    x = _x()
    with pytest.warns(CompileWarning, match="the function changes"):
        call(x)
    for _ in range(2):
        call(x)
    assert made()


def _training_run(compiled, decay, optimizer="SGD"):
    """Five steps of a small regression; `decay` says where the learning rate decays:
    "loop in step" (a loop over the groups inside the step), "scheduler in step",
    "loop outside" (between the calls).  Returns (losses, the step's stats or None)."""
    nb.manual_seed(0)
    model = nb.nn.Linear(3, 1, dtype=nb.float64)
    opt = getattr(nb.optim, optimizer)(model.parameters(), lr=0.1)
    sched = nb.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    x = nb.linspace(-1, 1, 12, dtype=nb.float64).reshape(4, 3)
    y = nb.ones(4, 1, dtype=nb.float64)

    def step(x, y):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        if decay == "scheduler in step":
            sched.step()
        if decay == "loop in step":
            for group in opt.param_groups:
                group["lr"] *= 0.5
        return loss

    f = nb.compile(step) if compiled else step
    losses = []
    for _ in range(5):
        losses.append(f(x, y).item())
        if decay == "loop outside":
            for group in opt.param_groups:
                group["lr"] *= 0.5
    return losses, getattr(f, "stats", None)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_a_learning_rate_changed_inside_the_step_runs_eagerly(optimizer):
    """Before, the replays skipped the decay (each replay stepped with the lr of the
    recording's end, where eager halves it every call): the losses differed from the
    third step on.  A loop over ``opt.param_groups`` is a path the guards do not see."""
    eager, _ = _training_run(False, "loop in step", optimizer)
    with pytest.warns(CompileWarning, match=r"parameter group 0 of .*\(`lr`\)"):
        compiled, stats = _training_run(True, "loop in step", optimizer)
    assert stats["replays"] == 0 and stats["eager_calls"] == 4
    np.testing.assert_allclose(compiled, eager, rtol=1e-12)


@pytest.mark.parametrize("decay", ["scheduler in step", "loop outside"])
def test_a_learning_rate_changed_by_a_scheduler_or_between_calls_still_replays(decay):
    """A scheduler's step inside is replayed (the epilogue calls it again), and a change
    between calls is read by the replayed optimizer step: neither is a side effect."""
    eager, _ = _training_run(False, decay)
    compiled, stats = _training_run(True, decay)
    assert stats["replays"] >= 3 and stats["eager_calls"] == 0
    np.testing.assert_allclose(compiled, eager, rtol=1e-12)


def test_an_optimizer_made_inside_the_step_runs_eagerly():
    """A replay would step the optimizer of the recording (its state kept) where each
    eager call makes a fresh one."""
    w = nb.tensor([1.0, 2.0], dtype=nb.float64, requires_grad=True)

    def step(x):
        opt = nb.optim.Adam([w], lr=0.1)
        opt.zero_grad()
        loss = (w * x).sum()
        loss.backward()
        opt.step()
        return loss

    f = nb.compile(step)
    with pytest.warns(CompileWarning, match=r"a Adam was made"):
        f(nb.ones(2, dtype=nb.float64))
    assert f.stats["eager_calls"] == 0 and f.stats["recordings"] == 1


def test_options_of_a_group_moved_but_unchanged_are_no_change():
    """A group whose options end in another order with the same values (``g["lr"] =
    g.pop("lr")``) is not changed: the step replays.  Before, naming the changed
    option found none and raised StopIteration out of the call."""
    w = nb.tensor([1.0, 2.0], dtype=nb.float64, requires_grad=True)
    opt = nb.optim.SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = (w * x).sum()
        loss.backward()
        opt.step()
        for group in opt.param_groups:
            group["lr"] = group.pop("lr")
        return loss

    f = nb.compile(step)
    x = nb.ones(2, dtype=nb.float64)
    for _ in range(4):   # two recordings: w.grad None at the first call, set after
        f(x)
    assert f.stats["replays"] == 2 and f.stats["eager_calls"] == 0
    np.testing.assert_allclose(w.detach().numpy(), [0.6, 1.6], rtol=1e-12)
