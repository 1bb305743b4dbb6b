"""Devices: ``nb.device("cpu")``, ``nb.device("cuda:0")``, as in PyTorch, the
check that a device can hold tensors here (`check_device`), and the default
device of the factories (``nb.set_default_device``, ``nb.get_default_device``,
``with nb.device("cuda"):``).

The CUDA backend is asked (and imported) only when a CUDA device is checked.
"""

from nbgrad.backends import dispatch

__all__ = ["device", "cpu_device", "as_device", "check_device", "cuda_device",
           "cuda_unavailable_reason", "get_default_device", "set_default_device",
           "default_device"]


class device:
    """Where a tensor's buffer lives: ``device(type='cpu')`` or ``device(type='cuda', index=0)``."""

    __slots__ = ("type", "index")

    def __new__(cls, type_or_str, index=None):
        if isinstance(type_or_str, device):
            return type_or_str
        kind = str(type_or_str)
        if ":" in kind:
            kind, _, idx = kind.partition(":")
            if index is not None or not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type_or_str}'")
            index = int(idx)
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(
                "Expected one of cpu, cuda device type at start of device string: "
                f"{type_or_str}")
        if kind == "cuda" and index is None:
            index = 0
        key = (kind, index)
        cached = _devices.get(key)
        if cached is not None:
            return cached
        self = object.__new__(cls)
        self.type = kind
        self.index = index
        _devices[key] = self
        return self

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and \
            (self.index == other.index or self.index is None or other.index is None)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):
        """``with nb.device("cuda"):`` makes this the factories' default device inside."""
        _entered.append(default_device[0])
        default_device[0] = None if self is cpu_device else self
        return self

    def __exit__(self, *exc):
        default_device[0] = _entered.pop()


_devices = {}
cpu_device = device("cpu")


def as_device(d):
    """A device from None (the CPU), a string, an int (a CUDA index) or a device."""
    if d is None:
        return cpu_device
    if isinstance(d, int):
        return device("cuda", d)
    return device(d)


def cuda_unavailable_reason():
    """Why CUDA cannot be used here: numba-cuda missing, or no working device."""
    b = dispatch.try_cuda()
    if b is None:
        return dispatch.cuda_error()
    return b.unavailable_reason() or "CUDA is available"


def check_device(d):
    """`d` itself, or RuntimeError (PyTorch's words) unless it can hold tensors here."""
    if d.type != "cuda":
        return d
    b = dispatch.try_cuda()
    if b is None or not b.is_available():
        raise RuntimeError(f"Torch not compiled with CUDA enabled: device {d} is not "
                           f"available ({cuda_unavailable_reason()})")
    current = b.current_device_id()
    if (d.index or 0) != current:
        raise RuntimeError(f"CUDA error: invalid device ordinal: nbgrad runs on the current "
                           f"CUDA device only (cuda:{current}), got {d}; "
                           "use nb.cuda.set_device() first")
    return d


# The factories' device when none is given: None for the CPU (the factories test it
# with one lookup), else a device.  A list, so that the factories' check is one index.
default_device = [None]
_entered = []   # the defaults that `with device(...)` blocks replaced, innermost last


def get_default_device():
    """The device factories use when given none: ``device(type='cpu')`` unless set."""
    return default_device[0] or cpu_device


def set_default_device(device):
    """Make `device` (a device, a string, an int for a CUDA index, or None for the
    CPU) the factories' default: ``nb.set_default_device("cuda")``.  A CUDA device
    is checked when a factory uses it, as in PyTorch."""
    d = None if device is None else as_device(device)
    default_device[0] = None if d is cpu_device else d


def cuda_device():
    """The CUDA device nbgrad runs on (the current one)."""
    return device("cuda", dispatch.cuda().current_device_id())
