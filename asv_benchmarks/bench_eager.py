"""asv: the eager small-op costs of notebook code (issue 14), nbgrad and PyTorch.

The workloads are those of `eager_small_ops` (``N[i, j] += 1``, ``x[i]``, ``P[i, j]``,
``w[i]`` recorded, a tensor times a number, 0-d arithmetic, ``tensor(number)``,
``tensor(list)``), each a loop of `eager_small_ops.LOOP` lines.  `Time` times them with
nbgrad and with PyTorch in asv's process; `Ratio` records nbgrad's time over PyTorch's,
measured interleaved with PyTorch also in its own process (the target is at most 1.5,
docs/performance.md).  The PyTorch parameters skip when torch is not installed.
"""

import importlib.util

from . import eager_small_ops as eso

_HAVE_TORCH = importlib.util.find_spec("torch") is not None


class Time:
    params = (list(eso.WORKLOADS), ["nbgrad", "torch"])
    param_names = ["workload", "library"]  # noqa: RUF012 (asv reads class attributes)

    def setup(self, workload, library):
        if library == "torch":
            if not _HAVE_TORCH:
                raise NotImplementedError("torch is not installed")
            import torch as lib
        else:
            import nbgrad as lib
        self.run = eso.WORKLOADS[workload][1](lib)
        self.run()   # load kernels

    def time_loop(self, workload, library):
        self.run()


class Ratio:
    params = [list(eso.WORKLOADS)]
    param_names = ["workload"]  # noqa: RUF012
    unit = "ratio"
    timeout = 600

    def setup_cache(self):
        if not _HAVE_TORCH:
            return None
        keys = list(eso.WORKLOADS)
        best = eso.measure(keys, quick=True, rounds=2)
        return {k: eso.ratio(best, k) for k in keys}

    def setup(self, ratios, workload):
        if ratios is None:
            raise NotImplementedError("torch is not installed")

    def track_ratio(self, ratios, workload):
        return ratios[workload]
