"""The seed notebook runs unchanged and prints what PyTorch prints."""

import contextlib
import io
import os
import re

import pytest

import nbgrad as nb
from nbgrad import tutorial

# What the notebook printed under PyTorch; the two lines that depend on randn
# are patterns of PyTorch's number format, the object addresses are any hex.
EXPECTED = [
    r"tensor\(\[\[1\., 1\.\],",
    r"        \[1\., 1\.\]\], requires_grad=True\)",
    r"tensor\(\[\[3\., 3\.\],",
    r"        \[3\., 3\.\]\], grad_fn=<AddBackward0>\)",
    r"<AddBackward0 object at 0x[0-9a-f]+>",
    r"tensor\(\[\[27\., 27\.\],",
    r"        \[27\., 27\.\]\], grad_fn=<MulBackward0>\) tensor\(27\., grad_fn=<MeanBackward0>\)",
    r"False",
    r"True",
    r"<SumBackward0 object at 0x[0-9a-f]+>",
    r"tensor\(\[\[4\.5000, 4\.5000\],",
    r"        \[4\.5000, 4\.5000\]\]\)",
    r"tensor\(\[ *-?\d+\.\d{4}, +-?\d+\.\d{4}, +-?\d+\.\d{4}\], grad_fn=<MulBackward0>\)",
    r"tensor\(\[\d\.\d{4}e[+-]\d\d, \d\.\d{4}e[+-]\d\d, \d\.\d{4}e[+-]\d\d\]\)",
    r"True",
    r"True",
    r"False",
]


def _run(seed):
    nb.manual_seed(seed)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ns = tutorial.main()
    return buf.getvalue().splitlines(), ns


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tutorial_prints_what_pytorch_prints(seed):
    lines, ns = _run(seed)
    assert len(lines) == len(EXPECTED), "\n".join(lines)
    for got, pattern in zip(lines, EXPECTED):
        assert re.fullmatch(pattern, got), f"{got!r} does not match {pattern!r}"


def test_tutorial_values():
    lines, ns = _run(0)
    x, y = ns["x"], ns["y"]
    # y = x * 2**k with k chosen so that ||y|| >= 1000; x.grad = 2**k * v
    k = round(float((y.data / x.data).mean()))
    assert k & (k - 1) == 0 and k >= 2
    expected = [0.1 * k, 1.0 * k, 0.0001 * k]
    for got, want in zip(x.grad.tolist(), expected):
        assert abs(got - want) <= 1e-6 * want
    assert float(y.data.norm()) >= 1000 > float(y.data.norm()) / 2


SEED = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "seeds",
                    "autograd_tutorial.txt")


@pytest.mark.skipif(not os.path.exists(SEED), reason="shared/seeds not beside the checkout")
def test_cells_are_the_notebook_code_unchanged():
    with open(SEED, encoding="utf-8") as f:
        notebook = [line.rstrip() for line in f]
    pos = 0
    for cell in tutorial.CELLS:
        for line in cell.splitlines():
            if not line.strip():
                continue
            if line == "import nbgrad as torch":
                line = "import torch"
            while pos < len(notebook) and notebook[pos] != line:
                pos += 1
            assert pos < len(notebook), f"line not in the notebook (in order): {line!r}"
            pos += 1
