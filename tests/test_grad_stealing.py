"""A leaf's first gradient becomes its .grad without a copy only when nothing
else reaches its buffer (nbgrad.autograd.accumulate_grad)."""

import numpy as np

import nbgrad as nb


def _through(gradient):
    """A Function whose forward copies x and whose backward returns `gradient()`
    (a tensor on a buffer the test also holds) as x's gradient."""
    class Through(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return gradient()
    return Through


def test_a_reduced_gradient_is_kept_without_a_copy():
    # the bias gradient is a (1, 5) sum seen as (5,): a view that nothing else reaches
    b = nb.zeros(5, requires_grad=True)
    (nb.ones(3, 5) + b).sum().backward()
    assert b.grad.tolist() == [3.0] * 5
    assert b.grad._data.base is not None and b.grad._data.base.shape == (1, 5)
    assert b.grad._base is None


def test_a_gradient_whose_buffer_the_caller_holds_is_copied():
    held = np.zeros((1, 4), np.float32)
    through = _through(lambda: nb.from_numpy(held.reshape(4)))   # a view of the caller's array
    x = nb.ones(4, requires_grad=True)
    through.apply(x).sum().backward()
    x.grad.add_(1.0)
    assert held.tolist() == [[0.0] * 4]
    assert x.grad.tolist() == [1.0] * 4


def test_a_gradient_seen_by_another_view_is_copied():
    other = np.zeros((2, 3), np.float32).reshape(6)   # only this view holds the buffer
    through = _through(lambda: nb.from_numpy(other.base.reshape(6)))   # a second view of it
    x = nb.ones(6, requires_grad=True)
    through.apply(x).sum().backward()
    x.grad.add_(1.0)
    assert other.tolist() == [0.0] * 6
    assert x.grad.tolist() == [1.0] * 6


def test_a_linear_weight_gradient_is_kept_without_a_copy():
    # addmm's mat2 gradient is computed (out, in) and transposed back twice
    lin = nb.nn.Linear(4, 3)
    lin(nb.ones(2, 4)).sum().backward()
    assert lin.weight.grad.tolist() == [[2.0] * 4] * 3
    assert lin.weight.grad._base is None and lin.weight.grad._data.base is not None


def test_a_gradient_a_retained_view_shares_is_copied():
    w = nb.ones(3, 4, requires_grad=True)
    wt = w.t()
    wt.retain_grad()
    (nb.ones(2, 4) @ wt).sum().backward()
    w.grad.add_(1.0)
    assert wt.grad.tolist() == [[2.0] * 3] * 4
    assert w.grad.tolist() == [[3.0] * 4] * 3


def test_a_gradient_a_leaf_hook_kept_is_copied():
    seen = []
    w = nb.ones(3, 4, requires_grad=True)
    w.register_hook(seen.append)
    (nb.ones(2, 4) @ w.t()).sum().backward()
    w.grad.add_(1.0)
    assert seen[0].tolist() == [[2.0] * 4] * 3
    assert w.grad.tolist() == [[3.0] * 4] * 3


def test_a_view_of_a_tensor_the_caller_holds_is_copied():
    held = nb.zeros(3, 4)
    through = _through(lambda: held.t().t())   # a view of held with held's own layout
    x = nb.ones(3, 4, requires_grad=True)
    through.apply(x).sum().backward()
    x.grad.add_(1.0)
    assert held.tolist() == [[0.0] * 4] * 3
