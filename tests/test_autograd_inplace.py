"""In-place ops: version counters, PyTorch's errors (raised before any kernel
runs), history moved onto the new node, writes through views (CopySlices),
and optimizer steps under no_grad."""

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.backends.cpu import elementwise as cpu_elementwise


@pytest.fixture
def no_kernels(monkeypatch):
    def forbidden(*a, **k):
        raise AssertionError("a kernel ran before the error was raised")
    monkeypatch.setattr(cpu_elementwise, "run", forbidden)


def test_version_counter_is_bumped_and_shared_with_views():
    x = nb.ones(2, 3)
    v = x.transpose(0, 1)
    assert x._version == 0
    x.add_(1)
    x.mul_(2)
    assert x._version == 2 and v._version == 2
    v.zero_()
    assert x._version == 3 and x.tolist() == [[0.0] * 3] * 2


@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_"])
def test_in_place_on_leaf_requiring_grad(op, no_kernels):
    x = nb.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used "
                                           "in an in-place operation.$"):
        getattr(x, op)(2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        getattr(x[0:1], op)(2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        getattr(x.view(2), op)(2)
    assert x._version == 0


def test_leaf_errors_for_zero_fill_and_operators(no_kernels):
    x = nb.ones(2, requires_grad=True)
    for f in (lambda: x.zero_(), lambda: x.fill_(1.0)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            f()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x += 1


def test_optimizer_step_under_no_grad():
    w = nb.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with nb.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6], rtol=1e-6)
    assert w.grad.tolist() == [0.0, 0.0]
    with nb.no_grad():
        w *= 2
        w /= 4
        w += nb.ones(2)
        w.add_(w.grad, alpha=-1.0)
    np.testing.assert_allclose(w.detach().numpy(), [1.4, 1.8], rtol=1e-6)


def test_shape_dtype_and_overlap_errors(no_kernels):
    with pytest.raises(RuntimeError, match=r"add_: output with shape \[3\] doesn't match the "
                                           r"broadcast shape \[2, 3\]"):
        nb.ones(3).add_(nb.ones(2, 3))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        nb.ones(3, dtype=nb.int64).add_(1.5)
    with pytest.raises(RuntimeError, match="result type Float can't be cast"):
        nb.ones(3, dtype=nb.int64).div_(2)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor "
                                           r"refers to a single memory location.*\[2, 3\]"):
        nb.ones(3).expand(2, 3).add_(1)
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
        nb.ones(3).fill_(nb.ones(2))


def test_saved_tensor_modified_in_place_fails_at_backward_naming_op_and_shape():
    x = nb.ones(2, 3, requires_grad=True)
    y = x * 2
    z = y * y            # MulBackward0 saves y
    y.add_(1)
    # PyTorch's words: the legacy type name, and the node that produced y
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[torch.FloatTensor "
                                           r"\[2, 3\]\], which is output 0 of "
                                           r"MulBackward0, is at version 1; expected version 0"):
        z.sum().backward()


def test_in_place_moves_history_and_keeps_the_old_value_it_needs():
    x = nb.tensor([1.0, 2.0], dtype=nb.float64, requires_grad=True)
    w = nb.tensor([3.0, 5.0], dtype=nb.float64, requires_grad=True)
    y = x * 1
    y.mul_(w)       # d/dw needs the old y: a snapshot is kept for the new node
    assert y.grad_fn.name() == "MulBackward0" and y._version == 1
    (y * y).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * np.array([1.0, 2.0]) ** 2 * [3.0, 5.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1.0, 2.0]) * [9.0, 25.0])
    y = x * 1
    y.mul_(y)       # x**2 written over x: both operands were the old value
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([9.0, 25.0]) * [1, 2] + [2, 4])


def test_in_place_on_non_leaf_gradients_match_closed_forms():
    x = nb.tensor([0.5, 1.5], dtype=nb.float64, requires_grad=True)
    v = nb.tensor(2.0, dtype=nb.float64, requires_grad=True)
    y = x * 3
    y.div_(x + 1)          # 3x / (x + 1)
    y.sub_(x, alpha=2)     # - 2x
    y.sum().backward()
    xs = np.array([0.5, 1.5])
    np.testing.assert_allclose(x.grad.numpy(), 3 / (xs + 1) ** 2 - 2)
    z = x * 1
    z.fill_(v)
    (z * z).sum().backward()
    assert v.grad.item() == pytest.approx(8.0) and z.grad_fn.name() == "FillBackward3"
    x.grad = None
    z = x * 1
    z.zero_()
    z.sum().backward()
    assert z.grad_fn.name() == "ZeroBackward0" and x.grad.tolist() == [0.0, 0.0]


def test_in_place_on_plain_tensor_with_grad_operand_records():
    w = nb.tensor([2.0, 3.0], requires_grad=True)
    a = nb.zeros(2)
    a.add_(w)
    assert a.requires_grad and not a.is_leaf and a.grad_fn.name() == "AddBackward0"
    (a * a).sum().backward()
    assert w.grad.tolist() == [4.0, 6.0]


def test_write_through_a_view_updates_the_base_history():
    x = nb.tensor([1.0, 2.0, 3.0], dtype=nb.float64, requires_grad=True)
    y = x * 2
    v = y[1:]
    v.mul_(3)
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    assert v.grad_fn.name() == "AsStridedBackward0"
    assert y.tolist() == [2.0, 12.0, 18.0]
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 2 * 12 * 6, 2 * 18 * 6])

    def f(x):
        y = x * 1
        col = y.transpose(0, 1)[1]
        col.mul_(x[:, 0])   # a strided view, and an operand that requires grad
        return (y * y).sum()
    x = nb.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=nb.float64, requires_grad=True)
    assert nb.autograd.gradcheck(f, (x,))
    assert nb.autograd.gradgradcheck(f, (x,))


def test_write_through_a_view_of_a_plain_tensor():
    w = nb.tensor([2.0], requires_grad=True)
    base = nb.zeros(3)
    base[1:2].add_(w)
    assert base.grad_fn.name() == "torch::autograd::CopySlices" and base.tolist() == [0.0, 2.0, 0.0]
    (base * base).sum().backward()
    assert w.grad.tolist() == [4.0]


def test_retain_grad_survives_an_in_place_op():
    x = nb.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.add_(1)
    (y * 3).sum().backward()
    assert y.grad.tolist() == [3.0, 3.0]


@pytest.mark.skipif(not hasattr(nb, "clamp"), reason="nb.clamp is not in this tree yet")
def test_clamp_in_place():
    x = nb.tensor([-2.0, 0.2, 3.0], requires_grad=True)
    y = x * 1
    y.clamp_(-1, 1)
    assert y.tolist() == pytest.approx([-1.0, 0.2, 1.0])
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.clamp_(0, 1)
    with nb.no_grad():
        x.clamp_(0, 1)
    assert x.tolist() == pytest.approx([0.0, 0.2, 1.0])


def test_commit_of_values_without_history_gives_the_old_history_zero_gradient():
    from nbgrad.ops.inplace import commit_inplace
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    commit_inplace(y, nb.tensor([5.0, 5.0]))
    assert y.grad_fn.name() == "torch::autograd::CopyBackwards" and y.tolist() == [5.0, 5.0]
    (y * y).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
