"""nbgrad's speed in a process that also imports PyTorch, against nbgrad alone.

    python asv_benchmarks/torch_coexist.py                 # 6 rounds, ratios printed
    python asv_benchmarks/torch_coexist.py --rounds 12 --json
    python asv_benchmarks/torch_coexist.py --child-env NBGRAD_OPENMP_DEEPBIND=0

Each configuration is a separate process (so "alone" never saw torch):
- ``alone``: ``import nbgrad`` only;
- ``torch_first``: ``import torch`` then ``import nbgrad``;
- ``nbgrad_first``: ``import nbgrad`` then ``import torch``.
Every process times the same workloads (the MLP step, the tutorial step on
2x2 and on 1,000,000 elements: forward + backward each) call by call, in
interleaved blocks; the parent starts the configurations in turn, round after
round, so that load from other processes falls on all of them alike.  It
prints, per workload and configuration, the median of all calls and that of
quiet blocks (the lower quartile of the blocks' medians), each with its ratio
to ``alone``.  The target (docs/performance.md) is every ratio within 1.1.
``--child-env`` sets variables in the measured processes, e.g.
``NBGRAD_OPENMP_DEEPBIND=0`` shows the slowdown nbgrad's binding of Numba's
OpenMP layer removes (`nbgrad.backends.cpu.threads`).  The exit status is 0
whether or not the target is met; torch must be importable here.
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
CONFIGS = ("alone", "torch_first", "nbgrad_first")
WORKLOADS = ("mlp", "tutorial_2x2", "tutorial_1M")
# the MLP: x (BATCH x IN) @ W1 + b1 -> relu -> @ W2 + b2 -> cross_entropy
BATCH, IN, HIDDEN, CLASSES = 256, 512, 128, 10


def mlp_step():
    """One forward + backward of a small float32 MLP written with nbgrad ops.

    The gradients accumulate from call to call (no ``zero_grad``), so the
    weight gradient's accumulation (512 x 128 elements) takes the parallel
    path, as in a training loop that steps the optimizer every few batches."""
    import numpy as np

    import nbgrad as nb
    import nbgrad.nn.functional as F
    rng = np.random.default_rng(0)
    x = nb.tensor(rng.standard_normal((BATCH, IN), dtype=np.float32))
    w1 = nb.tensor(rng.standard_normal((IN, HIDDEN), dtype=np.float32) * 0.05,
                   requires_grad=True)
    b1 = nb.zeros(HIDDEN, requires_grad=True)
    w2 = nb.tensor(rng.standard_normal((HIDDEN, CLASSES), dtype=np.float32) * 0.05,
                   requires_grad=True)
    b2 = nb.zeros(CLASSES, requires_grad=True)
    target = nb.tensor(rng.integers(0, CLASSES, BATCH))

    def step():
        loss = F.cross_entropy((x @ w1 + b1).relu() @ w2 + b2, target)
        loss.backward()
        return loss
    return step


def workload(name):
    """The zero-argument callable of workload `name` (nbgrad imported by now)."""
    if __package__:
        from . import cases
    else:   # run as a script: find the package, after any installed nbgrad
        if _ROOT not in sys.path:
            sys.path.append(_ROOT)
        from asv_benchmarks import cases
    if name == "mlp":
        return mlp_step()
    return cases.nbgrad_tutorial_step(cases.TUTORIAL_SHAPES[name.split("_")[1]])


def import_in_order(config):
    """Import torch and nbgrad in the order `config` names."""
    if config == "torch_first":
        import torch
    import nbgrad  # noqa: F401
    if config == "nbgrad_first":
        import torch  # noqa: F401


def sample(fns, blocks, block_time):
    """{name: {"wall": [seconds per call], "blocks": [median of each block]}}:
    each callable timed call by call for about `block_time` seconds (a
    block), the callables in turn, `blocks` times."""
    out = {name: {"wall": [], "blocks": []} for name in fns}
    for fn in fns.values():
        for _ in range(3):
            fn()   # compile or load kernels, fill the allocator's free lists
    for _ in range(blocks):
        for name, fn in fns.items():
            wall = out[name]["wall"]
            n0 = len(wall)
            end = time.perf_counter() + block_time
            while True:
                t0 = time.perf_counter()
                fn()
                t1 = time.perf_counter()
                wall.append(t1 - t0)
                if t1 > end:
                    break
            out[name]["blocks"].append(statistics.median(wall[n0:]))
    return out


def child(config, blocks, block_time):
    """Run in a fresh process: print JSON {workload: [seconds...], "_info": {...}}."""
    import_in_order(config)
    from nbgrad.backends.cpu import threads
    out = sample({name: workload(name) for name in WORKLOADS}, blocks, block_time)
    out["_info"] = threads.describe()
    print(json.dumps(out))


def run_child(config, blocks, block_time, child_env=()):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", config,
           "--blocks", str(blocks), "--block-time", str(block_time)]
    env = dict(os.environ)
    env.update(kv.split("=", 1) for kv in child_env)
    # the children time the nbgrad this process would import (under asv: the
    # one built for the commit), not necessarily the working tree's
    spec = importlib.util.find_spec("nbgrad")
    paths = [os.path.dirname(os.path.dirname(spec.origin))] if spec and spec.origin else []
    env["PYTHONPATH"] = os.pathsep.join(paths + [_ROOT, env.get("PYTHONPATH", "")])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the {config} process failed ({proc.returncode}):\n"
                           f"{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


KINDS = {"wall": "median wall time per call, all calls of all processes",
         "quiet": "wall time per call in quiet blocks (lower quartile of the blocks' medians)"}


def _lower_quartile(values):
    return statistics.quantiles(values, n=4)[0] if len(values) > 1 else values[0]


def measure(rounds=6, blocks=5, block_time=0.1, configs=CONFIGS, child_env=()):
    """{config: {workload: {kind: seconds per call}}, "_info": {config: ...}}
    for each kind of `KINDS`, over `rounds` interleaved processes per
    configuration.  Load from other processes comes in bursts that can slow
    calls several-fold (a BLAS or OpenMP thread waiting for a core), so quiet
    blocks (the lower quartile of the block medians: a best of N that one
    lucky block does not decide) are shown beside the median of all calls."""
    pooled = {c: {w: {"wall": [], "quiet": []} for w in WORKLOADS} for c in configs}
    info = {}
    for _ in range(rounds):
        for c in configs:
            res = run_child(c, blocks, block_time, child_env)
            info[c] = res.pop("_info")
            for w, times in res.items():
                pooled[c][w]["wall"].extend(times["wall"])
                pooled[c][w]["quiet"].extend(times["blocks"])
    out = {c: {w: {k: (_lower_quartile(v) if k == "quiet" else statistics.median(v))
                   for k, v in kinds.items()}
               for w, kinds in pooled[c].items()} for c in configs}
    out["_info"] = info
    return out


def ratios(result, kind="wall"):
    """{config: {workload: time / time alone}} for `kind` (a key of `KINDS`)."""
    return {c: {w: result[c][w][kind] / result["alone"][w][kind] for w in WORKLOADS}
            for c in result if not c.startswith("_")}


def report(result):
    configs = [c for c in result if not c.startswith("_")]
    for kind, title in KINDS.items():
        r = ratios(result, kind)
        print(f"\n{title} (ratio to alone)")
        print(f"{'workload':>14}  " + "  ".join(f"{c:>22}" for c in configs))
        for w in WORKLOADS:
            cells = [f"{result[c][w][kind] * 1e3:9.3f} ms ({r[c][w]:4.2f})" for c in configs]
            print(f"{w:>14}  " + "  ".join(f"{s:>22}" for s in cells))
    worst = max(max(r.values()) for r in ratios(result, "quiet").values())
    print(f"\nworst wall ratio, quiet blocks: {worst:.2f} (target <= 1.1)\n")
    for c, info in result["_info"].items():
        print(f"{c}: {info}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--blocks", type=int, default=5)
    ap.add_argument("--block-time", type=float, default=0.1)
    ap.add_argument("--json", action="store_true", help="print the result as JSON too")
    ap.add_argument("--child-env", action="append", default=[], metavar="KEY=VALUE",
                    help="set in every measured process (e.g. NBGRAD_OPENMP_DEEPBIND=0 "
                         "to see the slowdown without nbgrad's fix)")
    ap.add_argument("--child", choices=CONFIGS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.blocks, args.block_time)
        return
    load = os.getloadavg()[0]
    result = measure(args.rounds, args.blocks, args.block_time, child_env=args.child_env)
    print(f"load average (1 min) before / after: {load:.2f} / {os.getloadavg()[0]:.2f}"
          f"; {os.cpu_count()} CPUs; child env: {args.child_env or 'none'}")
    report(result)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
