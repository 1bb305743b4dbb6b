"""Time the same workloads in two checkouts of nbgrad, interleaved: before/after
ratios of a change measured in one run on one machine.

    git worktree add /tmp/before <commit>
    python asv_benchmarks/compare_trees.py /tmp/before .        # ratio = after / before
    python asv_benchmarks/compare_trees.py /tmp/before . --only scalar tutorial

Each round starts one process per tree, in turn; a process times every
workload (median of its samples, kernels compiled before timing).  The
medians over rounds and their ratio are printed.  Load from other processes
falls on both trees alike; compare ratios, not absolute times.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

_CHILD = r"""
import json, sys, time
import nbgrad as nb

def tutorial(shape):
    def step():
        x = nb.ones(*shape, requires_grad=True)
        ((x + 2) * (x + 2) * 3).mean().backward()
    return step

def chain():
    x = nb.ones(2, 2, requires_grad=True)
    y = x
    for _ in range(50):
        y = y * 1.01 + 0.5
    y.sum().backward()

big = nb.rand(1_000_000)
def elementwise(name):
    f = getattr(nb, name)
    return lambda: f(big)

def reduction(name):
    f = getattr(nb, name)
    return lambda: f(big)

table = nb.rand(1000, 64, requires_grad=True)
rows = nb.randint(0, 1000, (256,))
def index_grad():   # advanced indexing's backward: an accumulating put
    table[rows].sum().backward()

cols = nb.randint(0, 512, (64, 512))
def scatter_add():
    nb.zeros(64, 512).scatter_add_(1, cols, big[:64 * 512].reshape(64, 512))

logits = nb.randn(256, 10, requires_grad=True)
classes = nb.randint(0, 10, (256,))
def cross_entropy():   # log_softmax forward and backward
    nb.nn.functional.cross_entropy(logits, classes).backward()

z = nb.randn(100_000, requires_grad=True)
def bce_logits():
    nb.nn.functional.binary_cross_entropy_with_logits(z, big[:100_000]).backward()

from asv_benchmarks.scalar_graph import make_inputs, step as graph_step
xs = make_inputs(nb)
def scalar_graph():   # issue 12's graph of 0-d tensors, 300 of its 1,428 rounds
    graph_step(nb, xs, rounds=300)

work = {"scalar graph 2.1k ops": scalar_graph,
        "tutorial 2x2": tutorial((2, 2)), "tutorial 1M": tutorial((1_000_000,)),
        "chain 100 ops": chain, "exp 1M": elementwise("exp"), "sigmoid 1M": elementwise("sigmoid"),
        "sum 1M": reduction("sum"), "var 1M": reduction("var"), "amax 1M": reduction("amax"),
        "index grad": index_grad, "scatter_add": scatter_add, "cross_entropy": cross_entropy,
        "bce_logits 100k": bce_logits}
only = sys.argv[1:]
out = {}
for name, f in work.items():
    if only and not any(name.startswith(o) for o in only):
        continue
    f(); f()
    samples = []
    reps = 20 if "1M" in name or "100k" in name else 3 if "graph" in name else 200
    for _ in range(15):
        t = time.perf_counter()
        for _ in range(reps):
            f()
        samples.append((time.perf_counter() - t) / reps)
    samples.sort()
    out[name] = samples[len(samples) // 2]
print(json.dumps(out))
"""


def _run(tree, only):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    res = subprocess.run([sys.executable, "-c", _CHILD, *only], env=env,
                         cwd=os.path.abspath(tree),
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--only", nargs="*", default=[],
                   help="workloads whose names start with these words (default: all)")
    args = p.parse_args()
    runs = {"before": [], "after": []}
    for _ in range(args.rounds):
        runs["before"].append(_run(args.before, args.only))
        runs["after"].append(_run(args.after, args.only))
    print(f"{'workload':16s} {'before':>12s} {'after':>12s} {'after/before':>13s}")
    for name in runs["before"][0]:
        b = statistics.median(r[name] for r in runs["before"])
        a = statistics.median(r[name] for r in runs["after"])
        print(f"{name:16s} {b * 1e6:10.1f}us {a * 1e6:10.1f}us {a / b:13.2f}")


if __name__ == "__main__":
    main()
