"""Record PyTorch's outcomes for the nn cases (run once, with the dev venv's torch):

    .venv/bin/python tests/nn_data/record_nn.py

writes tests/nn_data/nn_reference.json: per module case the initial state,
inputs, cotangents, outputs, parameter and input gradients and buffers (float64);
print(module) texts; Module API outcomes; default-initialisation statistics.
The tests read that file and never import torch.
"""

import json
import os
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

import torch

from tests.nn_data import cases, harness

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_reference.json")


def _module_case(case):
    """A case marked "fork_rng" draws its initial parameters from a forked generator
    seeded by its text, so that cases added later leave the outcomes recorded
    before them (and the default-initialisation statistics after) unchanged."""
    if not case.get("fork_rng"):
        return harness.run_module_case(torch, case)
    with torch.random.fork_rng():
        torch.manual_seed(zlib.crc32(case["make"].encode()))
        return harness.run_module_case(torch, case)


def main():
    torch.manual_seed(0)
    data = {
        "torch_version": torch.__version__,
        "modules": [_module_case(c) for c in cases.MODULE_CASES],
        "reprs": {m: harness.repr_of(torch, m) for m in cases.REPRS},
        "api": {code: harness.outcome(torch, code) for code in cases.API_CASES},
        "init": {e: harness.init_stats(torch, e) for e in cases.INIT_CASES},
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=None, separators=(",", ":"))
    print(f"wrote {OUT}: {len(data['modules'])} module cases, {len(data['reprs'])} reprs, "
          f"{len(data['api'])} API cases, {len(data['init'])} init cases")


if __name__ == "__main__":
    main()
