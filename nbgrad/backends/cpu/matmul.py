"""Matrix products on the host: the BLAS that SciPy and NumPy ship (the fastest
route on a CPU), under the names of the CUDA backend's tiled kernel
(`nbgrad.backends.cuda.matmul`).  2-D float products go through `blas.gemm_2d`
(on Numba's threads, transposed operands read in place); the rest through
``np.matmul``.
"""

import numba
import numpy as np

from nbgrad.backends.cpu import array, blas

__all__ = ["matmul_nd", "addmm_2d"]


def matmul_nd(a, b):
    """``a @ b`` with NumPy's rules (1-D operands gain and lose a dimension, batch
    dimensions broadcast); a 0-d array, not a NumPy scalar, for two vectors."""
    if a.ndim == 2 and b.ndim == 2:
        out = blas.gemm_2d(a, b, numba.get_num_threads())
        if out is not None:
            return out
    out = np.matmul(a, b)
    return out if out.__class__ is np.ndarray else np.asarray(out).reshape(())


def addmm_2d(c, a, b):
    """``c + a @ b`` as a new array, `c` broadcasting to the product's shape (a linear
    layer's bias): `c` is written into the result, then gemm adds the product there,
    so the sum costs no pass nor buffer of its own.  None where BLAS does not
    multiply these (the caller adds the product itself)."""
    if blas.layouts(a, b) is None:   # checked before anything is allocated
        return None
    out = array.empty((a.shape[0], b.shape[1]), a.dtype)
    array.copy_into(out, c)
    blas.add_gemm_2d(out, a, b, numba.get_num_threads())
    return out
