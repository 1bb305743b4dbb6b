"""Print issue 12's table: PyTorch eager, nbgrad eager, the references and nb.compile.

    python asv_benchmarks/compile_ratio.py            # about 1-2 minutes on 2 cores
    python asv_benchmarks/compile_ratio.py --quick    # one round, fewer samples
    python asv_benchmarks/compile_ratio.py --only scalar,2x2

Rows (`compile_workloads`, the same code asv times): the scalar graph (9,998 ops
on 0-d float64, forward + ``autograd.grad``; shown per op), the tutorial step
on 2x2 and on 10,000,000 float32, the MLP training step.  Columns:

- PyTorch eager in its own process (this script started with --torch-worker:
  torch imported without nbgrad or numba) and in nbgrad's process;
- nbgrad eager;
- the reference: the C tape interpreter (``scalar_tape.c`` built with -O3) for
  the scalar graph, the hand-fused Numba kernels (`fused_reference`, gradient
  written into a preallocated array) for the tutorial step, none for the MLP;
- nbgrad compiled (when ``nbgrad.compile`` exists): ``nb.compile(step)``,
  replays timed after the first calls; the first call (recording + compiling,
  warm kernel cache) is printed too.

Timings are best-of-N (`ratios.interleaved_best`): the columns of a row sampled
in turn, in rounds; each round also runs the PyTorch worker process, and each
cell keeps its best over the rounds, so load from other processes hits all
alike.  Ratios use the faster of the two PyTorch columns.  Before timing, the
results are checked against each other (C tape vs PyTorch and nbgrad eager to
1e-12, compiled vs eager); the script runs without torch (its columns are "-").
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from asv_benchmarks import compile_workloads as cw
from asv_benchmarks import scalar_graph
from asv_benchmarks.ratios import fmt_ratio as ratio
from asv_benchmarks.ratios import fmt_time, interleaved_best, timer

ROWS = {"scalar": "scalar graph, per op", "2x2": "tutorial 2x2",
        "10M": "tutorial 10M float32", "mlp": "MLP train step",
        "mlp_optim": "MLP step, optim.SGD", "mlp_module": "MLP, compile(model)",
        "makemore": "makemore step (randint)"}
# (samples per round, seconds per sample at least) for each row
SAMPLING = {"scalar": (3, 0.0), "2x2": (15, 0.005), "10M": (8, 0.0), "mlp": (10, 0.005),
            "mlp_optim": (10, 0.005), "mlp_module": (10, 0.005), "makemore": (10, 0.005)}
COLUMNS = ("torch_own", "torch_here", "eager", "reference", "compiled")


def cases_of(torch, keys):
    """{row key: Case} of the workloads, built with `torch` (PyTorch or nbgrad)."""
    makers = {"scalar": lambda: cw.scalar_case(torch),
              "2x2": lambda: cw.tutorial_case(torch, cw.TUTORIAL_SHAPES["2x2"]),
              "10M": lambda: cw.tutorial_case(torch, cw.TUTORIAL_SHAPES["10M"]),
              "mlp": lambda: cw.mlp_case(torch),
              "mlp_optim": lambda: cw.mlp_optim_case(torch),
              "mlp_module": lambda: cw.mlp_module_case(torch),
              "makemore": lambda: cw.makemore_case(torch)}
    return {k: makers[k]() for k in keys}


def sampling(key, scale):
    repeat, min_time = SAMPLING[key]
    return max(2, int(round(repeat * scale))), min_time


# -- PyTorch in its own process ----------------------------------------------------
def torch_worker(keys, scale):
    """(run with --torch-worker) JSON of {row key: best seconds} for PyTorch eager."""
    import torch
    out = {}
    for key, case in cases_of(torch, keys).items():
        out[key] = interleaved_best([case.runner()], *sampling(key, scale))[0]
    out["_version"] = torch.__version__
    out["_threads"] = torch.get_num_threads()
    print(json.dumps(out))


def torch_own_process(keys, scale):
    """{row key: seconds} from a new process that imports torch only, or {}."""
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker",
           "--only", ",".join(keys), "--scale", str(scale)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"PyTorch worker failed: {proc.stderr.strip().splitlines()[-1:]}")
        return {}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def have_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# -- the references -------------------------------------------------------------------
def references(keys):
    """{row key: zero-argument callable} of the references that can run here, and notes."""
    from asv_benchmarks import c_tape, fused_reference
    refs, notes = {}, []
    if "scalar" in keys:
        try:
            refs["scalar"] = c_tape.CTape().run
            notes.append(f"C tape: {c_tape._LIB['compiler']} -O3, {c_tape.record().code.shape[0]}"
                         f" instructions for {scalar_graph.N_OPS} ops")
        except c_tape.NoCompiler as e:
            notes.append(str(e))
    for key in ("2x2", "10M"):
        if key in keys:
            n = int(np.prod(cw.TUTORIAL_SHAPES[key]))
            refs[key] = fused_reference.make_step(n)
            notes.append(f"fused Numba {key}: {fused_reference.mode(n)}, gradient written "
                         "into a preallocated array")
    return refs, notes


# -- nb.compile ---------------------------------------------------------------------
def compiled(nb, keys):
    """{row key: replay callable}, {row key: (first call s, second call s)}, notes."""
    runners, firsts, notes = {}, {}, []
    if not hasattr(nb, "compile"):
        return runners, firsts, ["nbgrad has no compile yet: its column is '-'"]
    for key, case in cases_of(nb, keys).items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                run = case.runner(nb.compile)
                firsts[key] = (_seconds(run), _seconds(run))
            except Exception as e:  # the compiler is work in progress: report, go on
                notes.append(f"nb.compile {key}: FAILED: {type(e).__name__}: {e}")
                continue
        for w in caught:
            notes.append(f"nb.compile {key}: {w.category.__name__}: {w.message}")
        runners[key] = run
    if "scalar" in keys and "scalar" in runners:
        other = cw.scalar_case(nb, variant=1).runner(nb.compile)
        notes.append(f"nb.compile scalar graph, a second graph (variant 1): first call "
                     f"{fmt(_seconds(other))}")
    return runners, firsts, notes


def _seconds(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# -- checks before timing --------------------------------------------------------------
def _values(result):
    """Flat float64 array of a step's result (tensors, tuples of tensors, arrays)."""
    if isinstance(result, (tuple, list)):
        parts = [_values(r) for r in result]
        return np.concatenate(parts) if parts else np.zeros(0)
    if hasattr(result, "detach"):
        result = result.detach()
        return np.array(result.tolist(), dtype=np.float64).ravel()
    return np.asarray(result, dtype=np.float64).ravel()


def _maxdiff(a, b):
    a, b = _values(a), _values(b)
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))) if a.size else 0.0


def check_scalar(nb, torch):
    """Lines comparing the C tape, nbgrad eager and PyTorch on the scalar graph."""
    from asv_benchmarks import c_tape
    lines = []
    eager = cw.scalar_case(nb).runner()()
    try:
        ct = c_tape.CTape()
        c_res = (ct.run(), ct.input_grads.copy())
    except c_tape.NoCompiler as e:
        return [str(e)]
    lines.append(f"C tape vs nbgrad eager, loss and 100 gradients: {_maxdiff(c_res, eager):.1e}")
    if torch is not None:
        ref = cw.scalar_case(torch).runner()()
        d = _maxdiff(c_res, ref)
        lines.append(f"C tape vs PyTorch: {d:.1e} ({'ok' if d <= 1e-12 else 'OVER 1e-12'})")
    return lines


def check_compiled(nb, keys):
    """Lines comparing nb.compile's results with eager ones (two calls each)."""
    if not hasattr(nb, "compile"):
        return []
    lines = []
    for key in keys:
        eager_case, comp_case = cases_of(nb, [key])[key], cases_of(nb, [key])[key]
        eager, comp = eager_case.runner(), None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                comp = comp_case.runner(nb.compile)
                # one seed per pair of calls: the makemore step draws its minibatch
                diffs = [_maxdiff(_seeded(nb, comp, k), _seeded(nb, eager, k))
                         for k in range(3)]
            except Exception as e:
                lines.append(f"compiled vs eager, {key}: FAILED: {type(e).__name__}: {e}")
                continue
        if key == "2x2" or key == "10M":  # the gradient lands in x.grad
            diffs.append(_maxdiff(comp_case.args[0].grad, eager_case.args[0].grad))
        lines.append(f"compiled vs eager, {key} (3 calls{', x.grad' if len(diffs) > 3 else ''})"
                     f": max relative difference {max(diffs):.1e}")
    return lines


def _seeded(nb, fn, seed):
    nb.manual_seed(seed)
    return fn()


def check_fused(nb, key):
    """The fused reference against nbgrad eager on the tutorial step."""
    from asv_benchmarks import fused_reference
    case = cw.tutorial_case(nb, cw.TUTORIAL_SHAPES[key])
    out = case.runner()()
    ref_out, ref_g = fused_reference.make_step(case.args[0].numel())()
    d = max(_maxdiff(ref_out, out), _maxdiff(ref_g, case.args[0].grad))
    return f"fused reference vs nbgrad eager, {key}: max relative difference {d:.1e}"


# -- the table ---------------------------------------------------------------------------
def fmt(s):
    """`ratios.fmt_time`, with nanoseconds (the C tape's per-op times)."""
    return f"{s * 1e9:.1f} ns" if s is not None and s < 1e-6 else fmt_time(s)


def measure_round(keys, fns, scale, best, torch_scale):
    """One round: the PyTorch worker, then each row's columns interleaved."""
    own = torch_own_process(keys, torch_scale) if torch_scale else {}
    for key in keys:
        if key in own:
            best[key]["torch_own"] = min(best[key].get("torch_own", np.inf), own[key])
        cols = [c for c in COLUMNS[1:] if fns[key].get(c) is not None]
        times = interleaved_best([fns[key][c] for c in cols], *sampling(key, scale))
        for c, t in zip(cols, times):
            best[key][c] = min(best[key].get(c, np.inf), t)
    return own


def print_table(keys, best, firsts):
    head = (f"{'workload (fwd + bwd)':<22}{'PyTorch':>10}{'PyTorch':>10}{'nbgrad':>10}"
            f"{'reference':>11}{'nbgrad':>10}{'compiled':>10}   {'eager/':>7}{'compiled/':>10}"
            f"{'PyTorch/':>10}")
    sub = (f"{'':<22}{'own proc':>10}{'nb proc':>10}{'eager':>10}{'':>11}{'compiled':>10}"
           f"{'1st call':>10}   {'PyTorch':>7}{'reference':>10}{'compiled':>10}")
    print("\n" + head + "\n" + sub)
    for key in keys:
        b = {c: best[key].get(c) for c in COLUMNS}
        per = scalar_graph.N_OPS if key == "scalar" else 1
        cells = {c: (None if v is None else v / per) for c, v in b.items()}
        torch_best = min((v for v in (cells["torch_own"], cells["torch_here"]) if v),
                         default=None)
        first = firsts.get(key, (None,))[0]
        print(f"{ROWS[key]:<22}{fmt(cells['torch_own']):>10}{fmt(cells['torch_here']):>10}"
              f"{fmt(cells['eager']):>10}{fmt(cells['reference']):>11}"
              f"{fmt(cells['compiled']):>10}{fmt(first):>10}   "
              f"{ratio(cells['eager'], torch_best):>7}"
              f"{ratio(cells['compiled'], cells['reference']):>10}"
              f"{ratio(torch_best, cells['compiled']):>10}")
    if "scalar" in keys:
        print(f"(scalar graph: step time / {scalar_graph.N_OPS} ops; its first call is the "
              "whole step)")


def print_targets(keys, best, firsts, loops=None):
    """Issue 12's targets, met or not, from what was measured (the interleaved table;
    with `loops`, the comparisons with a reference also back to back)."""
    def get(key, col):
        return best.get(key, {}).get(col)

    def torch_of(key):
        vals = [v for v in (get(key, "torch_own"), get(key, "torch_here")) if v]
        return min(vals) if vals else None

    checks = []

    def check(name, a, b, factor):
        """a <= factor * b, shown as a speed-up (factor < 1) or as the ratio a / b."""
        if a is not None and b is not None:
            detail = (f"{b / a:.3g}x faster (needs {1 / factor:.3g}x)" if factor < 1
                      else f"{a / b:.3g}x the time (needs <= {factor:g}x)")
            checks.append((name, a <= factor * b, detail))

    check("scalar graph compiled within 1.5x of the C tape", get("scalar", "compiled"),
          get("scalar", "reference"), 1.5)
    loop = (loops or {}).get("scalar", (None, None))
    check("  the same, both called in a loop", *loop, 1.5)
    check("scalar graph compiled >= 500x faster than PyTorch eager", get("scalar", "compiled"),
          torch_of("scalar"), 1 / 500)
    check("scalar graph compiled >= 500x faster than nbgrad eager", get("scalar", "compiled"),
          get("scalar", "eager"), 1 / 500)
    first = firsts.get("scalar", (None,))[0]
    if first is not None:
        checks.append(("scalar graph first call < 1 s", first < 1, fmt(first)))
    check("tutorial 2x2 compiled >= 10x faster than PyTorch eager", get("2x2", "compiled"),
          torch_of("2x2"), 0.1)
    check("tutorial 10M compiled within 1.2x of the fused reference", get("10M", "compiled"),
          get("10M", "reference"), 1.2)
    loop = (loops or {}).get("10M", (None, None))
    check("  the same, both called in a loop", *loop, 1.2)
    check("tutorial 10M compiled >= 10x faster than PyTorch eager", get("10M", "compiled"),
          torch_of("10M"), 0.1)
    check("MLP step compiled <= PyTorch eager", get("mlp", "compiled"), torch_of("mlp"), 1)
    check("tutorial 2x2 eager <= PyTorch eager", get("2x2", "eager"), torch_of("2x2"), 1)
    check("scalar graph eager <= PyTorch eager", get("scalar", "eager"), torch_of("scalar"), 1)
    if checks:
        print("\ntargets of issue 12")
        for name, ok, detail in checks:
            print(f"  [{'met' if ok else 'NOT met':>7}] {name}: {detail}")


# -- the MLP's matrix products alone -----------------------------------------------------
def products(torch, case):
    """A callable doing the MLP step's five matrix products (forward: 2, backward: 3)
    with `torch`, on the step's own shapes, outside autograd."""
    w1, w2 = case.model[0].weight.detach(), case.model[2].weight.detach()
    x = case.args[0]
    h = torch.ones(cw.BATCH, cw.HIDDEN)
    g = torch.ones(cw.BATCH, cw.CLASSES)

    def run():
        with torch.no_grad():
            x @ w1.t()
            h @ w2.t()
            g.t() @ h                       # d w2
            gh = g @ w2                     # d h
            gh.t() @ x                      # d w1
    return run


def print_mlp_share(nb, torch, fns, scale):
    """The MLP step's time outside its matrix products: the steps and the products
    alone sampled in turn (a share needs both from the same moments)."""
    timed = [("nbgrad eager", fns["mlp"]["eager"], products(nb, cw.mlp_case(nb)))]
    if fns["mlp"].get("compiled") is not None:
        timed.append(("nbgrad compiled", fns["mlp"]["compiled"], timed[0][2]))
    if torch is not None:
        timed.append(("PyTorch eager", fns["mlp"]["torch_here"],
                      products(torch, cw.mlp_case(torch))))
    calls = [f for _, step, prod in timed for f in (step, prod)]
    times = interleaved_best(calls, *sampling("mlp", scale))
    print("\nMLP step: its 5 matrix products alone (outside autograd, transposed views as "
          "the step's), and the share of the step outside them")
    for i, (label, _, _) in enumerate(timed):
        s, t = times[2 * i], times[2 * i + 1]
        print(f"  {label:<16} step {fmt(s):>9}, products {fmt(t):>9}, outside the products "
              f"{max(0.0, 1 - t / s):.0%}")


def print_engine_only(nb, fns, scale):
    """The eager scalar graph with its backward replayed on the tape (the default, as
    in the table) and with the engine only, beside PyTorch in this process: one call
    of each in turn, repeated; the best and the median call (the table keeps the best:
    a step that a full collection of the cycle collector hits shows in the median)."""
    from nbgrad.compiler import backward_replay
    step = fns["scalar"]["eager"]

    def engine_only():
        backward_replay.enabled[0] = False
        try:
            step()
        finally:
            backward_replay.enabled[0] = True
    calls = [("nbgrad eager", step), ("nbgrad eager, engine only", engine_only)]
    if fns["scalar"].get("torch_here") is not None:
        calls.append(("PyTorch eager (nb proc)", fns["scalar"]["torch_here"]))
    times = {label: [] for label, _ in calls}
    for _ in range(max(3, int(9 * scale))):
        for label, f in calls:
            times[label].append(timer(f).timeit(1))
    per = scalar_graph.N_OPS
    print("eager scalar graph, per op, one call at a time (best / median of "
          f"{len(times['nbgrad eager'])}):")
    for label, ts in times.items():
        ts.sort()
        print(f"  {label:<26} {fmt(ts[0] / per):>9} / {fmt(ts[len(ts) // 2] / per):>9}")


# -- main ------------------------------------------------------------------------------
def header(torch):
    import numba
    parts = [time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), f"{os.cpu_count()} CPUs",
             f"numba {numba.__version__} ({numba.get_num_threads()} threads)",
             f"numpy {np.__version__}"]
    if torch is not None:
        parts.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    parts.append("load average %.2f" % os.getloadavg()[0])
    return "nb.compile benchmarks: " + ", ".join(parts)


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(ROWS),
                   help=f"comma-separated rows ({', '.join(ROWS)})")
    p.add_argument("--rounds", type=int, default=3, help="rounds (each cell keeps its best)")
    p.add_argument("--scale", type=float, default=1.0, help="samples per round, times this")
    p.add_argument("--quick", action="store_true", help="one round, half the samples")
    p.add_argument("--no-torch-process", action="store_true",
                   help="skip PyTorch in its own process")
    p.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.scale = 1, 0.5
    args.keys = [k for k in ROWS if k in set(args.only.split(","))]
    unknown = set(filter(None, args.only.split(","))) - set(ROWS)
    if unknown:
        p.error(f"unknown rows {sorted(unknown)}; choose from {list(ROWS)}")
    return args


def setup(keys):
    """nbgrad, torch (or None), {row: {column: callable}}, notes, first-call times."""
    import nbgrad as nb
    torch = None
    if have_torch():
        import torch
    fns = {k: {} for k in keys}
    if torch is not None:
        for k, case in cases_of(torch, keys).items():
            fns[k]["torch_here"] = case.runner()
    for k, case in cases_of(nb, keys).items():
        fns[k]["eager"] = case.runner()
    refs, notes = references(keys)
    runners, firsts, more = compiled(nb, keys)
    for k in keys:
        fns[k]["reference"] = refs.get(k)
        fns[k]["compiled"] = runners.get(k)
    return nb, torch, fns, notes + more, firsts


def _in_a_loop(fns):
    """The compiled steps and their references each called back to back (warm caches,
    as in a training loop), the two alternating over 3 rounds, beside the table's
    interleaved samples (each sample after other work: cold caches).
    Returns {row key: (compiled s, reference s or None)}."""
    loops, parts = {}, []
    for key, cols in fns.items():
        run, ref = cols.get("compiled"), cols.get("reference")
        if run is None:
            continue
        number = 20 if key in ("scalar", "10M", "makemore") or key.startswith("mlp") else 2000
        best = [float("inf"), float("inf")]
        for _ in range(3):
            for j, f in enumerate((run, ref)):
                if f is not None:
                    best[j] = min(best[j], timer(f).timeit(number) / number)
        loops[key] = (best[0], best[1] if ref is not None else None)
        per = scalar_graph.N_OPS if key == "scalar" else 1
        unit = " per op" if per > 1 else ""
        vs = f" (reference {fmt(best[1] / per)}: {best[0] / best[1]:.2f}x)" if ref else ""
        parts.append(f"{key} {fmt(best[0] / per)}{unit}{vs}")
    if parts:
        print("nb.compile called in a loop (warm caches): " + ", ".join(parts))
    return loops


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.torch_worker:
        return torch_worker(args.keys, args.scale)
    nb, torch, fns, notes, firsts = setup(args.keys)
    print(header(torch))
    checks = check_scalar(nb, torch) if "scalar" in args.keys else []
    checks += [check_fused(nb, k) for k in ("2x2", "10M") if k in args.keys]
    checks += check_compiled(nb, args.keys)
    for line in notes + checks:
        print("  " + line)
    best = {k: {} for k in args.keys}
    torch_scale = args.scale if torch is not None and not args.no_torch_process else 0
    for r in range(args.rounds):
        measure_round(args.keys, fns, args.scale, best, torch_scale)
        print(f"round {r + 1}/{args.rounds} done, load average {os.getloadavg()[0]:.2f}")
    print_table(args.keys, best, firsts)
    loops = _in_a_loop(fns)
    second = {k: f[1] for k, f in firsts.items()}
    if second:
        print("second calls of nb.compile (s): " + ", ".join(f"{k} {fmt(v)}"
                                                           for k, v in second.items()))
    if "scalar" in args.keys:
        print_engine_only(nb, fns, args.scale)
    if "mlp" in args.keys:
        print_mlp_share(nb, torch, fns, args.scale)
    print_targets(args.keys, best, firsts, loops)
    print("load average at the end: %.2f" % os.getloadavg()[0])


if __name__ == "__main__":
    main()
