"""Record PyTorch's outcome of every differential case into torch_outcomes.json.

Run by hand, with PyTorch installed, after changing cases (tests never import torch)::

    .venv/bin/python -m tests.differential.record

Only new or changed cases are run unless --all is given; cases no longer listed are dropped.
"""

import json
import os
import sys

from tests.differential import harness
from tests.differential.cases import CASES

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_outcomes.json")


def load():
    """The recorded data: {"torch_version": ..., "cases": {code: {"group", "outcome"}}}."""
    with open(PATH) as f:
        return json.load(f)


def main(argv):
    import torch

    old = load()["cases"] if os.path.exists(PATH) and "--all" not in argv else {}
    if os.path.exists(PATH) and load().get("torch_version") != torch.__version__:
        old = {}  # another PyTorch: record everything again
    recorded = {}
    for group, code in CASES:
        if code in old:
            recorded[code] = old[code]
            continue
        recorded[code] = {"group": group, "outcome": harness.run(torch, code)}
    data = {"torch_version": torch.__version__, "cases": recorded}
    text = json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n"
    with open(PATH + ".tmp", "w") as f:  # a failed run keeps the old file whole
        f.write(text)
    os.replace(PATH + ".tmp", PATH)
    raised = sum("raises" in r["outcome"] for r in recorded.values())
    print(f"{len(recorded)} cases ({raised} raise in PyTorch {torch.__version__}) -> {PATH}")


if __name__ == "__main__":
    main(sys.argv[1:])
