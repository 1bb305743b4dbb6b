"""The CUDA backend (`nbgrad.backends.cuda`) against NumPy, on numba's CUDA simulator.

Why subprocesses: the simulator is chosen by ``NUMBA_ENABLE_CUDASIM=1`` when
Numba is first imported, and by the time this module runs pytest has usually
imported Numba (conftest, other test modules) without it.  So the `check_*`
functions below run in ONE child process started with the variable set
(``python tests/test_cuda_backend.py --checks``); it reports each check's
outcome as JSON and each pytest test asserts one of them.  When this process
already runs on the simulator (the variable was set before pytest started),
or ``NBGRAD_CUDA_TESTS=device`` asks for a real GPU, the checks run here
instead.  A second child (``--lower``, simulator off, no GPU needed) compiles
every kernel for the real CUDA target: to PTX when NVVM is installed, else to
LLVM IR; the simulator runs kernels as Python and would not catch code that
numba-cuda cannot compile.

Sizes are tiny (the simulator runs every CUDA thread as a Python thread).
Tolerances: float32 1e-5 relative, float64 1e-10.  Everything is skipped when
numba-cuda is not installed, except the check that `nbgrad.cuda` then still
imports and reports no device.
"""

import importlib.util
import inspect
import json
import os
import subprocess
import sys
import traceback

import numpy as np
import pytest


def _have_numba_cuda():
    try:
        return (importlib.util.find_spec("numba_cuda") is not None
                and importlib.util.find_spec("cuda.bindings") is not None)
    except (ImportError, ValueError):
        return False


HAVE_NUMBA_CUDA = _have_numba_cuda()
needs_numba_cuda = pytest.mark.skipif(not HAVE_NUMBA_CUDA, reason="numba-cuda is not installed")
RTOL = {np.float32: 1e-5, np.float64: 1e-10}
_HERE = os.path.abspath(__file__)


def _close(got, want, dtype):
    np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=RTOL[dtype])


def _dev(a):
    from nbgrad.backends.cuda._numba_cuda import cuda
    return cuda.to_device(np.ascontiguousarray(a))


def _T(d):
    """A transposed view of device array `d` (numba's ``DeviceNDArray.T`` is a copy)."""
    from nbgrad.backends.cuda._numba_cuda import as_strided
    return as_strided(d, tuple(d.shape)[::-1], tuple(d.strides)[::-1])


def _family(stem, fns):
    from nbgrad.backends.cuda.elementwise import KernelFamily
    return KernelFamily(stem, fns)


# ---------------------------------------------------------------- the checks
def check_elementwise_flat():
    from nbgrad.backends.cuda import elementwise as ew
    from nbgrad.ops import scalar
    fam = _family("t_fma_exp", [lambda x, y: x * y + scalar.exp(y)])
    rng = np.random.default_rng(0)
    for dt in (np.float32, np.float64):
        x = rng.random((3, 5)).astype(dt)
        y = rng.random((3, 5)).astype(dt)
        out = ew.run(fam, [_dev(x), _dev(y)], [dt], (3, 5))[0]
        assert out.shape == (3, 5) and out.dtype == dt
        _close(out.copy_to_host(), x * y + np.exp(y), dt)
        # a scalar argument and a one-element device array (read once per thread)
        out = ew.run(fam, [_dev(x), dt(0.5)], [dt], (3, 5))[0]
        _close(out.copy_to_host(), x * 0.5 + np.exp(dt(0.5)), dt)
        out = ew.run(fam, [_dev(np.array([[2.0]], dt)), _dev(y)], [dt], (3, 5))[0]
        _close(out.copy_to_host(), 2 * y + np.exp(y), dt)
    # 0-d and empty shapes
    out = ew.run(fam, [_dev(np.float64(2.0)), np.float64(1.0)], [np.float64], ())[0]
    _close(out.copy_to_host(), 2.0 + np.e, np.float64)
    out = ew.run(fam, [_dev(np.ones((0, 3))), np.float64(1.0)], [np.float64], (0, 3))[0]
    assert out.shape == (0, 3)


def check_elementwise_broadcast_strided():
    from nbgrad.backends.cuda import elementwise as ew
    fam = _family("t_sub_mul", [lambda x, y: (x - y) * y])
    rng = np.random.default_rng(1)
    x = rng.random((3, 1, 4))
    y = rng.random((5, 4))
    out = ew.run(fam, [_dev(x), _dev(y)], [np.float64], (3, 5, 4))[0]
    _close(out.copy_to_host(), (x - y) * y, np.float64)
    # non-contiguous device views: a transpose and a step slice
    big = rng.random((6, 8))
    dbig = _dev(big)
    xt = _T(dbig)[::2]           # (4, 6) view, strides (16, 64)
    yv = _dev(rng.random((4, 6)))
    out = ew.run(fam, [xt, yv], [np.float64], (4, 6))[0]
    _close(out.copy_to_host(), (big.T[::2] - yv.copy_to_host()) * yv.copy_to_host(),
           np.float64)
    # five dimensions that do not coalesce: one launch per leading index
    a = rng.random((2, 3, 2, 3, 2))
    at = _T(_dev(a.transpose(4, 3, 2, 1, 0).copy()))   # values a, reversed strides
    b = rng.random((2, 3, 2, 3, 2))
    out = ew.run(fam, [at, _dev(b)], [np.float64], a.shape)[0]
    _close(out.copy_to_host(), (a - b) * b, np.float64)


def check_elementwise_outputs():
    from nbgrad.backends.cuda import elementwise as ew
    from nbgrad.backends.cuda import launch
    # a fused backward: two outputs, one launch
    fam = _family("t_mul_bwd", [lambda g, x, y: g * y, lambda g, x, y: g * x])
    rng = np.random.default_rng(2)
    g, x, y = (rng.random((4, 3)).astype(np.float32) for _ in range(3))
    before = launch.launch_count()
    gx, gy = ew.run(fam, [_dev(g), _dev(x), _dev(y)], [np.float32, np.float32], (4, 3))
    assert launch.launch_count() - before == 1
    _close(gx.copy_to_host(), g * y, np.float32)
    _close(gy.copy_to_host(), g * x, np.float32)
    # writing into a strided view leaves the rest of the buffer alone
    dst = _dev(np.zeros((4, 5), np.float32))
    ew.run(fam, [_dev(g), _dev(x), _dev(y)], [np.float32, np.float32], (4, 3),
           outs=[dst[:, 1:4], _dev(np.empty((4, 3), np.float32))])
    want = np.zeros((4, 5), np.float32)
    want[:, 1:4] = g * y
    _close(dst.copy_to_host(), want, np.float32)
    # bool and integer outputs
    cmp = _family("t_gt", [lambda x, y: x > y])
    out = ew.run(cmp, [_dev(x), _dev(y)], [np.bool_], (4, 3))[0]
    assert out.dtype == np.bool_ and (out.copy_to_host() == (x > y)).all()
    add = _family("t_add", [lambda x, y: x + y])
    xi = np.arange(12, dtype=np.int64).reshape(4, 3)
    out = ew.run(add, [_dev(xi), np.int64(7)], [np.int64], (4, 3))[0]
    assert (out.copy_to_host() == xi + 7).all()
    # zero elements: no launch
    before = launch.launch_count()
    ew.run(add, [_dev(np.ones((0,))), np.float64(1)], [np.float64], (0,))
    assert launch.launch_count() == before
    # a host array is refused with a clear message
    try:
        ew.run(add, [xi, np.int64(1)], [np.int64], (4, 3))
    except TypeError as e:
        assert "to_device" in str(e)
    else:
        raise AssertionError("a host array was accepted")


def check_elementwise_grid_stride():
    from nbgrad.backends.cuda import elementwise as ew
    from nbgrad.backends.cuda import launch
    fam = _family("t_twice", [lambda x: x + x])
    n = launch.max_blocks() * launch.MAX_THREADS + 100   # more threads than a grid has
    blocks, threads = launch.config(n)
    assert blocks * threads < n
    x = np.arange(n, dtype=np.float64)
    out = ew.run(fam, [_dev(x)], [np.float64], (n,))[0]
    assert (out.copy_to_host() == 2 * x).all()
    # the unrolled flat loop ('flat4'): k loads per thread, then a remainder loop;
    # two outputs and a one-element ('b') argument too
    fam2 = _family("t_mul2", [lambda x, y, z: x * y * z, lambda x, y, z: x - z])
    saved = ew.UNROLL
    try:
        ew.UNROLL = 4
        for m in (7, n, 4 * blocks * threads + 3):
            x = np.arange(m, dtype=np.float64)
            y = np.cos(x)
            o0, o1 = ew.run(fam2, [_dev(x), _dev(y), _dev(np.array([0.5]))],
                            [np.float64, np.float64], (m,))
            assert (o0.copy_to_host() == x * y * 0.5).all(), m
            assert (o1.copy_to_host() == x - 0.5).all(), m
        assert any(k[3] == "flat4" for k in ew._kernels)
    finally:
        ew.UNROLL = saved


def check_caching_allocator():
    """The block cache's bookkeeping (with a fake driver on the simulator; on a GPU
    also the real thing: a dropped tensor's block is reused, no new allocation)."""
    import gc
    import types
    import weakref

    from nbgrad.backends.cuda import _numba_cuda as real
    from nbgrad.backends.cuda import allocator as al

    class Blk:
        def __init__(self, ctx, pointer, size):
            self.context, self.device_pointer, self.size = ctx, pointer, size

    class Ctx:   # a device of `room` bytes; a block is freed when nothing holds it
        def __init__(self, room):
            self.made, self.room, self.live = 0, room, weakref.WeakSet()

        def memalloc(self, size):
            if size > self.room - sum(b.size for b in self.live):
                raise RuntimeError("CUDA_ERROR_OUT_OF_MEMORY")
            self.made += 1
            blk = Blk(self, self.made, size)
            self.live.add(blk)
            return blk

    class Ptr:
        def __init__(self, ctx, pointer, size, finalizer):
            self.device_pointer, self.size = pointer, size
            weakref.finalize(self, finalizer)

    class Arr:
        def __init__(self, shape, strides, dtype, gpu_data):
            self.shape, self.strides, self.dtype, self.gpu_data = shape, strides, dtype, gpu_data

    ctx = Ctx(room=3 * 2 ** 21)
    fake = types.SimpleNamespace(SIMULATOR=True, MemoryPointer=Ptr, DeviceArray=Arr,
                                 c_type=lambda dtype, ndim: ("C", dtype, ndim),
                                 c_strides=real.c_strides,
                                 cuda=types.SimpleNamespace(current_context=lambda: ctx,
                                                            device_array=None))
    saved = al.nc, dict(al._free), al._reserved[0], list(al._ctx)
    al.nc, al._reserved[0] = fake, 0
    al._free.clear()
    al._ctx.clear()
    try:
        a = al.empty((3, 4), np.float32)
        assert a.strides == (16, 4) and a.gpu_data.size == 512
        assert a._numba_type_ == ("C", np.dtype(np.float32), 2)
        first = a.gpu_data.device_pointer
        del a
        gc.collect()
        assert al.cached_bytes() == 512 and al.reserved_bytes() == 512
        b = al.empty((100,), np.float64)        # 800 bytes: another 512-byte class
        c = al.empty((7,), np.int64)            # 56 bytes -> 512: the cached block
        assert c.gpu_data.device_pointer == first and ctx.made == 2
        assert al.cached_bytes() == 0 and al.reserved_bytes() == 512 + 1024
        del b, c
        gc.collect()
        big = al.empty((2 ** 20 + 1,), np.float32)   # just over 4 MiB -> 6 MiB: no room
        assert big.gpu_data.size == 3 * 2 ** 21
        assert al.cached_bytes() == 0 and al.reserved_bytes() == 3 * 2 ** 21, \
            "the cache was not emptied before the retry"
        del big
        gc.collect()
        ctx.room = 0
        try:
            al.empty((2 ** 22,), np.float32)     # 16 MiB: fails even after emptying
        except RuntimeError as e:
            assert "OUT_OF_MEMORY" in str(e)
        else:
            raise AssertionError("an impossible allocation succeeded")
    finally:
        al.nc = saved[0]
        al._free.clear()
        al._free.update(saved[1])
        al._reserved[0] = saved[2]
        al._ctx[:] = saved[3]
    if not real.SIMULATOR:   # a GPU: nbgrad's own arrays come from the cache
        x = real.empty((1000,), np.float32)
        ptr = real.device_pointer(x)
        del x
        gc.collect()
        before = al.reserved_bytes()
        y = real.empty((1000,), np.float32)
        assert real.device_pointer(y) == ptr and al.reserved_bytes() == before


def check_scalar_vocabulary():
    from nbgrad.backends.cuda import elementwise as ew
    from nbgrad.ops import scalar as s
    x = np.linspace(0.1, 2.5, 7)
    y = np.linspace(-1.5, 1.5, 7)
    cases = [
        (lambda x: s.exp(x), np.exp(x)), (lambda x: s.log(x), np.log(x)),
        (lambda x: s.sin(x), np.sin(x)), (lambda x: s.cos(x), np.cos(x)),
        (lambda x: s.sqrt(x), np.sqrt(x)), (lambda x: s.tanh(x), np.tanh(x)),
        (lambda x: s.log1p(x), np.log1p(x)), (lambda x: s.expm1(x), np.expm1(x)),
        (lambda x: s.sigmoid(x), 1 / (1 + np.exp(-x))),
    ]
    for j, (fn, want) in enumerate(cases):
        out = ew.run(_family(f"t_voc{j}", [fn]), [_dev(x)], [np.float64], x.shape)[0]
        _close(out.copy_to_host(), want, np.float64)
    signed = [(lambda y: s.abs_(y), np.abs(y)),
              (lambda y: s.floor(y), np.floor(y)), (lambda y: s.ceil(y), np.ceil(y))]
    # The simulator runs the vocabulary's Python side on NumPy scalars:
    # `(x > 0) - (x < 0)` (bool subtraction) and `isinstance(c, bool)` fail
    # there until nbgrad.ops.scalar is NumPy-scalar proof; compiled kernels
    # are fine (see test_kernels_compile_for_the_real_target).
    for fn, want in [(lambda y: s.sign(y), np.sign(y)),
                     (lambda y: s.where(y > 0, y, 0.0), np.where(y > 0, y, 0.0))]:
        try:
            fn(np.float64(-1.5))
        except TypeError:
            continue
        signed.append((fn, want))
    for j, (fn, want) in enumerate(signed):
        out = ew.run(_family(f"t_vocs{j}", [fn]), [_dev(y)], [np.float64], y.shape)[0]
        _close(out.copy_to_host(), want, np.float64)


def check_reduce_sum():
    from nbgrad.backends.cuda import reduce as red
    rng = np.random.default_rng(3)
    shapes = {(2, 5, 3): "loop", (3, 100, 1): "block", (2, 40, 3): "block",
              (40, 33, 30): "loop"}
    for shape, variant in shapes.items():
        assert red.variant(shape) == variant, (shape, red.variant(shape))
        for dt in (np.float32, np.float64):
            x = rng.standard_normal(shape).astype(dt)
            out = _dev(np.zeros((shape[0], shape[2]), dt))
            red.sum_arb(_dev(x), out)
            _close(out.copy_to_host(), x.astype(np.float64).sum(1), dt)
    # a strided input view, integer and bool sums (int64 accumulation)
    x = rng.standard_normal((50, 4))
    out = _dev(np.zeros((1, 4)))
    from nbgrad.backends.cuda._numba_cuda import as_strided
    xt = _dev(np.ascontiguousarray(x.T))          # (4, 50); view it as (1, 50, 4)
    red.sum_arb(as_strided(xt, (1, 50, 4), (0, 8, 400)), out)
    _close(out.copy_to_host(), x.sum(0)[None], np.float64)
    xi = rng.integers(-5, 5, (2, 70, 1)).astype(np.int32)
    out = _dev(np.zeros((2, 1), np.int64))
    red.sum_arb(_dev(xi), out)
    assert (out.copy_to_host() == xi.sum(1)).all()
    xb = xi > 0
    red.sum_arb(_dev(xb), out)
    assert (out.copy_to_host() == xb.sum(1)).all()
    # an empty reduced axis sums to zero
    out = _dev(np.ones((2, 3)))
    red.sum_arb(_dev(np.ones((2, 0, 3))), out)
    assert (out.copy_to_host() == 0).all()
    # few outputs, long rows: 'split' (partials per chunk, then a 'finish' launch)
    chunk = red.BLOCK * red.SPLIT_MIN_PER_THREAD     # the shortest chunk of a split
    for shape in [(1, 8 * chunk - 24, 1), (2, 4 * chunk + 3, 1), (1, 5 * chunk + 60, 2)]:
        assert red.variant(shape, splittable=True) == "split", shape
        assert red.variant(shape) == "block", shape
        x = rng.standard_normal(shape)
        out = _dev(np.zeros((shape[0], shape[2])))
        from nbgrad.backends.cuda import launch
        launch.reset_launch_count()
        red.sum_arb(_dev(x), out, np.float64(0), 1.0 / shape[1])
        assert launch.launch_count() == 2
        _close(out.copy_to_host(), x.mean(1), np.float64)
        out32 = _dev(np.zeros((shape[0], shape[2]), np.float32))
        red.sum_arb(_dev(x.astype(np.float32)), out32)
        _close(out32.copy_to_host(), x.astype(np.float32).astype(np.float64).sum(1),
               np.float32)
        for p, want in [(2, np.sqrt((x * x).sum(1))), (np.inf, np.abs(x).max(1)),
                        (-np.inf, np.abs(x).min(1)), (3.0, (np.abs(x) ** 3).sum(1) ** (1 / 3))]:
            red.pnorm_arb(_dev(x), out, p)
            _close(out.copy_to_host(), want, np.float64)
        y = rng.uniform(0.999, 1.001, shape)
        red.prod_arb(_dev(y), out)
        _close(out.copy_to_host(), y.prod(1), np.float64)
    R = 8 * chunk                                 # a strided row: every other column
    xs = rng.standard_normal((3, 2 * R))
    out = _dev(np.zeros((1, 1)))
    assert red.variant((1, R, 1), splittable=True) == "split"
    red.sum_arb(as_strided(_dev(xs), (1, R, 1), (0, 16, 0)), out)
    _close(out.copy_to_host(), xs[0, ::2].sum()[None, None], np.float64)
    # a NaN in one chunk reaches the result through the finish step
    xn = np.ones((1, R, 1))
    xn[0, R - 5, 0] = np.nan
    red.sum_arb(_dev(xn), out)
    assert np.isnan(out.copy_to_host()).all()
    red.pnorm_arb(_dev(xn), out, np.inf)
    assert np.isnan(out.copy_to_host()).all()
    # a mean is a scaled sum; products
    for shape in [(2, 6, 3), (2, 50, 1)]:
        x = rng.uniform(0.5, 1.5, shape)
        out = _dev(np.zeros((shape[0], shape[2])))
        red.sum_arb(_dev(x), out, np.float64(0), 1.0 / shape[1])
        _close(out.copy_to_host(), x.mean(1), np.float64)
        red.prod_arb(_dev(x.astype(np.float32)), out)
        _close(out.copy_to_host(), x.astype(np.float32).astype(np.float64).prod(1), np.float64)


def check_reduce_max_min_index():
    from nbgrad.backends.cuda import reduce as red
    rng = np.random.default_rng(4)
    for shape in [(3, 6, 2), (3, 70, 1)]:            # the loop and block variants
        for dt in (np.float32, np.float64):
            x = rng.integers(0, 4, shape).astype(dt)  # many ties: the first index wins
            x[1, 3, 0] = np.nan                       # NaN wins and propagates
            for fn, npv, npi in ((red.max_arb, np.max, np.argmax),
                                 (red.min_arb, np.min, np.argmin)):
                out = _dev(np.zeros((shape[0], shape[2]), dt))
                idx = _dev(np.zeros((shape[0], shape[2]), np.int64))
                fn(_dev(x), out, idx)
                np.testing.assert_array_equal(out.copy_to_host(), npv(x, 1))
                np.testing.assert_array_equal(idx.copy_to_host(), npi(x, 1))
    # 'split' (chunks, then a finish launch): ties between chunks go to the first
    # index, a NaN in a later chunk still wins, with its own index
    chunk = red.BLOCK * red.SPLIT_MIN_PER_THREAD
    from nbgrad.backends.cuda import launch
    for shape in [(1, 8 * chunk + 5, 1), (1, 4 * chunk, 2)]:
        assert red.variant(shape, splittable=True) == "split", shape
        for dt in (np.float32, np.int64):
            x = rng.integers(0, 3, shape).astype(dt)
            x[0, 3 * chunk + 1, 0] = 7                    # the extreme, twice, in two chunks
            x[0, shape[1] - 2, 0] = 7
            x[0, chunk + 2, 0] = -7
            x[0, shape[1] - 1, 0] = -7
            for fn, npv, npi in ((red.max_arb, np.max, np.argmax),
                                 (red.min_arb, np.min, np.argmin)):
                out = _dev(np.zeros((shape[0], shape[2]), dt))
                idx = _dev(np.zeros((shape[0], shape[2]), np.int64))
                launch.reset_launch_count()
                fn(_dev(x), out, idx)
                assert launch.launch_count() == 2
                np.testing.assert_array_equal(out.copy_to_host(), npv(x, 1))
                np.testing.assert_array_equal(idx.copy_to_host(), npi(x, 1))
        xn = rng.standard_normal(shape)
        xn[0, shape[1] - 3, 0] = np.nan
        out = _dev(np.zeros((shape[0], shape[2])))
        idx = _dev(np.zeros((shape[0], shape[2]), np.int64))
        red.max_arb(_dev(xn), out, idx)
        assert np.isnan(out.copy_to_host()[0, 0]) and idx.copy_to_host()[0, 0] == shape[1] - 3
        np.testing.assert_array_equal(idx.copy_to_host().ravel()[1:],
                                      np.argmax(xn, 1).ravel()[1:])
    xi = rng.integers(-100, 100, (2, 50, 1))
    out = _dev(np.zeros((2, 1), np.int64))
    idx = _dev(np.zeros((2, 1), np.int64))
    red.minmax_arb(_dev(xi), out, idx, True)
    assert (out.copy_to_host() == xi.max(1)).all() and (idx.copy_to_host() == xi.argmax(1)).all()


def check_reduce_all_any():
    """all/any through the value-reduction variants: loop, block and split."""
    from nbgrad.backends.cuda import reduce as red
    rng = np.random.default_rng(9)
    chunk = red.BLOCK * red.SPLIT_MIN_PER_THREAD
    shapes = {(4, 6, 3): "loop", (3, 70, 1): "block", (1, 8 * chunk + 3, 1): "split"}
    for shape, kind in shapes.items():
        assert red.variant(shape, splittable=True) == kind, shape
        for dt in (np.bool_, np.float32, np.int64):
            x = (rng.random(shape) < 0.999).astype(dt)     # mostly true
            x[-1, shape[1] - 1, 0] = 0                     # one false, last in its row
            if dt == np.float32:
                x[0, 1, 0] = np.nan                        # NaN counts as true
            for want_all, ref in ((True, np.all), (False, np.any)):
                out = _dev(np.zeros((shape[0], shape[2]), np.bool_))
                red.allany_arb(_dev(x), out, want_all)
                np.testing.assert_array_equal(out.copy_to_host(), ref(x != 0, axis=1))
            z = np.zeros(shape, dt)
            z[0, shape[1] - 2, 0] = 1                      # one true, late in its row
            out = _dev(np.zeros((shape[0], shape[2]), np.bool_))
            red.allany_arb(_dev(z), out, False)
            np.testing.assert_array_equal(out.copy_to_host(), np.any(z != 0, axis=1))


def check_reduce_lse_split():
    """logsumexp of few long rows: running (max, scaled sum) merged (two launches);
    NaN propagates, +inf wins, an all -inf row gives -inf, as on the CPU."""
    from nbgrad.backends.cuda import launch
    from nbgrad.backends.cuda import reduce as red
    rng = np.random.default_rng(10)
    chunk = red.BLOCK * red.SPLIT_MIN_PER_THREAD

    def want(x):
        m = x.max(1)
        return np.log(np.exp(x - m[:, None]).sum(1)) + m

    for shape in [(1, 8 * chunk + 9, 1), (1, 4 * chunk, 2)]:
        assert red.variant(shape, splittable=True) == "split", shape
        for dt in (np.float32, np.float64):
            x = (10 * rng.standard_normal(shape)).astype(dt)
            x[0, 5 * chunk // 2, 0] = 60                       # the maximum, mid-row
            out = _dev(np.zeros((shape[0], shape[2])))
            launch.reset_launch_count()
            red.lse_arb(_dev(x), out, np.float64(0))
            assert launch.launch_count() == 2
            _close(out.copy_to_host(), want(x.astype(np.float64)), np.float64)
    shape = (1, 8 * chunk, 1)
    for value, expect in ((np.nan, np.nan), (np.inf, np.inf)):
        x = rng.standard_normal(shape)
        x[0, shape[1] - 3, 0] = value
        out = _dev(np.zeros((1, 1)))
        red.lse_arb(_dev(x), out, np.float64(0))
        got = out.copy_to_host()[0, 0]
        assert (np.isnan(got) if np.isnan(expect) else got == expect), (value, got)
    x = np.full(shape, -np.inf)
    out = _dev(np.zeros((1, 1)))
    red.lse_arb(_dev(x), out, np.float64(0))
    assert out.copy_to_host()[0, 0] == -np.inf


def check_reduce_var_split():
    """var/std of few long rows: two passes per thread, Chan's merge (two launches)."""
    from nbgrad.backends.cuda import launch
    from nbgrad.backends.cuda import reduce as red
    rng = np.random.default_rng(8)
    chunk = red.BLOCK * red.SPLIT_MIN_PER_THREAD
    for shape in [(1, 8 * chunk + 7, 1), (1, 4 * chunk, 2)]:
        assert red.variant(shape, splittable=True) == "split", shape
        for dt in (np.float32, np.float64):
            x = (1000.0 + rng.standard_normal(shape)).astype(dt)   # a far-off mean
            x64 = x.astype(np.float64)
            for corr, root in ((1, False), (0, True)):
                out = _dev(np.zeros((shape[0], shape[2])))
                mean = _dev(np.zeros((shape[0], shape[2])))
                launch.reset_launch_count()
                red.var_arb(_dev(x), out, mean, np.float64(0), 1.0 / (shape[1] - corr), root)
                assert launch.launch_count() == 2
                want = x64.var(1, ddof=corr)
                _close(out.copy_to_host(), np.sqrt(want) if root else want, np.float64)
                _close(mean.copy_to_host(), x64.mean(1), np.float64)
    # many outputs: the per-output kernel, as before
    x = rng.standard_normal((50, 40, 3))
    out, mean = _dev(np.zeros((50, 3))), _dev(np.zeros((50, 3)))
    red.var_arb(_dev(x), out, mean, np.float64(0), 1.0 / 39, False)
    _close(out.copy_to_host(), x.var(1, ddof=1), np.float64)


def check_reduce_pnorm():
    from nbgrad.backends.cuda import reduce as red
    rng = np.random.default_rng(5)
    for shape in [(2, 7, 3), (2, 90, 1)]:
        for dt in (np.float32, np.float64):
            x = rng.standard_normal(shape).astype(dt)
            x[0, 2, 0] = 0.0
            for p in (1.0, 2.0, 3.0, 0.5, 0.0, np.inf, -np.inf):
                out = _dev(np.zeros((shape[0], shape[2]), dt))
                red.pnorm_arb(_dev(x), out, p)
                want = np.linalg.norm(x.astype(np.float64), ord=p, axis=1)
                _close(out.copy_to_host(), want, dt)
            x[1, 4, 0] = np.nan     # NaN propagates through max |x| and min |x|
            for p in (np.inf, -np.inf):
                out = _dev(np.zeros((shape[0], shape[2]), dt))
                red.pnorm_arb(_dev(x), out, p)
                got = out.copy_to_host()
                assert np.isnan(got[1, 0]) and not np.isnan(got[0]).any()


def check_creation():
    from nbgrad.backends.cuda import creation as cr
    from nbgrad.backends.cuda._numba_cuda import cuda
    for dt in (np.float32, np.float64):
        o = cuda.device_array(9, dt)
        cr.fill(o, 2.5)
        assert (o.copy_to_host() == 2.5).all()
        cr.arange(o, 1.0, 0.25)
        _close(o.copy_to_host(), 1.0 + 0.25 * np.arange(9), dt)
        cr.linspace(o, -1.0, 3.0)
        got = o.copy_to_host()
        _close(got, np.linspace(-1, 3, 9), dt)
        assert got[-1] == 3.0 and got[0] == -1.0
        e = cuda.device_array((3, 5), dt)
        cr.eye(e)
        assert (e.copy_to_host() == np.eye(3, 5)).all()
    one = cuda.device_array(1, np.float64)
    cr.linspace(one, 4.0, 9.0)
    assert one.copy_to_host()[0] == 4.0
    # a strided destination: every other column
    m = _dev(np.zeros((3, 6)))
    cr.fill(m[:, ::2], 7.0)
    want = np.zeros((3, 6))
    want[:, ::2] = 7
    assert (m.copy_to_host() == want).all()
    cr.eye(m[:, ::2])
    want[:, ::2] = np.eye(3)
    assert (m.copy_to_host() == want).all()


def check_random():
    """The CUDA random kernels give the CPU kernels' numbers for one generator state
    (both compile `nbgrad.backends.philox`), whatever the launch shape."""
    from nbgrad.backends import philox
    from nbgrad.backends.cpu import creation as host
    from nbgrad.backends.cuda import creation as cr
    from nbgrad.backends.cuda._numba_cuda import cuda
    for dt, tol in ((np.float32, 1e-6), (np.float64, 1e-12)):
        for kind, a, b in ((philox.UNIFORM, -2.0, 3.0), (philox.NORMAL, 1.0, 2.0),
                           (philox.EXPONENTIAL, 1.5, 0.0), (philox.BERNOULLI, 0.3, 0.0),
                           (philox.POISSON, 12.0, 0.0), (philox.POISSON, 2.5, 0.0)):
            d = cuda.device_array(37, dt)
            cr.sample(d, kind, 1234, 5, a, b)
            want = host.sample(np.empty(37, dt), kind, 1234, 5, a, b)
            np.testing.assert_allclose(d.copy_to_host(), want, rtol=tol, err_msg=str(kind))
    k = cuda.device_array(200, np.int64)
    cr.integers(k, 9, 0, 3, 4)
    want = host.integers(np.empty(200, np.int64), 9, 0, 3, 4)
    assert (k.copy_to_host() == want).all() and set(want) == {3, 4, 5, 6}
    perm = cuda.device_array(20, np.int64)
    cr.randperm(perm, 9, 11)
    want = host.randperm(np.empty(20, np.int64), 9, 11)
    assert (perm.copy_to_host() == want).all() and sorted(want) == list(range(20))
    p = np.array([[0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 0.0, 1.0]])
    for replacement, n in ((True, 6), (False, 4)):
        got = cuda.device_array((2, n), np.int64)
        cr.multinomial(cuda.to_device(p), got, replacement, 3, 0)
        want = np.empty((2, n), np.int64)
        host.multinomial(p, want, replacement, 3, 0)
        assert (got.copy_to_host() == want).all(), (replacement, got.copy_to_host(), want)


def check_copies():
    from nbgrad.backends.cuda import copy as cp
    from nbgrad.backends.cuda import launch
    rng = np.random.default_rng(6)
    x = rng.random((4, 6))
    d = cp.to_device(x[:, ::2])                       # a strided host array
    assert d.is_c_contiguous() and (cp.to_host(d) == x[:, ::2]).all()
    dd = cp.to_device(x)
    assert (cp.to_host(_T(dd)) == x.T).all()          # a strided device view
    assert (cp.to_host(dd[1:3, ::3]) == x[1:3, ::3]).all()
    assert cp.contiguous(dd) is dd
    c = cp.contiguous(_T(dd))
    assert c.is_c_contiguous() and (c.copy_to_host() == x.T).all()
    # casts
    f = cp.cast(dd, np.float32)
    assert f.dtype == np.float32 and (f.copy_to_host() == x.astype(np.float32)).all()
    i = cp.cast(cp.to_device(np.array([1.7, -2.2, 3.0])), np.int64)
    assert (i.copy_to_host() == np.array([1.7, -2.2, 3.0]).astype(np.int64)).all()
    # into a strided destination, with broadcast and a cast
    dst = cp.to_device(np.zeros((4, 6), np.float32))
    cp.copy_(dst[:, 1::2], cp.to_device(np.arange(3.0)))
    want = np.zeros((4, 6), np.float32)
    want[:, 1::2] = np.arange(3.0)
    assert (cp.to_host(dst) == want).all()
    cp.copy_(dst[0], 9)                               # a scalar
    want[0] = 9
    assert (cp.to_host(dst) == want).all()
    cp.copy_(dst[2:], rng.random((2, 6)).astype(np.float32) * 0 + 5)   # from the host
    want[2:] = 5
    assert (cp.to_host(dst) == want).all()
    # same dtype, contiguous: a memcpy, no kernel
    before = launch.launch_count()
    src = cp.to_device(np.ones((4, 6), np.float32))
    cp.copy_(dst, src)
    assert launch.launch_count() == before and (cp.to_host(dst) == 1).all()


def check_matmul():
    from nbgrad.backends.cuda import launch
    from nbgrad.backends.cuda import matmul as mm
    rng = np.random.default_rng(7)
    for dt in (np.float32, np.float64):
        a = rng.standard_normal((9, 17)).astype(dt)   # several tiles and K slabs
        b = rng.standard_normal((17, 10)).astype(dt)
        before = launch.launch_count()
        out = mm.matmul(_dev(a), _dev(b))
        assert launch.launch_count() - before == 1
        _close(out.copy_to_host(), a @ b, dt)
        # a transposed (strided) operand, no copy
        bt = _T(_dev(np.ascontiguousarray(b.T)))
        _close(mm.matmul(_dev(a), bt).copy_to_host(), a @ b, dt)
        # batched, with a broadcast batch (2-D operand, and a batch of one)
        a3 = rng.standard_normal((3, 5, 4)).astype(dt)
        b2 = rng.standard_normal((4, 6)).astype(dt)
        _close(mm.matmul(_dev(a3), _dev(b2)).copy_to_host(), a3 @ b2, dt)
        a1 = rng.standard_normal((1, 5, 4)).astype(dt)
        b3 = rng.standard_normal((3, 4, 2)).astype(dt)
        _close(mm.matmul(_dev(a1), _dev(b3)).copy_to_host(), a1 @ b3, dt)
        # into a given output; K == 0 gives zeros
        out = _dev(np.empty((5, 6), dt))
        mm.matmul(_dev(a3[0]), _dev(b2), out=out)
        _close(out.copy_to_host(), a3[0] @ b2, dt)
        z = mm.matmul(_dev(np.ones((2, 0), dt)), _dev(np.ones((0, 3), dt)))
        assert (z.copy_to_host() == 0).all()
    for bad in [(np.ones((2, 3)), np.ones((4, 2))), (np.ones((2, 3), np.float32),
                                                     np.ones((3, 2)))]:
        try:
            mm.matmul(_dev(bad[0]), _dev(bad[1]))
        except (ValueError, TypeError):
            pass
        else:
            raise AssertionError("bad matmul operands were accepted")


class _FakeCAIArray:
    """An exporter of ``__cuda_array_interface__``: on the simulator, device
    memory is host memory, so a NumPy buffer's address stands for a GPU one."""

    def __init__(self, a):
        self.a = a
        self.__cuda_array_interface__ = {
            "shape": a.shape, "strides": a.strides, "typestr": a.dtype.str,
            "data": (a.ctypes.data, False), "version": 3}


class _Exporter:
    """Exposes another object's ``__cuda_array_interface__`` (as CuPy would)."""

    def __init__(self, d):
        self.d = d
        self.__cuda_array_interface__ = d.__cuda_array_interface__


def check_interop():
    from nbgrad.backends.cuda import interop
    from nbgrad.backends.cuda._numba_cuda import SIMULATOR, cuda
    if not SIMULATOR:
        host = np.arange(12.0).reshape(3, 4)
        d = cuda.to_device(host)
        v = interop.as_device_array(_Exporter(d[:, 1:]))
        assert v.shape == (3, 3) and (v.copy_to_host() == host[:, 1:]).all()
        v[0, 0] = -1.0
        assert d.copy_to_host()[0, 1] == -1.0     # the same memory
        assert interop.as_device_array(d) is d
        try:
            interop.from_dlpack(np.ones(3))       # host memory: refused
        except TypeError:
            return
        raise AssertionError("from_dlpack accepted host memory")
    host = np.arange(12.0).reshape(3, 4)
    view = interop.as_device_array(_FakeCAIArray(host[:, 1:]))   # a strided export
    assert interop.is_device_array(view) and view.shape == (3, 3)
    assert (view.copy_to_host() == host[:, 1:]).all()
    view[0, 0] = -1.0                       # shared memory: no copy was made
    assert host[0, 1] == -1.0
    d = cuda.to_device(host)
    assert interop.as_device_array(d) is d
    # DLPack: on the simulator a NumPy array stands for a device exporter
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    dl = interop.from_dlpack(x[:, ::2])
    assert dl.shape == (2, 2) and (dl.copy_to_host() == x[:, ::2]).all()
    dl[1, 1] = 50
    assert x[1, 2] == 50
    try:
        interop.as_device_array([1, 2])
    except TypeError:
        pass
    else:
        raise AssertionError("a list was accepted as a device array")


def check_numpy_25_fix():
    from nbgrad.backends.cuda import _numba_cuda as nc
    saved_version, had = np.__version__, hasattr(np, "row_stack")
    saved = np.__dict__.get("row_stack")
    try:
        np.__version__ = "2.5.0"
        if had:
            del np.row_stack
        nc.NUMPY_25_FIX_APPLIED = False
        nc._numpy_25_fix()
        if nc.NUMBA_CUDA_VERSION < (0, 31):
            assert nc.NUMPY_25_FIX_APPLIED and np.row_stack is not np.vstack
            assert (np.row_stack(([1, 2], [3, 4])) == np.array([[1, 2], [3, 4]])).all()
    finally:
        np.__version__ = saved_version
        if saved is not None:
            np.row_stack = saved
        elif hasattr(np, "row_stack"):
            del np.row_stack


def check_public_namespace():
    import nbgrad.cuda as nc
    assert nc.is_available()
    assert nc.device_count() >= 1 and nc.current_device() == 0
    assert isinstance(nc.get_device_name(), str) and nc.get_device_name(0)
    assert len(nc.get_device_capability()) == 2
    nc.synchronize()
    nc.manual_seed(3)
    if nc.is_simulator():
        assert nc.get_device_name() == "SIMULATOR"


CHECKS = [name for name in dir() if name.startswith("check_")]


def _run_checks(names):
    results = {}
    for name in names:
        try:
            globals()[name]()
            results[name] = None
        except BaseException:  # report every failure, keep going
            results[name] = traceback.format_exc()
    return results


# ------------------------------------------------- compiling for the real target
def _lower_all():
    """Compile every backend kernel for a real GPU (compute capability 9.0)
    without one: PTX when NVVM can be loaded, else LLVM IR.  Returns
    {kernel name: 'ptx' | 'llvm' | traceback}."""
    import types as pytypes

    from nbgrad.backends.cuda import _numba_cuda as nc
    assert not nc.SIMULATOR
    import numba.cuda.dispatcher as disp
    from numba.cuda import types as t
    try:
        from numba.cuda.compiler import compile_cuda
    except ImportError:
        compile_cuda = None
    if compile_cuda is None or not hasattr(disp, "get_current_device"):
        # these numba-cuda internals (0.30) let a kernel compile without a GPU
        return {"_skipped": "this numba-cuda has no compile_cuda/get_current_device"}

    # device functions ask the current device for its compute capability
    disp.get_current_device = lambda: pytypes.SimpleNamespace(compute_capability=(9, 0))
    from nbgrad.backends.cuda import creation, matmul, reduce
    from nbgrad.backends.cuda import elementwise as ew
    from nbgrad.ops import scalar as s

    def arr(dt, nd, layout="A"):
        return t.Array(dt, nd, layout)

    f32, f64, i64 = t.float32, t.float64, t.int64
    jobs = {}
    fam = ew.KernelFamily("t_vocab_all", [
        lambda x, y: s.exp(x) + s.log(y) + s.sin(x) * s.cos(y) + s.sqrt(y) + s.tanh(x)
        + s.log1p(y) + s.expm1(x) + s.sigmoid(x) + s.erf(x) + s.abs_(x) + s.floor(x)
        + s.ceil(y) + s.sign(x) + s.where(x > y, x, y),
        lambda x, y: x * y])
    for pattern, layout in (("aa", "flat"), ("ab", "nd4"), ("as", "flat"), ("sa", "nd4")):
        nd = 1 if layout == "flat" else 4
        argt = []
        for p in pattern:
            argt.append(arr(f32, nd, "C" if layout == "flat" else "A") if p == "a"
                        else arr(f32, 1) if p == "b" else f32)
        outt = [arr(f32, nd, "C" if layout == "flat" else "A")] * 2
        jobs[f"elementwise {pattern} {layout}"] = (ew.kernel(fam, pattern, layout),
                                                   argt + outt)
    cmp = ew.KernelFamily("t_gt_lower", [lambda x, y: x > y])
    jobs["elementwise bool out"] = (ew.kernel(cmp, "aa", "flat"),
                                    [arr(f64, 1, "C")] * 2 + [arr(t.boolean, 1, "C")])
    for op, acc in (("sum", "float64"), ("sum", "int64"), ("prod", "float64"),
                    ("all", "int64"), ("any", "int64"),
                    ("pnorm", "float64"), ("pnorm2", "float64"), ("pnorm1", "float64"),
                    ("pnorm0", "float64"), ("pnorminf", "float64"), ("pnorm-inf", "float64")):
        mod = reduce._module(op, acc)
        for v in ("loop", "block"):
            jobs[f"reduce {op} {acc} {v}"] = (getattr(mod, v),
                                              [arr(f32, 3), arr(f32, 2), f64])
        acc_t = getattr(t, acc)
        jobs[f"reduce {op} {acc} split"] = (mod.split, [arr(f32, 3), arr(acc_t, 2), f64])
        jobs[f"reduce {op} {acc} finish"] = (mod.finish, [arr(acc_t, 2), arr(f32, 2), f64])
    # the two-pass templates: state (count, mean, m2) and (max, sum), params (zero[, scale, root])
    var, lse = reduce._module("var", "float64"), reduce._module("lse", "float64")
    var_params, lse_params = [f64, f64, t.boolean], [f64]
    for v in ("loop", "block"):
        jobs[f"var {v}"] = (getattr(var, v), [arr(f32, 3)] + [arr(f32, 2)] * 2 + var_params)
        jobs[f"lse {v}"] = (getattr(lse, v), [arr(f32, 3), arr(f32, 2)] + lse_params)
    jobs["var split"] = (var.split, [arr(f32, 3)] + [arr(f64, 2)] * 3 + var_params)
    jobs["lse split"] = (lse.split, [arr(f32, 3)] + [arr(f64, 2)] * 2 + lse_params)
    jobs["lse finish"] = (lse.finish, [arr(f64, 2)] * 2 + [arr(f32, 2)] + lse_params)
    jobs["var finish"] = (var.finish, [arr(f64, 2)] * 3 + [arr(f32, 2)] * 2 + var_params)
    for op in ("max", "min"):
        mod = reduce._module(op, "float32")
        for v in ("loop", "block"):
            jobs[f"reduce {op} {v}"] = (getattr(mod, v), [arr(f32, 3), arr(f32, 2), arr(i64, 2)])
        jobs[f"reduce {op} split"] = (mod.split, [arr(f32, 3), arr(f32, 2), arr(i64, 2)])
        jobs[f"reduce {op} finish"] = (mod.finish, [arr(f32, 2), arr(i64, 2), arr(f32, 2),
                                                    arr(i64, 2)])
    for dt in ("float32", "float64"):
        ty = getattr(t, dt)
        jobs[f"matmul {dt}"] = (matmul._kernel(dt), [arr(ty, 3)] * 3)
    u64 = t.uint64
    jobs.update({
        "fill": (creation._fill, [arr(f32, 1, "C"), f64]),
        "arange": (creation._arange, [arr(f64, 1, "C"), f64, f64]),
        "linspace": (creation._linspace, [arr(f32, 1, "C"), f64, f64, f64]),
        "eye": (creation._eye, [arr(f32, 2)]),
        "sample f32": (creation._sample_kernel, [arr(f32, 1, "C"), i64, u64, u64, f64, f64, i64]),
        "sample f64": (creation._sample_kernel, [arr(f64, 1, "C"), i64, u64, u64, f64, f64, i64]),
        "sample_each f32": (creation._sample_each_kernel,
                            [arr(f32, 1, "C"), i64, u64, u64] + [arr(f64, 1, "C")] * 2),
        "integers": (creation._integers_kernel, [arr(i64, 1, "C"), u64, u64, i64, u64]),
        "randperm": (creation._randperm_kernel, [arr(i64, 1, "C"), u64, u64]),
        "multinomial": (creation._multinomial_kernel, [arr(f64, 2, "C"), arr(i64, 2, "C"),
                                                       t.boolean, u64, u64, arr(f64, 2, "C")]),
    })
    # every function of the scalar vocabulary, for each type the CPU implements:
    # one kernel per type calling them all (one compile), then one kernel per
    # function only if that fails (to name the culprit)
    from nbgrad.backends.cuda import vocabulary
    vocabulary.register()
    typers = vocabulary.cpu_typers(s)

    def vocab_kernel(fns, ty):
        lines, env = [], {"cuda": nc.cuda}
        for j, (fn, n) in enumerate(fns):
            env[f"F{j}"] = fn
            args = {1: "a[i]", 2: "a[i], b[i]", 3: "c[i], a[i], b[i]"}[n]
            lines.append(f"        out[{j}, i] = F{j}({args})")
        src = ("def k(a, b, c, out):\n    i = cuda.grid(1)\n    if i < out.shape[1]:\n"
               + "\n".join(lines) + "\n")
        exec(src, env)
        env["k"].py_func = env["k"]
        return env["k"], [arr(ty, 1, "C"), arr(ty, 1, "C"), arr(t.boolean, 1, "C"),
                          arr(f64, 2, "C")]

    vocab_jobs = {}
    for ty in (f32, f64, i64):
        fns = []
        for fn, typer in typers.items():
            n = len(inspect.signature(typer).parameters)
            if typer(*((t.boolean, ty, ty) if n == 3 else (ty,) * n)) is not None:
                fns.append((fn, n))   # (invert has no float implementation, as on the CPU)
        vocab_jobs[ty] = fns
        jobs[f"scalar vocabulary {ty} ({len(fns)} functions)"] = vocab_kernel(fns, ty)
    # the shared lowering check (this file runs as a script here: put the repo on the path)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tests.test_cuda_harness import lower_for_sm90 as compile_one

    results = {}
    for name, (kernel, argtypes) in jobs.items():
        try:
            results[name] = compile_one(kernel, argtypes)
        except BaseException:
            results[name] = traceback.format_exc()
    for ty, fns in vocab_jobs.items():
        name = f"scalar vocabulary {ty} ({len(fns)} functions)"
        if results[name] in ("ptx", "llvm"):
            continue
        for fn, n in fns:   # localise the failure
            try:
                compile_one(*vocab_kernel([(fn, n)], ty))
            except BaseException:
                results[f"scalar.{fn.__name__} {ty}"] = traceback.format_exc()
    return results


# ------------------------------------------------------------- pytest side
def _in_process():
    """Can the checks run in this process (already on the simulator, or asked
    to use a real device)?"""
    if os.environ.get("NBGRAD_CUDA_TESTS") == "device":
        return True
    if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
        return False
    if "numba" in sys.modules:
        import numba
        return bool(numba.config.ENABLE_CUDASIM)
    return True


def _child(flag, sim):
    env = dict(os.environ)
    env["NUMBA_ENABLE_CUDASIM"] = "1" if sim else "0"
    # the child must import the same nbgrad as this process
    spec = importlib.util.find_spec("nbgrad")
    root = os.path.dirname(os.path.dirname(spec.origin))
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    proc = subprocess.run([sys.executable, _HERE, flag], env=env, capture_output=True,
                          text=True, timeout=900)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        pytest.fail(f"the CUDA check process failed (exit {proc.returncode}):\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return json.loads(lines[-1])


@pytest.fixture(scope="module")
def results():
    if _in_process():
        return _run_checks(CHECKS)
    return _child("--checks", sim=True)


def _make_test(name):
    @needs_numba_cuda
    def test(results):
        if results[name] is not None:
            pytest.fail(results[name], pytrace=False)
    test.__name__ = "test_" + name[len("check_"):]
    test.__doc__ = globals()[name].__doc__
    return test


for _name in CHECKS:
    globals()["test_" + _name[len("check_"):]] = _make_test(_name)
del _name


@needs_numba_cuda
def test_kernels_compile_for_the_real_target():
    """Every kernel types and lowers for compute capability 9.0 (PTX if NVVM is installed)."""
    got = _child("--lower", sim=False)   # the child turns the simulator off for itself
    if "_skipped" in got:
        pytest.skip(got["_skipped"])
    failed = {k: v for k, v in got.items() if v not in ("ptx", "llvm")}
    assert not failed, "\n\n".join(f"{k}:\n{v}" for k, v in failed.items())


def test_nbgrad_cuda_without_numba_cuda():
    """nbgrad.cuda imports and reports no device when numba-cuda cannot be imported."""
    code = ("import sys\n"
            "for m in ('numba_cuda', 'numba.cuda'):\n"
            "    sys.modules[m] = None\n"
            "import nbgrad.cuda as c\n"
            "assert c.is_available() is False and c.device_count() == 0\n"
            "assert not c.is_simulator()\n"
            "try:\n"
            "    c.current_device()\n"
            "except RuntimeError as e:\n"
            "    assert 'numba-cuda' in str(e), e\n"
            "else:\n"
            "    raise AssertionError('current_device() without CUDA')\n"
            "print('ok')\n")
    spec = importlib.util.find_spec("nbgrad")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(os.path.dirname(spec.origin))] + [p for p in [env.get("PYTHONPATH")]
                                                            if p])
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]


if __name__ == "__main__":
    if sys.argv[1:] == ["--lower"]:
        print(json.dumps(_lower_all()))
    else:
        print(json.dumps(_run_checks(CHECKS)))
