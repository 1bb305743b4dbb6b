"""The harness that runs nbgrad's CUDA tests on numba's CUDA simulator, and its tests.

The simulator is chosen by ``NUMBA_ENABLE_CUDASIM=1`` before Numba is first
imported, so CUDA tests run in a child process (`run_child`) started with
it; the child calls `install` and reports JSON.  `install` makes the
simulator usable for a test suite and stricter than it is:

- fast: a block whose kernel never calls ``syncthreads`` runs its threads one
  after another in the calling thread instead of one Python thread each
  (the simulator's own scheduler polls them, ~30 ms a launch); kernels that
  synchronise keep the simulator's threads.  Results are the same: such a
  kernel's threads are independent (`test_fast_simulator_gives_the_same_results`).
- strict: a simulated device array forwards any attribute to the NumPy
  array inside it, so code that would fail on a real GPU (``a.flags.c_contiguous``,
  ``a.swapaxes``, NumPy functions reading ``__array_interface__``) silently
  works on the host there.  Strict mode allows only what numba's real
  ``DeviceNDArray`` has (``flags`` is a dict there, ``reshape`` refuses
  non-contiguous arrays, ``transpose`` copies), and no arithmetic operators.
"""

import importlib.util
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest


def have_numba_cuda():
    try:
        return (importlib.util.find_spec("numba_cuda") is not None
                and importlib.util.find_spec("cuda.bindings") is not None)
    except (ImportError, ValueError):
        return False


HAVE_NUMBA_CUDA = have_numba_cuda()
needs_numba_cuda = pytest.mark.skipif(not HAVE_NUMBA_CUDA, reason="numba-cuda is not installed")


# ------------------------------------------------------------------ in the child
class _SequentialThread:
    """What a kernel sees as its CUDA thread when blocks run sequentially."""

    __slots__ = ("blockIdx", "threadIdx", "thread_id")

    def syncthreads(self):
        raise RuntimeError("syncthreads() in a kernel run without threads")


class _ThreadingShim:
    """``threading`` for the simulator's kernel API: current_thread() is the
    sequential thread while one runs."""

    def __init__(self):
        self.current = None

    def current_thread(self):
        cur = self.current
        return cur if cur is not None else threading.current_thread()

    def __getattr__(self, name):
        return getattr(threading, name)


_SYNCS = {}


def _synchronises(fn):
    code = fn.__code__
    got = _SYNCS.get(code)
    if got is None:
        got = _SYNCS[code] = any("syncthreads" in n for n in code.co_names)
    return got


def _install_fast():
    from numba.cuda.simulator import kernel as simk
    from numba.cuda.simulator import kernelapi
    if getattr(simk.BlockManager, "_nbgrad_fast", False):
        return
    shim = _ThreadingShim()
    kernelapi.threading = shim
    threaded = simk.BlockManager.run
    Dim3 = kernelapi.Dim3

    def run(self, grid_point, *args):
        if _synchronises(self._f):
            return threaded(self, grid_point, *args)
        bx, by, bz = (tuple(self._block_dim) + (1, 1))[:3]
        t = _SequentialThread()
        t.blockIdx = Dim3(*grid_point)
        try:
            for block_point in np.ndindex(*self._block_dim):
                x, y, z = (tuple(block_point) + (0, 0))[:3]
                t.threadIdx = Dim3(x, y, z)
                t.thread_id = x + bx * (y + by * z)
                shim.current = t
                self._f(*args)
        finally:
            shim.current = None

    simk.BlockManager.run = run
    simk.BlockManager._nbgrad_fast = True


_REAL_ATTRS = {"ndim", "size", "strides", "dtype", "squeeze"}


def _install_strict():
    from numba.cuda.simulator.cudadrv import devicearray as da
    cls = da.FakeCUDAArray
    if getattr(cls, "_nbgrad_strict", False):
        return

    def __getattr__(self, name):
        if name in _REAL_ATTRS:
            return getattr(self._ary, name)
        if name == "flags":   # a dict on a real DeviceNDArray
            f = self._ary.flags
            return {"C_CONTIGUOUS": f.c_contiguous, "F_CONTIGUOUS": f.f_contiguous}
        raise AttributeError(f"strict CUDA simulator: a device array has no attribute "
                             f"{name!r} on a real GPU")

    def reshape(self, *shape, **kw):
        if not self._ary.flags.c_contiguous:
            raise NotImplementedError("operation requires copying (reshape of a "
                                      "non-contiguous device array)")
        return cls(self._ary.reshape(*shape, **kw), stream=self.stream)

    def ravel(self, *args, **kw):
        if not self._ary.flags.c_contiguous:
            raise NotImplementedError("operation requires copying (ravel)")
        return cls(self._ary.ravel(), stream=self.stream)

    def transpose(self, axes=None):
        raise AssertionError("DeviceNDArray.transpose copies with a kernel on a GPU; "
                             "use nbgrad.backends.cuda.array.transpose")

    cls.__getattr__ = __getattr__
    # a real DeviceNDArray's shape is a plain tuple (the simulator's FakeShape
    # refuses negative indices, as shapes do inside kernels only)
    cls.shape = property(lambda self: tuple(self._ary.shape))
    cls.reshape = reshape
    cls.ravel = ravel
    cls.transpose = transpose
    cls.T = property(transpose)
    for op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__add__",
               "__sub__", "__mul__", "__floordiv__", "__truediv__", "__mod__", "__pow__"):
        setattr(cls, op, None)
    cls.__hash__ = object.__hash__
    cls._nbgrad_strict = True


def install(fast=True, strict=True):
    """Set up this (simulator) process for nbgrad's CUDA tests; returns what was done."""
    done = {}
    import nbgrad
    from nbgrad.backends.cuda import _numba_cuda
    if _numba_cuda.SIMULATOR:
        if fast:
            _install_fast()
            done["fast"] = True
        if strict:
            _install_strict()
            done["strict"] = True
    _ = nbgrad
    return done


# ------------------------------------------------------------------ the parent side
# LLVM intrinsic prefixes seen in kernels that libNVVM compiled on an H100
NVVM_OK_INTRINSICS = ("llvm.nvvm.", "llvm.ceil.", "llvm.floor.")


def lower_for_sm90(kernel, argtypes):
    """Compile `kernel` for compute capability 9.0 without a GPU: 'ptx' when NVVM
    is installed, else 'llvm' after typing and lowering to LLVM IR, refusing
    LLVM intrinsics not seen to pass libNVVM (on an H100 mathf's llvm.rint.f32
    failed with ERROR_INVALID_IR).  The caller has turned the simulator off
    and faked ``numba.cuda.dispatcher.get_current_device``."""
    import re

    from numba.cuda import types as t
    from numba.cuda.compiler import compile_cuda

    from nbgrad.backends.cuda import _numba_cuda as nc
    try:
        nc.cuda.compile_ptx(kernel.py_func, tuple(argtypes), cc=(9, 0))
        return "ptx"
    except Exception as e:  # no NVVM/NVRTC here: stop at LLVM IR
        text = str(e)
        if "libnvrtc" not in text and "libnvvm" not in text.lower() and "NVVM" not in text:
            raise
    cres = compile_cuda(kernel.py_func, t.void, tuple(argtypes), cc=(9, 0))
    ir = cres.library.get_llvm_str()
    assert "define" in ir
    unknown = sorted({m for m in re.findall(r'@"?(llvm\.[\w.]+)', ir)
                      if not m.startswith(NVVM_OK_INTRINSICS)})
    assert not unknown, f"LLVM intrinsics not known to compile with libNVVM: {unknown}"
    return "llvm"


def in_simulator_process():
    """True when this process itself already runs on the simulator (or a GPU was asked
    for with NBGRAD_CUDA_TESTS=device)."""
    if os.environ.get("NBGRAD_CUDA_TESTS") == "device":
        return True
    if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
        return False
    if "numba" in sys.modules:
        import numba
        return bool(numba.config.ENABLE_CUDASIM)
    return True


def run_child(script, args=(), timeout=900, sim=True):
    """Run ``python script *args`` with the simulator on; the last stdout line is JSON."""
    env = dict(os.environ)
    if os.environ.get("NBGRAD_CUDA_TESTS") != "device":
        env["NUMBA_ENABLE_CUDASIM"] = "1" if sim else "0"
    spec = importlib.util.find_spec("nbgrad")
    root = os.path.dirname(os.path.dirname(spec.origin))
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root, here] + [p for p in [env.get("PYTHONPATH")]
                                                        if p])
    proc = subprocess.run([sys.executable, script, *args], env=env, capture_output=True,
                          text=True, timeout=timeout)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        pytest.fail(f"the CUDA test process failed (exit {proc.returncode}):\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return json.loads(lines[-1])


# ------------------------------------------------------------------ its own tests
def check_fast_simulator():
    """A grid-stride kernel gives the same result sequentially and threaded."""
    from numba.cuda.simulator import kernel as simk
    global cuda   # the simulator swaps the kernel's *global* `cuda` for its fake module
    from nbgrad.backends.cuda._numba_cuda import cuda

    @cuda.jit
    def k(x, out):
        for i in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
            out[i] = x[i] * 2 + cuda.threadIdx.x * 1000 + cuda.blockIdx.x * 100000

    x = cuda.to_device(np.arange(70.0))
    a = cuda.device_array(70)
    k[3, 8](x, a)                  # sequentially
    code = k.fn.__code__
    b = cuda.device_array(70)
    _SYNCS[code] = True            # as if it synchronised: the simulator's threads
    try:
        k[3, 8](x, b)
    finally:
        _SYNCS[code] = False
    assert (a.copy_to_host() == b.copy_to_host()).all()
    assert simk.BlockManager._nbgrad_fast


def check_strict_arrays():
    """A strict simulated device array refuses what a real one lacks."""
    from nbgrad.backends.cuda._numba_cuda import cuda
    d = cuda.to_device(np.ones((2, 3)))
    assert d.flags["C_CONTIGUOUS"] and d.ndim == 2 and d.size == 6
    for bad in (lambda: d.flags.c_contiguous, lambda: d.swapaxes(0, 1), lambda: d + 1,
                lambda: d.__array_interface__):
        try:
            bad()
        except (AttributeError, TypeError):
            continue
        raise AssertionError("strict mode let a host-only operation through")


def _child_main():
    install()
    out = {}
    for name in ("check_fast_simulator", "check_strict_arrays"):
        try:
            globals()[name]()
            out[name] = None
        except BaseException:
            import traceback
            out[name] = traceback.format_exc()
    print(json.dumps(out))


@pytest.fixture(scope="module")
def harness_results():
    return run_child(os.path.abspath(__file__), ["--child"], timeout=600)


@needs_numba_cuda
def test_fast_simulator_gives_the_same_results(harness_results):
    assert harness_results["check_fast_simulator"] is None, harness_results["check_fast_simulator"]


@needs_numba_cuda
def test_strict_simulator_arrays(harness_results):
    assert harness_results["check_strict_arrays"] is None, harness_results["check_strict_arrays"]


if __name__ == "__main__":
    _child_main()
