"""Kernel backends, one package per device with the same API, and what they share.

- `dispatch`: a device (or an array) -> its backend package; the CUDA one is
  imported on first use only, so a CPU-only install never imports numba.cuda;
- `cpu` (Numba ``@njit``) and `cuda` (numba-cuda) each expose the modules
  ``elementwise`` (``run``), ``reduce``, ``movement``, ``nn``, ``creation``,
  ``matmul`` (``matmul_nd``) and ``array``, and the array helpers ``empty``,
  ``empty_like``, ``is_contiguous``, ``contiguous``, ``cast``, ``reshape``,
  ``reshape_view``, ``alias``, ``transpose``, ``swapaxes``, ``expand_dims``,
  ``getitem``, ``as_strided``, ``broadcast_to``, ``copy_into``, ``fill``,
  ``full``, ``to_host``, ``to_device``, ``address``, ``shares_memory``,
  ``np_dtype`` and ``name`` (tests/test_layers.py checks both have them); each
  chooses serial or parallel kernels, or launch sizes, inside;
- `family` (``KernelFamily``: an elementwise kernel declared from scalar
  functions, for both generators; ``coalesce4``), `codegen` (generated kernel
  modules and the disk cache), `numba_cache` (Numba's cache of nbgrad's
  kernels, fault-tolerant), `mathtable` (one row per math function) and
  `reduce_templates` (reductions declared once).

This layer imports nothing above it: what it needs from the ops (the source
of the dual vocabulary that kernels inline) is registered into it, and a seed
for the CUDA generators given before that backend is loaded waits in
`dispatch`.  Importing it sends
Numba's cache of nbgrad's kernels to nbgrad's cache directory.
"""

from nbgrad.backends import codegen as _codegen

_codegen.install_cache_locator()
