"""autograd.grad / autograd.backward: arguments, higher-order derivatives
against closed forms, and batched gradients (is_grads_batched)."""

import math

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.autograd import batching, engine


def t64(values, requires_grad=True):
    return nb.tensor(values, dtype=nb.float64, requires_grad=requires_grad)


# -- grad / backward arguments ------------------------------------------------

def test_grad_returns_without_accumulating():
    x = t64([1.0, 2.0])
    (g,) = nb.autograd.grad((x ** 3).sum(), x)
    assert g.tolist() == [3.0, 12.0] and x.grad is None
    assert g.grad_fn is None and not g.requires_grad


def test_grad_of_several_outputs_and_inputs():
    x, y = t64([1.0, 2.0]), t64([3.0, 4.0])
    gx, gy = nb.autograd.grad([(x * y).sum(), (x * x).sum()], [x, y])
    assert gx.tolist() == [3.0 + 2.0, 4.0 + 4.0] and gy.tolist() == [1.0, 2.0]


def test_grad_outputs_weights_the_outputs():
    x = t64([1.0, 2.0])
    (g,) = nb.autograd.grad(x * x, x, grad_outputs=t64([10.0, 100.0], False))
    assert g.tolist() == [20.0, 400.0]


def test_grad_allow_unused_and_materialize():
    x, z = t64([1.0]), t64([5.0])
    with pytest.raises(RuntimeError, match=r"input 1\) appears to not have been used"):
        nb.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = nb.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None
    gx, gz = nb.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    assert gz.tolist() == [0.0] and gz.dtype is nb.float64
    with pytest.raises(ValueError, match="allow_unused"):
        nb.autograd.grad((x * 2).sum(), [x, z], allow_unused=False, materialize_grads=True)


def test_grad_errors_name_the_problem():
    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"does not require grad"):
        nb.autograd.grad((x * 2).sum(), nb.ones(2))
    with pytest.raises(RuntimeError, match="non-empty inputs"):
        nb.autograd.grad((x * 2).sum(), [])
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape "
                                           r"of torch.Size\(\[3\]\)"):
        nb.autograd.grad(x * 2, x, nb.ones(3))
    with pytest.raises(RuntimeError, match="one grad_output per output"):
        nb.autograd.grad([x * 2, x * 3], x, [nb.ones(2)])


def test_grad_with_respect_to_an_intermediate():
    x = t64([1.0, 2.0])
    y = x * 3
    (g,) = nb.autograd.grad((y * y).sum(), y)
    assert g.tolist() == [6.0, 12.0]


def test_backward_inputs_accumulates_only_there():
    x, w = t64([1.0, 2.0]), t64([3.0, 4.0])
    y = x * w
    (y * y).sum().backward(inputs=[w])
    assert x.grad is None and w.grad.tolist() == [2 * 1 * 3 * 1.0, 2 * 2 * 4 * 2.0]
    z = x * w
    nb.autograd.backward([z.sum()], inputs=[z])   # a non-leaf input gets .grad as well
    assert z._grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * w).sum().backward(inputs=[])


def test_backward_function_with_grad_tensors():
    x = t64([1.0, 2.0])
    nb.autograd.backward([x * 2, x * x], [t64([1.0, 1.0], False), t64([1.0, 0.0], False)])
    assert x.grad.tolist() == [2.0 + 2.0, 2.0]


# -- higher-order derivatives against closed forms ------------------------------

def test_third_derivative_of_exp_sin():
    xs = np.array([-1.3, -0.2, 0.4, 1.7])
    x = t64(xs)
    y = nb.exp(nb.sin(x))
    (d1,) = nb.autograd.grad(y.sum(), x, create_graph=True)
    (d2,) = nb.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = nb.autograd.grad(d2.sum(), x)
    s, c, e = np.sin(xs), np.cos(xs), np.exp(np.sin(xs))
    np.testing.assert_allclose(d1.numpy(force=True), c * e, rtol=1e-12)
    np.testing.assert_allclose(d2.numpy(force=True), (c * c - s) * e, rtol=1e-12)
    np.testing.assert_allclose(d3.numpy(), (c ** 3 - 3 * s * c - c) * e, rtol=1e-12)


def test_second_derivative_through_backward_create_graph():
    x = t64([0.5, 2.0])
    (x ** 4).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.tolist() == [4 * 0.125, 32.0]
    x.grad = None
    g.sum().backward()
    assert x.grad.tolist() == [12 * 0.25, 48.0]


def test_mixed_second_derivative():
    x, y = t64([1.5]), t64([-0.5])
    f = x * x * y + (x * y).exp()
    (fx,) = nb.autograd.grad(f, x, create_graph=True)
    (fxy,) = nb.autograd.grad(fx, y)
    xv, yv = 1.5, -0.5
    assert fxy.item() == pytest.approx(2 * xv + math.exp(xv * yv) * (1 + xv * yv), rel=1e-12)


# -- batched gradients -----------------------------------------------------------

def test_batched_grad_is_one_traversal_with_a_vjp_per_row(monkeypatch):
    calls = []
    real = engine.run_backward

    def counting(*a, **k):
        calls.append(k.get("batched"))
        return real(*a, **k)
    monkeypatch.setattr(engine, "run_backward", counting)
    x = t64(np.linspace(-1, 1, 6).reshape(2, 3))
    b = t64([0.5, 1.0, 2.0])
    y = (x * b).exp() / (x + 3) - b * b     # broadcasting inside: b is (3,)
    v = nb.tensor(np.random.default_rng(0).standard_normal((4, 2, 3)))

    def no_per_sample_fallback(*a):
        raise AssertionError("an elementwise rule ran once per sample")
    monkeypatch.setattr(batching, "stack_rows", no_per_sample_fallback)
    gx, gb = nb.autograd.grad(y, [x, b], v, retain_graph=True, is_grads_batched=True)
    monkeypatch.undo()
    assert calls == [True]
    assert gx.shape == (4, 2, 3) and gb.shape == (4, 3)
    for r in range(4):
        rx, rb = nb.autograd.grad(y, [x, b], v[r], retain_graph=True)
        np.testing.assert_allclose(gx.numpy()[r], rx.numpy(), rtol=1e-12)
        np.testing.assert_allclose(gb.numpy()[r], rb.numpy(), rtol=1e-12)


def test_batched_grad_through_reductions_views_and_matmul():
    x = t64(np.linspace(-1, 1, 6).reshape(2, 3))
    w = t64(np.linspace(0.5, 2, 12).reshape(3, 4))
    y = (x @ w).exp().reshape(8).sum() * x.mean()
    v = nb.tensor([1.0, -2.0, 0.5], dtype=nb.float64)
    gx, gw = nb.autograd.grad(y, [x, w], v, retain_graph=True, is_grads_batched=True)
    rx, rw = nb.autograd.grad(y, [x, w], retain_graph=True)
    for r, s in enumerate([1.0, -2.0, 0.5]):
        np.testing.assert_allclose(gx.numpy()[r], s * rx.numpy(), rtol=1e-12)
        np.testing.assert_allclose(gw.numpy()[r], s * rw.numpy(), rtol=1e-12)


def test_batched_grad_with_create_graph_is_differentiable():
    x = t64([0.3, -0.7])
    y = x * x * x
    v = nb.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=nb.float64)
    (jac,) = nb.autograd.grad(y, x, v, create_graph=True, is_grads_batched=True)
    (h,) = nb.autograd.grad(jac.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * np.array([0.3, -0.7]), rtol=1e-12)


def test_batched_grad_checks_the_batch_shape():
    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="first dimension of each grad_output as the batch"):
        nb.autograd.grad(x * 2, x, nb.ones(2), is_grads_batched=True)
    with pytest.raises(RuntimeError, match="needs a Tensor grad_output"):
        nb.autograd.grad((x * 2).sum(), x, is_grads_batched=True)
