"""nb.autograd.profiler: op events from the dispatch points, self and total times,
PyTorch's table, record_function, and nothing installed while no profile runs."""

import json
import re

import pytest

import nbgrad as nb
from nbgrad.autograd import profiler
from nbgrad.ops.elementwise import Elementwise
from nbgrad.ops.registry import FunctionOp

# PyTorch 2.13's header and footer of key_averages().table() (a 13-wide name column)
HEADER = ("         Name    Self CPU %      Self CPU   CPU total %     CPU total  "
          "CPU time avg    # of Calls  ")
ROW = re.compile(r"^ *(\S+) +(\d+\.\d\d%) +([\d.]+(?:us|ms|s)) +(\d+\.\d\d%) +"
                 r"([\d.]+(?:us|ms|s)) +([\d.]+(?:us|ms|s)) +(\d+)  $")


def _profiled():
    x = nb.ones(3, 3)
    with profiler.profile(record_shapes=True) as prof:
        with profiler.record_function("my_block"):
            y = x * 2
            y = y * 3
            y = (y + 1).sum()
        nb.mm(x, x)
    return prof


def test_table_has_pytorch_columns_rows_and_footer():
    prof = _profiled()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10)
    lines = table.splitlines()
    assert lines[1] == HEADER
    assert lines[0] == lines[2] == lines[-2] == ("-" * 13 + "  ") + ("-" * 12 + "  ") * 6
    assert re.fullmatch(r"Self CPU time total: [\d.]+(us|ms|s)", lines[-1])
    rows = {m.group(1): m for m in map(ROW.match, lines[3:-2])}
    assert set(rows) == {"my_block", "aten::mul", "aten::add", "aten::sum", "aten::mm"}
    assert rows["aten::mul"].group(7) == "2" and rows["aten::sum"].group(7) == "1"
    selfs = [float(m.group(2)[:-1]) for m in rows.values()]
    assert abs(sum(selfs) - 100) < 0.1   # self times add up to the total


def test_self_time_excludes_children():
    avg = {e.key: e for e in _profiled().key_averages()}
    block, ops = avg["my_block"], [avg[k] for k in ("aten::mul", "aten::add", "aten::sum")]
    inside = sum(e.cpu_time_total for e in ops)
    assert block.cpu_time_total >= inside
    assert block.self_cpu_time_total == pytest.approx(block.cpu_time_total - inside, abs=1e-3)
    assert avg["aten::mul"].count == 2


def test_sort_and_row_limit():
    # every op inside the block, so that the block's total exceeds each op's by
    # construction (an op outside it, timed alone, could take longer: a GC pause)
    x = nb.ones(3, 3)
    with profiler.profile() as prof:
        with profiler.record_function("my_block"):
            (x * 2 + 1).sum()
            nb.mm(x, x)
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=2)
    rows = [ROW.match(line) for line in table.splitlines()[3:-2]]
    assert len(rows) == 2 and rows[0].group(1) == "my_block"   # it contains the others


def test_input_shapes():
    prof = _profiled()
    table = prof.key_averages(group_by_input_shape=True).table()
    assert "Input Shapes" in table and "[[3, 3], []]" in table   # x * 2


def test_nothing_installed_without_a_profile():
    originals = (Elementwise.__dict__["__call__"], FunctionOp.__dict__["__call__"])
    with profiler.profile():
        assert Elementwise.__dict__["__call__"] is not originals[0]
    assert (Elementwise.__dict__["__call__"], FunctionOp.__dict__["__call__"]) == originals
    with pytest.raises(ValueError):
        with profiler.profile():
            raise ValueError("restored on errors too")
    assert Elementwise.__dict__["__call__"] is originals[0]


def test_nested_profiles_and_disabled():
    x = nb.ones(2)
    with profiler.profile() as outer:
        x + 1
        with profiler.profile() as inner:
            x * 2
        with profiler.profile(enabled=False) as off:
            x * 2
    assert [e.name for e in inner.events()] == ["aten::mul"]
    assert [e.name for e in outer.events()] == ["aten::add", "aten::mul", "aten::mul"]
    assert len(off.events()) == 0


def test_reports_need_a_finished_profile(tmp_path):
    prof = profiler.profile()
    with pytest.raises(RuntimeError, match="didn't finish"):
        prof.key_averages()
    with prof:
        nb.ones(2).exp()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    events = json.loads(path.read_text())["traceEvents"]
    assert [e["name"] for e in events] == ["aten::exp"] and events[0]["dur"] > 0
