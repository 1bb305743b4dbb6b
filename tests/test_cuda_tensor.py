"""CUDA tensors: devices, factories, moves, errors, autograd, interop (numba's simulator).

The checks run in one child process on the simulator (`tests.test_cuda_harness`)
and each pytest test asserts one of them; they are skipped without numba-cuda.
`test_cpu_only_never_imports_numba_cuda` runs everywhere: a CPU-only
program must never import numba.cuda.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from tests.test_cuda_harness import in_simulator_process, needs_numba_cuda, run_child


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


def _on_device(t):
    from nbgrad.backends.cuda import _numba_cuda
    assert t.device.type == "cuda" and t.is_cuda, t.device
    assert _numba_cuda.is_device_array(t._data), type(t._data)


# ---------------------------------------------------------------- the checks
def check_factories():
    nb = _nb()
    cuda = nb.device("cuda")
    assert str(cuda) == "cuda:0" and nb.device("cuda:0") == cuda
    cases = {
        "tensor": (lambda d: nb.tensor([[1.5, 2.0], [3.0, -1.0]], device=d)),
        "ones": (lambda d: nb.ones(2, 3, device=d)),
        "zeros": (lambda d: nb.zeros((2, 3), dtype=nb.float64, device=d)),
        "full": (lambda d: nb.full((2, 2), 7, device=d)),
        "arange": (lambda d: nb.arange(1, 10, 2, device=d)),
        "arange float": (lambda d: nb.arange(0, 1, 0.25, device=d)),
        "linspace": (lambda d: nb.linspace(-1, 1, 5, device=d)),
        "eye": (lambda d: nb.eye(3, 4, device=d)),
        "0-d": (lambda d: nb.tensor(3.25, device=d)),
    }
    for name, make in cases.items():
        c, g = make("cpu"), make("cuda")
        _on_device(g)
        assert g.dtype is c.dtype and g.shape == c.shape, name
        assert (g.cpu().numpy() == c.numpy()).all(), name
    for name, t in {"empty": nb.empty(2, 2, device="cuda"),
                    "rand": nb.rand(3, device="cuda"), "randn": nb.randn(2, 2, device="cuda"),
                    "randint": nb.randint(0, 5, (4,), device="cuda")}.items():
        _on_device(t)
    r = nb.rand(100, device="cuda").cpu().numpy()
    assert 0 <= r.min() and r.max() < 1
    x = nb.ones(2, 3, device="cuda", requires_grad=True)
    assert x.requires_grad and x.is_leaf
    for like in (nb.ones_like, nb.zeros_like, nb.empty_like, nb.rand_like, nb.randn_like,
                 lambda t: nb.full_like(t, 2.0)):
        _on_device(like(x))
    assert nb.zeros_like(x, device="cpu").device.type == "cpu"
    _raises(RuntimeError, lambda: nb.ones(2, device="cuda:1"), "cuda:1")
    nb.manual_seed(5)
    a = nb.randn(8, device="cuda").cpu().numpy()
    nb.manual_seed(5)
    b = nb.randn(8, device="cuda").cpu().numpy()
    assert (a == b).all()


def check_moves():
    nb = _nb()
    x = nb.tensor([[1.0, 2.0], [3.0, 4.0]])
    for y in (x.cuda(), x.to("cuda"), x.to("cuda:0"), x.to(device="cuda"),
              x.to(nb.device("cuda", 0)), x.cuda(0)):
        _on_device(y)
        assert (y.cpu().numpy() == x.numpy()).all()
    y = x.cuda()
    assert y.cuda() is y and x.cpu() is x and y.cpu().device.type == "cpu"
    z = x.to("cuda", nb.float64)
    _on_device(z)
    assert z.dtype is nb.float64
    assert x.to(z).device == z.device and x.to(z).dtype is nb.float64
    # a strided view goes over as its values
    _on_device(x.t().cuda())
    assert (x.t().cuda().cpu().numpy() == x.numpy().T).all()
    # gradients move back
    w = nb.tensor([1.0, -2.0], requires_grad=True)
    out = (w.cuda() * 3).sum()
    assert out.device.type == "cuda"
    out.backward()
    assert w.grad.device.type == "cpu" and (w.grad.numpy() == 3).all()
    assert type(w.cuda().grad_fn).__name__ == "ToCopyBackward0"
    v = nb.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    (v.cpu() ** 2).sum().backward()
    _on_device(v.grad)
    assert (v.grad.cpu().numpy() == [2.0, 4.0]).all()


def check_host_access():
    nb = _nb()
    t = nb.tensor([1.0, 2.5], device="cuda")
    e = _raises(TypeError, t.numpy, "can't convert cuda:0 device type tensor to numpy",
                "Use Tensor.cpu() to copy the tensor to host memory first.")
    assert str(e).startswith("can't convert cuda:0 device type tensor to numpy")
    _raises(TypeError, lambda: np.asarray(t), "cuda:0")
    assert repr(t) == "tensor([1.0000, 2.5000], device='cuda:0')"
    assert t.tolist() == [1.0, 2.5] and t[1].item() == 2.5 and float(t.sum()) == 3.5
    assert bool(t[0] == 1.0)
    assert t._host().tolist() == [1.0, 2.5]
    r = nb.tensor(2.0, device="cuda", requires_grad=True) * 2
    assert repr(r) == "tensor(4., device='cuda:0', grad_fn=<MulBackward0>)"


def check_mixed_devices():
    nb = _nb()
    a, b = nb.ones(3, device="cuda"), nb.ones(3)
    msg = "Expected all tensors to be on the same device, but found at least two devices, " \
          "cuda:0 and cpu!"
    for fn in (lambda: a + b, lambda: a * b, lambda: nb.cat([a, b]), lambda: nb.stack([a, b]),
               lambda: nb.where(a > 0, a, b), lambda: nb.dot(a, b), lambda: a.add_(b)):
        _raises(RuntimeError, fn, msg)
    _raises(RuntimeError, lambda: b + a, "cpu and cuda:0")
    a + 1.0   # Python scalars are fine


def check_autograd():
    nb = _nb()
    # the tutorial's first step, on the device
    x = nb.ones(2, 2, device="cuda", requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    _on_device(x.grad)
    assert (x.grad.cpu().numpy() == 4.5).all()
    assert repr(out) == "tensor(27., device='cuda:0', grad_fn=<MeanBackward0>)"
    # a non-scalar root with a gradient on the device, retain_grad, accumulation
    x = nb.tensor([1.0, 2.0, 3.0], device="cuda", requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.backward(nb.tensor([0.1, 1.0, 0.0001], device="cuda"))
    _on_device(y.grad)
    assert np.allclose(x.grad.cpu().numpy(), [0.2, 2.0, 0.0002])
    (x * x).sum().backward()
    assert np.allclose(x.grad.cpu().numpy(), [2.2, 6.0, 6.0002])
    # autograd.grad and a second derivative (create_graph=True)
    x = nb.tensor([0.5, -1.0], device="cuda", dtype=nb.float64, requires_grad=True)
    (g,) = nb.autograd.grad((x ** 3).sum(), x, create_graph=True)
    _on_device(g)
    (h,) = nb.autograd.grad(g.sum(), x)
    _on_device(h)
    assert np.allclose(h.cpu().numpy(), 6 * np.array([0.5, -1.0]))
    # a small network step: matmul, softmax, cross entropy, SGD update in place
    nb.manual_seed(0)
    W = nb.randn(4, 3, device="cuda", requires_grad=True)
    inp = nb.randn(5, 4, device="cuda")
    target = nb.tensor([0, 2, 1, 1, 0], device="cuda")
    loss = nb.nn.functional.cross_entropy(inp @ W, target)
    loss.backward()
    with nb.no_grad():
        W -= 0.1 * W.grad
    _on_device(W)
    Wc = W.detach().cpu().requires_grad_(True)
    lc = nb.nn.functional.cross_entropy(inp.cpu() @ Wc, target.cpu())
    assert abs(lc.item() - nb.nn.functional.cross_entropy(inp @ W, target).item()) < 1e-5


def check_inplace():
    """In-place ops on the device, recorded, also through a view of a non-leaf."""
    nb = _nb()
    w = nb.tensor([[1.0, 2.0], [3.0, 4.0]], device="cuda", requires_grad=True)
    u = w * 1
    u.add_(1)
    u[1] = 0.0
    u.mul_(nb.tensor([2.0, 3.0], device="cuda"))
    u.sum().backward()
    assert (w.grad.cpu().numpy() == [[2, 3], [0, 0]]).all()
    with nb.no_grad():
        w.zero_()
        w.fill_(2.5)
    assert (w.cpu().detach().numpy() == 2.5).all()
    w.grad = None
    u = w * 1
    u[0].mul_(10)
    u.sum().backward()
    assert (w.grad.cpu().numpy() == [[10, 10], [1, 1]]).all()


def check_interop():
    nb = _nb()
    from nbgrad.backends.cuda import _numba_cuda as nc
    d = nc.cuda.to_device(np.arange(6.0).reshape(2, 3))
    t = nb.as_tensor(d)                       # a numba device array: no copy
    _on_device(t)
    assert t.dtype is nb.float64 and t.shape == (2, 3)
    t[0, 0] = 100.0
    assert d.copy_to_host()[0, 0] == 100.0

    class Exporter:                           # any __cuda_array_interface__ (CuPy, torch)
        def __init__(self, arr):
            self.arr = arr
            self.__cuda_array_interface__ = nc.cuda_array_interface(arr)

    e = Exporter(d)
    s = nb.as_tensor(e)
    s.mul_(2)
    assert d.copy_to_host()[0, 1] == 2.0 and (s.cpu().numpy() == d.copy_to_host()).all()
    assert nb.as_tensor(e, dtype=nb.float32).dtype is nb.float32
    # export: the tensor's interface points at its buffer
    cai = t.__cuda_array_interface__
    assert cai["shape"] == (2, 3) and cai["typestr"] == "<f8" and cai["version"] == 3
    assert cai["data"][0] == nc.device_pointer(t._data)
    back = nc.from_cuda_array_interface(t)
    assert (back.copy_to_host() == d.copy_to_host()).all()
    view = t.t()
    assert view.__cuda_array_interface__["strides"] == (8, 24)
    assert not hasattr(nb.ones(2), "__cuda_array_interface__")
    _raises(RuntimeError, lambda: nb.ones(2, device="cuda",
                                          requires_grad=True).__cuda_array_interface__,
            "requires grad")
    # DLPack: host memory stays on the host, without a copy
    a = np.arange(4.0)
    from nbgrad import _factories   # nb.from_dlpack once nbgrad/__init__.py exports it
    h = getattr(nb, "from_dlpack", _factories.from_dlpack)(a)
    h[0] = 9
    assert a[0] == 9 and h.device.type == "cpu"


def check_cuda_namespace():
    nb = _nb()
    assert nb.cuda.is_available() and nb.cuda.device_count() >= 1
    nb.cuda.synchronize()
    from nbgrad.backends.cuda import launch
    x = nb.ones(2, 2, device="cuda", requires_grad=True)
    launch.reset_launch_count()
    ((x + 2) * (x + 2) * 3).mean().backward()
    n = launch.launch_count()
    assert 5 <= n <= 20, n   # a handful of kernels: the counter sees every one


def check_cpu_tensors_unaffected():
    nb = _nb()
    x = nb.ones(2, 2, requires_grad=True)
    ((x + 2) * (x + 2) * 3).mean().backward()
    assert x.grad.device.type == "cpu" and type(x.grad._data) is np.ndarray


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


def test_cpu_only_never_imports_numba_cuda():
    """import nbgrad and ops on CPU tensors (and their backward) never import numba.cuda."""
    code = """
import sys
import nbgrad as nb
x = nb.ones(3, 2, requires_grad=True)
y = ((x.exp() * 2).sum(0).softmax(0) @ nb.ones(2)) + x[nb.tensor([0, 2])].mean()
y.backward()
nb.manual_seed(0); nb.randn(3); repr(x); x.cpu(); x.to("cpu"); nb.cuda.manual_seed(1)
nb.cuda.empty_cache()
assert nb.cuda.memory_reserved() == 0 and nb.cuda.memory_allocated() == 0
bad = sorted(m for m in sys.modules if m.startswith(("numba.cuda", "numba_cuda")))
assert not bad, bad
print("ok")
"""
    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]


if __name__ == "__main__":
    import json
    from tests.test_cuda_harness import install
    install()
    print(json.dumps(_run_checks()))
