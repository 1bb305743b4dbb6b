"""Tensor hooks, retain_grad, node hooks and the non-leaf .grad warning."""

import warnings

import pytest

import nbgrad as nb


def test_leaf_hook_runs_before_accumulation_and_can_replace():
    x = nb.ones(2, requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]] and x.grad.tolist() == [30.0, 30.0]
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and len(seen) == 1


def test_leaf_hook_runs_for_autograd_grad_too():
    x = nb.ones(2, requires_grad=True)
    x.register_hook(lambda g: g + 7)
    (g,) = nb.autograd.grad((x * 3).sum(), x)
    assert g.tolist() == [10.0, 10.0] and x.grad is None


def test_non_leaf_hook_changes_what_flows_further():
    x = nb.ones(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 0 + 5)
    (y * y).sum().backward()
    assert x.grad.tolist() == [10.0, 10.0]


def test_hooks_run_in_order_and_retain_grad_runs_last():
    x = nb.ones(2, requires_grad=True)
    y = x * 2
    order = []
    y.register_hook(lambda g: order.append(("h1", g.tolist())) or g * 10)
    y.retain_grad()
    y.register_hook(lambda g: order.append(("h2", g.tolist())))
    y.sum().backward()
    assert order == [("h1", [1.0, 1.0]), ("h2", [10.0, 10.0])]
    assert y.grad.tolist() == [10.0, 10.0] and x.grad.tolist() == [20.0, 20.0]


def test_retain_grad_and_retains_grad():
    x = nb.ones(2, requires_grad=True)
    y = x * 2
    assert not y.retains_grad
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    z = (y * y).sum()
    nb.autograd.grad(z, x, retain_graph=True)   # grad() fills retained grads as PyTorch does
    assert y.grad.tolist() == [4.0, 4.0]
    z.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no warning once retained
        assert y.grad.tolist() == [8.0, 8.0]
    x.retain_grad()                              # a no-op on a leaf
    assert not x.retains_grad
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        nb.ones(2).retain_grad()


def test_retained_grad_is_not_aliased_with_the_engine_buffer():
    x = nb.ones(2, requires_grad=True)
    y = x * 1
    y.retain_grad()
    (y * 3).sum().backward()
    y.grad.zero_()
    assert x.grad.tolist() == [3.0, 3.0]


def test_non_leaf_grad_warns():
    x = nb.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert y.grad is None


def test_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        nb.ones(2).register_hook(lambda g: g)
    x = nb.ones(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: nb.ones(3))
    with pytest.raises(RuntimeError, match=r"hook '<lambda>' has changed the size of value"):
        y.sum().backward()
    y = x * 2

    def to_double(g):
        return g.double()
    y.register_hook(to_double)
    with pytest.raises(RuntimeError, match="hook 'to_double' has changed the type of value"):
        y.sum().backward()


def test_node_prehook_and_posthook():
    x = nb.ones(2, requires_grad=True)
    y = x * 2
    seen = []
    y.grad_fn.register_prehook(lambda gs: (gs[0] * 3,))
    y.grad_fn.register_hook(lambda gin, gout: seen.append((gin[0].tolist(), gout[0].tolist())))
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    assert seen == [([6.0, 6.0], [3.0, 3.0])]


def test_post_accumulate_grad_hook_sees_the_accumulated_grad():
    w = nb.ones(2, requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (w * 2).sum().backward()
    (w * 3).sum().backward()
    assert seen == [[2.0, 2.0], [5.0, 5.0]]


def test_handle_as_context_manager():
    x = nb.ones(1, requires_grad=True)
    with x.register_hook(lambda g: g * 2):
        (x * 1).sum().backward()
    (x * 1).sum().backward()
    assert x.grad.tolist() == [3.0]
