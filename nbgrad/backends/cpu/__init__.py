"""CPU kernels: generated elementwise kernels (`elementwise`, `codegen`) and
hand-written `@njit(cache=True)` kernels (`reduce`, `creation`, `movement`,
`nn`, `mathf`).

Importing this package first moves the Numba cache of those kernels out of
the installed package into nbgrad's cache directory (see `codegen`), and
sets how idle OpenMP threads wait between parallel loops, unless the
environment already says (``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``): they
spin for a short while (``GOMP_SPINCOUNT=2000``, about 20 us) and then sleep.
GNU OpenMP's default (3 ms of spinning) made parallel loops 10-50x slower
whenever another process kept a core busy; sleeping at once
(``OMP_WAIT_POLICY=PASSIVE``) costs a thread wake-up, ~50-100 us on this kind
of virtual machine, at every parallel loop; a short spin keeps the threads
awake across the back-to-back kernels of one forward or backward pass
(measured: docs/performance.md).  It also tells glibc's malloc to keep freed
memory for reuse (`allocator`), so that large buffers do not fault in their
pages afresh at every step.
"""

import os

if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["GOMP_SPINCOUNT"] = "2000"

from nbgrad.backends.cpu import allocator as _allocator  # noqa: E402
from nbgrad.backends.cpu import codegen as _codegen  # noqa: E402

_allocator.tune_malloc()
_codegen.install_cache_locator()
