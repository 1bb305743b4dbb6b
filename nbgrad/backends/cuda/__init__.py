"""nbgrad's CUDA backend: numba.cuda kernels, with the API of `nbgrad.backends.cpu`.

Imported only on first use of a CUDA device (by `nbgrad.backends.dispatch`),
never by the core: a CPU-only install never needs numba-cuda.  Importing it
raises ImportError (saying what to install) when numba-cuda is missing.

The backend API (the same names as the CPU backend's, see
`nbgrad.backends`): the modules `elementwise`, `reduce`, `movement`, `nn`,
`creation`, `matmul`, `array`, and the array helpers re-exported from `array`
(`empty`, `reshape`, `getitem`, `cast`, `fill`, `to_device`...), plus `run`
(the elementwise run).  Each module, the twin of a CPU one:

- `_numba_cuda`: the ONE module that imports numba.cuda (plus the NumPy 2.5
  fix, the simulator switch and the device-array helpers);
- `launch`: launch sizing and the launch counter;
- `elementwise`: ``run(family, args, out_dtypes, shape, outs=None)`` from the
  same `KernelFamily` declarations as the CPU;
- `reduce`: (A, R, B) reductions: sum, max/min with index, p-norm; the per-row
  kernels var, logsumexp, all/any and scans, with the CPU kernels' signatures;
- `creation`: fill, arange, linspace, eye, random numbers;
- `copy`: host <-> device, device -> strided device view, dtype casts;
- `matmul`: tiled shared-memory matmul, 2-D and batched (and N-D, NumPy's rules);
- `interop`: zero-copy import and export of ``__cuda_array_interface__`` / DLPack;
- `array`: views and allocations of device arrays under NumPy's names;
- `movement`: gather, scatter, take/put rows, index checks, tril/triu, flip;
- `nn`: softmax, dropout, nll and the fused losses;
- `conv`: im2col / col2im, conv bias, max pooling, window means (the pools).
- `sorting`, `histogram`, `structure`: stable row sorts, selections, searches,
  unique runs; histograms and bincount (atomics); triangle indices and cdist.

`is_available()` says whether a device (or the simulator) works, and
`current_device_id()` which one kernels run on.
"""

from nbgrad.backends.cuda import (  # noqa: F401
    _numba_cuda,  # (first: fails early, with a clear message)
    array,
    conv,
    copy,
    creation,
    elementwise,
    histogram,
    interop,
    lapack,
    launch,
    matmul,
    movement,
    nn,
    reduce,
    sorting,
    structure,
)
from nbgrad.backends.cuda._numba_cuda import current_device_id  # noqa: F401
from nbgrad.backends.cuda.array import (  # noqa: F401
    address,
    alias,
    as_strided,
    broadcast_to,
    cast,
    contiguous,
    copy_into,
    empty,
    empty_like,
    expand_dims,
    fill,
    full,
    getitem,
    is_contiguous,
    np_dtype,
    reshape,
    reshape_view,
    shares_memory,
    swapaxes,
    to_device,
    to_host,
    transpose,
)
from nbgrad.backends.cuda.elementwise import run  # noqa: F401

name = "cuda"
_available = []
_why = []


def is_available():
    """True when a CUDA device (or the simulator) works; `unavailable_reason` says
    why not (a broken driver install must not break the CPU path)."""
    if not _available:
        try:
            ok = bool(_numba_cuda.cuda.is_available())
        except Exception as e:
            ok = False
            _why.append(f"{type(e).__name__}: {e}")
        _available.append(ok)
    return _available[0]


def unavailable_reason():
    """Why `is_available()` is False ('' when it is True)."""
    if is_available():
        return ""
    return _why[0] if _why else "no CUDA device or driver was found"
