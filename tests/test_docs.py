"""The documentation stays true: the op table is current, links resolve, the
tutorial page shows the tutorial's code, and the benchmarks' NumPy references
compute what nbgrad computes."""

import importlib.util
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")

# pages whose links are checked (the generated table and the hand-written guide)
LINKED_PAGES = ["README.md", "docs/index.md", "docs/tutorial.md", "docs/performance.md",
                "docs/ops.md"]

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def _load_gen_op_table():
    spec = importlib.util.spec_from_file_location("gen_op_table",
                                                  os.path.join(DOCS, "gen_op_table.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_op_table_is_up_to_date():
    gen = _load_gen_op_table()
    assert not gen.is_stale(), ("docs/ops.md is stale (an op was added, removed or changed): "
                                "run `python docs/gen_op_table.py`")


def _relative_links(path):
    with open(path, encoding="utf-8") as f:
        text = _FENCE.sub("", f.read())
    for target in _LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL or an anchor in the same page
        yield target.split("#", 1)[0]


def test_relative_links_resolve():
    missing = []
    for page in LINKED_PAGES:
        path = os.path.join(ROOT, page)
        if not os.path.exists(path):
            missing.append(f"{page} (the page itself)")
            continue
        for target in _relative_links(path):
            if not os.path.exists(os.path.join(os.path.dirname(path), target)):
                missing.append(f"{page} -> {target}")
    missing = sorted(set(missing))
    assert not missing, "links to missing files:\n  " + "\n  ".join(missing)


def test_tutorial_page_shows_the_tutorial_cells():
    from nbgrad.tutorial import CELLS
    with open(os.path.join(DOCS, "tutorial.md"), encoding="utf-8") as f:
        blocks = re.findall(r"^```python\n(.*?)^```", f.read(), re.S | re.M)
    assert [b.strip() for b in blocks] == [c.strip() for c in CELLS]


def _bench_cases():
    import sys
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from asv_benchmarks import cases
    return cases


def test_benchmark_tutorial_and_chain_references_agree():
    import numpy as np
    cases = _bench_cases()
    for shape in cases.TUTORIAL_SHAPES.values():
        if np.prod(shape) <= 16:
            np.testing.assert_allclose(cases.nbgrad_tutorial_step(shape)().numpy(),
                                       cases.numpy_tutorial_step(shape)(), rtol=1e-6)
    np.testing.assert_allclose(cases.nbgrad_chain()().numpy(), cases.numpy_chain()(),
                               rtol=1e-5)


@pytest.mark.parametrize("name", _bench_cases().elementwise_op_names())
def test_benchmark_elementwise_references_agree(name):
    cases = _bench_cases()
    if name not in cases.NUMPY_REFS:
        pytest.skip(f"{name}: no NumPy reference in asv_benchmarks/cases.py (not benchmarked)")
    assert cases.check_elementwise_case(name) < cases.NUMPY_REFS[name].tolerance
