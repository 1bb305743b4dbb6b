"""``nb.save`` and ``nb.load``.

The file format executes no code when it is read: a zip archive holding
``archive/data.json`` (the object's structure as JSON data, with tagged
values: ``{"$tensor": 0}``, ``{"$tuple": [...]}``, ``{"$dict": [[k, v], ...]}``)
and one raw little-endian byte buffer per storage (``archive/storage/<n>``).
Loading reads that JSON and those bytes; it never unpickles, so ``weights_only``
(True or False) changes nothing: only these types come back, whatever the file
says.  Saved: tensors (dtype, shape, strides, ``requires_grad``; not ``.grad``,
as PyTorch), and nested dicts (any of these keys), OrderedDicts, lists,
tuples, sets of them, with None, bools, ints, floats (NaN and infinities
too), complex numbers, strings, bytes, nbgrad dtypes, ``Size`` and devices,
NumPy arrays and scalars of numeric dtypes.  Anything else is a TypeError at
save time naming where it is.

Aliasing is kept, as PyTorch keeps it: CPU tensors of one saved object that
share memory (a base and its views) are saved as one storage (the bytes they
span, found by `nbgrad._storage`) and come back sharing one new buffer.  The same tensor object
twice comes back as one object.  CUDA tensors are saved through the host, each
on its own storage, and loaded back to their device (or ``map_location``).
"""

import io
import json
import os
import pickle
import sys
import zipfile
from collections import OrderedDict

import numpy as np

from nbgrad import _dtypes
from nbgrad._device import as_device
from nbgrad._storage import address, extent, host_array, read, root
from nbgrad.tensor import Size, Tensor

__all__ = ["load", "save"]

FORMAT = "nbgrad.save"
VERSION = 1
_DATA = "archive/data.json"
_STORAGE = "archive/storage/"
_NUMERIC_KINDS = "biufc"

# -- save ----------------------------------------------------------------------------------
class _Writer:
    """The JSON structure of one object, and the tensors and arrays it holds."""

    def __init__(self):
        self.tensors = []      # (spec, array) per distinct tensor or array
        self.tensor_ids = {}   # id(tensor) -> index
        self.keep = []         # the saved objects, alive until written (ids stay unique)
        self.active = set()    # ids of the containers being encoded (cycles)

    def encode(self, obj, where):
        if obj is None or obj is True or obj is False or obj.__class__ is str:
            return obj
        if obj.__class__ is int:
            return obj
        if obj.__class__ is float:
            return obj if obj - obj == 0 else {"$float": repr(obj)}   # NaN, infinities
        if isinstance(obj, Tensor):
            return {"$tensor": self._tensor(obj, where)}
        if isinstance(obj, _dtypes.dtype):
            return {"$dtype": obj.name}
        if isinstance(obj, Size):
            return {"$size": [int(s) for s in obj]}
        if obj.__class__.__name__ == "device" and hasattr(obj, "type"):
            return {"$device": str(obj)}
        if isinstance(obj, (list, tuple, dict, set, frozenset)):
            return self._container(obj, where)
        return self._other(obj, where)

    def _container(self, obj, where):
        if id(obj) in self.active:
            raise ValueError(f"save(): {where} contains itself; nbgrad saves trees (no cycles)")
        self.active.add(id(obj))
        try:
            if isinstance(obj, dict):
                tag = "$odict" if isinstance(obj, OrderedDict) else "$dict"
                return {tag: [[self.encode(k, f"{where} (a key)"),
                               self.encode(v, f"{where}[{k!r}]")] for k, v in obj.items()]}
            tag = {list: "$list", tuple: "$tuple", set: "$set", frozenset: "$frozenset"}
            kind = next(t for c, t in tag.items() if isinstance(obj, c))
            return {kind: [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        finally:
            self.active.discard(id(obj))

    def _other(self, obj, where):
        if isinstance(obj, bool):
            return bool(obj)
        if isinstance(obj, np.ndarray) and obj.dtype.kind in _NUMERIC_KINDS:
            return {"$ndarray": self._array(obj)}
        if isinstance(obj, np.generic) and obj.dtype.kind in _NUMERIC_KINDS:
            return {"$npscalar": self._array(np.asarray(obj))}
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return self.encode(float(obj), where)
        if isinstance(obj, complex):
            return {"$complex": [self.encode(obj.real, where), self.encode(obj.imag, where)]}
        if isinstance(obj, (bytes, bytearray)):
            return {"$bytes": bytes(obj).hex()}
        if isinstance(obj, str):
            return str(obj)
        raise TypeError(f"save(): cannot save {where}, a {type(obj).__module__}."
                        f"{type(obj).__qualname__}: nbgrad's format holds tensors, NumPy "
                        "arrays, numbers, strings, bytes, dtypes, sizes, devices and "
                        "dicts/lists/tuples/sets of them (it never pickles objects)")

    def _tensor(self, t, where):
        k = self.tensor_ids.get(id(t))
        if k is None:
            spec = {"dtype": t.dtype.name, "device": str(t.device),
                    "requires_grad": bool(t._requires_grad)}
            k = self.tensor_ids[id(t)] = self._add(spec, host_array(t))
            self.keep.append(t)
        return k

    def _array(self, a):
        return self._add({"dtype": a.dtype.str}, a)

    def _add(self, spec, a):
        self.tensors.append((spec, a))
        return len(self.tensors) - 1

    def storages(self):
        """Group the arrays by the memory they view; returns (specs, buffers): each spec
        gains its storage index, byte offset, shape and byte strides."""
        groups = {}
        for k, (_, a) in enumerate(self.tensors):
            groups.setdefault(id(root(a)), []).append(k)
        specs = [None] * len(self.tensors)
        buffers = []
        for members in groups.values():
            spans = [extent(self.tensors[k][1]) for k in members]
            lo = min(s[0] for s in spans)
            hi = max(s[1] for s in spans)
            data = read(lo, hi)
            for k in members:
                spec, a = self.tensors[k]
                start = address(a) - lo if a.size else 0
                specs[k] = dict(spec, storage=len(buffers), offset=start,
                                shape=list(a.shape), strides=list(a.strides))
            buffers.append(data)
        return specs, buffers


def _open(f, mode):
    if isinstance(f, (str, bytes, os.PathLike)):
        path = os.fsdecode(f)
        if mode == "wb":
            parent = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(parent):
                raise RuntimeError(f"Parent directory {parent} does not exist.")
        return open(path, mode), True
    return f, False


def save(obj, f, pickle_module=None, pickle_protocol=None, **kwargs):
    """Save `obj` (a tensor, or nested dicts/lists/tuples of tensors and plain values)
    to `f`, a path or a binary file object, in a format that runs no code when loaded.

    >>> nb.save({"w": nb.ones(2, requires_grad=True)}, "ckpt.nbt")
    """
    writer = _Writer()
    structure = writer.encode(obj, "the object")
    specs, buffers = writer.storages()
    data = {"format": FORMAT, "version": VERSION, "byteorder": sys.byteorder,
            "storages": [int(b.size) for b in buffers], "tensors": specs, "root": structure}
    text = json.dumps(data, allow_nan=False, separators=(",", ":"))
    fh, owned = _open(f, "wb")
    try:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as z:
            z.writestr(_DATA, text)
            for i, b in enumerate(buffers):
                z.writestr(f"{_STORAGE}{i}", b.tobytes())
    finally:
        if owned:
            fh.close()


# -- load ----------------------------------------------------------------------------------
def _bad(why):
    return pickle.UnpicklingError(f"load(): not a valid nbgrad file: {why}")


class _Reader:
    """Rebuilds the saved object from the archive's JSON and storages."""

    def __init__(self, data, storages, map_location):
        self.specs = data.get("tensors")
        if not isinstance(self.specs, list):
            raise _bad("no tensor table")
        if data.get("byteorder") not in ("little", "big"):
            raise _bad(f"byte order {data.get('byteorder')!r}")
        self.order = "<" if data["byteorder"] == "little" else ">"
        self.storages = storages
        self.map_location = map_location
        self.built = {}

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):   # plain JSON lists only appear inside tagged values
            raise _bad("an untagged list")
        if not isinstance(node, dict) or len(node) != 1:
            raise _bad(f"an unexpected value {str(node)[:80]!r}")
        (tag, v), = node.items()
        handler = _TAGS.get(tag)
        if handler is None:
            raise _bad(f"an unknown tag {tag!r}")
        try:
            return handler(self, v)
        except (TypeError, ValueError, AttributeError) as e:   # data of the wrong shape
            raise _bad(f"a {tag} value {str(v)[:80]!r} ({e})") from None

    def items(self, v):
        if not isinstance(v, list):
            raise _bad("a container that is not a list")
        return [self.decode(x) for x in v]

    def pairs(self, v):
        if not isinstance(v, list) or not all(isinstance(p, list) and len(p) == 2 for p in v):
            raise _bad("a dict that is not a list of pairs")
        return [(self.decode(k), self.decode(x)) for k, x in v]

    def array(self, k):
        spec = self._spec(k)
        dtype = np.dtype(spec["dtype"])   # a NumPy dtype string: data, never code
        if dtype.kind not in _NUMERIC_KINDS:
            raise _bad(f"dtype {spec['dtype']!r}")
        a = _array_of(spec, dtype.newbyteorder(self.order), self.storages)
        return a.astype(dtype.newbyteorder("="))   # a copy in native byte order

    def tensor(self, k):
        if k in self.built:
            return self.built[k]
        spec = self._spec(k)
        name = spec.get("dtype")
        d = _dtypes._BY_NAME.get(name) if isinstance(name, str) else None
        if d is None or d.name != name:
            raise _bad(f"tensor dtype {name!r}")
        a = _array_of(spec, d.np.newbyteorder(self.order), self.storages)
        t = Tensor._make(a if a.dtype.isnative else a.astype(d.np), d)
        device = _target_device(spec.get("device", "cpu"), self.map_location)
        if device.type != "cpu":
            t = t.to(device)
        if spec.get("requires_grad") is True:
            t.requires_grad_(True)
        self.built[k] = t
        return t

    def _spec(self, k):
        if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < len(self.specs) or \
                not isinstance(self.specs[k], dict):
            raise _bad(f"tensor reference {k!r}")
        return self.specs[k]


def _array_of(spec, dtype, storages):
    """The saved array of `spec`: a view of its storage, bounds checked."""
    try:
        buf = storages[spec["storage"]]
        shape = tuple(int(s) for s in spec["shape"])
        strides = tuple(int(s) for s in spec["strides"])
        offset = int(spec["offset"])
    except (KeyError, TypeError, ValueError, IndexError):
        raise _bad(f"a tensor entry {str(spec)[:120]}") from None
    if len(shape) != len(strides) or any(s < 0 for s in shape) or offset < 0:
        raise _bad(f"tensor layout {shape}, {strides}")
    if 0 in shape:
        return np.empty(shape, dtype)
    lo = offset + sum((n - 1) * s for n, s in zip(shape, strides) if s < 0)
    hi = offset + sum((n - 1) * s for n, s in zip(shape, strides) if s > 0) + dtype.itemsize
    if lo < 0 or hi > buf.size:
        raise _bad(f"a tensor reaching outside its storage (bytes {lo}..{hi} of {buf.size})")
    return np.ndarray(shape, dtype, buffer=buf, offset=offset, strides=strides)


def _target_device(saved, map_location):
    if map_location is None:
        return as_device(saved)
    if isinstance(map_location, dict):
        return as_device(map_location.get(saved, saved))
    return as_device(map_location)


def _float(r, v):
    if v not in ("nan", "inf", "-inf"):
        raise _bad(f"float {v!r}")
    return float(v)


_TAGS = {
    "$list": lambda r, v: r.items(v),
    "$tuple": lambda r, v: tuple(r.items(v)),
    "$set": lambda r, v: set(r.items(v)),
    "$frozenset": lambda r, v: frozenset(r.items(v)),
    "$dict": lambda r, v: dict(r.pairs(v)),
    "$odict": lambda r, v: OrderedDict(r.pairs(v)),
    "$tensor": lambda r, v: r.tensor(v),
    "$ndarray": lambda r, v: r.array(v),
    "$npscalar": lambda r, v: r.array(v)[()],
    "$float": _float,
    "$complex": lambda r, v: complex(r.decode(v[0]), r.decode(v[1])),
    "$bytes": lambda r, v: bytes.fromhex(v),
    "$dtype": lambda r, v: _dtypes.as_dtype(v),
    "$size": lambda r, v: Size(int(s) for s in v),
    "$device": lambda r, v: as_device(v),
}


def _read_archive(fh):
    start = fh.tell()
    if not fh.read(1):   # an empty file: pickle's error, as PyTorch's loader gives it
        raise EOFError("load(): Ran out of input (the file is empty)")
    fh.seek(start)
    try:
        z = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError) as e:
        raise _bad(f"not a zip archive ({e})") from None
    with z:
        try:
            data = json.loads(z.read(_DATA))
        except KeyError:
            raise _bad(f"no {_DATA} (a PyTorch checkpoint needs PyTorch's torch.load)") from None
        except ValueError as e:
            raise _bad(f"{_DATA} is not JSON ({e})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise _bad("not written by nbgrad.save")
        if data.get("version") != VERSION:
            raise _bad(f"format version {data.get('version')!r}; this nbgrad reads {VERSION}")
        sizes = data.get("storages")
        if not isinstance(sizes, list):
            raise _bad("no storage table")
        storages = []
        for i, n in enumerate(sizes):
            try:
                raw = z.read(f"{_STORAGE}{i}")
            except KeyError:
                raise _bad(f"storage {i} is missing") from None
            if len(raw) != n:
                raise _bad(f"storage {i} has {len(raw)} bytes, not {n}")
            storages.append(np.frombuffer(bytearray(raw), np.uint8))   # writable, owned
    return data, storages


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **kwargs):
    """Load an object saved by `save` from `f` (a path or a binary file object).

    No code runs: the file is JSON and raw bytes (``weights_only`` may be True or
    False; both read only data).  `map_location`: None (the saved devices), a device
    or string (``"cpu"``), or a dict from saved to wanted device names.  A file that
    is not nbgrad's raises ``pickle.UnpicklingError``, as PyTorch's loader does.

    >>> nb.load("ckpt.nbt")["w"]
    tensor([1., 1.], requires_grad=True)
    """
    if callable(map_location) and not isinstance(map_location, str):
        raise TypeError("load(): map_location as a function is not supported by nbgrad; give "
                        "a device, a string or a dict")
    fh, owned = _open(f, "rb")
    try:
        src = fh if hasattr(fh, "seekable") and fh.seekable() else io.BytesIO(fh.read())
        data, storages = _read_archive(src)   # zipfile needs to seek
    finally:
        if owned:
            fh.close()
    return _Reader(data, storages, map_location).decode(data.get("root"))
