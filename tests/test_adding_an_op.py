"""The worked examples of docs/adding_an_op (a unary op with a new math function,
a reduction) run exactly as the page writes them.

The python blocks of the two sections are read from the page and executed in
the namespaces of the files they name (the math table, ops/unary.py,
reduce_templates.py, ops/reduce.py, the op database), so the page cannot
drift from what works.  The new function, ops and template exist only while
this module runs; then they are removed.  The ops get the op database's
checks (values in float32 and float64 against NumPy, float64 gradients and
second-order gradients by finite differences, the recorded backward), the
reduction also through the parallel CPU kernels, and both on the CUDA
simulator (one child process).
"""

import os
import re
import sys

import numpy as np
import pytest

import nbgrad
from nbgrad.backends import mathtable, reduce_templates
from nbgrad.backends.cpu import reduce as cpu_reduce
from nbgrad.ops import reduce as ops_reduce
from nbgrad.ops import unary
from nbgrad.ops.registry import REGISTRY
from nbgrad.tensor import Tensor
from tests import test_ops
from tests.opdb import elementwise as opdb_elementwise
from tests.opdb import reduce as opdb_reduce

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNARY = "A unary op with a new math function"
REDUCTION = "A reduction"


def _page():
    """The page holding the sections."""
    for name in ("adding_an_op.md",):
        path = os.path.join(ROOT, "docs", name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if f"\n## {UNARY}\n" in text:
                return text
    raise AssertionError(f"no docs page has the section '## {UNARY}'")


def blocks(section):
    """{file named by the block's first-line comment: code} of `section`'s python blocks."""
    part = _page().split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    out = {}
    for block in re.findall(r"^```python\n(.*?)^```", part, re.DOTALL | re.MULTILINE):
        first, _, code = block.partition("\n")
        assert first.startswith("# "), f"a block of '{section}' does not name its file"
        out[first[2:].split(",")[0].strip()] = code
    return out


def _declare(code, module):
    """Run `code` as if written in `module`; the names it defines."""
    env = dict(vars(module))
    exec(compile(code, f"<docs: {module.__name__}>", "exec"), env)  # noqa: S102 (the page's code)
    return {k: v for k, v in env.items() if k not in vars(module)}


def add_examples():
    """Add both examples as the page writes them: (unary OpInfo, reduction OpInfo, undo)."""
    undo = []
    unary_blocks, reduce_blocks = blocks(UNARY), blocks(REDUCTION)
    rows = set(mathtable.ROWS)
    _declare(unary_blocks["nbgrad/backends/mathtable.py"], mathtable)
    undo += [lambda r=r: mathtable.remove(r) for r in set(mathtable.ROWS) - rows]
    templates = set(reduce_templates.TEMPLATES)
    _declare(reduce_blocks["nbgrad/backends/reduce_templates.py"], reduce_templates)
    undo += [lambda t=t: reduce_templates.remove(t)
             for t in set(reduce_templates.TEMPLATES) - templates]
    infos = []
    for code, module, entry, db in (
            (unary_blocks["nbgrad/ops/unary.py"], unary,
             unary_blocks["tests/opdb/elementwise.py"], opdb_elementwise),
            (reduce_blocks["nbgrad/ops/reduce.py"], ops_reduce,
             reduce_blocks["tests/opdb/reduce.py"], opdb_reduce)):
        ops = set(REGISTRY)
        for name, op in _declare(code, module).items():
            setattr(module, name, op)   # what writing it in the module's file does
            setattr(nbgrad, name, op)   # what its name in the module's __all__ does
            undo.append(lambda n=name, m=module: (delattr(m, n), delattr(nbgrad, n),
                                                  delattr(Tensor, n)))
        undo += [lambda n=n: REGISTRY.pop(n) for n in set(REGISTRY) - ops]
        infos.append(eval(entry.strip().rstrip(","), dict(vars(db))))
    return infos[0], infos[1], undo


@pytest.fixture(scope="module")
def examples():
    unary_info, reduce_info, undo = add_examples()
    yield unary_info, reduce_info
    for fn in reversed(undo):
        fn()


def _cases(info):
    return [(info, i) for i in range(len(info.samples(np.random.default_rng(0))))]


def _database_checks(info):
    for case in _cases(info):
        for dtype in (np.float32, np.float64):
            test_ops.test_values_match_numpy(case, dtype)
        test_ops.test_gradient_float64(case)
        test_ops.test_second_order_gradient_float64(case)
        test_ops.test_gradient_has_input_dtype_float32(case)
        test_ops.test_recorded_backward_matches_fast_backward(case)


# -- the unary op with a new math function -----------------------------------------
def test_the_row_makes_a_dual_function(examples):
    from nbgrad.ops import scalar as s
    row = mathtable.ROWS["cbrt"]
    assert s.cbrt(27.0) == pytest.approx(3.0) and row.numpy is np.cbrt
    t = nbgrad.tensor([8.0, -27.0])
    assert s.cbrt(t).tolist() == pytest.approx([2.0, -3.0])   # on a Tensor: the op


def test_new_unary_op_passes_the_op_database_checks(examples):
    info, _ = examples
    assert info.name == "cbrt" and type(nbgrad.cbrt(nbgrad.ones(1, requires_grad=True))
                                        .grad_fn).__name__ == "CbrtBackward0"
    _database_checks(info)


def test_new_unary_op_on_float32_and_integers(examples):
    x = np.random.default_rng(1).uniform(-30, 30, 70000).astype(np.float32)  # parallel too
    np.testing.assert_allclose(nbgrad.cbrt(nbgrad.tensor(x)).numpy(), np.cbrt(x), rtol=5e-7)
    got = nbgrad.cbrt(nbgrad.tensor([8, -1]))
    assert got.dtype is nbgrad.float32 and got.tolist() == [2.0, -1.0]


# -- the reduction --------------------------------------------------------------------
def test_new_reduction_passes_the_op_database_checks(examples):
    _, info = examples
    assert info.name == "sumsq"
    _database_checks(info)


@pytest.mark.parametrize("shape, dim", [((40000,), None), ((3, 30000), 1), ((20000, 3), 0),
                                        ((2, 20000, 2), 1), ((0, 3), 1), ((3, 0), 1)])
def test_new_reduction_in_the_parallel_kernels(examples, monkeypatch, shape, dim):
    monkeypatch.setattr(cpu_reduce, "PARALLEL_THRESHOLD", 0)
    a = np.random.default_rng(2).standard_normal(shape)
    for dtype in (np.float32, np.float64):
        got = nbgrad.sumsq(nbgrad.tensor(a.astype(dtype)), dim).numpy()
        np.testing.assert_allclose(got, (a * a).sum(dim), rtol=1e-6 if dtype == np.float32
                                   else 1e-12)


def test_removing_an_example_forgets_its_kernels():
    # a template re-declared under the same name gets new kernels, not the old ones
    reduce_templates.reduction("t_twice", ("s",), {"s": "0"}, {"s": "s + v"}, {"s": "s + s_"},
                               ("s",))
    x3 = np.arange(6.0).reshape(1, 6, 1)
    out = np.empty((1, 1))
    try:
        cpu_reduce.run("t_twice", x3, (out,), ())
        assert out[0, 0] == 15.0
        reduce_templates.remove("t_twice")
        reduce_templates.reduction("t_twice", ("s",), {"s": "0"}, {"s": "s + 2 * v"},
                                   {"s": "s + s_"}, ("s",))
        cpu_reduce.run("t_twice", x3, (out,), ())
        assert out[0, 0] == 30.0
    finally:
        reduce_templates.remove("t_twice")
    with pytest.raises(KeyError):
        cpu_reduce.run("t_twice", x3, (out,), ())


# -- both on the CUDA simulator ------------------------------------------------------
def run_on_cuda():
    """{check: None or the failure} of both examples on the device (in the child)."""
    import traceback

    from tests.test_cuda_ops import check_sample
    unary_info, reduce_info, undo = add_examples()
    out = {}
    try:
        for info in (unary_info, reduce_info):
            for case in _cases(info):
                key = f"{info.name} sample {case[1]}"
                try:
                    check_sample(info, info.samples(np.random.default_rng(0))[case[1]])
                    out[key] = None
                except Exception:  # noqa: BLE001 (reported to the parent process)
                    out[key] = traceback.format_exc(limit=-6)
        # a row long enough for the split kernels (two launches, chunk states merged)
        a = np.random.default_rng(3).standard_normal((2, 3000))
        try:
            got = nbgrad.sumsq(nbgrad.tensor(a, device="cuda"), 1).cpu().numpy()
            np.testing.assert_allclose(got, (a * a).sum(1), rtol=1e-12)
            out["sumsq split"] = None
        except Exception:  # noqa: BLE001 (reported to the parent process)
            out["sumsq split"] = traceback.format_exc(limit=-6)
    finally:
        for fn in reversed(undo):
            fn()
    return out


def test_both_examples_on_the_cuda_simulator():
    from tests.test_cuda_harness import HAVE_NUMBA_CUDA, in_simulator_process, run_child
    if not HAVE_NUMBA_CUDA:
        pytest.skip("numba-cuda is not installed")
    if in_simulator_process():
        results = run_on_cuda()
    else:
        results = run_child(os.path.abspath(__file__), ["--cuda"], timeout=900)
    assert len(results) > 10
    failed = {k: v for k, v in results.items() if v is not None}
    assert not failed, "\n\n".join(f"{k}:\n{v}" for k, v in failed.items())


if __name__ == "__main__":
    import json
    sys.path.insert(0, ROOT)
    from tests.test_cuda_harness import install
    install()
    print(json.dumps(run_on_cuda()))
