"""A leaf's first gradient becomes its .grad without a copy only when nothing
else reaches its buffer (nbgrad.autograd.accumulate_grad)."""

import numpy as np

import nbgrad as nb


def test_a_reduced_gradient_is_kept_without_a_copy():
    # the bias gradient is a (1, 5) sum seen as (5,): a view that nothing else reaches
    b = nb.zeros(5, requires_grad=True)
    (nb.ones(3, 5) + b).sum().backward()
    assert b.grad.tolist() == [3.0] * 5
    assert b.grad._data.base is not None and b.grad._data.base.shape == (1, 5)
    assert b.grad._base is None


def test_a_gradient_whose_buffer_the_caller_holds_is_copied():
    held = np.zeros((1, 4), np.float32)

    class Through(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return nb.from_numpy(held.reshape(4))   # a view of the caller's array

    x = nb.ones(4, requires_grad=True)
    Through.apply(x).sum().backward()
    x.grad.add_(1.0)
    assert held.tolist() == [[0.0] * 4]
    assert x.grad.tolist() == [1.0] * 4


def test_a_gradient_seen_by_another_view_is_copied():
    other = np.zeros((2, 3), np.float32).reshape(6)   # only this view holds the buffer

    class Through(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return nb.from_numpy(other.base.reshape(6))   # a second view of it

    x = nb.ones(6, requires_grad=True)
    Through.apply(x).sum().backward()
    x.grad.add_(1.0)
    assert other.tolist() == [0.0] * 6
    assert x.grad.tolist() == [1.0] * 6
