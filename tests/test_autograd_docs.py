"""Every ```python example in docs/autograd/*.md runs (one namespace per page)."""

import pathlib
import re
import warnings

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "autograd"
PAGES = sorted(DOCS.glob("*.md"))
FEATURES = {"grad", "hooks", "custom_function", "custom_ops", "functional", "gradcheck",
            "inplace", "anomaly_mode"}


def test_every_feature_has_a_page_with_an_example():
    names = {p.stem for p in PAGES}
    assert FEATURES <= names, f"missing pages: {sorted(FEATURES - names)}"
    for p in PAGES:
        assert "```python" in p.read_text(), f"{p.name} has no runnable example"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_examples_run(page, capsys):
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    ns = {"__name__": f"docs_{page.stem}"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # detect_anomaly warns when entered
        for i, code in enumerate(blocks):
            exec(compile(code, f"{page.name}[block {i}]", "exec"), ns)
    assert capsys.readouterr().out   # every page prints something
