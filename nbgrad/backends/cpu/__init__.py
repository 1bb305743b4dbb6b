"""CPU kernels: generated elementwise kernels (`elementwise`, `codegen`) and
hand-written `@njit(cache=True)` kernels (`reduce`, `creation`, `movement`,
`nn`, `mathf`).

Importing this package first moves the Numba cache of those kernels out of
the installed package into nbgrad's cache directory (see `codegen`).
"""

from nbgrad.backends.cpu import codegen as _codegen

_codegen.install_cache_locator()
