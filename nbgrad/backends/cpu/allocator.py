"""How the C allocator keeps the memory of freed buffers (glibc only).

NumPy takes array memory from malloc.  By default glibc gives memory above a
moving threshold back to the kernel as soon as it is freed (``free`` trims
the heap top, and big blocks are ``mmap``-ed one by one), so the next array
of that size faults in every 4 KiB page again: about 2.5 us a page on a
virtual machine, 2.5 ms for one 4 MB gradient.  An autograd step frees and
allocates the same large buffers over and over, so that cost dominated: the
tutorial step on 1,000,000 elements took 5.2 ms with 2,900 page faults, and
1.2-1.4 ms with none once freed memory was kept (measured:
docs/performance.md).

`tune_malloc` sets two glibc parameters once, at import: blocks below 32 MiB
come from the heap (``M_MMAP_THRESHOLD``, glibc's own upper bound for its
moving threshold), and free memory at the heap top is returned to the kernel
only beyond 128 MiB (``M_TRIM_THRESHOLD``).  The price is that a process
keeps up to that much freed memory mapped.  Nothing is changed when the user
set glibc's own variables (``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``, ``GLIBC_TUNABLES``), when ``NBGRAD_MALLOC_TUNING=0``,
or when the C library is not glibc.
"""

import ctypes
import os
import sys

MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20
_M_TRIM_THRESHOLD = -1   # glibc's malloc.h parameter numbers
_M_MMAP_THRESHOLD = -3
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")

tuned = False   # whether tune_malloc changed the allocator in this process


def tune_malloc():
    """Keep freed heap memory for reuse (see the module docstring); returns
    whether the allocator was changed."""
    global tuned
    if tuned:
        return True
    if os.environ.get("NBGRAD_MALLOC_TUNING", "1") == "0" or \
            any(v in os.environ for v in _USER_SETTINGS) or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        gnu_get_libc_version = libc.gnu_get_libc_version   # glibc only (not musl)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    del gnu_get_libc_version
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    # M_MMAP_THRESHOLD first: setting either parameter switches off glibc's
    # moving thresholds, and the mmap threshold would fall back to 128 KiB
    tuned = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return tuned
