"""``nb.linalg``: PyTorch's ``torch.linalg`` namespace.

Norms (norm, vector_norm, matrix_norm), determinants and inverses (det,
slogdet, inv, inv_ex), solvers (solve, solve_ex, solve_triangular, lstsq),
factorizations (cholesky, cholesky_ex, qr, eigh, eigvalsh, svd, svdvals),
pinv, matrix_exp and multi_dot; every one differentiable (twice and more),
on batches of matrices (..., m, n), in float32 and float64, on the CPU and on
CUDA tensors (computed on the host: see docs/linalg.md).

    >>> A = nb.tensor([[4., 2.], [2., 3.]])
    >>> nb.linalg.cholesky(A)
    tensor([[2.0000, 0.0000],
            [1.0000, 1.4142]])
"""

from nbgrad.ops.linalg import matmul
from nbgrad.ops.linalg_common import LinAlgError
from nbgrad.ops.linalg_decomp import eigh, eigvalsh, svdvals
from nbgrad.ops.linalg_decomp import linalg_qr as qr
from nbgrad.ops.linalg_decomp import linalg_svd as svd
from nbgrad.ops.linalg_lstsq import lstsq, matrix_exp, pinv
from nbgrad.ops.linalg_norm import matrix_norm, multi_dot, norm, vector_norm
from nbgrad.ops.linalg_solve import _linalg_slogdet as slogdet
from nbgrad.ops.linalg_solve import (cholesky_ex, det, inv, inv_ex, solve, solve_ex,
                                     solve_triangular)
from nbgrad.ops.linalg_solve import linalg_cholesky as cholesky

__all__ = ["LinAlgError", "norm", "vector_norm", "matrix_norm", "det", "slogdet", "inv",
           "inv_ex", "solve", "solve_ex", "solve_triangular", "cholesky", "cholesky_ex",
           "lstsq", "qr", "eigh", "eigvalsh", "svd", "svdvals", "pinv", "matrix_exp",
           "multi_dot", "matmul"]
