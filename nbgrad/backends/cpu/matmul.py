"""Matrix products on the host: the BLAS that SciPy and NumPy ship (the fastest
route on a CPU), under the names of the CUDA backend's tiled kernel
(`nbgrad.backends.cuda.matmul`).  2-D float products go through `blas.gemm_2d`
(on Numba's threads, transposed operands read in place); the rest through
``np.matmul``.
"""

import numba
import numpy as np

from nbgrad.backends.cpu import blas

__all__ = ["matmul_nd"]


def matmul_nd(a, b):
    """``a @ b`` with NumPy's rules (1-D operands gain and lose a dimension, batch
    dimensions broadcast); a 0-d array, not a NumPy scalar, for two vectors."""
    if a.ndim == 2 and b.ndim == 2:
        out = blas.gemm_2d(a, b, numba.get_num_threads())
        if out is not None:
            return out
    out = np.matmul(a, b)
    return out if out.__class__ is np.ndarray else np.asarray(out).reshape(())
