"""CUDA trust checks (numba's simulator): batched gradients on the device, and
PyTorch's device errors raised up front instead of a later internal failure.

- ``jacobian(vectorize=True)`` / ``autograd.grad(is_grads_batched=True)`` on CUDA
  tensors, through nodes without a batch rule (stacked per-sample gradients),
  equal the CPU results and stay on the device;
- a loss given a target (or weight) on another device, a ``gradient=`` /
  ``grad_outputs`` on another device than its output, and a ``.grad`` on
  another device than its tensor raise PyTorch's RuntimeError before any
  kernel runs.

The checks run in one child process on the simulator (`tests.test_cuda_harness`)
and each pytest test asserts one of them; they are skipped without numba-cuda.
"""

import os

import numpy as np
import pytest

from tests.test_cuda_harness import in_simulator_process, needs_numba_cuda, run_child

SAME_DEVICE = "Expected all tensors to be on the same device"


def _nb():
    import nbgrad
    return nbgrad


def _raises(exc, fn, *words):
    try:
        fn()
    except exc as e:
        for w in words:
            assert w in str(e), f"{w!r} not in {e!r}"
        return e
    raise AssertionError(f"no {exc.__name__}")


def _launches():
    from nbgrad.backends.cuda import launch
    return launch.launch_count()


def _raises_before_kernels(exc, fn, *words):
    """`fn` raises `exc` naming `words`, and no CUDA kernel ran before it did."""
    before = _launches()
    _raises(exc, fn, *words)
    assert _launches() == before, "a kernel ran before the error"


def _on_device(t):
    from nbgrad.backends.cuda import _numba_cuda
    assert t.device.type == "cuda", t.device
    assert _numba_cuda.is_device_array(t._data), type(t._data)


def _close(cuda_t, cpu_t):
    _on_device(cuda_t)
    assert cpu_t.device.type == "cpu"
    a, b = cuda_t.cpu().numpy(), cpu_t.numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def _cube():
    nb = _nb()

    class Cube(nb.autograd.Function):
        """No batch rule: the engine calls backward once per sample and stacks."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    return Cube


def _count_stacks():
    """Wrap the stacking helpers to count calls (the per-sample fallback's)."""
    from nbgrad.autograd import function
    calls = []
    for name in ("stack_arrays", "stack"):
        fn = getattr(function, name)
        if not hasattr(fn, "_counted"):
            def counted(*a, _fn=fn, _name=name, **k):
                calls.append(_name)
                return _fn(*a, **k)
            counted._counted = calls
            setattr(function, name, counted)
    return function.stack_arrays._counted


_X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def _f(x):
    """mm, softmax and a custom Function: rules with no batch rule, and one input
    (the second) that gets no gradient from some rows."""
    nb = _nb()
    y = _cube().apply(x) @ x.t()
    return nb.softmax(y, 1) * 2 + x.sum(1, keepdim=True)


# ---------------------------------------------------------------- the checks
def check_batched_grad_without_batch_rule():
    """autograd.grad(is_grads_batched=True) on CUDA through per-sample rules equals the CPU."""
    nb = _nb()
    calls = _count_stacks()
    rng = np.random.default_rng(0)
    v = rng.standard_normal((3, 2, 2))
    res = {}
    for dev in ("cpu", "cuda"):
        x = nb.tensor(_X, dtype=nb.float64, device=dev, requires_grad=True)
        gv = nb.tensor(v, dtype=nb.float64, device=dev)
        (g,) = nb.autograd.grad(_f(x), x, grad_outputs=gv, is_grads_batched=True)
        (g2,) = nb.autograd.grad(_f(x), x, grad_outputs=gv, is_grads_batched=True,
                                 create_graph=True)
        assert g2.requires_grad
        (h,) = nb.autograd.grad((g2 * g2).sum(), x)   # through the recorded stack/select
        res[dev] = (g, g2.detach(), h)
    assert "stack_arrays" in calls and "stack" in calls, calls   # the fallback ran
    for a, b in zip(res["cuda"], res["cpu"]):
        _close(a, b)
    # per row, the batched gradient is the plain vector-Jacobian product
    x = nb.tensor(_X, dtype=nb.float64, device="cuda", requires_grad=True)
    (row,) = nb.autograd.grad(_f(x), x, grad_outputs=nb.tensor(v[1], device="cuda"))
    np.testing.assert_allclose(res["cuda"][0].cpu().numpy()[1], row.cpu().numpy(), rtol=1e-12)


def check_jacobian_vectorized():
    """jacobian(vectorize=True) and hessian(vectorize=True) on CUDA equal the CPU ones."""
    nb = _nb()
    F = nb.autograd.functional
    res = {}
    for dev in ("cpu", "cuda"):
        x = nb.tensor(_X, dtype=nb.float64, device=dev)
        w = nb.tensor([1.0, -2.0], dtype=nb.float64, device=dev)
        unused = F.jacobian(lambda a, b: _f(a), (x, w), vectorize=True)   # w gets nothing
        two = F.jacobian(lambda a, b: (_f(a), b * b), (x, w), vectorize=True)
        hes = F.hessian(lambda a: _cube().apply(a).sum() * a.sum(), x, vectorize=True)
        loop = F.jacobian(_f, x)
        res[dev] = [*unused, *two[0], *two[1], hes, loop]
    for a, b in zip(res["cuda"], res["cpu"]):
        _close(a, b)
    _close(res["cuda"][0], res["cpu"][-1])   # vectorized == row by row
    assert res["cuda"][1].shape == (2, 2, 2) and not res["cuda"][1].cpu().numpy().any()
    assert not res["cuda"][3].cpu().numpy().any() and res["cuda"][5].cpu().numpy().any()


def check_stack_and_select():
    """The stacking helpers allocate, copy and zero-fill on the tensors' device."""
    nb = _nb()
    from nbgrad.autograd import function
    a = nb.tensor([[1.0, 2.0], [3.0, 4.0]], device="cuda")
    t = a.t()                                   # non-contiguous rows
    s = function.stack_arrays([t._data, None, a._data], t)
    _on_device(s)
    assert (s.cpu().numpy() == [[[1, 3], [2, 4]], [[0, 0], [0, 0]], [[1, 2], [3, 4]]]).all()
    r = function.select(t, 1)
    _on_device(r)
    assert r.shape == (2,) and (r.cpu().numpy() == [2, 4]).all()
    z = function.select(nb.tensor([5.0, 6.0], device="cuda"), 1)   # a 0-d view
    _on_device(z)
    assert z.shape == () and z.item() == 6.0
    a_cpu = a.cpu()
    _raises_before_kernels(RuntimeError, lambda: function.stack([a, a_cpu]), SAME_DEVICE,
                           "cuda:0", "cpu")
    _raises_before_kernels(RuntimeError, lambda: function.stack_arrays([a_cpu._data], a),
                           SAME_DEVICE)


def check_loss_target_device():
    """Losses with a target or weight on another device: PyTorch's RuntimeError, no kernel."""
    nb = _nb()
    F = nb.nn.functional
    x = nb.tensor(_X, dtype=nb.float32, device="cuda", requires_grad=True)
    p = nb.tensor([[0.2, 0.5, 0.9], [0.1, 0.3, 0.6]], dtype=nb.float32, device="cuda")
    t_cpu, t_cuda = nb.tensor([0, 2]), nb.tensor([0, 2], device="cuda")
    x_cpu, p_cpu, w_cpu, x3, t2 = x.cpu(), p.cpu(), nb.ones(3), x.reshape(2, 3, 1), \
        t_cpu.reshape(2, 1)
    nll = "(when checking argument in method wrapper_CUDA_nll_loss_forward)"
    cases = [
        (lambda: F.cross_entropy(x, t_cpu), "but got target is on cpu", "cuda:0", nll),
        (lambda: F.nll_loss(x, t_cpu), "target is on cpu", nll),
        (lambda: F.cross_entropy(x, t_cuda, weight=w_cpu), "weight is on cpu", nll),
        (lambda: F.nll_loss(x3, t2), "target is on cpu", "wrapper_CUDA_nll_loss2d_forward"),
        (lambda: F.cross_entropy(x_cpu, t_cuda), "nll_loss", "cpu and cuda:0"),
        (lambda: F.cross_entropy(x, p_cpu), "cross_entropy", "cuda:0 and cpu"),
        (lambda: F.mse_loss(x, p_cpu), "mse_loss", "cuda:0 and cpu"),
        (lambda: F.mse_loss(x_cpu, p), "mse_loss", "cpu and cuda:0"),
        (lambda: F.l1_loss(x, p_cpu), "cuda:0 and cpu"),
        (lambda: F.binary_cross_entropy(p, p_cpu), "binary_cross_entropy", "cuda:0 and cpu"),
        (lambda: F.binary_cross_entropy_with_logits(x, p_cpu), "cuda:0 and cpu"),
        (lambda: F.binary_cross_entropy_with_logits(x, p, pos_weight=w_cpu),
         "cuda:0 and cpu"),
    ]
    for fn, *words in cases:
        _raises_before_kernels(RuntimeError, fn, SAME_DEVICE, *words)
    # on one device they run, and agree with the CPU
    for fn in (lambda a, t, q: F.cross_entropy(a, t),
               lambda a, t, q: F.cross_entropy(a, q),
               lambda a, t, q: F.mse_loss(a, q),
               lambda a, t, q: F.binary_cross_entropy_with_logits(a, q)):
        got = fn(x, t_cuda, p)
        (gx,) = nb.autograd.grad(got, x)
        xc = x.detach().cpu().requires_grad_()
        want = fn(xc, t_cpu, p.cpu())
        (wx,) = nb.autograd.grad(want, xc)
        np.testing.assert_allclose(got.item(), want.item(), rtol=1e-6)
        np.testing.assert_allclose(gx.cpu().numpy(), wx.numpy(), rtol=1e-5, atol=1e-7)


def check_gradient_on_another_device():
    """A gradient= / grad_outputs on another device than its output: RuntimeError up front."""
    nb = _nb()
    x = nb.tensor(_X, dtype=nb.float32, device="cuda", requires_grad=True)
    msg = "invalid gradient at index 0 - expected device cuda:0 but got cpu"
    y, s, one = x * 2, (x * 2).sum(), nb.ones((), device="cuda")
    g_cpu, gb_cpu = nb.ones(2, 3), nb.ones(4, 2, 3)
    _raises_before_kernels(RuntimeError, lambda: y.backward(g_cpu, retain_graph=True), msg)
    _raises_before_kernels(RuntimeError, lambda: nb.autograd.backward([y], [g_cpu]), msg)
    _raises_before_kernels(RuntimeError, lambda: nb.autograd.grad(y, x, g_cpu), msg)
    _raises_before_kernels(RuntimeError, lambda: nb.autograd.grad([s, y], x, [one, g_cpu]),
                           "invalid gradient at index 1 - expected device cuda:0 but got cpu")
    _raises_before_kernels(RuntimeError, lambda: nb.autograd.grad(
        y, x, gb_cpu, is_grads_batched=True), msg)
    assert x.grad is None
    xc = x.detach().cpu().requires_grad_()
    yc, g_cuda = xc * 2, nb.ones(2, 3, device="cuda")
    _raises_before_kernels(RuntimeError, lambda: yc.backward(g_cuda),
                           "invalid gradient at index 0 - expected device cpu but got cuda:0")
    assert xc.grad is None
    # a 0-d gradient is moved to its output's device, as PyTorch does
    (x * x).sum().backward(nb.tensor(3.0))
    _on_device(x.grad)
    np.testing.assert_allclose(x.grad.cpu().numpy(), 6 * _X.astype(np.float32), rtol=1e-6)
    (g,) = nb.autograd.grad((x * 2).sum(), x, nb.ones(4), is_grads_batched=True)
    _on_device(g)
    assert g.shape == (4, 2, 3) and (g.cpu().numpy() == 2).all()


def check_grad_setter_device():
    """Assigning a .grad on another device: PyTorch's RuntimeError (dtype checked first)."""
    nb = _nb()
    x = nb.ones(2, 3, device="cuda", requires_grad=True)

    def assign(value, t=x):
        t.grad = value

    _raises(RuntimeError, lambda: assign(nb.ones(2, 3)),
            "attempting to assign a gradient with device type 'cpu' to a tensor with device "
            "type 'cuda'. Please ensure that the gradient and the tensor are on the same device")
    _raises(RuntimeError, lambda: assign(nb.ones(4)), "device type 'cpu'")   # before size
    _raises(RuntimeError, lambda: assign(nb.ones(2, 3, dtype=nb.float64)), "different type")
    assert x.grad is None
    xc = nb.ones(2, 3, requires_grad=True)
    _raises(RuntimeError, lambda: assign(nb.ones(2, 3, device="cuda"), xc),
            "device type 'cuda' to a tensor with device type 'cpu'")
    assert xc.grad is None
    assign(nb.full((2, 3), 2.0, device="cuda"))
    (x * 3).sum().backward()   # accumulates into the assigned device gradient
    _on_device(x.grad)
    assert (x.grad.cpu().numpy() == 5).all()


CHECKS = [name for name in dir() if name.startswith("check_")]


def _run_checks():
    import traceback
    out = {}
    for name in CHECKS:
        try:
            globals()[name]()
            out[name] = None
        except BaseException:
            out[name] = traceback.format_exc()
    return out


@pytest.fixture(scope="module")
def results():
    if in_simulator_process():
        from tests.test_cuda_harness import install
        install()
        return _run_checks()
    return run_child(os.path.abspath(__file__), ["--child"], timeout=900)


def _make_test(name):
    @needs_numba_cuda
    def test(results):
        if results[name] is not None:
            pytest.fail(results[name], pytrace=False)
    test.__name__ = "test_" + name[len("check_"):]
    test.__doc__ = globals()[name].__doc__
    return test


for _name in CHECKS:
    globals()["test_" + _name[len("check_"):]] = _make_test(_name)
del _name


if __name__ == "__main__":
    import json
    from tests.test_cuda_harness import install
    install()
    print(json.dumps(_run_checks()))
