"""CPU kernels: generated elementwise kernels (`elementwise`, `codegen`) and
hand-written `@njit(cache=True)` kernels (`reduce`, `creation`, `movement`,
`nn`, `mathf`).

Importing this package first moves the Numba cache of those kernels out of
the installed package into nbgrad's cache directory (see `codegen`), decides
how parallel kernels share the process's threads (`threads`: a short OpenMP
spin, Numba's OpenMP layer bound to its own runtime, launches serialised under
Numba's workqueue layer), and tells glibc's malloc to keep freed memory for
reuse (`allocator`), so that large buffers do not fault in their pages afresh
at every step.
"""

from nbgrad.backends.cpu import allocator as _allocator
from nbgrad.backends.cpu import codegen as _codegen
from nbgrad.backends.cpu import threads as _threads

_threads.configure()
_allocator.tune_malloc()
_codegen.install_cache_locator()
