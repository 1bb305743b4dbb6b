"""nbgrad.nn.functional: softmax / log_softmax, linear, dropout and the losses
against closed forms in NumPy, their gradients, PyTorch's argument handling
(implicit dims, legacy reductions, inplace) and errors."""

import warnings

import numpy as np
import pytest

import nbgrad as nb
import nbgrad.nn.functional as F
from nbgrad.backends.cpu import nn as kernels
from tests.opdb import BY_NAME

RNG = np.random.default_rng(0)


def t(*shape, grad=True, dtype=np.float64, scale=1.0):
    return nb.tensor(RNG.standard_normal(shape).astype(dtype) * scale, requires_grad=grad)


def npy(x):
    return x.detach().numpy()


def np_softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


# -- softmax / log_softmax -------------------------------------------------------
@pytest.mark.parametrize("shape, dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), 1),
                                        ((2, 3, 4), -1), ((2, 3, 4), 0)])
def test_softmax_and_gradient_closed_form(shape, dim):
    x = t(*shape)
    s = F.softmax(x, dim)
    want = np_softmax(npy(x), dim)
    np.testing.assert_allclose(npy(s), want, rtol=1e-12)
    assert type(s.grad_fn).__name__ == "SoftmaxBackward0"
    w = RNG.standard_normal(shape)
    (s * nb.tensor(w)).sum().backward()
    # d/dx sum(w * softmax(x)) = s * (w - sum(w * s))
    np.testing.assert_allclose(npy(x.grad), want * (w - (w * want).sum(dim, keepdims=True)),
                               rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("shape, dim", [((3, 4), 1), ((2, 3, 4), 1), ((4, 3), 0)])
def test_log_softmax_and_gradient_closed_form(shape, dim):
    x = t(*shape)
    ls = F.log_softmax(x, dim=dim)
    want = np.log(np_softmax(npy(x), dim))
    np.testing.assert_allclose(npy(ls), want, rtol=1e-10)
    assert type(ls.grad_fn).__name__ == "LogSoftmaxBackward0"
    g = RNG.standard_normal(shape)
    ls.backward(nb.tensor(g))
    np.testing.assert_allclose(npy(x.grad), g - np.exp(want) * g.sum(dim, keepdims=True),
                               rtol=1e-10, atol=1e-14)


def test_softmax_is_stable_for_large_inputs():
    x = nb.tensor([[1000.0, 1000.0, -1000.0], [-1e4, 0.0, 1e4]])
    s = F.softmax(x, 1)
    np.testing.assert_allclose(npy(s), [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    ls = F.log_softmax(x, 1)
    np.testing.assert_allclose(npy(ls), [[-np.log(2), -np.log(2), -2000 - np.log(2)],
                                         [-2e4, -1e4, 0.0]], rtol=1e-6)
    # -inf logits get probability 0 and the others stay finite
    s = F.softmax(nb.tensor([0.0, float("-inf"), 0.0]), 0)
    np.testing.assert_array_equal(npy(s), [0.5, 0.0, 0.5])


def test_softmax_float32_values():
    x = t(4, 7, dtype=np.float32)
    s = nb.softmax(x, -1)
    assert s.dtype is nb.float32
    np.testing.assert_allclose(npy(s), np_softmax(npy(x).astype(np.float64), -1), rtol=1e-6)


def test_softmax_dtype_argument_and_methods():
    x = t(3, 4, dtype=np.float32)
    s = F.softmax(x, 1, dtype=nb.float64)
    assert s.dtype is nb.float64
    np.testing.assert_allclose(npy(s), np_softmax(npy(x).astype(np.float64), 1), rtol=1e-12)
    s.sum().backward()
    assert x.grad.dtype is nb.float32
    i = nb.tensor([1, 2, 3])
    np.testing.assert_allclose(npy(nb.softmax(i, 0, dtype=nb.float32)),
                               np_softmax(np.array([1.0, 2, 3]), 0), rtol=1e-6)
    np.testing.assert_allclose(npy(x.softmax(1)), npy(nb.softmax(x, 1)))
    np.testing.assert_allclose(npy(x.log_softmax(dim=1)), npy(nb.log_softmax(x, 1)))


@pytest.mark.parametrize("ndim, dim", [(0, 0), (1, 0), (2, 1), (3, 0), (4, 1)])
def test_implicit_softmax_dim_warns_and_picks_the_legacy_dim(ndim, dim):
    x = t(*((2,) * ndim))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        s = F.softmax(x)
    np.testing.assert_allclose(npy(s), npy(F.softmax(x, dim)))
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        ls = F.log_softmax(x)
    np.testing.assert_allclose(npy(ls), npy(F.log_softmax(x, dim)))


def test_softmax_errors():
    with pytest.raises(TypeError):
        nb.softmax(t(2, 3))   # dim is required outside nn.functional
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.softmax(t(2, 3), 2)
    with pytest.raises(NotImplementedError, match="'Long'"):
        F.softmax(nb.tensor([1, 2]), 0)


def test_softmax_parallel_kernels(monkeypatch):
    monkeypatch.setattr("nbgrad.backends.cpu.elementwise.PARALLEL_THRESHOLD", 1)
    for shape, dim in (((3, 5), 1), ((3, 5, 2), 1), ((1, 4, 3), 1)):
        x = t(*shape)
        for fn, log in ((F.softmax, False), (F.log_softmax, True)):
            out = fn(x, dim)
            want = np_softmax(npy(x), dim)
            np.testing.assert_allclose(npy(out), np.log(want) if log else want, rtol=1e-10)
            g = RNG.standard_normal(shape)
            (gx,) = nb.autograd.grad(out, x, nb.tensor(g))
            expect = g - want * g.sum(dim, keepdims=True) if log else \
                want * (g - (g * want).sum(dim, keepdims=True))
            np.testing.assert_allclose(npy(gx), expect, rtol=1e-10, atol=1e-14)


def test_second_backward_through_softmax_raises():
    x = t(2, 3)
    y = nb.softmax(x, 1)
    (y * y).sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        (y * y).sum().backward()


def test_half_tensors_are_refused_at_creation():
    # Numba has no float16 arithmetic on the CPU: no float16 tensor can reach a kernel
    for make in (lambda: nb.from_numpy(np.ones((2, 3), np.float16)),
                 lambda: nb.ones(2, 3, dtype=nb.float16), lambda: nb.ones(2).half()):
        with pytest.raises(TypeError, match="float16"):
            make()


# -- linear ---------------------------------------------------------------------------
@pytest.mark.parametrize("xs", [(3,), (2, 3), (4, 2, 3), (2, 1, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(xs, bias):
    x, w = t(*xs), t(5, 3)
    b = t(5) if bias else None
    out = F.linear(x, w, b)
    want = npy(x) @ npy(w).T + (npy(b) if bias else 0)
    assert out.shape == want.shape
    np.testing.assert_allclose(npy(out), want, rtol=1e-12)
    out.sum().backward()
    ones = np.ones(want.shape)
    np.testing.assert_allclose(npy(x.grad), ones @ npy(w), rtol=1e-12)
    np.testing.assert_allclose(npy(w.grad), (ones.reshape(-1, 5).T @ npy(x).reshape(-1, 3)),
                               rtol=1e-12)
    if bias:
        np.testing.assert_allclose(npy(b.grad), ones.reshape(-1, 5).sum(0))


def test_linear_errors():
    with pytest.raises(RuntimeError, match=r"\(2x3 and 5x4\)"):
        F.linear(t(2, 3), t(4, 5))
    with pytest.raises(RuntimeError):
        F.linear(t(2, 3), t(4, 3), t(5))
    with pytest.raises(RuntimeError, match="mat2 must be a matrix"):
        F.linear(t(2, 3), t(3), t(2))   # a 1-D weight with a bias (PyTorch's addmm)


def test_linear_one_dimensional_weight_is_a_matrix_vector_product():
    # PyTorch: linear(x, w) with a 1-D w is x @ w, over any leading dims
    x, w = t(4, 2, 3), t(3)
    np.testing.assert_allclose(npy(F.linear(x, w)), npy(x) @ npy(w), rtol=1e-12)
    assert tuple(F.linear(x, w).shape) == (4, 2)


# -- dropout ---------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    n = 40000
    x = nb.tensor(RNG.uniform(1.0, 2.0, n))
    nb.manual_seed(123)
    out = npy(F.dropout(x, p))
    zero = out == 0
    # the fraction zeroed is p within 5 standard deviations
    assert abs(zero.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)
    # survivors are scaled by exactly 1 / (1 - p)
    np.testing.assert_allclose(out[~zero], npy(x)[~zero] / (1 - p), rtol=1e-12)
    # so the mean is kept in expectation
    assert abs(out.mean() - npy(x).mean()) < 0.05


def test_dropout_is_reproducible_with_manual_seed():
    x = nb.ones(1000)
    nb.manual_seed(5)
    a = npy(F.dropout(x, 0.5))
    nb.manual_seed(5)
    b = npy(F.dropout(x, 0.5))
    c = npy(F.dropout(x, 0.5))
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()   # the generator moved on
    nb.manual_seed(6)
    assert (npy(F.dropout(x, 0.5)) != a).any()


def test_dropout_gradient_is_the_scaled_mask():
    x = t(200)
    nb.manual_seed(0)
    out = F.dropout(x, 0.25)
    assert type(out.grad_fn).__name__ == "MulBackward0"
    out.sum().backward()
    kept = npy(out) != 0
    np.testing.assert_allclose(npy(x.grad), np.where(kept, 1 / 0.75, 0.0), rtol=1e-12)


def test_dropout_identity_cases_and_errors():
    x = t(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert nb.dropout(x, 0.5, False) is x
    z = F.dropout(x, 1.0)
    np.testing.assert_array_equal(npy(z), np.zeros((3, 4)))
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            F.dropout(x, p)
    with pytest.raises(RuntimeError, match="Long"):
        F.dropout(nb.tensor([1, 2, 3]), 0.5)


def test_dropout_inplace():
    x = nb.ones(1000)
    nb.manual_seed(1)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x
    vals = set(np.unique(npy(x)).tolist())
    assert vals == {0.0, 2.0}
    leaf = t(10)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.dropout(leaf, 0.5, inplace=True)
    # on a non-leaf the gradient flows through the mask
    y = leaf * 1
    nb.manual_seed(2)
    F.dropout(y, 0.5, inplace=True)
    y.sum().backward()
    np.testing.assert_allclose(npy(leaf.grad), np.where(npy(y) != 0, 2.0, 0.0))


# -- mse / l1 ----------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_and_l1(reduction):
    x, y = t(3, 4), t(3, 4)
    d = npy(x) - npy(y)
    red = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction]
    mse = F.mse_loss(x, y, reduction=reduction)
    np.testing.assert_allclose(npy(mse), red(d ** 2), rtol=1e-12)
    l1 = F.l1_loss(x, y, reduction=reduction)
    np.testing.assert_allclose(npy(l1), red(np.abs(d)), rtol=1e-12)
    if reduction == "mean":
        assert type(mse.grad_fn).__name__ == "MseLossBackward0"
        mse.backward()
        np.testing.assert_allclose(npy(x.grad), 2 * d / d.size, rtol=1e-12)
        np.testing.assert_allclose(npy(y.grad), -2 * d / d.size, rtol=1e-12)


def test_weighted_mse_and_l1():
    x, y = t(2, 3), t(2, 3)
    w = nb.tensor(RNG.uniform(0.5, 2, (2, 3)))
    d = npy(x) - npy(y)
    np.testing.assert_allclose(npy(F.mse_loss(x, y, weight=w)),
                               (d ** 2 * npy(w)).sum() / npy(w).sum(), rtol=1e-12)
    np.testing.assert_allclose(npy(F.l1_loss(x, y, weight=w, reduction="sum")),
                               (np.abs(d) * npy(w)).sum(), rtol=1e-12)
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        F.mse_loss(x, y, weight=nb.ones(3))


def test_loss_argument_handling():
    x, y = t(3, 4), t(3, 4)
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.mse_loss(x, y, reduction="foo")
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        s = F.mse_loss(x, y, size_average=False)
    np.testing.assert_allclose(npy(s), ((npy(x) - npy(y)) ** 2).sum(), rtol=1e-12)
    with pytest.warns(UserWarning):
        n = F.l1_loss(x, y, reduce=False)
    assert n.shape == (3, 4)
    with pytest.warns(UserWarning, match="Using a target size"):
        b = F.mse_loss(x, t(4))
    assert b.shape == ()
    with pytest.raises(RuntimeError, match="must match the size"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            F.mse_loss(x, t(3, 5))
    with pytest.raises(NotImplementedError, match="Long"):
        F.mse_loss(nb.tensor([1, 2]), nb.tensor([1, 2]))
    # a float64 target promotes
    assert F.mse_loss(t(3, dtype=np.float32), t(3)).dtype is nb.float64


# -- nll_loss / cross_entropy ------------------------------------------------------------
def np_cross_entropy(x, target, weight=None, ignore_index=-100):
    logp = np.log(np_softmax(x, 1))
    w = np.ones(x.shape[1]) if weight is None else weight
    keep = target != ignore_index
    tt = np.where(keep, target, 0)
    wt = w[tt] * keep
    return -(wt * logp[np.arange(len(target)), tt]).sum() / wt.sum()


def test_cross_entropy_closed_form_and_graph():
    x = t(4, 5)
    target = nb.tensor([0, 3, 4, 1])
    loss = F.cross_entropy(x, target)
    np.testing.assert_allclose(loss.item(), np_cross_entropy(npy(x), npy(target)), rtol=1e-12)
    assert type(loss.grad_fn).__name__ == "NllLossBackward0"
    assert type(loss.grad_fn.next_functions[0][0]).__name__ == "LogSoftmaxBackward0"
    loss.backward()
    onehot = np.eye(5)[npy(target)]
    np.testing.assert_allclose(npy(x.grad), (np_softmax(npy(x), 1) - onehot) / 4, rtol=1e-10)


def test_cross_entropy_weight_and_ignore_index():
    x = t(5, 3)
    target = nb.tensor([0, 2, 1, 2, 0])
    w = nb.tensor([0.2, 1.0, 3.0], dtype=nb.float64)
    got = F.cross_entropy(x, target, weight=w, ignore_index=2)
    want = np_cross_entropy(npy(x), npy(target), npy(w), ignore_index=2)
    np.testing.assert_allclose(got.item(), want, rtol=1e-12)
    got.backward()
    assert (npy(x.grad)[[1, 3]] == 0).all()   # ignored rows get no gradient


def test_nll_loss_edge_cases():
    x = nb.zeros(2, 3)
    target = nb.tensor([-100, -100])
    assert np.isnan(F.nll_loss(x, target).item())     # 0 / 0, as PyTorch
    assert F.nll_loss(x, target, reduction="sum").item() == 0.0
    empty = F.nll_loss(nb.zeros(0, 3), nb.zeros(0, dtype=nb.int64))
    assert np.isnan(empty.item())
    u8 = F.nll_loss(t(2, 3), nb.tensor([1, 2], dtype=nb.uint8), reduction="none")
    assert u8.shape == (2,)


@pytest.mark.parametrize("fn, exc, msg", [
    (lambda: F.cross_entropy(t(3, 5), nb.tensor([0, 1, 5])), IndexError,
     "Target 5 is out of bounds."),
    (lambda: F.cross_entropy(t(3, 5), nb.tensor([0, 1, -1])), IndexError,
     "Target -1 is out of bounds."),
    (lambda: F.nll_loss(t(3, 5), nb.tensor([0, 7, 1])), IndexError, "Target 7 is out of bounds."),
    (lambda: F.cross_entropy(t(3, 5), nb.tensor([0, 1])), ValueError,
     "Expected input batch_size (3) to match target batch_size (2)."),
    (lambda: F.cross_entropy(t(3, 5), nb.tensor([0.0, 1.0, 2.0])), RuntimeError,
     "expected target dtype to be Long or Byte, but got Float"),
    (lambda: F.nll_loss(t(3, 5), nb.tensor([0, 1, 2], dtype=nb.int32)), RuntimeError,
     "expected target dtype to be Long or Byte, but got Int"),
    (lambda: F.cross_entropy(t(3, 5), nb.tensor([0, 1, 2]), weight=nb.ones(3)), RuntimeError,
     "weight tensor should be defined either for all 5 classes or no classes but got weight "
     "tensor of shape: [3]"),
    (lambda: F.cross_entropy(t(2, 3, 4), nb.zeros(2, 3, dtype=nb.int64)), RuntimeError,
     "Expected target size [2, 4], got [2, 3]"),
    (lambda: F.cross_entropy(t(3, 5), nb.tensor(t(3, 4).detach().numpy())), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.cross_entropy(t(3, 5), nb.zeros(3, 5, dtype=nb.int64)), RuntimeError,
     "Expected floating point type for target with class probabilities, got Long"),
    (lambda: F.cross_entropy(t(3, 5), nb.tensor([0, 1, 2]), label_smoothing=1.5), RuntimeError,
     "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda: F.cross_entropy(t(3, 5), nb.tensor([0, 1, 2]), reduction="bad"), ValueError,
     "bad is not a valid value for reduction"),
    (lambda: F.cross_entropy(nb.ones(3, 5, dtype=nb.int32), nb.tensor([0, 1, 2])),
     NotImplementedError, "'Int'"),
    (lambda: F.nll_loss(t(3, 5), nb.tensor([0, 1, 2]), weight=nb.ones(5, dtype=nb.float32)),
     RuntimeError, "expected scalar type Double but found Float"),
    (lambda: F.nll_loss(t(3, 5), nb.tensor([0, 1, 2]), weight=t(5)), RuntimeError,
     "is not differentiable with respect to argument 'weight'"),
    (lambda: F.nll_loss(t(), nb.tensor(1)), ValueError, "Expected 1 or more dimensions (got 0)"),
    (lambda: F.cross_entropy(t(3, 5), nb.zeros(2, 4)), ValueError,
     "Expected input batch_size (3) to match target batch_size (2)."),
    (lambda: F.cross_entropy(t(2, 3, 4), nb.zeros(2, 3, dtype=nb.int32)), RuntimeError,
     "Expected target size [2, 4], got [2, 3]"),
    (lambda: F.cross_entropy(t(2, 3, 4), nb.zeros(2, 4)), RuntimeError,
     "expected target dtype to be Long or Byte, but got Float"),
])
def test_class_target_errors(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value)


def test_cross_entropy_checks_targets_before_any_kernel(monkeypatch):
    def boom(*args):
        raise AssertionError("a kernel ran before the arguments were checked")
    monkeypatch.setattr(kernels, "softmax", boom)
    monkeypatch.setattr(kernels, "nll", boom)
    with pytest.raises(IndexError):
        F.cross_entropy(t(3, 5), nb.tensor([0, 1, 9]))
    with pytest.raises(ValueError):
        F.cross_entropy(t(3, 5), nb.tensor([0, 1]))


def test_cross_entropy_probabilities_and_label_smoothing():
    x = t(4, 3)
    p = RNG.uniform(0.1, 1, (4, 3))
    p /= p.sum(1, keepdims=True)
    logp = np.log(np_softmax(npy(x), 1))
    got = F.cross_entropy(x, nb.tensor(p))
    np.testing.assert_allclose(got.item(), -(p * logp).sum() / 4, rtol=1e-12)
    target = nb.tensor([0, 2, 1, 1])
    eps = 0.1
    smoothed = np.eye(3)[npy(target)] * (1 - eps) + eps / 3
    got = F.cross_entropy(x, target, label_smoothing=eps)
    np.testing.assert_allclose(got.item(), -(smoothed * logp).sum() / 4, rtol=1e-12)


# -- binary cross-entropy -------------------------------------------------------------------
def test_binary_cross_entropy_closed_form():
    p = nb.tensor(RNG.uniform(0.05, 0.95, (3, 4)), requires_grad=True)
    y = nb.tensor(RNG.uniform(0, 1, (3, 4)))
    loss = F.binary_cross_entropy(p, y)
    pn, yn = npy(p), npy(y)
    np.testing.assert_allclose(loss.item(),
                               -(yn * np.log(pn) + (1 - yn) * np.log(1 - pn)).mean(), rtol=1e-12)
    assert type(loss.grad_fn).__name__ == "BinaryCrossEntropyBackward0"
    loss.backward()
    np.testing.assert_allclose(npy(p.grad), (pn - yn) / (pn * (1 - pn)) / 12, rtol=1e-10)


def test_binary_cross_entropy_clamps_logs_at_minus_100():
    loss = F.binary_cross_entropy(nb.tensor([0.0, 1.0, 0.0]), nb.tensor([1.0, 0.0, 0.0]),
                                  reduction="none")
    np.testing.assert_array_equal(npy(loss), [100.0, 100.0, 0.0])


@pytest.mark.parametrize("fn, exc, msg", [
    (lambda: F.binary_cross_entropy(nb.rand(3, 5), nb.rand(5)), ValueError,
     "Using a target size (torch.Size([5])) that is different to the input size "
     "(torch.Size([3, 5])) is deprecated"),
    (lambda: F.binary_cross_entropy(nb.rand(3) * 2 + 1, nb.rand(3)), RuntimeError,
     "all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(nb.rand(3), nb.rand(3) + 2), RuntimeError,
     "all elements of target should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(nb.rand(3), nb.rand(3, dtype=nb.float64)), RuntimeError,
     "Found dtype Double but expected Float"),
    (lambda: F.binary_cross_entropy(nb.rand(3, 4), nb.rand(3, 4), weight=nb.ones(5)),
     RuntimeError, "must match the size"),
    (lambda: F.binary_cross_entropy(nb.rand(3), nb.rand(3), weight=nb.ones(3,
                                                                           requires_grad=True)),
     RuntimeError, "not differentiable with respect to argument 'weight'"),
    (lambda: F.binary_cross_entropy_with_logits(nb.rand(3, 5), nb.rand(5)), ValueError,
     "Target size (torch.Size([5])) must be the same as input size (torch.Size([3, 5]))"),
    (lambda: F.binary_cross_entropy_with_logits(nb.rand(3, 5), nb.rand(3, 5),
                                                pos_weight=nb.ones(4)), RuntimeError,
     "must match the size"),
    (lambda: F.binary_cross_entropy_with_logits(nb.tensor([1, 2]), nb.tensor([1, 0])),
     NotImplementedError, "'Long'"),
])
def test_binary_cross_entropy_errors(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value)


def test_binary_cross_entropy_with_logits_is_stable():
    z = nb.tensor([1000.0, -1000.0, 0.0, 30.0], requires_grad=True)
    y = nb.tensor([0.0, 1.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    np.testing.assert_allclose(npy(loss), [1000.0, 1000.0, np.log(2), np.log1p(np.exp(-30.0))],
                               rtol=1e-6)
    loss.sum().backward()
    assert np.isfinite(npy(z.grad)).all()
    # float32: sigmoid(30) rounds to 1, as in PyTorch
    np.testing.assert_allclose(npy(z.grad), [1.0, -1.0, -0.5, -1 / (1 + np.exp(30.0))],
                               rtol=1e-6, atol=1e-7)


def test_binary_cross_entropy_with_logits_pos_weight_closed_form():
    z = t(3, 2)
    y = nb.tensor(RNG.uniform(0, 1, (3, 2)))
    pw = nb.tensor([2.0, 0.5], dtype=nb.float64)
    w = nb.tensor(RNG.uniform(0.5, 1.5, (3, 1)))
    loss = F.binary_cross_entropy_with_logits(z, y, weight=w, pos_weight=pw)
    zn, yn, pwn, wn = npy(z), npy(y), npy(pw), npy(w)
    sig = 1 / (1 + np.exp(-zn))
    want = -wn * (pwn * yn * np.log(sig) + (1 - yn) * np.log(1 - sig))
    np.testing.assert_allclose(loss.item(), want.mean(), rtol=1e-10)
    loss.backward()
    np.testing.assert_allclose(npy(z.grad), wn * ((pwn * yn + 1 - yn) * sig - pwn * yn) / 6,
                               rtol=1e-10)


# -- activations (declared with the other elementwise ops) -----------------------------------
def _has(name):
    return hasattr(nb, name) or name in nb._REGISTRY


@pytest.mark.parametrize("name, ref", [
    ("relu", lambda x: np.maximum(x, 0)), ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
    ("tanh", np.tanh), ("silu", lambda x: x / (1 + np.exp(-x))),
    ("elu", lambda x: np.where(x > 0, x, np.expm1(x))),
    ("leaky_relu", lambda x: np.where(x > 0, x, 0.01 * x)),
    ("softplus", lambda x: np.log1p(np.exp(x))), ("hardtanh", lambda x: np.clip(x, -1, 1)),
    ("relu6", lambda x: np.clip(x, 0, 6))])
def test_activations_call_the_elementwise_ops(name, ref):
    if not _has("hardtanh" if name == "relu6" else name):
        pytest.skip(f"the {name} op is not declared yet")
    x = t(3, 4, scale=3.0)
    np.testing.assert_allclose(npy(getattr(F, name)(x)), ref(npy(x)), rtol=1e-10, atol=1e-12)


def test_activation_wrappers_pass_pytorch_arguments(monkeypatch):
    """The wrappers' contract with the elementwise ops, checked with stand-ins:
    parameters are passed positionally in PyTorch's order."""
    calls = []

    def stand_in(name):
        def op(x, *args, **kwargs):
            calls.append((name, args, kwargs))
            return x * 2
        return op

    for name in ("relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid", "tanh"):
        monkeypatch.setattr(nb, name, stand_in(name), raising=False)
    x = t(3)
    F.relu(x)
    F.leaky_relu(x, 0.2)
    F.elu(x, alpha=0.5)
    F.gelu(x)
    F.gelu(x, approximate="tanh")
    F.silu(x)
    F.softplus(x, beta=2, threshold=10)
    F.sigmoid(x)
    F.tanh(x)
    assert calls == [("relu", (), {}), ("leaky_relu", (0.2,), {}), ("elu", (0.5,), {}),
                     ("gelu", (), {}), ("gelu", (), {"approximate": "tanh"}),
                     ("silu", (), {}), ("softplus", (2, 10), {}), ("sigmoid", (), {}),
                     ("tanh", (), {})]
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(x, approximate="fast")
    # inplace=True writes into the input and moves it onto the result's node
    y = nb.tensor([-1.0, 2.0])
    assert F.relu(y, inplace=True) is y
    np.testing.assert_array_equal(npy(y), [-2.0, 4.0])
    leaf = t(3)
    z = leaf * 1
    assert F.leaky_relu(z, 0.1, inplace=True) is z
    assert z._version == 1 and type(z.grad_fn).__name__ == "MulBackward0"
    z.sum().backward()
    np.testing.assert_array_equal(npy(leaf.grad), [2.0, 2.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.elu(t(3), inplace=True)
    with nb.no_grad():
        w = t(3)
        F.silu(w, inplace=True)   # allowed without grad mode, as in PyTorch


def test_missing_activation_op_is_a_clear_error(monkeypatch):
    monkeypatch.delattr(nb, "relu", raising=False)
    monkeypatch.setattr(nb, "_REGISTRY", {})
    with pytest.raises(NotImplementedError, match="'relu' op is not declared"):
        F.relu(t(2))


# -- the create_graph rule agrees with the fast backward ---------------------------------------
_MINE = [info for name in ("softmax", "log_softmax", "dropout", "nll_loss", "cross_entropy",
                           "mse_loss", "l1_loss", "binary_cross_entropy",
                           "binary_cross_entropy_with_logits", "linear")
         for info in BY_NAME[name]]


@pytest.mark.parametrize("info", _MINE, ids=lambda i: i.id)
def test_recorded_backward_matches_fast_backward(info):
    """gradgradcheck checks second derivatives against the recorded first
    derivative; this checks the recorded first derivative itself."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sample in info.samples(np.random.default_rng(1)):
            diff = sample.diff_positions()
            args = [nb.tensor(a, requires_grad=k in diff) if isinstance(a, np.ndarray) else a
                    for k, a in enumerate(sample.args)]
            leaves = [a for a in args if isinstance(a, nb.Tensor) and a.requires_grad]
            out = info.call(*args, **sample.kwargs)
            v = nb.tensor(np.random.default_rng(2).standard_normal(out.shape))
            fast = nb.autograd.grad(out, leaves, v, retain_graph=True)
            slow = nb.autograd.grad(out, leaves, v, create_graph=True)
            for f, s in zip(fast, slow):
                np.testing.assert_allclose(npy(s), npy(f), rtol=1e-10, atol=1e-12)
