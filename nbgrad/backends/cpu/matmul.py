"""Matrix products on the host: the BLAS that NumPy ships (the fastest route on a
CPU), under the names of the CUDA backend's tiled kernel (`nbgrad.backends.cuda.matmul`).
"""

import numpy as np

__all__ = ["matmul_nd"]


def matmul_nd(a, b):
    """``a @ b`` with NumPy's rules (1-D operands gain and lose a dimension, batch
    dimensions broadcast); a 0-d array, not a NumPy scalar, for two vectors."""
    out = np.matmul(a, b)
    return out if out.__class__ is np.ndarray else np.asarray(out).reshape(())
