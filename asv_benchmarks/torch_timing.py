"""PyTorch eager timings of the benchmark cases, for comparison (torch only).

Standalone on purpose: it needs only ``torch``, so it runs in an interpreter
where nbgrad (or numba) is not installed.  ``ratios.py`` imports it when torch
is importable, or runs it as a script with ``--torch-python PATH``::

    /path/to/python asv_benchmarks/torch_timing.py [--repeat N] [--min-time S]
    # prints JSON: case -> best seconds per call

The cases mirror ``cases.py``: the seed notebook's step on 2x2 and on
1,000,000 elements, and the chain of 100 small ops, forward plus backward.
"""

import gc
import json
import sys
import timeit

TUTORIAL_SHAPES = {"2x2": (2, 2), "1M": (1_000_000,)}
CHAIN_OPS = 100


def torch_tutorial_step(shape):
    import torch

    def step():
        x = torch.ones(*shape, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        out.backward()
        return x.grad
    return step


def torch_chain():
    import torch
    x = torch.ones(2, 2, requires_grad=True)

    def step():
        x.grad = None
        y = x
        for _ in range(CHAIN_OPS // 2):
            y = y * 1.01
            y = y + 0.01
        y.sum().backward()
        return x.grad
    return step


def torch_cases():
    """{case name: zero-argument callable}, names as in ratios.py."""
    cases = {f"tutorial {k}": torch_tutorial_step(s) for k, s in TUTORIAL_SHAPES.items()}
    cases[f"chain of {CHAIN_OPS} ops"] = torch_chain()
    return cases


# the same best-of timing as ratios.interleaved_best, kept here so that this
# file needs nothing but torch
def best_time(fn, repeat=40, min_time=0.005):
    """Best-of-`repeat` seconds per call (each sample runs >= min_time)."""
    fn()
    timer = timeit.Timer(fn, setup=gc.enable)   # the cycle collector on, as ratios.timer
    number = 1
    while timer.timeit(number) < min_time:
        number *= 2 if number < 8 else 4
    return min(timer.repeat(repeat, number)) / number


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 40
    min_time = float(argv[argv.index("--min-time") + 1]) if "--min-time" in argv else 0.005
    import torch
    result = {name: best_time(fn, repeat, min_time) for name, fn in torch_cases().items()}
    result["_version"] = torch.__version__
    result["_threads"] = torch.get_num_threads()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
