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
    # the row blocks run the same kernel over the same K: the same bits
    rng = np.random.default_rng(0)
    a = rng.standard_normal((512, 256)).astype(np.float32)
    b = rng.standard_normal((512, 256)).astype(np.float32).T
    assert np.array_equal(blas.gemm_2d(a, b, 2), blas.gemm_2d(a, b, 1))


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
