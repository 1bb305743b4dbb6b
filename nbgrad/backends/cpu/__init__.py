"""nbgrad's CPU backend: Numba ``@njit`` kernels, with the API of every backend
(see `nbgrad.backends`; the CUDA one has the same names).

Modules: `elementwise` (kernels generated from a `KernelFamily`), `reduce`
(loaded on first use), `movement`, `nn`, `conv` (convolutions, pools), `creation`,
`matmul` (NumPy's BLAS)
and `array` (NumPy allocations and views), whose helpers are re-exported
here (`empty`, `reshape`, `getitem`, `cast`, `fill`, `to_device`...), plus
`run` (the elementwise run).  Each kernel module chooses its serial or
parallel kernel by size (`elementwise.PARALLEL_THRESHOLD`); `mathf` is the
float32 math library generated kernels inline.

Importing this package decides how parallel kernels share the process's
threads (`threads`: a short OpenMP spin, Numba's OpenMP layer bound to its own
runtime, launches serialised under Numba's workqueue layer), and tells glibc's
malloc to keep freed memory for reuse (`allocator`), so that large buffers do
not fault in their pages afresh at every step.
"""

import importlib

from nbgrad.backends.cpu import allocator as _allocator
from nbgrad.backends.cpu import threads as _threads

_threads.configure()
_allocator.tune_malloc()

# the backend API (see nbgrad.backends), after the settings above
from nbgrad.backends.cpu import (  # noqa: E402,F401,I001
    array, conv, creation, elementwise, matmul, movement, nn)
from nbgrad.backends.cpu import histogram, sorting, structure  # noqa: E402,F401,I001
from nbgrad.backends.cpu.array import (  # noqa: E402,F401
    address, alias, as_strided, broadcast_to, cast, contiguous, copy_into, empty, empty_like,
    expand_dims, fill, full, getitem, is_contiguous, np_dtype, reshape, reshape_view, shares_memory,
    swapaxes, to_device, to_host, transpose)
from nbgrad.backends.cpu.elementwise import run  # noqa: E402,F401

name = "cpu"


def __getattr__(attr):
    # the reductions are loaded on first use (their module is large and most
    # programs that import nbgrad reduce later, if at all)
    if attr in ("reduce", "lapack"):   # lapack: the linear algebra kernels, as rarely needed
        return importlib.import_module(f"nbgrad.backends.cpu.{attr}")
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
