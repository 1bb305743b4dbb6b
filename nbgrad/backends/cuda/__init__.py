"""nbgrad's CUDA backend: numba.cuda kernels mirroring `nbgrad.backends.cpu`.

Imported only on first use of a CUDA tensor, never by the core (a CPU-only
install never needs numba-cuda).  Modules, each the twin of a CPU one:

- `_numba_cuda`: the ONE module that imports numba.cuda (plus the NumPy 2.5
  fix, the simulator switch and the device-array helpers);
- `launch`: launch sizing and the launch counter;
- `elementwise`: ``run(family, args, out_dtypes, shape, outs=None)`` from the
  same `KernelFamily` declarations as the CPU;
- `reduce`: (A, R, B) reductions: sum, max/min with index, p-norm;
- `creation`: fill, arange, linspace, eye, random numbers;
- `copy`: host <-> device, device -> strided device view, dtype casts;
- `matmul`: tiled shared-memory matmul, 2-D and batched (and N-D, NumPy's rules);
- `interop`: zero-copy import of ``__cuda_array_interface__`` / DLPack objects;
- `array`: views and allocations of device arrays under NumPy's names (what
  the ops use through `nbgrad.backends.dispatch`);
- `movement`: gather, scatter, take/put rows, index checks, tril/triu, flip;
- `nn`: softmax, dropout, nll and the fused losses.

The reductions also have the per-row kernels var, logsumexp, all/any and
scans, with the CPU kernels' signatures.

Importing this package raises ImportError (saying what to install) when
numba-cuda is missing.
"""

from nbgrad.backends.cuda import _numba_cuda  # noqa: F401  (fails early, with a clear message)
