"""One script for a machine with an NVIDIA GPU: time the tutorial step there and
print a table, then run nbgrad's CUDA tests on it (under 5 minutes in all).

The timings come first: they need a handful of kernels, while the tests
compile a kernel family per op on a fresh machine, so a device session that
runs short still gets the table. `--tests-timeout` bounds the tests.

    python asv_benchmarks/gpu_check.py               # tests (quick subset) + timings
    python asv_benchmarks/gpu_check.py --tests full  # every sample of the op database
    python asv_benchmarks/gpu_check.py --jobs 8      # op-database tests in 8 processes
    python asv_benchmarks/gpu_check.py --tests none  # timings only
    python asv_benchmarks/gpu_check.py --dry-run     # no GPU: the simulator, tiny sizes
    python asv_benchmarks/gpu_check.py --breakdown --sweep --profile --log $OUT/tests.log
                                                     # everything, the tests' output kept

What it measures, for the tutorial step ``out = ((x + 2) * (x + 2) * 3).mean();
out.backward()`` on x of 2**26 float32 elements and on a 4-element tensor:
- the median time of a step (forward + backward, ``nb.cuda.synchronize()``
  inside the timed region) after warm-up, nbgrad's and PyTorch's samples
  taken in turn (and their min / median / max printed);
- launches per step (the backend's launch counter);
- the bandwidth bound: the bytes the step's kernels touch (the sum of the
  sizes of the device arrays passed to each launch, read or written) divided
  by the device-to-device copy bandwidth measured here, and how far the
  measured time is from it;
- PyTorch's eager step on the same GPU, when torch is importable.
Copy the printed table into docs/gpu.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tests", choices=("quick", "full", "none"), default="quick",
                   help="which CUDA tests to run first (default: each op's first sample)")
    p.add_argument("--dry-run", action="store_true",
                   help="no GPU needed: numba's CUDA simulator and tiny sizes")
    p.add_argument("--reps", type=int, default=20, help="timed steps per size")
    p.add_argument("--breakdown", action="store_true",
                   help="also time each launch of the big step alone (synchronised)")
    p.add_argument("--profile", action="store_true",
                   help="also cProfile the small step (host overhead per function)")
    p.add_argument("--sweep", action="store_true",
                   help="also time the big step for other launch settings (elements per "
                        "thread per loop step, blocks per multiprocessor)")
    p.add_argument("--log", metavar="FILE",
                   help="write the tests' whole pytest output here (failures in full)")
    p.add_argument("--jobs", type=int, default=None,
                   help="op-database test processes run at once (default: half the "
                        "CPU cores, at most 8; 1 with --dry-run)")
    p.add_argument("--tests-timeout", type=float, default=200,
                   help="seconds the tests may take (default 200); then they are stopped "
                        "and what passed so far is reported")
    return p.parse_args()


def run_tests(mode, dry, timeout, log=None, jobs=1):
    """pytest on the CUDA test files, on the GPU unless dry, all of them (no -x: a
    device run should show every failure), in `jobs` + 1 processes at once: one
    for the backend and tensor files, `jobs` for shards of the op database
    (NBGRAD_CUDA_SHARD), so that a fresh machine compiles kernels on that many
    cores.  The whole output goes to `log` if given.
    Returns (0 when all passed, 1 when some failed, None when stopped at
    `timeout`; the summary; seconds)."""
    env = dict(os.environ)
    if dry:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    else:
        env["NBGRAD_CUDA_TESTS"] = "device"   # the checks run in-process, on the GPU
    if mode == "full":
        env["NBGRAD_CUDA_FULL"] = "1"
    runs = [(["tests/test_cuda_backend.py", "tests/test_cuda_tensor.py"], None)]
    runs += [(["tests/test_cuda_ops.py"], f"{k}/{jobs}") for k in range(jobs)]
    t = time.perf_counter()
    procs = []
    for files, shard in runs:
        e = dict(env)
        if shard:
            e["NBGRAD_CUDA_SHARD"] = shard
        procs.append(subprocess.Popen(
            [sys.executable, "-u", "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider",
             *files], cwd=ROOT, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True))
    outs, stopped = [], False
    for proc in procs:
        left = max(1.0, timeout - (time.perf_counter() - t))
        try:
            outs.append(proc.communicate(timeout=left)[0])
        except subprocess.TimeoutExpired:
            proc.kill()
            outs.append(proc.communicate()[0])
            stopped = True
    seconds = time.perf_counter() - t
    if log:
        with open(log, "w") as f:
            for (files, shard), out in zip(runs, outs):
                f.write(f"==== {' '.join(files)}" + (f" shard {shard}" if shard else "") + "\n")
                f.write(out)
    counts = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
    for out in outs:
        for line in out.splitlines():
            if line.startswith("FAILED ") or line.startswith("ERROR "):
                print(line)
        last = out.strip().splitlines()[-1:] if out.strip() else []
        for word in counts:
            for part in (last[0].split(",") if last else []):
                part = part.strip()
                if part.split(" ")[1:2] in ([word], [word + "s"]):
                    counts[word] += int(part.split(" ")[0])
    dots = sum(o.count(".") for o in outs) if stopped else None
    # each shard skips the other shards' entries: those skips are expected
    summary = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    if stopped:
        return None, f"stopped after {timeout:.0f} s ({summary or f'~{dots} dots'} in " \
                     f"the processes that finished)", seconds
    ok = all(p.returncode == 0 for p in procs)
    return (0 if ok else 1), f"{summary} in {len(procs)} processes", seconds


def _interleaved_medians(cases, reps):
    """Median seconds of each (fn, sync) in `cases`, their samples taken in turn
    (one of each per round), so that a slow spell of the host hits all alike."""
    times = [[] for _ in cases]
    for fn, sync in cases:
        fn()
        sync()
    for _ in range(reps):
        for i, (fn, sync) in enumerate(cases):
            sync()
            t = time.perf_counter()
            fn()
            sync()
            times[i].append(time.perf_counter() - t)
    return [statistics.median(ts) for ts in times], times


def _median_time(fn, reps, sync):
    fn()
    sync()
    times = []
    for _ in range(reps):
        sync()
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


class Traffic:
    """Counts launches and the bytes of the device arrays passed to them."""

    def __init__(self, launch, nc):
        self.launch, self.nc = launch, nc
        self.bytes = 0
        self._orig = launch.launch_grid

        def counted(kernel, grid, block, *args):
            for a in args:
                if nc.is_device_array(a):
                    self.bytes += a.size * a.dtype.itemsize
            return self._orig(kernel, grid, block, *args)

        launch.launch_grid = counted

    def measure(self, fn):
        self.bytes = 0
        self.launch.reset_launch_count()
        fn()
        return self.launch.launch_count(), self.bytes


def breakdown(launch, nc, step, sync, reps=5):
    """Each launch of `step`: the kernel's name, the bytes of its device arrays,
    the device time between CUDA events recorded around it (the kernel alone),
    and the host time of the launch call (Python and the driver)."""
    orig = launch.launch_grid
    rows = []

    def timed(kernel, grid, block, *args):
        nbytes = sum(a.size * a.dtype.itemsize for a in args if nc.is_device_array(a))
        e0, e1 = nc.cuda.event(), nc.cuda.event()
        e0.record()
        t = time.perf_counter()
        orig(kernel, grid, block, *args)
        host = time.perf_counter() - t
        e1.record()
        rows.append((getattr(kernel, "__name__", type(kernel).__name__), grid, block, nbytes,
                     e0, e1, host))
    launch.launch_grid = timed
    try:
        step()
        runs = []
        for _ in range(reps):
            rows.clear()
            step()
            sync()
            runs.append([(r[:4] + (_elapsed(nc, r[4], r[5]), r[6])) for r in rows])
    finally:
        launch.launch_grid = orig
    print("\n| launch | kernel | grid x block | bytes | device µs | GB/s | host µs |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    dev = host = 0.0
    for i, row in enumerate(runs[0]):
        t = statistics.median(r[i][4] for r in runs)
        h = statistics.median(r[i][5] for r in runs)
        dev += t
        host += h
        name, grid, block, nbytes = row[:4]
        print(f"| {i} | {name} | {grid} x {block} | {nbytes} | {t * 1e6:.1f} | "
              f"{nbytes / max(t, 1e-9) / 1e9:.0f} | {h * 1e6:.1f} |")
    print(f"sums: device {dev * 1e6:.1f} µs, host launch calls {host * 1e6:.1f} µs")


def _elapsed(nc, e0, e1):
    """Seconds between two recorded CUDA events (0 on the simulator, which has none)."""
    if not hasattr(nc.cuda, "event_elapsed_time"):
        return 0.0
    return nc.cuda.event_elapsed_time(e0, e1) / 1e3


def profile_step(step, sync, reps=200, top=30):
    """cProfile of `reps` small steps: where the host time goes."""
    import cProfile
    import io
    import pstats
    step()
    sync()
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(reps):
        step()
    sync()
    pr.disable()
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(top)
    print(f"\ncProfile of {reps} small steps, by own time:")
    print("\n".join(line for line in buf.getvalue().splitlines() if line.strip())[:6000])


def sweep(nb, launch, n, reps, sync):
    """The big step's median time for each (UNROLL, blocks per SM) setting; the
    defaults are restored afterwards."""
    from nbgrad.backends.cuda import _numba_cuda as nc
    from nbgrad.backends.cuda import elementwise as ew
    saved_unroll, saved_cap = ew.UNROLL, launch.max_blocks()
    sms = max(1, nc.sm_count()) if not nb.cuda.is_simulator() else 1
    print("\n| UNROLL | blocks per SM | step (µs) |")
    print("| --- | --- | --- |")
    try:
        for per_sm in (8, 32):
            for unroll in (1, 2, 4):
                ew.UNROLL = unroll
                launch._max_blocks[:] = [per_sm * sms]
                launch._configured.clear()
                step = tutorial_step(nb, n)
                t = _median_time(step, reps, sync)
                print(f"| {unroll} | {per_sm} | {t * 1e6:.1f} |", flush=True)
    finally:
        ew.UNROLL = saved_unroll
        launch._max_blocks[:] = [saved_cap]
        launch._configured.clear()


def interop_check(nb):
    """Zero-copy round trips with PyTorch and CuPy where they are installed."""
    lines = []
    try:
        import torch
        if torch.cuda.is_available():
            tt = torch.arange(6, dtype=torch.float32, device="cuda")
            t = nb.as_tensor(tt)
            shared = t.__cuda_array_interface__["data"][0] == tt.data_ptr()
            tt.add_(1)
            seen = t.cpu().tolist() == [1, 2, 3, 4, 5, 6]
            back = torch.as_tensor(t.detach(), device="cuda")
            d = nb.from_dlpack(torch.ones(3, device="cuda"))
            lines.append(f"torch -> nbgrad shares memory: {shared}, sees writes: {seen}; "
                         f"nbgrad -> torch shares memory: {back.data_ptr() == tt.data_ptr()}; "
                         f"from_dlpack(torch cuda) device: {d.device}")
    except Exception as e:   # report, do not stop the script
        lines.append(f"torch interop FAILED: {type(e).__name__}: {e}")
    try:
        import cupy
        c = cupy.arange(4, dtype=cupy.float32)
        t = nb.as_tensor(c)
        c += 1
        lines.append(f"cupy -> nbgrad shares memory: "
                     f"{t.__cuda_array_interface__['data'][0] == c.data.ptr}, "
                     f"sees writes: {t.cpu().tolist() == [1, 2, 3, 4]}; nbgrad -> cupy: "
                     f"{cupy.asarray(t).data.ptr == c.data.ptr}")
    except ImportError:
        pass
    except Exception as e:
        lines.append(f"cupy interop FAILED: {type(e).__name__}: {e}")
    return lines


def copy_bandwidth(nb, n, reps, sync):
    """Device-to-device copy bandwidth in bytes/s (read + write): the best of
    nbgrad's copy kernel (``clone``), numba's memcpy and PyTorch's ``copy_``."""
    x = nb.ones(n, device="cuda")
    best = [("nbgrad clone", 2 * n * 4 / _median_time(x.clone, reps, sync))]
    src, dst = x._data, nb.zeros(n, device="cuda")._data
    best.append(("numba memcpy",
                 2 * n * 4 / _median_time(lambda: dst.copy_to_device(src), reps, sync)))
    try:
        import torch
        if torch.cuda.is_available():
            a = torch.ones(n, device="cuda")
            b = torch.empty_like(a)
            best.append(("torch copy_", 2 * n * 4 / _median_time(lambda: b.copy_(a), reps,
                                                                  torch.cuda.synchronize)))
    except ImportError:
        pass
    print("copy bandwidth: " + ", ".join(f"{k} {v / 1e9:.0f} GB/s" for k, v in best))
    return max(v for _, v in best)


def tutorial_step(nb, n):
    x = nb.ones(n, device="cuda", requires_grad=True)

    def step():
        x.grad = None
        out = ((x + 2) * (x + 2) * 3).mean()
        out.backward()
    return step


def torch_step(n):
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    x = torch.ones(n, device="cuda", requires_grad=True)

    def step():
        x.grad = None
        out = ((x + 2) * (x + 2) * 3).mean()
        out.backward()
    return step, torch.cuda.synchronize


def main():
    args = _args()
    if args.dry_run:
        os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
    sys.path.insert(0, ROOT)
    rows = []
    import numba

    import nbgrad as nb
    if not nb.cuda.is_available():
        print("no CUDA device (and not --dry-run): nothing to time")
        return 1
    from nbgrad.backends.cuda import _numba_cuda as nc
    from nbgrad.backends.cuda import launch
    if nb.cuda.is_simulator():
        sys.path.insert(0, ROOT)
        from tests.test_cuda_harness import install
        install()
    sizes = [2 ** 10, 4] if args.dry_run else [2 ** 26, 4]
    reps = 2 if args.dry_run else args.reps
    sync = nb.cuda.synchronize
    traffic = Traffic(launch, nc)
    bw = copy_bandwidth(nb, sizes[0], reps, sync)
    spreads = []
    for n in sizes:
        step = tutorial_step(nb, n)
        launches, nbytes = traffic.measure(step)
        bound = nbytes / bw
        ts = torch_step(n)
        cases = [(step, sync)] + ([ts] if ts else [])
        medians, samples = _interleaved_medians(cases, reps)
        t, t_torch = medians[0], (medians[1] if ts else None)
        rows.append((n, t, launches, nbytes, bound, t_torch))
        spreads.append((n, samples))
    device = nb.cuda.get_device_name()
    print(f"\nGPU: {device}  numba-cuda: {'.'.join(map(str, nc.NUMBA_CUDA_VERSION or ()))}  "
          f"numba: {numba.__version__}  copy bandwidth: {bw / 1e9:.1f} GB/s"
          + ("  (SIMULATOR: these numbers mean nothing)" if nb.cuda.is_simulator() else ""))
    print("| tutorial step | nbgrad (µs) | launches | bytes touched | bandwidth bound (µs) "
          "| nbgrad / bound | PyTorch eager (µs) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for n, t, launches, nbytes, bound, t_torch in rows:
        torch_txt = f"{t_torch * 1e6:.1f}" if t_torch is not None else "n/a"
        print(f"| {n} float32 | {t * 1e6:.1f} | {launches} | {nbytes} | {bound * 1e6:.1f} | "
              f"{t / bound:.1f}x | {torch_txt} |", flush=True)
    for n, samples in spreads:
        names = ["nbgrad", "PyTorch"]
        print(f"{n} float32, samples (interleaved, min / median / max µs): " + "; ".join(
            f"{names[i]} {min(x) * 1e6:.0f} / {statistics.median(x) * 1e6:.0f} / "
            f"{max(x) * 1e6:.0f}" for i, x in enumerate(samples)))
    if args.breakdown:
        breakdown(launch, nc, tutorial_step(nb, sizes[0]), sync)
    if args.sweep:
        sweep(nb, launch, sizes[0], reps, sync)
    if args.profile:
        profile_step(tutorial_step(nb, sizes[1]), sync)
    if not nb.cuda.is_simulator():
        for line in interop_check(nb):
            print("interop:", line)
    if args.tests != "none":
        jobs = args.jobs or (1 if args.dry_run else max(1, min(8, (os.cpu_count() or 2) // 2)))
        code, summary, secs = run_tests(args.tests, args.dry_run, args.tests_timeout, args.log,
                                        jobs)
        print(f"\nCUDA tests ({args.tests}): {summary}  [{secs:.0f} s, exit {code}]")
        if code != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
