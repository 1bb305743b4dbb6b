"""autograd.functional against closed forms; vectorize=True is one batched backward."""

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.autograd import engine
from nbgrad.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

XS = np.array([-1.2, -0.3, 0.4, 1.1, 2.0])
A = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])


def t64(v, rg=False):
    return nb.tensor(v, dtype=nb.float64, requires_grad=rg)


@pytest.fixture
def traversals(monkeypatch):
    """Counts the engine traversals (run_backward calls) and their `batched` flag."""
    calls = []
    real = engine.run_backward

    def counting(*args, **kwargs):
        calls.append(kwargs.get("batched", False))
        return real(*args, **kwargs)
    monkeypatch.setattr(engine, "run_backward", counting)
    return calls


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_of_tanh_times_x(vectorize):
    jac = jacobian(lambda x: nb.tanh(x) * x, t64(XS), vectorize=vectorize)
    th = np.tanh(XS)
    np.testing.assert_allclose(jac.numpy(), np.diag(th + XS * (1 - th ** 2)), rtol=1e-12)


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_of_a_linear_map_and_several_inputs_outputs(vectorize):
    a, x, y = t64(A), t64([0.5, -1.0, 2.0]), t64([1.0, 2.0])

    def f(x, y):
        return a @ x + y * y, (x * y[0]).sum()
    (jxx, jxy), (jsx, jsy) = jacobian(f, (x, y), vectorize=vectorize)
    np.testing.assert_allclose(jxx.numpy(), A)
    np.testing.assert_allclose(jxy.numpy(), np.diag([2.0, 4.0]))
    np.testing.assert_allclose(jsx.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(jsy.numpy(), [1.5, 0.0])
    assert jxx.shape == (2, 3) and jsx.shape == (3,) and jsy.shape == (2,)


def test_jacobian_shapes_follow_output_then_input():
    x = t64(np.linspace(0.1, 1.2, 6).reshape(2, 3))
    jac = jacobian(lambda t: (t * t).sum(0), x, vectorize=True)
    want = np.zeros((3, 2, 3))
    for j in range(3):
        want[j, :, j] = 2 * x.numpy()[:, j]
    assert jac.shape == (3, 2, 3)
    np.testing.assert_allclose(jac.numpy(), want)


def test_vectorized_jacobian_1000_by_1000_is_one_batched_backward(traversals):
    n = 1000
    xs = np.linspace(-2, 2, n)
    jac = jacobian(lambda x: nb.tanh(x) * x, t64(xs), vectorize=True)
    assert traversals == [True]
    th = np.tanh(xs)
    d = jac.numpy()
    np.testing.assert_allclose(np.diag(d), th + xs * (1 - th ** 2), rtol=1e-12)
    assert np.count_nonzero(d) == n


def test_row_by_row_jacobian_is_one_backward_per_output(traversals):
    jacobian(lambda x: x * x, t64(XS))
    assert traversals == [False] * len(XS)


@pytest.mark.parametrize("vectorize", [False, True])
def test_hessian_of_exp_x_dot_x(vectorize, traversals):
    hess = hessian(lambda x: (nb.exp(x) * x).sum(), t64(XS), vectorize=vectorize)
    np.testing.assert_allclose(hess.numpy(), np.diag(np.exp(XS) * (XS + 2)), rtol=1e-12)
    if vectorize:   # one gradient pass, then one batched pass over it
        assert traversals == [False, True]


def test_hessian_of_two_inputs():
    def f(x, y):
        return (x * x * y).sum()
    x, y = t64([1.0, 2.0]), t64([3.0, 4.0])
    (hxx, hxy), (hyx, hyy) = hessian(f, (x, y))
    np.testing.assert_allclose(hxx.numpy(), np.diag([6.0, 8.0]))
    np.testing.assert_allclose(hxy.numpy(), np.diag([2.0, 4.0]))
    np.testing.assert_allclose(hyx.numpy(), np.diag([2.0, 4.0]))
    np.testing.assert_allclose(hyy.numpy(), np.zeros((2, 2)))


def test_vjp_and_jvp_on_known_functions():
    a = t64(A)
    x, v_out, v_in = t64([0.5, -1.0, 2.0]), t64([1.0, -1.0]), t64([1.0, 2.0, 3.0])
    out, vj = vjp(lambda t: a @ t, x, v_out)
    np.testing.assert_allclose(out.numpy(), A @ x.numpy())
    np.testing.assert_allclose(vj.numpy(), np.array([1.0, -1.0]) @ A)
    out, jv = jvp(lambda t: a @ t, x, v_in)
    np.testing.assert_allclose(jv.numpy(), A @ np.array([1.0, 2.0, 3.0]))
    xs = t64(XS)
    _, jv = jvp(lambda t: nb.sin(t) * t, xs, t64(np.ones(5)))
    np.testing.assert_allclose(jv.numpy(), np.cos(XS) * XS + np.sin(XS), rtol=1e-12)
    _, vj = vjp(lambda t: (t ** 3).sum(), xs)   # v may be omitted for a scalar output
    np.testing.assert_allclose(vj.numpy(), 3 * XS ** 2)


def test_hvp_and_vhp_on_known_functions():
    xs, v = t64(XS), t64(np.arange(5.0))
    # f = sum(x^3) + x0 * x1: H = diag(6x) + the (0, 1) coupling
    def f(x):
        return (x ** 3).sum() + x[0:1].sum() * x[1:2].sum()
    H = np.diag(6 * XS)
    H[0, 1] = H[1, 0] = 1.0
    out, hv = hvp(f, xs, v)
    assert out.item() == pytest.approx((XS ** 3).sum() + XS[0] * XS[1])
    np.testing.assert_allclose(hv.numpy(), H @ np.arange(5.0), rtol=1e-12)
    _, vh = vhp(f, xs, v)
    np.testing.assert_allclose(vh.numpy(), np.arange(5.0) @ H, rtol=1e-12)


def test_create_graph_gives_differentiable_results():
    x = t64([0.5, 1.5], rg=True)
    jac = jacobian(lambda t: t ** 3, x, create_graph=True, vectorize=True)
    assert jac.requires_grad
    (g,) = nb.autograd.grad(jac.sum(), x)
    np.testing.assert_allclose(g.numpy(), 6 * np.array([0.5, 1.5]))
    _, hv = hvp(lambda t: (t ** 4).sum(), x, t64([1.0, 1.0]), create_graph=True)
    (g,) = nb.autograd.grad(hv.sum(), x)
    np.testing.assert_allclose(g.numpy(), 24 * np.array([0.5, 1.5]))
    _, vj = vjp(lambda t: t * t, x, t64([1.0, 1.0]))
    assert not vj.requires_grad


def test_strict_mode_errors():
    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not "
                                           "require gradients"):
        vjp(lambda t: nb.ones(2), x, t64([1.0, 1.0]), strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        vjp(lambda a, b: a * 2, (x, t64([1.0, 1.0])), t64([1.0, 1.0]), strict=True)
    _, res = vjp(lambda a, b: a * 2, (x, t64([1.0, 1.0])), t64([1.0, 1.0]))
    assert res[1].tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is "
                                           "independent of input 1"):
        jacobian(lambda a, b: a * 2, (x, t64([1.0, 1.0])), strict=True)
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True` are not "
                                           "supported together"):
        jacobian(lambda t: t * 2, x, strict=True, vectorize=True)
    with pytest.raises(RuntimeError, match="jacobian of the user-provided function with "
                                           "respect to input 0 is independent of the input"):
        hessian(lambda t: (t * 2).sum(), x, strict=True)


def test_argument_errors():
    x = t64([1.0, 2.0])
    with pytest.raises(TypeError, match="The inputs given to vjp must be either a Tensor or a "
                                        "tuple of Tensors"):
        vjp(lambda t: t, [1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be torch.Size\(\[2\]\)"):
        jvp(lambda t: t * 2, x, t64([1.0]))
    with pytest.raises(RuntimeError, match="The vector v can only be None if"):
        vjp(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match="should contain a single element"):
        hessian(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        hvp(lambda t: (t.sum(), t.sum()), x, x)
