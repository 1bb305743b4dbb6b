"""nb.compile's replay fast paths: the generated signature checks (compiler/guards.py)
and copies (compiler/copies.py) -- a call replays a plan only when the keyed lookup
would have chosen it, and hands out what the eager function returns -- and a fused
plan's output buffers, reused only when nothing refers to them."""

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.compiler import CompileWarning


def _scaled(x, k):
    return (x * k).sum()


def _calls(fn, *args):
    before = dict(fn.stats)
    out = fn(*args)
    return out, {k: fn.stats[k] - before[k] for k in fn.stats}


def test_fast_check_is_built_and_used_for_plain_arguments():
    f = nb.compile(_scaled)
    x = nb.ones(3, dtype=nb.float64)
    f(x, 2.0)
    assert len(f._fast) == 1
    out, d = _calls(f, x, 2.0)
    assert d["replays"] == 1 and d["recordings"] == 0
    assert out.item() == 6.0


def test_scalar_argument_of_another_value_or_class_records_again():
    f = nb.compile(_scaled)
    x = nb.ones(3, dtype=nb.float64)
    f(x, 2.0)
    for k, want in ((3.0, 9.0), (2, 6.0), (True, 3.0)):   # 2 == 2.0 and True == 1: classes differ
        out, d = _calls(f, x, k)
        assert d["recordings"] == 1, k
        assert out.item() == want and out.dtype == nb.float64


@pytest.mark.filterwarnings("ignore", category=CompileWarning)   # the non-leaf input
def test_tensor_signature_changes_record_again():
    f = nb.compile(lambda x: (x * 2).sum())
    x = nb.ones(2, 2)
    f(x)
    changed = [nb.ones(4), nb.ones(2, 2, dtype=nb.float64), nb.ones(2, 2, requires_grad=True),
               nb.ones(2, 2, requires_grad=True) * 1]
    for y in changed:
        _, d = _calls(f, y)
        assert d["recordings"] == 1, (y.shape, y.dtype, y.requires_grad)
    with nb.no_grad():
        _, d = _calls(f, x)
    assert d["recordings"] == 1


def test_aliased_arguments_do_not_take_a_plan_recorded_for_distinct_ones():
    f = nb.compile(lambda a, b: a.add_(1) + b)
    a, b = nb.zeros(2), nb.zeros(2)
    f(a, b)
    f(a, b)
    c = nb.zeros(2)
    out, d = _calls(f, c, c)   # eagerly: c becomes 1, then 1 + 1
    assert d["replays"] == 0
    np.testing.assert_array_equal(out.numpy(), [2.0, 2.0])


def test_replayed_result_structure_and_grads():
    @nb.compile
    def step(x, w):
        y = (x * w).sum()
        y.backward()
        return [y, (x, 3, None)], {"k": 1}.get("k")

    x = nb.ones(2, dtype=nb.float64)
    w = nb.tensor([1.0, 2.0], dtype=nb.float64, requires_grad=True)
    for _ in range(3):
        w.grad = None
        (first, second), k = step(x, w)
    assert step.stats["replays"] == 2
    assert first.item() == 3.0 and first.requires_grad and first.grad_fn is not None
    assert second[0] is x and second[1:] == (3, None) and k == 1
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0])


def test_list_of_like_tensors_takes_the_fast_check_and_keeps_aliasing_apart():
    @nb.compile
    def f(xs):
        loss = nb.stack(xs).sum() * xs[0]
        return loss, nb.autograd.grad(loss, xs)

    def leaves():
        return [nb.tensor(float(k), dtype=nb.float64, requires_grad=True) for k in (1, 2, 3)]
    f(leaves())
    assert len(f._fast) == 1
    out, d = _calls(f, leaves())
    assert d["replays"] == 1 and out[0].item() == 6.0
    assert [g.item() for g in out[1]] == [7.0, 1.0, 1.0]
    a, b = leaves()[:2]
    out, d = _calls(f, [a, b, a])   # a twice: eagerly, its two gradients are the sum
    assert d["replays"] == 0
    assert [g.item() for g in out[1]] == [6.0, 1.0, 6.0]   # separate slots would give [5, 1, 1]
    _, d = _calls(f, leaves()[:2])  # another length
    assert d["recordings"] == 1


def test_fast_check_remembers_distinct_ids_and_still_sees_a_duplicate_put_in_later():
    """The fast check keeps the ids of the last list that had no tensor twice, so a
    replay with the same tensors builds no set; a list changed in place to hold a
    tensor twice must still leave the fast path (and get eager's summed gradients)."""
    @nb.compile
    def f(xs):
        loss = nb.stack(xs).sum() * xs[0]
        return loss, nb.autograd.grad(loss, xs)

    xs = [nb.tensor(float(k), dtype=nb.float64, requires_grad=True) for k in (1, 2, 3)]
    f(xs)
    _, d = _calls(f, xs)
    assert d["replays"] == 1
    check = f._fast[0][0]
    assert check.__globals__["known"][0] == tuple(map(id, xs))
    assert check(([nb.tensor(1.0, dtype=nb.float64, requires_grad=True)] * 3,)) is None
    xs[2] = xs[0]                    # the same list object, now with xs[0] twice
    assert check((xs,)) is None
    out, d = _calls(f, xs)
    assert d["replays"] == 0
    assert [g.item() for g in out[1]] == [6.0, 1.0, 6.0]   # separate slots: [5, 1, 1]


def test_fused_plan_reuses_an_output_buffer_only_when_nothing_refers_to_it():
    @nb.compile
    def step(x):
        loss = ((x + 2) * (x + 2) * 3).mean()
        loss.backward()
        return loss

    x = nb.ones(10_000, dtype=nb.float64, requires_grad=True)
    for _ in range(2):
        x.grad = None
        step(x)
    assert type(next(iter(step._plans.values()))[-1]).__name__ == "FusedPlan"
    held = x.grad                      # kept by the caller: the next call needs new memory
    x.grad = None
    step(x)
    assert not np.shares_memory(held.numpy(), x.grad.numpy())
    np.testing.assert_allclose(held.numpy(), 6 * 3 / 10_000)
    address = x.grad.numpy().ctypes.data
    x.grad = None                      # dropped: its memory is written again
    step(x)
    assert x.grad.numpy().ctypes.data == address
    np.testing.assert_allclose(x.grad.numpy(), 6 * 3 / 10_000)


def test_fast_check_orders_tensors_of_mixed_arguments_as_the_keyed_lookup():
    """Tensor, list of tensors, number, tensor: the fast check's flat list must put
    each tensor where the recording read it (a swap would mix the values up)."""
    def fn(x, pair, k, y):
        return x * 1 + pair[0] * 10 + pair[1] * 100 + y * 1000 * k

    f = nb.compile(fn)

    def args(base):
        t = [nb.tensor([base + i], dtype=nb.float64) for i in range(4)]
        return t[0], [t[1], t[2]], 2.0, t[3]
    f(*args(0.0))
    assert len(f._fast) == 1
    for base in (1.0, 5.0):
        out, d = _calls(f, *args(base))
        assert d["replays"] == 1
        assert out.item() == fn(*args(base)).item()
