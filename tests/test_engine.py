"""The tape and the backward engine: errors, deep graphs, memory, accumulation."""

import gc
import weakref

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.backends.cpu import elementwise as cpu_elementwise


@pytest.fixture
def no_kernels(monkeypatch):
    """Fail the test if any elementwise kernel runs (errors come first)."""
    def forbidden(*a, **k):
        raise AssertionError("a kernel ran before the error was raised")
    monkeypatch.setattr(cpu_elementwise, "run", forbidden)


def test_broadcast_mismatch_names_both_shapes(no_kernels):
    a, b = nb.ones(2, 3), nb.ones(4)
    with pytest.raises(RuntimeError, match=r"add.*\[2, 3\] and \[4\]"):
        a + b


def test_matmul_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"matmul.*2x3 and 4x5"):
        nb.ones(2, 3) @ nb.ones(4, 5)


def test_requires_grad_on_integer_tensor():
    with pytest.raises(RuntimeError, match="floating point"):
        nb.ones(3, dtype=nb.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        nb.arange(3).requires_grad_()


def test_unknown_dtype_is_a_type_error():
    with pytest.raises(TypeError, match="dtype"):
        nb.ones(3, dtype="complex128")
    with pytest.raises(TypeError):
        nb.zeros(2, dtype=object)


def test_second_backward_without_retain_graph():
    x = nb.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = nb.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 4.0, 4.0]


def test_implicit_gradient_needs_a_scalar():
    x = nb.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_backward_of_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        nb.ones(3).sum().backward()


def test_gradient_shape_mismatch():
    x = nb.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(nb.ones(4))


def test_long_chain_has_no_recursion_limit():
    x = nb.ones(2, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_graph_is_released_after_backward():
    x = nb.ones(4, requires_grad=True)
    y = x
    nodes = []
    for _ in range(50):
        y = (y * 1.5).exp().log()
        nodes.append(weakref.ref(y.grad_fn))
    loss = y.sum()
    loss.backward()
    del y, loss
    gc.disable()
    try:   # no reference cycles: freed by reference counting alone
        assert all(n() is None for n in nodes)
    finally:
        gc.enable()


def test_saved_values_are_freed_by_backward():
    x = nb.ones(1000, requires_grad=True)
    y = x.exp()
    z = (y * y).sum()
    node = z.grad_fn.next_functions[0][0]
    assert node.saved is not None
    z.backward()
    assert node.saved is None


def test_gradients_accumulate_across_backward_calls():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_broadcast_gradient_is_reduced_to_input_shape():
    a = nb.ones(2, 3, requires_grad=True)
    b = nb.ones(3, requires_grad=True)
    c = nb.ones(2, 1, requires_grad=True)
    ((a * b) + c).sum().backward()
    assert b.grad.shape == (3,) and b.grad.tolist() == [2.0, 2.0, 2.0]
    assert c.grad.shape == (2, 1) and c.grad.tolist() == [[3.0], [3.0]]


def test_shared_gradient_is_not_aliased_between_leaves():
    a = nb.ones(3, requires_grad=True)
    b = nb.ones(3, requires_grad=True)
    v = nb.tensor([1.0, 2.0, 3.0])
    (a + b).backward(v)
    a.grad.zero_() if hasattr(a.grad, "zero_") else a.grad._data.fill(0)
    assert b.grad.tolist() == [1.0, 2.0, 3.0]
    assert v.tolist() == [1.0, 2.0, 3.0]


def test_no_grad_records_nothing():
    x = nb.ones(3, requires_grad=True)
    with nb.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @nb.no_grad()
    def f(t):
        return t * 2
    assert f(x).grad_fn is None
    with nb.set_grad_enabled(False):
        with nb.enable_grad():
            assert (x * 2).requires_grad
    assert nb.is_grad_enabled()


def test_grad_mode_is_thread_local():
    import threading
    seen = []
    with nb.no_grad():
        t = threading.Thread(target=lambda: seen.append(nb.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_gradient_has_the_input_dtype():
    x = nb.ones(3, requires_grad=True)               # float32
    w = nb.ones(3, dtype=nb.float64, requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.dtype is nb.float32 and w.grad.dtype is nb.float64


def test_leaf_and_node_attributes():
    x = nb.ones(2, requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf
    assert y.grad_fn.name() == "MulBackward0"
    acc, _ = y.grad_fn.next_functions[0]
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is x
    with pytest.warns(UserWarning, match="not a leaf"):
        assert y.grad is None


def test_data_is_shared_and_not_recorded():
    x = nb.ones(3, requires_grad=True)
    d = x.data
    assert not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.numpy(), x.detach().numpy())


def test_anomaly_flag_is_read_once_per_backward():
    from nbgrad.autograd import anomaly_mode
    x = nb.ones(2, requires_grad=True)
    y = (x * 2) * 3
    # switching anomaly mode on from inside a backward pass affects the next pass only
    y.grad_fn.register_prehook(lambda gs: anomaly_mode.FLAGS.__setitem__(0, True))
    seen = []
    real = anomaly_mode.run_checked
    anomaly_mode.run_checked = lambda *a: seen.append(1) or real(*a)
    try:
        y.sum().backward(retain_graph=True)
        assert seen == []
        y.sum().backward()
        assert seen
    finally:
        anomaly_mode.run_checked = real
        anomaly_mode.FLAGS[:] = [False, True]


def test_batched_gradient_is_reduced_keeping_the_batch_dim():
    from nbgrad.autograd import batching
    g = nb.ones(4, 2, 3)
    assert batching.sum_to_batched(g, (3,)).shape == (4, 3)
    assert batching.sum_to_batched(g, (2, 1)).tolist() == [[[3.0], [3.0]]] * 4
    assert batching.sum_to_batched(g, ()).shape == (4,)
    assert batching.sum_to_batched(g, (2, 3)) is g


def test_gradients_from_several_consumers_accumulate_in_any_dtype():
    x = nb.ones(3, dtype=nb.float64, requires_grad=True)
    y = x.float()
    ((y * 2).sum() + (y * x).sum() + x.sum()).backward()
    assert x.grad.dtype is nb.float64 and x.grad.tolist() == [2.0 + 2.0 + 1.0] * 3


def test_backward_with_inputs_runs_hooks_and_leaves_other_leaves_alone():
    x = nb.ones(2, requires_grad=True)
    w = nb.ones(2, requires_grad=True)
    w.register_hook(lambda g: g * 5)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None and w.grad.tolist() == [5.0, 5.0]


def test_pass_through_gradient_is_not_aliased_between_leaves():
    a = nb.ones(3, requires_grad=True)
    b = nb.ones(3, requires_grad=True)
    ((a + b) * 2).sum().backward()
    assert a.grad is not b.grad
    a.grad.zero_()
    assert b.grad.tolist() == [2.0, 2.0, 2.0]


def test_a_rule_returning_the_wrong_number_of_gradients_is_named():
    x = nb.ones(3, requires_grad=True)
    y = x * 2            # MulBackward0: one edge per argument (the 2 has none)
    y.grad_fn.register_hook(lambda grads_in, grads_out: (grads_in[0],))
    with pytest.raises(RuntimeError, match=r"MulBackward0 returned an incorrect number of "
                                           r"gradients \(expected 2, got 1\)"):
        y.sum().backward()
