"""The host's 2-D matrix products through SciPy's BLAS (`nbgrad.backends.cpu.blas`):
every layout BLAS reads in place (row major, transposed, a slice with a larger
leading dimension), split over threads or not, against a float64 product."""

import threading

import numpy as np
import pytest

from nbgrad.backends.cpu import blas, matmul

pytestmark = pytest.mark.skipif(not blas.available(), reason="SciPy's BLAS not found")

SHAPES = [(40, 50, 60), (1, 70000, 1), (256, 64, 128), (10, 256, 512), (200, 300, 8)]


def _layouts(x):
    """x as a row-major array, a transposed view, and a column slice of a wider array."""
    wide = np.zeros((x.shape[0], x.shape[1] + 3), x.dtype)
    wide[:, 2:2 + x.shape[1]] = x
    return [x, np.ascontiguousarray(x.T).T, wide[:, 2:2 + x.shape[1]]]


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("m,k,n", SHAPES)
@pytest.mark.parametrize("threads", [1, 2])
def test_every_layout_matches_a_float64_product(dtype, tol, m, k, n, threads):
    assert m * k * n >= blas.NUMPY_MAX_MACS   # BLAS's path, not np.matmul's
    rng = np.random.default_rng(m * k * n)
    A = rng.standard_normal((m, k)).astype(dtype)
    B = rng.standard_normal((k, n)).astype(dtype)
    want = A.astype(np.float64) @ B.astype(np.float64)
    for a in _layouts(A):
        for b in _layouts(B):
            got = blas.gemm_2d(a, b, threads)
            assert got is not None and got.dtype == dtype and got.flags.c_contiguous
            err = np.abs(got - want).max() / max(1.0, np.abs(want).max())
            assert err < tol, (a.strides, b.strides, err)


def test_a_split_product_equals_one_call():
    # the row blocks run BLAS over the same K.  Not always the same bits: OpenBLAS
    # picks its code paths by size and thread count (on an AMD EPYC without AVX-512,
    # 2026-12-07, one call single- and multi-threaded and a 256-row half all differed
    # by float32 roundings); a block placed wrong would differ by the values themselves
    rng = np.random.default_rng(0)
    a = rng.standard_normal((512, 256)).astype(np.float32)
    b = rng.standard_normal((512, 256)).astype(np.float32).T
    split, one = blas.gemm_2d(a, b, 2), blas.gemm_2d(a, b, 1)
    scale = np.abs(a.astype(np.float64) @ b.astype(np.float64)).max()
    assert np.abs(split - one).max() <= 1e-5 * scale


def test_blas_thread_count_is_restored():
    if blas._THREADS is None:
        pytest.skip("SciPy's OpenBLAS thread control not found")
    get, set_ = blas._THREADS
    before = get()
    a = np.ones((512, 512), np.float32)
    blas.gemm_2d(a, a, 2)
    assert get() == before


@pytest.mark.parametrize("a,b", [
    (np.ones((2, 3), np.int64), np.ones((3, 2), np.int64)),        # not a BLAS dtype
    (np.ones((2, 3), np.float32), np.ones((3, 2), np.float64)),    # two dtypes
    (np.ones((2, 0), np.float32), np.ones((0, 2), np.float32)),    # an empty dimension
    (np.ones((3, 4), np.float32), np.ones((4, 5), np.float32)),    # small: np.matmul is faster
    (np.ones((80, 120), np.float32)[::2, ::2], np.ones((60, 50), np.float32)),  # no unit stride
])
def test_what_blas_does_not_take_goes_to_numpy(a, b):
    assert blas.gemm_2d(a, b, 2) is None
    assert np.array_equal(matmul.matmul_nd(a, b), np.matmul(a, b))


def test_products_from_several_threads_restore_the_count():
    if blas._THREADS is None:
        pytest.skip("SciPy's OpenBLAS thread control not found")
    get = blas._THREADS[0]
    before = get()
    a = np.random.default_rng(2).standard_normal((300, 300))
    want = a @ a
    results = []

    def work():
        for _ in range(20):
            results.append(np.abs(blas.gemm_2d(a, a, 2) - want).max())
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 80 and max(results) < 1e-10
    assert get() == before


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("m,k,n", SHAPES)
@pytest.mark.parametrize("bias_shape", ["row", "full", "column"])
def test_addmm_2d_adds_the_product_to_a_broadcast_input(dtype, tol, m, k, n, bias_shape):
    """gemm with beta 1 (`matmul.addmm_2d`): the input written into the result, the
    product added there, over every layout and a split or single call."""
    rng = np.random.default_rng(m + k + n)
    A = rng.standard_normal((m, k)).astype(dtype)
    B = rng.standard_normal((k, n)).astype(dtype)
    c = rng.standard_normal({"row": (n,), "full": (m, n), "column": (m, 1)}[bias_shape])
    c = c.astype(dtype)
    want = c.astype(np.float64) + A.astype(np.float64) @ B.astype(np.float64)
    for a in _layouts(A):
        for b in _layouts(B):
            got = matmul.addmm_2d(c, a, b)
            assert got is not None and got.shape == (m, n) and got.dtype == dtype
            err = np.abs(got - want).max() / max(1.0, np.abs(want).max())
            assert err < tol, (a.strides, b.strides, err)


def test_add_gemm_2d_refuses_what_it_cannot_write_and_writes_nothing():
    A, B = np.ones((64, 64), np.float32), np.ones((64, 64), np.float32)
    for c in (np.zeros((64, 65), np.float32), np.zeros((64, 64), np.float64),
              np.zeros((64, 128), np.float32)[:, ::2]):
        before = c.copy()
        assert blas.add_gemm_2d(c, A, B, 2) is False
        np.testing.assert_array_equal(c, before)
    small = np.ones((4, 4), np.float32)
    assert matmul.addmm_2d(np.zeros(4, np.float32), small, small) is None   # np.matmul's size


def test_linear_takes_the_fused_bias_path(monkeypatch):
    """F.linear (addmm with beta = alpha = 1) on a large enough product goes through
    addmm_2d, with the same values and gradients as the unfused product plus bias."""
    import nbgrad as nb
    calls = []
    real = matmul.addmm_2d
    monkeypatch.setattr(matmul, "addmm_2d", lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(1)
    x = nb.tensor(rng.standard_normal((32, 64)), requires_grad=True)
    w = nb.tensor(rng.standard_normal((48, 64)), requires_grad=True)
    b = nb.tensor(rng.standard_normal(48), requires_grad=True)
    y = nb.nn.functional.linear(x, w, b)
    assert calls, "addmm_2d was not called"
    want = x.detach().numpy() @ w.detach().numpy().T + b.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-12, atol=1e-12)
    assert y.grad_fn.name() == "AddmmBackward0"
    assert nb.autograd.gradcheck(lambda x, w, b: nb.nn.functional.linear(x, w, b), (x, w, b))
