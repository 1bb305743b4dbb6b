"""``nbgrad.cuda``: device queries in the names of ``torch.cuda``.

Importable without numba-cuda: then `is_available()` is False and
`device_count()` is 0.  The CUDA backend (`nbgrad.backends.cuda`, which
imports numba.cuda) is loaded on the first call that needs it, never at
``import nbgrad``.  Under the CUDA simulator (``NUMBA_ENABLE_CUDASIM=1`` set
before Numba is imported) one simulated device is available.

>>> import nbgrad as nb
>>> nb.cuda.is_available()   # False on a machine without a GPU or numba-cuda
False
"""

from nbgrad import _device
from nbgrad._device import cuda_unavailable_reason
from nbgrad.backends import dispatch

__all__ = ["is_available", "device_count", "current_device", "set_device", "get_device_name",
           "get_device_capability", "synchronize", "manual_seed", "manual_seed_all",
           "is_simulator", "empty_cache", "memory_reserved",
           "memory_allocated"]


def _nc():
    """The numba-cuda module of the backend, or None when it cannot be imported."""
    b = dispatch.try_cuda()
    return None if b is None else b._numba_cuda


def _require(what):
    nc = _nc()
    if nc is None or not is_available():
        raise RuntimeError(f"nbgrad.cuda.{what}: CUDA is not available "
                           f"({cuda_unavailable_reason()})")
    return nc


def is_available():
    """True when numba-cuda is installed and a CUDA device (or the simulator) works.

    >>> nb.cuda.is_available()
    False
    """
    b = dispatch.try_cuda()
    return b is not None and b.is_available()


def is_simulator():
    """True when CUDA runs on numba's simulator (``NUMBA_ENABLE_CUDASIM=1``)."""
    nc = _nc()
    return nc is not None and nc.SIMULATOR


def device_count():
    """The number of CUDA devices (0 when CUDA is not available)."""
    if not is_available():
        return 0
    nc = _nc()
    return 1 if nc.SIMULATOR else len(nc.cuda.gpus)


def current_device():
    """The index of the current device."""
    return _require("current_device").current_device_id()


def set_device(device):
    """Make `device` (an int, 'cuda:1' or an nbgrad device) the current device."""
    nc = _require("set_device")
    index = _index(device)
    if not nc.SIMULATOR:
        nc.cuda.select_device(index)
    elif index != 0:
        raise RuntimeError("nbgrad.cuda.set_device: the simulator has only device 0")


def _index(device):
    if device is None:
        return current_device()
    if isinstance(device, int):
        return device
    d = _device.device(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return d.index if d.index is not None else 0


def get_device_name(device=None):
    """The device's name, e.g. 'NVIDIA H100 80GB HBM3' ('SIMULATOR' on the simulator)."""
    nc = _require("get_device_name")
    if nc.SIMULATOR:
        return "SIMULATOR"
    name = nc.cuda.gpus[_index(device)].name
    return name.decode() if isinstance(name, bytes) else str(name)


def get_device_capability(device=None):
    """The compute capability (major, minor) of the device."""
    nc = _require("get_device_capability")
    if nc.SIMULATOR:
        return tuple(nc.cuda.get_current_device().compute_capability)
    return tuple(nc.cuda.gpus[_index(device)].compute_capability)


def synchronize(device=None):
    """Wait until every kernel launched on the device has finished."""
    nc = _require("synchronize")
    if nc.SIMULATOR or device is None:
        nc.cuda.synchronize()
        return
    with nc.device_context(_index(device)):
        nc.cuda.synchronize()


def _allocator():
    import sys
    return sys.modules.get("nbgrad.backends.cuda.allocator")


def empty_cache():
    """Free the device memory nbgrad's caching allocator holds for reuse (blocks of
    tensors that no longer exist); tensors alive keep theirs.  Loads nothing."""
    alloc = _allocator()
    if alloc is not None:
        alloc.empty_cache()


def memory_reserved(device=None):
    """Bytes of device memory the caching allocator holds: blocks of live tensors
    and free blocks kept for reuse (rounded sizes, as PyTorch counts them)."""
    alloc = _allocator()
    return 0 if alloc is None else alloc.reserved_bytes()


def memory_allocated(device=None):
    """Bytes of the caching allocator's blocks that live tensors use (rounded sizes)."""
    alloc = _allocator()
    return 0 if alloc is None else alloc.reserved_bytes() - alloc.cached_bytes()


def manual_seed(seed):
    """Seed the CUDA default generators (``nb.manual_seed`` seeds them too).

    Loads nothing: a generator is a seed and an offset (`nbgrad._random`), so a
    CPU program calling this never imports numba.cuda."""
    from nbgrad import _random
    _random.seed_device_type("cuda", seed)


manual_seed_all = manual_seed
