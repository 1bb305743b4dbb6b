"""CPU kernels: generated elementwise kernels (`elementwise`, `codegen`) and
hand-written `@njit(cache=True)` kernels (`reduce`, `creation`, `movement`,
`nn`, `mathf`).

Importing this package first moves the Numba cache of those kernels out of
the installed package into nbgrad's cache directory (see `codegen`), and
makes idle OpenMP threads sleep rather than spin (``OMP_WAIT_POLICY=PASSIVE``,
unless the environment sets it): spinning threads made parallel loops 10-50x
slower whenever another process kept a core busy, while sleeping ones cost a
few percent on an idle machine (measured: docs/performance.md).
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from nbgrad.backends.cpu import codegen as _codegen  # noqa: E402

_codegen.install_cache_locator()
