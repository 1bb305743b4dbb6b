"""The eager small-op costs of notebook code, nbgrad against PyTorch (issue 14).

    python asv_benchmarks/eager_small_ops.py             # about a minute on 2 cores
    python asv_benchmarks/eager_small_ops.py --quick     # fewer samples
    python asv_benchmarks/eager_small_ops.py --only index_add,index_read

Each workload is one line of notebook code run many times in a loop, written
once against a ``torch``-like module (so PyTorch and nbgrad run the same code):
``N[i, j] += 1`` counting bigrams, ``x[i]`` and ``x[i, j]`` with Python ints (recorded too), a
tensor times a Python number (with and without a gradient to record),
``torch.tensor(...)`` of a Python number or a short list, and an optimizer's
in-place update of a 512-element parameter under no_grad.  Times are per line.

Columns: PyTorch in its own process (a worker that imports torch only),
PyTorch in nbgrad's process, and nbgrad; the samples of all three taken in
turn, round after round (`compile_ratio`'s scheme), each cell the best of its
samples.  The ratio is nbgrad over the faster PyTorch column; the target is
at most 1.5 (docs/performance.md).  Without torch the PyTorch columns are "-".
The exit status is 0 whether or not the target is met.  asv times the same
workloads in `bench_eager.py`.
"""

import argparse
import json
import os
import subprocess
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from asv_benchmarks.ratios import fmt_time, interleaved_best  # noqa: E402

TARGET = 1.5
LOOP = 200   # lines per call of a workload: the per-line time is call time / LOOP


def _pairs():
    """LOOP (i, j) pairs of Python ints below 27, fixed (the bigram indices)."""
    return [((7 * k) % 27, (11 * k + 3) % 27) for k in range(LOOP)]


def index_add(torch):
    N = torch.zeros((27, 27), dtype=torch.int32)
    pairs = _pairs()

    def run():
        for i, j in pairs:
            N[i, j] += 1
    return run


def index_read(torch):
    x = torch.arange(27.)
    idx = [i for i, _ in _pairs()]

    def run():
        for i in idx:
            x[i]
    return run


def index_read_2d(torch):
    P = torch.rand(27, 27)
    pairs = _pairs()

    def run():
        for i, j in pairs:
            P[i, j]
    return run


def index_read_grad(torch):
    w = torch.rand(27, requires_grad=True)
    idx = [i for i, _ in _pairs()]

    def run():
        for i in idx:
            w[i]
    return run


def scalar_mul(torch):
    x = torch.rand(27)

    def run():
        for _ in range(LOOP):
            x * 2.0
    return run


def scalar_mul_grad(torch):
    w = torch.rand(27, requires_grad=True)

    def run():
        for _ in range(LOOP):
            w * 2.0
    return run


def scalar_0d_arith(torch):
    a = torch.tensor(1.5)

    def run():
        for _ in range(LOOP):
            (a + 1) * 0.5
    return run


def tensor_from_number(torch):
    def run():
        for k in range(LOOP):
            torch.tensor(k * 0.5)
    return run


def tensor_from_list(torch):
    def run():
        for k in range(LOOP):
            torch.tensor([k, 1.0, 2.0])
    return run


def _update(step):
    """A workload: ``step(p, g)`` under no_grad on a 512-element parameter `p`
    (requires grad) and its gradient `g`, an optimizer's in-place update."""
    def workload(torch):
        p = torch.rand(512, requires_grad=True)
        g = torch.rand(512)

        def run():
            with torch.no_grad():
                for _ in range(LOOP):
                    step(p, g)
        return run
    return workload


# `p -= ...` in a closure would rebind p: the operator's method instead
sgd_update = _update(lambda p, g: p.__isub__(0.01 * g))
add_alpha_update = _update(lambda p, g: p.add_(g, alpha=-0.01))   # PyTorch's optimizers' form


WORKLOADS = {"index_add": ("N[i, j] += 1", index_add),
             "index_read": ("x[i]", index_read),
             "index_read_2d": ("P[i, j]", index_read_2d),
             "index_read_grad": ("w[i] (w requires grad)", index_read_grad),
             "scalar_mul": ("x * 2.0", scalar_mul),
             "scalar_mul_grad": ("w * 2.0 (w requires grad)", scalar_mul_grad),
             "scalar_0d_arith": ("(a + 1) * 0.5 on 0-d", scalar_0d_arith),
             "tensor_from_number": ("torch.tensor(k * 0.5)", tensor_from_number),
             "tensor_from_list": ("torch.tensor([k, 1.0, 2.0])", tensor_from_list),
             "sgd_update": ("p -= 0.01 * g (512, no_grad)", sgd_update),
             "add_alpha_update": ("p.add_(g, alpha=-0.01) (512)", add_alpha_update)}


def _sampling(quick):
    return (3, 0.01) if quick else (7, 0.02)


def torch_worker(keys, quick):
    """(run with --torch-worker) JSON {workload: best seconds per line} for PyTorch, one
    sample per workload a round, as many rounds as the parent asks for."""
    import torch
    runs = [WORKLOADS[k][1](torch) for k in keys]
    best = interleaved_best(runs, *_sampling(quick))
    print(json.dumps({k: b / LOOP for k, b in zip(keys, best)}))


def torch_own_process(keys, quick):
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker", "--only", ",".join(keys)]
    cmd += ["--quick"] if quick else []
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"PyTorch worker failed: {proc.stderr.strip().splitlines()[-1:]}")
        return {}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(keys, quick, rounds):
    """{column: {workload: best seconds per line}}, the columns sampled in turn per round."""
    import nbgrad
    try:
        import torch
    except ImportError:
        torch = None
    best = {"torch_own": {}, "torch_here": {}, "nbgrad": {}}
    for _ in range(rounds):
        own = torch_own_process(keys, quick) if torch is not None else {}
        runs = [WORKLOADS[k][1](nbgrad) for k in keys]
        runs += [WORKLOADS[k][1](torch) for k in keys] if torch is not None else []
        times = [t / LOOP for t in interleaved_best(runs, *_sampling(quick))]
        for i, k in enumerate(keys):
            _keep(best["nbgrad"], k, times[i])
            if torch is not None:
                _keep(best["torch_here"], k, times[len(keys) + i])
                _keep(best["torch_own"], k, own.get(k))
    return best


def _keep(cells, key, seconds):
    if seconds is not None:
        cells[key] = min(cells.get(key, float("inf")), seconds)


def ratio(best, key):
    """nbgrad's time over the faster PyTorch column, or None without torch."""
    torch_times = [best[c][key] for c in ("torch_own", "torch_here") if key in best[c]]
    return best["nbgrad"][key] / min(torch_times) if torch_times else None


def report(best, keys):
    print(f"{'workload':<34}{'torch own':>11}{'torch here':>12}{'nbgrad':>10}{'ratio':>8}")
    for k in keys:
        r = ratio(best, k)
        flag = "" if r is None else ("  ok" if r <= TARGET else f"  > {TARGET}")
        cells = [fmt_time(best[c].get(k)) for c in ("torch_own", "torch_here", "nbgrad")]
        print(f"{WORKLOADS[k][0]:<34}{cells[0]:>11}{cells[1]:>12}{cells[2]:>10}"
              f"{'-' if r is None else f'{r:.2f}':>8}{flag}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default=",".join(WORKLOADS))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    keys = [k for k in args.only.split(",") if k]
    if args.torch_worker:
        return torch_worker(keys, args.quick)
    report(measure(keys, args.quick, 1 if args.quick else args.rounds), keys)


if __name__ == "__main__":
    main()
