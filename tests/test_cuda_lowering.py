"""The CUDA kernels of the integration (reductions, movement, nn) compile for a
real GPU: typed and lowered for compute capability 9.0 without one.

The simulator runs kernels as Python and would not catch code that numba-cuda
cannot compile; this child process turns the simulator off and compiles every
kernel of `nbgrad.backends.cuda.reduce` (the per-row ones), `.movement` and
`.nn` for the argument types the ops pass, to PTX when NVIDIA's NVVM is
installed, else to LLVM IR (as `tests/test_cuda_backend.py` does for the
backend's first kernels).  Skipped without numba-cuda.
"""

import json
import os
import sys
import traceback

import pytest

from tests.test_cuda_harness import lower_for_sm90, needs_numba_cuda, run_child


def _jobs():
    from numba.cuda import types as t

    from nbgrad.backends.cuda import _numba_cuda as nc
    from nbgrad.backends.cuda import movement, nn, reduce

    def arr(dt, nd, layout="A"):
        return t.Array(dt, nd, layout)

    f32, f64, i64, b1 = t.float32, t.float64, t.int64, t.boolean
    jobs = {}
    for dt in (f32, f64, i64, b1):
        # all/any are value reductions (int64 flag) over any input dtype
        allmod = reduce._module("all", "int64")
        jobs[f"all loop {dt}"] = (allmod.loop, [arr(dt, 3), arr(b1, 2), f64])
        jobs[f"all split {dt}"] = (allmod.split, [arr(dt, 3), arr(i64, 2), f64])
        jobs[f"triangle {dt}"] = (movement._triangle3, [arr(dt, 3), arr(dt, 3), i64, b1])
        jobs[f"gather {dt}"] = (movement._gather3, [arr(dt, 3), arr(i64, 3), arr(dt, 3)])
        jobs[f"write {dt}"] = (movement._write3, [arr(dt, 3), arr(i64, 3), arr(dt, 3), b1])
        jobs[f"take {dt}"] = (movement._take_rows, [arr(dt, 3), arr(i64, 1), arr(dt, 3)])
    for dt in (f32, f64):
        jobs[f"var {dt}"] = (reduce._var, [arr(dt, 3), arr(dt, 2), arr(dt, 2), f64, f64, b1])
        jobs[f"lse {dt}"] = (reduce._lse, [arr(dt, 3), arr(dt, 2), f64])
        jobs[f"scan {dt}"] = (reduce._scan, [arr(dt, 3), arr(dt, 3), f64, b1, b1])
        jobs[f"softmax {dt}"] = (nn._softmax, [arr(dt, 3), arr(dt, 3), b1])
        jobs[f"softmax_backward {dt}"] = (nn._softmax_backward, [arr(dt, 3)] * 3 + [b1])
        jobs[f"dropout {dt}"] = (nn._dropout, [arr(f64, 1, "C")] + [arr(dt, 1)] * 3 + [f64, f64])
        jobs[f"finish {dt}"] = (nn._finish, [arr(f64, 1, "C"), arr(dt, 1, "C"), f64])
        jobs[f"nll {dt}"] = (nn._nll, [arr(dt, 3), arr(i64, 2), arr(dt, 1), i64, arr(dt, 2),
                                       arr(f64, 1, "C"), arr(f64, 1, "C")])
        jobs[f"nll_backward {dt}"] = (nn._nll_backward, [arr(i64, 2), arr(dt, 1), i64,
                                                         arr(dt, 2), f64, arr(dt, 3)])
        flat = arr(dt, 1)
        vals = arr(f64, 1, "C")
        jobs[f"mse {dt}"] = (nn._mse, [flat, flat, vals, flat, b1])
        jobs[f"unit_bad {dt}"] = (nn._unit_bad, [flat, arr(i64, 1, "C")])
        jobs[f"bce {dt}"] = (nn._bce, [flat, flat, flat, vals, flat, b1, b1])
        jobs[f"bcel {dt}"] = (nn._bcel, [flat, flat, flat, flat, vals, flat, b1, b1, b1])
        jobs[f"bce_backward {dt}"] = (nn._bce_backward, [flat] * 4 + [f64, flat, flat])
        jobs[f"bcel_backward {dt}"] = (nn._bcel_backward, [flat] * 5 + [f64, flat, flat])
    jobs["scan int64"] = (reduce._scan, [arr(i64, 3), arr(i64, 3), i64, b1, b1])
    anymod = reduce._module("any", "int64")
    jobs["any block bool"] = (anymod.block, [arr(b1, 3), arr(b1, 2), f64])
    jobs["any finish"] = (anymod.finish, [arr(i64, 2), arr(b1, 2), f64])
    jobs["out_of_range"] = (movement._out_of_range, [arr(i64, 1), i64, arr(i64, 1, "C")])
    _ = nc
    return jobs


def lower_all():
    """{kernel: 'ptx' | 'llvm' | traceback} for every job (the simulator must be off)."""
    import types as pytypes

    from nbgrad.backends.cuda import _numba_cuda as nc
    assert not nc.SIMULATOR
    import numba.cuda.dispatcher as disp
    try:
        from numba.cuda.compiler import compile_cuda  # noqa: F401  (lower_for_sm90 needs it)
    except ImportError:
        return {"_skipped": "this numba-cuda has no compile_cuda"}
    if not hasattr(disp, "get_current_device"):
        return {"_skipped": "this numba-cuda has no dispatcher.get_current_device"}
    disp.get_current_device = lambda: pytypes.SimpleNamespace(compute_capability=(9, 0))

    out = {}
    for name, (kernel, argtypes) in _jobs().items():
        try:
            out[name] = lower_for_sm90(kernel, argtypes)
        except BaseException:
            out[name] = traceback.format_exc(limit=-4)
    return out


@needs_numba_cuda
def test_integration_kernels_compile_for_the_real_target():
    got = run_child(os.path.abspath(__file__), ["--lower"], sim=False, timeout=900)
    if "_skipped" in got:
        pytest.skip(got["_skipped"])
    failed = {k: v for k, v in got.items() if v not in ("ptx", "llvm")}
    assert not failed, "\n\n".join(f"{k}:\n{v}" for k, v in failed.items())


if __name__ == "__main__":
    print(json.dumps(lower_all()))
    sys.exit(0)
