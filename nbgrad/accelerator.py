"""``nbgrad.accelerator``: the device-neutral queries of ``torch.accelerator``.

nbgrad's one accelerator is CUDA through numba-cuda (`nbgrad.cuda`); its tensors
live on the current CUDA device.
Nothing here imports numba-cuda until a query needs it.
"""

from nbgrad import cuda as _cuda
from nbgrad._device import device
from nbgrad.backends import dispatch

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "synchronize"]


def is_available():
    """True when a CUDA device can hold tensors here: ``nb.accelerator.is_available()``."""
    return _cuda.is_available()


def current_accelerator(check_available=False):
    """``device(type='cuda')`` when nbgrad has a CUDA backend (numba-cuda installed),
    else None; with `check_available`, None also when no device can be used."""
    if dispatch.try_cuda() is None:
        return None
    if check_available and not is_available():
        return None
    return device("cuda")


def device_count():
    """The number of CUDA devices (0 without a usable one), as ``nb.cuda.device_count()``."""
    return _cuda.device_count()


def current_device_index():
    """The index of the current CUDA device; RuntimeError without one, as PyTorch."""
    if not is_available():
        raise RuntimeError("current_device_index(): no accelerator is available")
    return _cuda.current_device()


def set_device_index(device):
    """Make `device` (an index, a device or a string) the current CUDA device."""
    _cuda.set_device(device)


def synchronize(device=None):
    """Wait for the accelerator's queued work to finish (a no-op without one)."""
    if is_available():
        _cuda.synchronize(device)


current_device_idx = current_device_index
set_device_idx = set_device_index
