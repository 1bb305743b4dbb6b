"""A damaged, read-only, full or vanishing kernel cache never breaks an op.

Each test damages a copy of a warm cache (or the disk under it), runs a
process that uses some ops and checks its values and gradients against closed
forms, then runs a normal process on the same cache: the first warns once
(`CacheWarning`) and recompiles what it cannot trust, the second finds the
entry repaired (nothing compiles, nothing warns).  No run writes Numba files
into the installed package.  The read-only and full-disk cases intercept the
file system calls of the process (tests run as root, where permissions do not
bind): every write under the cache fails as on a read-only mount, or every
write goes to ``/dev/full`` (ENOSPC) as on a full disk.
"""

import glob
import json
import os
import shutil
import stat

import pytest

from tests.cache_support import frozen_copy, run_python

SCRIPT = r"""
import builtins, errno, json, math, os, shutil, sys
MODE, ROOT = sys.argv[1], os.path.realpath(sys.argv[2])

def _ours(path):
    try:
        p = os.path.realpath(os.fsdecode(path))
    except TypeError:
        return False
    return p == ROOT or p.startswith(ROOT + os.sep)

def _refuse(path):
    raise OSError(errno.EROFS, "Read-only file system", path)

_open, _os_open, _close = builtins.open, os.open, os.close

def fake_open(file, mode="r", *args, **kwargs):
    if isinstance(file, (str, bytes, os.PathLike)) and set(mode) & set("wax+") and _ours(file):
        if MODE == "readonly":
            _refuse(file)
        _close(_os_open(file, os.O_WRONLY | os.O_CREAT))  # the file appears; writes fail
        return _open("/dev/full", mode.replace("x", "w"), *args, **kwargs)
    return _open(file, mode, *args, **kwargs)

def fake_os_open(path, flags, mode=0o777, *, dir_fd=None):
    if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and _ours(path):
        if MODE == "readonly":
            _refuse(path)
        _close(_os_open(path, flags, mode))
        return _os_open("/dev/full", os.O_RDWR)
    return _os_open(path, flags, mode, dir_fd=dir_fd)

def refusing(fn):
    def wrapped(path, *args, **kwargs):
        if _ours(path):
            _refuse(path)
        return fn(path, *args, **kwargs)
    return wrapped

if MODE in ("readonly", "full"):
    builtins.open, os.open = fake_open, fake_os_open
if MODE == "readonly":
    for name in ("mkdir", "rename", "replace", "unlink", "remove", "rmdir"):
        setattr(os, name, refusing(getattr(os, name)))

from numba.core import event
compiles = []
class Count(event.Listener):
    def on_start(self, ev):
        compiles.append(ev.data["dispatcher"].py_func.__qualname__)
    def on_end(self, ev):
        pass
event.register("numba:compile", Count())

import nbgrad as nb
import nbgrad.nn.functional as F
from nbgrad.backends import codegen

XS = [-2 + 4 * i / 6 for i in range(7)]
def close(a, b):
    return all(math.isclose(u, v, rel_tol=1e-12, abs_tol=1e-12) for u, v in zip(a, b))

def gelu_exp():
    x = nb.tensor(XS, dtype=nb.float64, requires_grad=True)
    y = (F.gelu(x) * x.exp() + x * x).sum()
    y.backward()
    Phi = lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2)))
    phi = lambda v: math.exp(-v * v / 2) / math.sqrt(2 * math.pi)
    want = sum(v * Phi(v) * math.exp(v) + v * v for v in XS)
    grad = [(Phi(v) + v * phi(v) + v * Phi(v)) * math.exp(v) + 2 * v for v in XS]
    return close([y.item()], [want]) and close(x.grad.tolist(), grad)

def tanh_sq():
    x = nb.tensor(XS, dtype=nb.float64, requires_grad=True)
    y = (x.tanh() * x.tanh()).sum()
    y.backward()
    want = sum(math.tanh(v) ** 2 for v in XS)
    grad = [2 * math.tanh(v) * (1 - math.tanh(v) ** 2) for v in XS]
    return close([y.item()], [want]) and close(x.grad.tolist(), grad)

ok = gelu_exp()
if MODE == "delete":
    shutil.rmtree(codegen.cache_dir())
ok = tanh_sq() and ok and gelu_exp()
print(json.dumps({"package": os.path.dirname(nb.__file__), "ok": ok, "compiles": compiles,
                  "dir": codegen.cache_dir(), "writable": codegen.cache_writable()}))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return frozen_copy(tmp_path_factory.mktemp("site"))


def _run(site, root, mode="normal", expect_dir=None):
    out = run_python(site, SCRIPT, mode, root, env={
        "NBGRAD_CACHE_DIR": str(root), "NBGRAD_DISABLE_CACHE": "", "PYTHONWARNINGS": "default"})
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res.pop("package") == os.path.join(site, "nbgrad")
    if expect_dir is not None:
        assert res["dir"] == expect_dir
    res["warnings"] = out.stderr.count("CacheWarning: nbgrad kernel cache:")
    res["stderr"] = out.stderr
    return res


@pytest.fixture(scope="module")
def warm(tmp_path_factory, site):
    """A cache root holding every kernel the script uses, and its kernels directory."""
    root = tmp_path_factory.mktemp("warm")
    cold = _run(site, root)
    assert cold["ok"] and cold["compiles"] and cold["warnings"] == 0, cold["stderr"]
    again = _run(site, root, expect_dir=cold["dir"])
    assert again["ok"] and again["compiles"] == [] and again["warnings"] == 0, again
    return root, cold["dir"]


def _copy(warm, tmp_path):
    root, kdir = warm
    shutil.copytree(root, tmp_path / "cache", symlinks=True)
    return tmp_path / "cache", str(tmp_path / "cache" / os.path.relpath(kdir, root))


def _one(pattern):
    found = sorted(glob.glob(pattern))
    assert found, pattern
    return found[0]


def _gen(kdir, stem, ext):
    """The file of the forward kernel of `stem` (one float64 array in)."""
    if ext == "py":
        return _one(f"{kdir}/_nbgrad_gen_{stem}_a_flat_*.py")
    return _one(f"{kdir}/__pycache__/_nbgrad_gen_{stem}_a_flat_*.{ext}")


def _own(kdir, ext):
    """A file of one of nbgrad's hand-written kernels."""
    return _one(f"{kdir}/numba/*/*.{ext}")


def _truncate(path):
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


def _garbage(path):
    with open(path, "wb") as f:
        f.write(b"\x80\x04garbage(\x00\xff" * 50)


def _flip(path):
    with open(path, "r+b") as f:
        f.seek(os.path.getsize(path) // 2)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0xFF]))


def _swap(a, b):
    tmp = a + ".swap"
    os.replace(a, tmp)
    os.replace(b, a)
    os.replace(tmp, b)


def _file_for_dir(path):
    shutil.rmtree(path)
    with open(path, "w") as f:
        f.write("not a directory")


# damage -> (what it does to a kernels directory, whether Numba must recompile)
DAMAGES = {
    "py truncated": (lambda k: _truncate(_gen(k, "exp", "py")), False),
    "py garbage": (lambda k: _garbage(_gen(k, "tanh", "py")), False),
    "py swapped": (lambda k: _swap(_gen(k, "exp", "py"), _gen(k, "tanh", "py")), False),
    "nbi truncated": (lambda k: _truncate(_gen(k, "exp", "nbi")), True),
    "nbi garbage": (lambda k: _garbage(_own(k, "nbi")), True),
    "nbi swapped": (lambda k: _swap(_gen(k, "exp", "nbi"), _gen(k, "tanh", "nbi")), True),
    "nbc truncated": (lambda k: _truncate(_own(k, "nbc")), True),
    "nbc garbage": (lambda k: _garbage(_gen(k, "exp", "nbc")), True),
    "nbc byte flipped": (lambda k: _flip(_gen(k, "tanh", "nbc")), True),
    "nbc swapped": (lambda k: _swap(_gen(k, "exp", "nbc"), _gen(k, "tanh", "nbc")), True),
    "numba dir is a file": (lambda k: _file_for_dir(os.path.join(k, "numba")), True),
    "__pycache__ is a file": (lambda k: _file_for_dir(os.path.join(k, "__pycache__")), True),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_cache_recompiles_warns_once_and_is_repaired(site, warm, tmp_path, damage):
    root, kdir = _copy(warm, tmp_path)
    hurt, recompiles = DAMAGES[damage]
    hurt(kdir)
    first = _run(site, root, expect_dir=kdir)
    assert first["dir"] == kdir
    assert first["ok"], first["stderr"]
    assert first["warnings"] == 1, first["stderr"]
    assert bool(first["compiles"]) == recompiles, first["compiles"]
    second = _run(site, root, expect_dir=kdir)
    assert second["ok"] and second["warnings"] == 0, second["stderr"]
    assert second["compiles"] == [], "the damaged entry was not repaired"


def test_cache_dir_deleted_while_running(site, warm, tmp_path):
    root, kdir = _copy(warm, tmp_path)
    first = _run(site, root, "delete", kdir)
    assert first["ok"] and first["warnings"] == 1, first["stderr"]
    assert os.path.isdir(kdir)       # made again, and new kernels were written to it
    second = _run(site, root, expect_dir=kdir)
    assert second["ok"] and second["warnings"] == 0, second["stderr"]
    assert _run(site, root, expect_dir=kdir)["compiles"] == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_disk_compiles_in_memory(site, tmp_path):
    root = tmp_path / "cache"
    first = _run(site, root, "full")
    kdir = first["dir"]
    assert first["ok"] and first["compiles"] and first["writable"], first["stderr"]
    assert first["warnings"] == 1 and "No space left on device" in first["stderr"]
    leftovers = [f for _, _, fs in os.walk(root) for f in fs]
    assert not any(f.endswith((".nbi", ".nbc")) for f in leftovers), leftovers
    # space again: a normal run fills the cache, the next one compiles nothing
    second = _run(site, root, expect_dir=kdir)
    assert second["ok"] and second["warnings"] == 0, second["stderr"]
    assert _run(site, root, expect_dir=kdir)["compiles"] == []


def _snapshot(root):
    return {os.path.join(d, f): (os.path.getsize(os.path.join(d, f)),
                                 os.path.getmtime(os.path.join(d, f)))
            for d, _, fs in os.walk(root) for f in fs}


def _read_only(root):
    for d, dirs, fs in os.walk(root):
        for name in dirs + fs:
            p = os.path.join(d, name)
            os.chmod(p, os.stat(p).st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    os.chmod(root, os.stat(root).st_mode & ~stat.S_IWUSR)


def _writable(root):
    os.chmod(root, os.stat(root).st_mode | stat.S_IWUSR)
    for d, dirs, _ in os.walk(root):
        for name in dirs:
            p = os.path.join(d, name)
            os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR)


def test_read_only_prebuilt_cache_is_used(site, warm, tmp_path):
    root, kdir = _copy(warm, tmp_path)
    before = _snapshot(root)
    _read_only(root)
    try:
        res = _run(site, root, "readonly", kdir)
    finally:
        _writable(root)
    assert res["ok"], res["stderr"]
    assert res["dir"] == kdir and res["writable"] is False
    assert res["compiles"] == [], "a read-only cache was ignored: kernels recompiled"
    assert res["warnings"] == 0, res["stderr"]
    assert _snapshot(root) == before


def test_read_only_cache_with_a_damaged_entry(site, warm, tmp_path):
    root, kdir = _copy(warm, tmp_path)
    _garbage(_gen(kdir, "exp", "nbc"))
    before = _snapshot(root)
    _read_only(root)
    try:
        res = _run(site, root, "readonly", kdir)
    finally:
        _writable(root)
    assert res["ok"] and res["warnings"] == 1, res["stderr"]
    assert "kernel" in res["compiles"]      # the damaged one, compiled in memory
    assert _snapshot(root) == before
