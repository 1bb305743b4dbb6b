"""Tiled shared-memory matrix multiply on the device: 2-D and batched.

One template, compiled per dtype (float32 / float64; the tile's shared arrays
need the dtype at compile time): each block computes a TILE x TILE tile of
the output, stepping through K one TILE-wide slab at a time through shared
memory, accumulating in the input dtype (as cuBLAS does by default).  Inputs
may be any strided views (a transpose costs no copy); batch dimensions
broadcast through stride-0 views.  Batches run on the grid's z axis, output
tile rows on y, both grid-stride, so any size launches once.

This is the portable baseline, not cuBLAS: a 16 x 16 tile without register
blocking reaches a small fraction of an H100's peak on large matrices (to be
measured: see docs/gpu.md); large products are better sent to cuBLAS through
the zero-copy interop (`nbgrad.backends.cuda.interop`).
"""

import numpy as np

from nbgrad.backends import codegen
from nbgrad.backends.cuda import _numba_cuda
from nbgrad.backends.cuda import launch as _launch

__all__ = ["matmul", "matmul_nd", "addmm_2d", "TILE"]

# 16 x 16 = 256 threads a block; the simulator runs a Python thread per CUDA
# thread, so it uses 8 x 8 tiles (the same code, smaller constant)
TILE = 8 if _numba_cuda.SIMULATOR else 16
_MAX_GRID_YZ = 65535

_TEMPLATE = """\
import numpy as np
from nbgrad.backends.cuda._numba_cuda import cuda


@cuda.jit(cache=CACHE)
def mm(a, b, out):
    sa = cuda.shared.array(({T}, {T}), np.{DT})
    sb = cuda.shared.array(({T}, {T}), np.{DT})
    Z, M, K = a.shape
    N = b.shape[2]
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    col = cuda.blockIdx.x * {T} + tx
    row_tiles = (M + {T} - 1) // {T}
    for z in range(cuda.blockIdx.z, Z, cuda.gridDim.z):
        for rt in range(cuda.blockIdx.y, row_tiles, cuda.gridDim.y):
            row = rt * {T} + ty
            acc = np.{DT}(0)
            for k0 in range(0, K, {T}):
                k = k0 + tx
                if row < M and k < K:
                    sa[ty, tx] = a[z, row, k]
                else:
                    sa[ty, tx] = 0
                k = k0 + ty
                if k < K and col < N:
                    sb[ty, tx] = b[z, k, col]
                else:
                    sb[ty, tx] = 0
                cuda.syncthreads()
                for kk in range({T}):
                    acc += sa[ty, kk] * sb[kk, tx]
                cuda.syncthreads()
            if row < M and col < N:
                out[z, row, col] = acc
"""

_kernels = {}


def _kernel(dtype):
    k = _kernels.get(dtype)
    if k is None:
        sim = "_sim" if _numba_cuda.SIMULATOR else ""
        mod = codegen.load_module(f"cuda{sim}_matmul_{dtype}", _TEMPLATE.format(T=TILE, DT=dtype))
        k = _kernels[dtype] = mod.mm
    return k


def _as3(x, z):
    # a (Z, M, K) view: 2-D gets a stride-0 batch axis, a batch of 1 broadcasts
    if x.ndim == 2:
        return _numba_cuda.as_strided(x, (z,) + tuple(x.shape), (0,) + tuple(x.strides))
    if x.shape[0] == 1 and z != 1:
        return _numba_cuda.as_strided(x, (z,) + tuple(x.shape[1:]), (0,) + tuple(x.strides[1:]))
    return _numba_cuda.any_layout(x)


def matmul(a, b, out=None):
    """a @ b for device arrays: (M, K) @ (K, N) -> (M, N), or batched with 3-D
    operands (Z, M, K) @ (Z, K, N) -> (Z, M, N), where a batch of 1 (or a 2-D
    operand) broadcasts.  float32 or float64, one dtype for both; `out`, if
    given, is a device array of the result's shape (any strides).  One launch.
    """
    if a.ndim not in (2, 3) or b.ndim not in (2, 3):
        raise ValueError(f"cuda matmul: expected 2-D or 3-D operands, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    if a.dtype != b.dtype or a.dtype not in (np.float32, np.float64):
        raise TypeError(f"cuda matmul: expected two float32 or two float64 operands, got "
                        f"{a.dtype} and {b.dtype}")
    M, K = a.shape[-2:]
    K2, N = b.shape[-2:]
    za = a.shape[0] if a.ndim == 3 else 1
    zb = b.shape[0] if b.ndim == 3 else 1
    if K != K2 or (za != zb and 1 not in (za, zb)):
        raise ValueError(f"cuda matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot "
                         "be multiplied")
    z = max(za, zb)
    batched = a.ndim == 3 or b.ndim == 3
    shape = (z, M, N) if batched else (M, N)
    if out is None:
        out = _numba_cuda.empty(shape, a.dtype)
    elif tuple(out.shape) != shape or out.dtype != a.dtype:
        raise ValueError(f"cuda matmul: out must be {a.dtype} of shape {shape}, got "
                         f"{out.dtype} {tuple(out.shape)}")
    if z * M * N == 0:
        return out
    if K == 0:
        from nbgrad.backends.cuda import creation
        return creation.fill(out, 0)
    out3 = (_numba_cuda.any_layout(out) if batched else
            _numba_cuda.as_strided(out, (1, M, N), (0,) + tuple(out.strides)))
    grid = ((N + TILE - 1) // TILE, min((M + TILE - 1) // TILE, _MAX_GRID_YZ),
            min(z, _MAX_GRID_YZ))
    _launch.launch_grid(_kernel(a.dtype.name), grid, (TILE, TILE), _as3(a, z), _as3(b, z), out3)
    return out


def _batch3(x, batch):
    """`x` (..., M, K) broadcast to batch + (M, K) and seen as (Z, M, K)."""
    from nbgrad.backends.cuda import array
    m, k = tuple(x.shape[-2:])
    full = array.broadcast_to(x, tuple(batch) + (m, k))
    z = 1
    for n in batch:
        z *= n
    v = array.reshape_view(full, (z, m, k))
    return v if v is not None else array.reshape(array.contiguous(full), (z, m, k))


def matmul_nd(a, b):
    """``a @ b`` for device arrays with NumPy's rules: 1-D operands gain and lose a
    dimension, leading (batch) dimensions broadcast.  One launch."""
    from nbgrad.backends.cuda import array
    a1, b1 = a.ndim == 1, b.ndim == 1
    if a1:
        a = array.expand_dims(a, 0)
    if b1:
        b = array.expand_dims(b, 1)
    if a.ndim == 2 and b.ndim == 2:
        out = matmul(a, b)
    else:
        ba, bb = tuple(a.shape[:-2]), tuple(b.shape[:-2])
        n = max(len(ba), len(bb))
        pa, pb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
        batch = tuple(p if q == 1 else q for p, q in zip(pa, pb))
        out = matmul(_batch3(a, batch), _batch3(b, batch))
        out = array.reshape(out, batch + tuple(out.shape[-2:]))
    if a1:
        out = array.reshape(out, tuple(out.shape[:-2]) + (out.shape[-1],))
    if b1:
        out = array.reshape(out, tuple(out.shape[:-1]))
    return out


def addmm_2d(c, a, b):
    """The CPU backend's ``c + a @ b`` through gemm: not done on the device (None); the
    caller adds the product itself."""
    return None
