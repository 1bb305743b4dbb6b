"""2-D matrix products through SciPy's BLAS ``gemm``, split over nbgrad's threads.

Why not ``np.matmul``: NumPy's OpenBLAS keeps a thread pool of its own, and
after every product its idle thread spins on one of the cores that nbgrad's
parallel kernels (Numba's OpenMP pool) need next.  On two cores an elementwise
kernel right after a product took 3.4 ms instead of 12 us.  Here the product
runs on Numba's pool: SciPy's OpenBLAS is set to one thread around the call
and each of Numba's threads multiplies its block of rows (or columns), so one
pool owns the cores.  ``gemm`` also takes transposed operands in place, by
flag and leading dimension: a transposed view (the backward pass's ``A.T @ g``)
or a column slice is never copied.

`gemm_2d` returns None where it does not apply (not float32/float64, a small
product, a layout BLAS cannot read, no SciPy BLAS found); the caller then uses
``np.matmul``.
"""

import ctypes
import glob
import os
import threading

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import get_cython_function_address, intrinsic

__all__ = ["gemm_2d", "add_gemm_2d", "gemm_into", "layouts", "available"]

# below this many multiply-adds one thread does the product (a parallel launch
# costs more than it saves)
SPLIT_MIN_MACS = 1 << 20
# below this many, np.matmul (2 us against 5 us here): OpenBLAS runs such products on
# the calling thread, so no pool thread wakes to spin
NUMPY_MAX_MACS = 1 << 16


def _gemm_addresses():
    try:
        return {np.dtype(np.float32): get_cython_function_address("scipy.linalg.cython_blas",
                                                                  "sgemm"),
                np.dtype(np.float64): get_cython_function_address("scipy.linalg.cython_blas",
                                                                  "dgemm")}
    except (ImportError, ValueError):
        return {}


def _blas_threads():
    """SciPy's OpenBLAS (get_num_threads, set_num_threads), or None where not found
    (another BLAS, another platform): products then run on one call, unsplit."""
    import scipy
    libs = os.path.join(os.path.dirname(os.path.dirname(scipy.__file__)), "scipy.libs")
    for path in glob.glob(os.path.join(libs, "libscipy_openblas*.so*")):
        lib = ctypes.CDLL(path)
        get = getattr(lib, "scipy_openblas_get_num_threads", None)
        set_ = getattr(lib, "scipy_openblas_set_num_threads", None)
        if get is not None and set_ is not None:
            get.restype, set_.argtypes = ctypes.c_int, [ctypes.c_int]
            return get, set_
    return None


_ADDRESS = _gemm_addresses()
_THREADS = _blas_threads() if _ADDRESS else None
_THREADS_LOCK = threading.Lock()


def available():
    return bool(_ADDRESS)


@intrinsic
def _fortran_gemm(typingctx, fn, ta, tb, m, n, k, A, a_off, lda, B, b_off, ldb, C, c_off, ldc,
                  beta):
    """BLAS ``?gemm`` at address `fn` (Fortran: every argument by reference, column
    major) on the data of A, B, C from element offsets: C = A B + beta C."""
    sig = types.void(fn, ta, tb, m, n, k, A, a_off, lda, B, b_off, ldb, C, c_off, ldc, beta)

    def codegen(context, builder, signature, args):
        tys = signature.args
        real = context.get_value_type(C.dtype)
        i8, i32 = ir.IntType(8), ir.IntType(32)

        def ref(value, ty):
            slot = cgutils.alloca_once(builder, ty)
            builder.store(value, slot)
            return slot

        def int_ref(k):
            return ref(context.cast(builder, args[k], tys[k], types.int32), i32)

        def data(k):
            ary = context.make_array(tys[k])(context, builder, args[k])
            off = context.cast(builder, args[k + 1], tys[k + 1], types.intp)
            return builder.gep(ary.data, [off])

        chars = [ref(builder.trunc(context.cast(builder, args[j], tys[j], types.int32), i8), i8)
                 for j in (1, 2)]
        one = ref(ir.Constant(real, 1.0), real)
        beta_ = ref(context.cast(builder, args[15], tys[15], C.dtype), real)
        argv = chars + [int_ref(3), int_ref(4), int_ref(5), one, data(6), int_ref(8),
                        data(9), int_ref(11), beta_, data(12), int_ref(14)]
        fnty = ir.FunctionType(ir.VoidType(), [a.type for a in argv])
        address = context.cast(builder, args[0], tys[0], types.intp)
        builder.call(builder.inttoptr(address, fnty.as_pointer()), argv)
        return context.get_dummy_value()
    return sig, codegen


@njit(cache=True)
def _block(fn, ta, tb, A, lda, B, ldb, C, r0, r1, c0, c1, K, beta):
    """Rows r0:r1, columns c0:c1 of the row-major C = op(A) @ op(B) + beta C; as
    column-major BLAS sees row-major memory transposed, that is
    C.T = op(B).T @ op(A).T + beta C.T."""
    N = C.shape[1]
    a_off = r0 if ta else r0 * lda
    b_off = c0 * ldb if tb else c0
    _fortran_gemm(fn, ord("T") if tb else ord("N"), ord("T") if ta else ord("N"),
                  c1 - c0, r1 - r0, K, B, b_off, ldb, A, a_off, lda, C, r0 * N + c0, N, beta)


@njit(cache=True, parallel=True)
def _split(fn, ta, tb, A, lda, B, ldb, C, K, parts, by_rows, beta):
    M, N = C.shape
    for p in prange(parts):
        if by_rows:
            _block(fn, ta, tb, A, lda, B, ldb, C, M * p // parts, M * (p + 1) // parts, 0, N, K,
                   beta)
        else:
            _block(fn, ta, tb, A, lda, B, ldb, C, 0, M, N * p // parts, N * (p + 1) // parts, K,
                   beta)


def _layout(a):
    """(transposed, leading dimension) in elements of a 2-D array as BLAS reads it,
    or None: rows of stride 1 (row major) or columns of stride 1 (a transposed view)."""
    item = a.itemsize
    r, c = a.shape
    s0, s1 = a.strides
    if (s1 == item or c == 1) and s0 % item == 0 and (r == 1 or s0 // item >= c):
        return False, max(s0 // item if r > 1 else c, 1)
    if (s0 == item or r == 1) and s1 % item == 0 and (c == 1 or s1 // item >= r):
        return True, max(s1 // item if c > 1 else r, 1)
    return None


def gemm_2d(a, b, threads):
    """``a @ b`` for 2-D float arrays of one dtype on `threads` of Numba's threads,
    or None where BLAS is not used (see the module docstring)."""
    lay = layouts(a, b)
    if lay is None:
        return None
    C = np.empty((a.shape[0], b.shape[1]), a.dtype)
    _product(a, b, C, 0.0, threads, lay)
    return C


def add_gemm_2d(c, a, b, threads):
    """``c += a @ b`` in c's buffer (gemm with beta 1: the sum costs no pass of its
    own), `c` C-contiguous of the product's shape and dtype; False, with nothing
    written, where BLAS is not used."""
    return gemm_into(c, a, b, 1.0, threads)


def gemm_into(c, a, b, beta, threads):
    """``c = a @ b + beta * c`` in c's buffer (beta 0: c is only written), `c`
    C-contiguous of the product's shape and dtype; False, with nothing written,
    where BLAS is not used."""
    lay = layouts(a, b)
    if lay is None or c.dtype != a.dtype or not c.flags.c_contiguous or \
            c.shape != (a.shape[0], b.shape[1]):
        return False
    _product(a, b, c, beta, threads, lay)
    return True


def layouts(a, b):
    """(a's, b's) (transposed, leading dimension) where `gemm_2d` multiplies a (M, K)
    by b (K, N) with BLAS: a float dtype it has, one dtype, a product large enough
    and layouts BLAS reads; else None."""
    M, K = a.shape
    if a.dtype not in _ADDRESS or b.dtype != a.dtype or b.shape[0] != K or \
            M * b.shape[1] * K < NUMPY_MAX_MACS:
        return None
    la, lb = _layout(a), _layout(b)
    return None if la is None or lb is None else (la, lb)


def _product(a, b, C, beta, threads, lay):
    """C = a @ b + beta C, split over `threads` when large; `lay` is `layouts(a, b)`."""
    fn = _ADDRESS[a.dtype]
    (M, K), N = a.shape, b.shape[1]
    la, lb = lay
    # a transposed operand is passed as its row-major self: Numba then sees C or A
    # layouts only (few specialisations); BLAS reads the same memory either way
    a, b = (a.T if la[0] else a), (b.T if lb[0] else b)
    big = max(M, N)
    parts = min(threads, big) if _THREADS is not None and M * N * K >= SPLIT_MIN_MACS else 1
    if parts <= 1:
        _block(fn, la[0], lb[0], a, la[1], b, lb[1], C, 0, M, 0, N, K, beta)
        return
    get, set_ = _THREADS
    # one product at a time sets the count: two overlapping would restore each
    # other's 1, leaving SciPy single-threaded for the user after both
    with _THREADS_LOCK:
        before = get()
        set_(1)
        try:
            _split(fn, la[0], lb[0], a, la[1], b, lb[1], C, K, parts, M >= N, beta)
        finally:
            set_(before)
