"""Sorting, searching, counting and structural ops beyond the op database: the
parallel kernels on large inputs, gradients of selections with ties, errors
raised before any kernel, and every op-database sample of these families on
the CUDA simulator (the database's own CUDA test runs each entry's first and
last samples only)."""

import json
import os
import pathlib
import re
import sys

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.backends.cpu.elementwise import PARALLEL_THRESHOLD
from tests.test_cuda_harness import in_simulator_process, needs_numba_cuda, run_child

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1])
def test_large_sort_uses_the_parallel_kernel_and_is_stable(dim, descending):
    # integer values: many ties, so stability decides every index
    x = RNG.integers(0, 50, (400, 300)).astype(np.float64)
    assert x.size >= PARALLEL_THRESHOLD
    got = nb.sort(nb.tensor(x), dim, descending, stable=True)
    want = np.argsort(-x if descending else x, axis=dim, kind="stable")
    np.testing.assert_array_equal(got.indices.numpy(), want)
    np.testing.assert_array_equal(got.values.numpy(), np.take_along_axis(x, want, dim))


def test_large_cdist_uses_the_parallel_kernel():
    a, b = RNG.standard_normal((300, 5)), RNG.standard_normal((250, 5))
    want = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
    np.testing.assert_allclose(nb.cdist(nb.tensor(a), nb.tensor(b)).numpy(), want, rtol=1e-12)


def test_sort_orders_nan_last_ascending_and_first_descending():
    x = nb.tensor([2.0, float("nan"), -1.0, float("nan"), 0.5])
    up = nb.sort(x, stable=True)
    assert up.indices.tolist() == [2, 4, 0, 1, 3]
    down = nb.sort(x, descending=True, stable=True)
    assert down.indices.tolist() == [1, 3, 0, 4, 2]


def test_mode_gradient_goes_to_the_returned_index():
    x = nb.tensor([[1.0, 3.0, 1.0], [2.0, 2.0, 5.0]], dtype=nb.float64, requires_grad=True)
    m = nb.mode(x, 1)
    assert m.values.tolist() == [1.0, 2.0] and m.indices.tolist() == [2, 1]
    m.values.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]


def test_median_of_ties_shares_the_gradient_evenly_and_differentiates_twice():
    x = nb.tensor([1.0, 2.0, 2.0, 3.0, 0.0], dtype=nb.float64, requires_grad=True)
    (g,) = nb.autograd.grad(nb.median(x) ** 2, x, create_graph=True)
    assert g.tolist() == [0.0, 2.0, 2.0, 0.0, 0.0]   # 2 * median / 2 ties
    (gg,) = nb.autograd.grad(g.sum(), x)
    assert gg.tolist() == [0.0, 1.0, 1.0, 0.0, 0.0]


def test_cdist_gradient_is_zero_at_zero_distance_and_differentiates_twice():
    a = nb.tensor([[0.0, 0.0], [1.0, 2.0]], dtype=nb.float64, requires_grad=True)
    b = nb.tensor([[0.0, 0.0]], dtype=nb.float64, requires_grad=True)
    (ga,) = nb.autograd.grad(nb.cdist(a, b).sum(), a, create_graph=True)
    np.testing.assert_allclose(ga.detach().numpy(), [[0, 0], [1 / 5 ** 0.5, 2 / 5 ** 0.5]])
    assert not np.isnan(nb.autograd.grad(ga.sum(), a)[0].numpy()).any()


@pytest.mark.parametrize("call, exc, words", [
    (lambda: nb.topk(nb.ones(3), 4), RuntimeError, "topk"),
    (lambda: nb.kthvalue(nb.ones(2, 3), 4, 1), RuntimeError, "kthvalue"),
    (lambda: nb.sort(nb.ones(2, 3), 2), IndexError, "sort"),
    (lambda: nb.median(nb.ones(0, 2), 0), IndexError, "median"),
    (lambda: nb.searchsorted(nb.ones(2, 3), nb.ones(3, 1)), RuntimeError, "searchsorted"),
    (lambda: nb.bincount(nb.tensor([1, -1])), RuntimeError, "bincount"),
    (lambda: nb.histc(nb.tensor([1, 2])), NotImplementedError, "Long"),
    (lambda: nb.histogram(nb.ones(2), 2, weight=nb.ones(3)), RuntimeError, "weight"),
    (lambda: nb.cdist(nb.ones(2, 3), nb.ones(2, 4)), RuntimeError, "columns"),
    (lambda: nb.cross(nb.ones(2, 3), nb.ones(2, 3), dim=0), RuntimeError, "length 3"),
    (lambda: nb.meshgrid(nb.ones(2, 2), indexing="ij"), RuntimeError, "0D or 1D"),
    (lambda: nb.diag(nb.ones(2, 2, 2)), RuntimeError, "3D"),
    (lambda: nb.tril_indices(-1, 2), RuntimeError, "row"),
    (lambda: nb.unique(nb.ones(3), dim=1), IndexError, "Dimension out of range"),
])
def test_errors_name_the_op_and_come_before_any_kernel(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_unique_values_raise_at_backward_like_pytorch():
    x = nb.tensor([2.0, 1.0, 2.0], requires_grad=True)
    u = nb.unique(x)
    assert u.requires_grad and u.tolist() == [1.0, 2.0]
    with pytest.raises(NotImplementedError, match="_unique2"):
        u.sum().backward()


def test_meshgrid_without_indexing_warns_and_gives_views():
    x, y = nb.arange(3.0), nb.arange(2.0)
    with pytest.warns(UserWarning, match="indexing"):
        gx, gy = nb.meshgrid(x, y)
    assert gx.shape == (3, 2) and gy.shape == (3, 2)
    assert gx._base is not None   # expanded views of the inputs, as PyTorch's


def test_docs_page_examples_run(capsys):
    page = pathlib.Path(__file__).resolve().parent.parent / "docs" / "sorting.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    assert len(blocks) >= 5
    ns = {"__name__": "docs_sorting"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"sorting.md[block {i}]", "exec"), ns)   # noqa: S102
    out = capsys.readouterr().out
    assert "tensor([1., 3., 2.], dtype=torch.float64)" in out   # the gradient example


# -- every sample of these families on the CUDA simulator ------------------------------------
def _check_triangle_indices():
    for f in (nb.tril_indices, nb.triu_indices):
        for args in [(3, 3), (3, 4, 1), (4, 3, -1), (0, 3), (3, 3, 10), (3, 3, -10), (5, 2)]:
            c, d = f(*args), f(*args, device="cuda")
            assert d.device.type == "cuda" and d.tolist() == c.tolist(), (f.__name__, args)
    t = nb.tril_indices(3, 3, dtype=nb.int32, device="cuda")
    assert t.dtype is nb.int32 and t.tolist() == nb.tril_indices(3, 3).tolist()


def _run_all():
    import traceback

    from tests.opdb import sorting, structure
    from tests.test_cuda_ops import check_sample
    failures = {}
    try:
        _check_triangle_indices()
    except Exception:   # noqa: BLE001 - reported like a sample
        failures["tril/triu_indices"] = traceback.format_exc(limit=-4)
    for info in sorting.OPS + structure.OPS:
        for i, sample in enumerate(info.samples(np.random.default_rng(0))):
            try:
                check_sample(info, sample)
            except Exception:   # noqa: BLE001 - reported per sample
                failures[f"{info.id}-{i}"] = traceback.format_exc(limit=-4)
    return failures


@needs_numba_cuda
def test_every_sample_on_the_cuda_simulator_matches_the_cpu():
    if in_simulator_process():
        from tests.test_cuda_harness import install
        install()
        failures = _run_all()
    else:
        failures = run_child(os.path.abspath(__file__), ["--child"], timeout=900)
    assert not failures, "\n".join(f"{k}:\n{v}" for k, v in failures.items())


if __name__ == "__main__":
    from tests.test_cuda_harness import install
    install()
    print(json.dumps(_run_all()))
    sys.exit(0)
