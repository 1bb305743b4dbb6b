"""asv: nbgrad in a process that also imports PyTorch, against nbgrad alone.

The workloads (the MLP step, the tutorial step on 2x2 and on 1,000,000
elements, forward + backward) are those of `torch_coexist`, which also prints
the comparison outside asv.  The target is every ratio within 1.1
(docs/performance.md).  Both classes skip when torch is not installed.
"""

import importlib.util

from . import torch_coexist

_HAVE_TORCH = importlib.util.find_spec("torch") is not None


class TorchImported:
    """Each workload timed in asv's benchmark process, alone or after
    ``import torch`` ran in it.  asv's process imported nbgrad first, so this
    is the "nbgrad first" order; `Ratio` also covers "torch first"."""

    params = (list(torch_coexist.WORKLOADS), ["alone", "torch imported"])
    param_names = ["workload", "process"]  # noqa: RUF012 (asv reads class attributes)

    def setup(self, workload, process):
        if process == "torch imported":
            if not _HAVE_TORCH:
                raise NotImplementedError("torch is not installed")
            import torch  # noqa: F401
        self.step = torch_coexist.workload(workload)
        for _ in range(3):
            self.step()   # load kernels, fill the allocator's free lists

    def time_step(self, workload, process):
        self.step()


class Ratio:
    """Time with torch imported / time alone, measured in fresh processes for
    both import orders (`torch_coexist.measure`, configurations interleaved,
    quiet blocks of each); asv records the ratio itself."""

    params = (list(torch_coexist.WORKLOADS), ["torch_first", "nbgrad_first"])
    param_names = ["workload", "order"]  # noqa: RUF012
    unit = "ratio"
    timeout = 600

    def setup_cache(self):
        if not _HAVE_TORCH:
            return None
        return torch_coexist.ratios(torch_coexist.measure(rounds=4), "quiet")

    def setup(self, ratios, workload, order):
        if ratios is None:
            raise NotImplementedError("torch is not installed")

    def track_ratio(self, ratios, workload, order):
        return ratios[order][workload]
