"""The autograd layer knows nodes, not ops, and its engine runs in parts.

- no module of ``nbgrad/autograd`` imports the ops layer, the factories or the
  public modules, not even inside a function (its AST is read): what it needs
  of the ops (an unrecorded add, kernel_op) is registered through
  `nbgrad.autograd.provided` when the ops are imported;
- batch rules are attributes of the op declarations, read by the engine;
- gradients given twice for one output are summed by the one accumulation rule;
- a custom Function's gradient on another device than its input is refused as
  PyTorch refuses it, and a device move's batched gradient lands on the input's
  device (both on numba's CUDA simulator, in a child process).
"""

import ast
import os
import pathlib

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.autograd import batching, provided
from tests.test_cuda_harness import in_simulator_process, needs_numba_cuda, run_child

AUTOGRAD = pathlib.Path(nb.__file__).parent / "autograd"

# what autograd may import from nbgrad: itself, the core types and the backends
ALLOWED = ("nbgrad.autograd", "nbgrad.tensor", "nbgrad._dtypes", "nbgrad._device",
           "nbgrad._printing", "nbgrad._storage", "nbgrad.backends")


def nbgrad_imports(source, module):
    """Every nbgrad module that `source` (the text of module `module`, a dotted
    name) imports, at module level or inside functions, as dotted names;
    ``from nbgrad import x`` gives ``nbgrad.x``."""
    package = module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:   # relative: from the module's package upwards
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            found += [f"{base}.{a.name}" for a in node.names]
    return [name for name in found if name == "nbgrad" or name.startswith("nbgrad.")]


def _forbidden(names):
    return [n for n in names if not any(n == a or n.startswith(a + ".") for a in ALLOWED)]


def test_the_import_check_sees_imports_inside_functions_and_relative_ones():
    src = ("import numpy as np\nfrom nbgrad import _dtypes, _factories\n"
           "def f():\n    from nbgrad.ops.registry import REGISTRY\n"
           "    from ..nn import Module\n    import nbgrad.compile\n"
           "class C:\n    def m(self):\n        from . import engine\n")
    names = nbgrad_imports(src, "nbgrad.autograd.x")
    assert names == ["nbgrad._dtypes", "nbgrad._factories", "nbgrad.ops.registry.REGISTRY",
                     "nbgrad.nn.Module", "nbgrad.compile", "nbgrad.autograd.engine"]
    assert _forbidden(names) == ["nbgrad._factories", "nbgrad.ops.registry.REGISTRY",
                                 "nbgrad.nn.Module", "nbgrad.compile"]


def test_autograd_imports_nothing_from_the_ops_the_factories_or_public_modules():
    files = sorted(AUTOGRAD.glob("*.py"))
    assert len(files) >= 10
    bad = {}
    for f in files:
        names = nbgrad_imports(f.read_text(), f"nbgrad.autograd.{f.stem}")
        if _forbidden(names):
            bad[f.name] = _forbidden(names)
    assert not bad, f"autograd imports from layers above it: {bad}"


def test_the_ops_provide_what_the_engine_calls():
    for name in provided._NAMES:
        assert getattr(provided, name).__name__ != name or name == "kernel_op", name
    a, b = nb.tensor([1.0, 2.0]), nb.tensor([0.5, 0.25])
    assert provided.add(a, b).tolist() == [1.5, 2.25]
    provided.add_into(a, b)
    assert a.tolist() == [1.5, 2.25]
    with pytest.raises(ValueError, match="needs no 'mul'"):
        provided.provide(mul=lambda a, b: a * b)
    with pytest.raises(TypeError, match="must be callable"):
        provided.provide(add=None)


def test_a_missing_provision_names_itself():
    missing = provided._missing("add")
    with pytest.raises(RuntimeError, match="needs 'add' from the ops layer"):
        missing(1, 2)


@pytest.mark.parametrize("name, rule", [
    ("reshape", batching.view_rule), ("view", batching.view_rule),
    ("squeeze", batching.view_rule), ("unsqueeze", batching.view_rule),
    ("expand", batching.identity_rule), ("clone", batching.identity_rule),
    ("to_dtype", batching.identity_rule), ("sum", batching.sum_rule),
    ("sum.dim_IntList", batching.sum_rule), ("mean", batching.mean_rule),
    ("mean.dim", batching.mean_rule), ("sum_to_size", batching.sum_to_size_rule),
    ("mul", batching.native), ("exp", batching.native)])
def test_batch_rules_are_declared_on_the_ops(name, rule):
    from nbgrad.ops import REGISTRY
    assert REGISTRY[name].batch_rule is rule


def test_the_engine_reads_an_ops_batch_rule(monkeypatch):
    from nbgrad.ops import REGISTRY
    seen = []

    def spy(node, grads_out):
        seen.append(type(node).__name__)
        return batching.view_rule(node, grads_out)
    monkeypatch.setattr(REGISTRY["reshape"], "batch_rule", spy)
    monkeypatch.setattr(batching, "stack_rows", lambda *a: pytest.fail("per-sample fallback"))
    x = nb.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = nb.tensor(np.arange(12.0).reshape(2, 6))
    (g,) = nb.autograd.grad(x.reshape(6) * 2, x, v, is_grads_batched=True)
    assert seen == ["ViewBackward0"]
    np.testing.assert_array_equal(g.numpy(), 2 * np.arange(12.0).reshape(2, 2, 3))


def test_an_op_without_a_rule_runs_once_per_sample():
    x = nb.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    y = x.flip(1) * 3    # FlipBackward0 has no batch rule
    v = nb.tensor(np.arange(12.0).reshape(2, 2, 3))
    (g,) = nb.autograd.grad(y, x, v, is_grads_batched=True)
    np.testing.assert_array_equal(g.numpy(), 3 * v.numpy()[:, :, ::-1])


def test_gradients_given_twice_for_one_output_are_summed():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    nb.autograd.backward([y, y], [nb.tensor([1.0, 0.0]), nb.tensor([0.5, 1.0])])
    assert x.grad.tolist() == [3.0, 4.0]   # 2x * (g1 + g2)


def test_gradients_given_twice_are_summed_by_a_recorded_add_under_create_graph():
    x = nb.tensor([1.0, 2.0], dtype=nb.float64, requires_grad=True)
    v1 = nb.tensor([1.0, 0.0], dtype=nb.float64, requires_grad=True)
    v2 = nb.tensor([0.5, 1.0], dtype=nb.float64, requires_grad=True)
    y = x * x
    (gx,) = nb.autograd.grad([y, y], x, [v1, v2], create_graph=True)
    assert gx.tolist() == [3.0, 4.0]
    (d1, d2) = nb.autograd.grad(gx.sum(), [v1, v2])
    assert d1.tolist() == d2.tolist() == [2.0, 4.0]


def test_a_leaf_keeps_a_gradient_nobody_else_holds_and_copies_a_shared_one():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    g = nb.tensor([3.0, 4.0])
    (x + 1).backward(g)          # add hands g on as is: the caller still holds it
    assert x.grad is not g and x.grad.tolist() == [3.0, 4.0]
    g.add_(1.0)
    assert x.grad.tolist() == [3.0, 4.0]
    a, b = nb.ones(2, requires_grad=True), nb.ones(2, requires_grad=True)
    (a + b).sum().backward()     # one gradient handed to two leaves: one of them copies
    assert a.grad is not b.grad and a.grad.tolist() == b.grad.tolist() == [1.0, 1.0]


# -- devices (numba's CUDA simulator, in a child process) ----------------------------

def check_custom_function_gradient_device():
    """A custom backward returning a CPU gradient for a CUDA input: PyTorch's
    RuntimeError; a 0-d one is moved to the input's device."""
    import nbgrad as nb

    class ToCpu(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return (g * 2).cpu()

    x = nb.ones(2, 3, device="cuda", requires_grad=True)
    try:
        ToCpu.apply(x).sum().backward()
    except RuntimeError as e:
        assert "Function ToCpuBackward returned an invalid gradient at index 0 - expected " \
               "device cuda:0 but got cpu" in str(e), str(e)
    else:
        raise AssertionError("no RuntimeError")
    assert x.grad is None
    s = nb.tensor(1.5, device="cuda", requires_grad=True)
    ToCpu.apply(s).backward()
    assert s.grad.device.type == "cuda" and s.grad.cpu().item() == 2.0


def check_batched_gradient_of_a_device_move():
    """jacobian(vectorize=True) through .to(): the gradient goes back to the input's
    device (a device move has no batch rule; its own backward moves it)."""
    import nbgrad as nb
    x = nb.tensor([1.0, 2.0, 3.0], dtype=nb.float64, requires_grad=True)
    jac = nb.autograd.functional.jacobian(lambda t: (t.to("cuda") * 3).cpu(), x,
                                          vectorize=True)
    assert jac.device.type == "cpu"
    np.testing.assert_array_equal(jac.numpy(), 3 * np.eye(3))
    xc = x.detach().to("cuda").requires_grad_()
    (g,) = nb.autograd.grad(xc.cpu() * 2, xc, nb.ones(2, 3, dtype=nb.float64),
                            is_grads_batched=True)
    assert g.device.type == "cuda" and g.shape == (2, 3)
    assert (g.cpu().numpy() == 2).all()


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
def device_results():
    if in_simulator_process():
        from tests.test_cuda_harness import install
        install()
        return _run_checks()
    return run_child(os.path.abspath(__file__), ["--child"], timeout=900)


@needs_numba_cuda
@pytest.mark.parametrize("name", CHECKS)
def test_on_the_cuda_simulator(device_results, name):
    if device_results[name] is not None:
        pytest.fail(device_results[name], pytrace=False)


if __name__ == "__main__":
    import json

    from tests.test_cuda_harness import install
    install()
    print(json.dumps(_run_checks()))
