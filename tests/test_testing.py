"""nb.testing.assert_close against PyTorch's: every row's outcome (passes, or the exception
type and the whole message) was recorded once from torch.testing.assert_close 2.13 (the
class name of nbgrad's Tensor replaces torch.Tensor in TypeError messages)."""

import pytest

import nbgrad as torch
from nbgrad.testing import assert_close

# (call, exception name or None, message)
RECORDED = [
    ('assert_close(torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([[1., '
     '2.], [3., 4.1]]))',
     'AssertionError',
     'Tensor-likes are not close!\n\nMismatched elements: 1 / 4 (25.0%)\n'
     'Greatest absolute difference: 0.09999990463256836 at index (1, 1) (up '
     'to 1e-05 allowed)\nGreatest relative difference: 0.024390220642089844 '
     'at index (1, 1) (up to 1.3e-06 allowed)'),
    ('assert_close(torch.tensor([1., 2., 3.]), torch.tensor([1., 2.5, '
     '3.5]), rtol=0.1, atol=0.)',
     'AssertionError',
     'Tensor-likes are not close!\n\nMismatched elements: 2 / 3 (66.7%)\n'
     'Greatest absolute difference: 0.5 at index (1,) (up to 0.0 allowed)\n'
     'Greatest relative difference: 0.20000000298023224 at index (1,) (up '
     'to 0.1 allowed)'),
    ('assert_close(torch.tensor(1.), torch.tensor(1.5))',
     'AssertionError',
     'Scalars are not close!\n\nExpected 1.5 but got 1.0.\nAbsolute '
     'difference: 0.5 (up to 1e-05 allowed)\nRelative difference: '
     '0.3333333333333333 (up to 1.3e-06 allowed)'),
    ('assert_close(torch.tensor([1, 2, 3]), torch.tensor([1, 2, 4]))',
     'AssertionError',
     'Tensor-likes are not equal!\n\nMismatched elements: 1 / 3 (33.3%)\n'
     'Greatest absolute difference: 1 at index (2,)\nGreatest relative '
     'difference: 0.25 at index (2,)'),
    ('assert_close(torch.tensor([True, False]), torch.tensor([True, True]))',
     'AssertionError',
     'Tensor-likes are not equal!\n\nMismatched elements: 1 / 2 (50.0%)\n'
     'Greatest absolute difference: 1 at index (1,)\nGreatest relative '
     'difference: 1.0 at index (1,)'),
    ('assert_close(1., 1.1)',
     'AssertionError',
     'Scalars are not close!\n\nExpected 1.1 but got 1.0.\nAbsolute '
     'difference: 0.10000000000000009 (up to 1e-07 allowed)\nRelative '
     'difference: 0.09090909090909098 (up to 1e-07 allowed)'),
    ('assert_close(1, 2)',
     'AssertionError',
     'Scalars are not equal!\n\nExpected 2 but got 1.\nAbsolute difference: '
     '1\nRelative difference: 0.5'),
    ('assert_close(torch.ones(2), torch.ones(3))',
     'AssertionError',
     "The values for attribute 'shape' do not match: torch.Size([2]) != "
     'torch.Size([3]).'),
    ('assert_close(torch.ones(2), torch.ones(2, dtype=torch.float64))',
     'AssertionError',
     "The values for attribute 'dtype' do not match: torch.float32 != "
     'torch.float64.'),
    ('assert_close(torch.ones(2), torch.ones(2, dtype=torch.float64), '
     'check_dtype=False)',
     None,
     None),
    ('assert_close(torch.ones(2), torch.ones(2) + 1e-6)',
     None,
     None),
    ("assert_close(torch.tensor([float('nan')]), "
     "torch.tensor([float('nan')]))",
     'AssertionError',
     'Tensor-likes are not close!\n\nMismatched elements: 1 / 1 (100.0%)\n'
     'Greatest absolute difference: nan at index (0,) (up to 1e-05 '
     'allowed)\nGreatest relative difference: nan at index (0,) (up to '
     '1.3e-06 allowed)'),
    ("assert_close(torch.tensor([float('nan')]), "
     "torch.tensor([float('nan')]), equal_nan=True)",
     None,
     None),
    ('assert_close([torch.ones(2), 1.], [torch.ones(2), 1.5])',
     'AssertionError',
     'Scalars are not close!\n\nExpected 1.5 but got 1.0.\nAbsolute '
     'difference: 0.5 (up to 1e-07 allowed)\nRelative difference: '
     '0.3333333333333333 (up to 1e-07 allowed)\n\nThe failure occurred for '
     'item [1]'),
    ('assert_close([1., 2.], [1., 2., 3.])',
     'AssertionError',
     'The length of the sequences mismatch: 2 != 3'),
    ("assert_close({'a': torch.ones(1)}, {'a': torch.zeros(1)})",
     'AssertionError',
     'Tensor-likes are not close!\n\nMismatched elements: 1 / 1 (100.0%)\n'
     'Greatest absolute difference: 1.0 at index (0,) (up to 1e-05 '
     'allowed)\nGreatest relative difference: inf at index (0,) (up to '
     "1.3e-06 allowed)\n\nThe failure occurred for item ['a']"),
    ("assert_close(torch.ones(2), torch.zeros(2), msg='custom')",
     'AssertionError',
     'custom'),
    ("assert_close(torch.ones(2), torch.zeros(2), msg=lambda m: m + ' "
     "extra')",
     'AssertionError',
     'Tensor-likes are not close!\n\nMismatched elements: 2 / 2 (100.0%)\n'
     'Greatest absolute difference: 1.0 at index (0,) (up to 1e-05 '
     'allowed)\nGreatest relative difference: inf at index (0,) (up to '
     '1.3e-06 allowed) extra'),
    ('assert_close(torch.ones(2), torch.zeros(2), rtol=1e-3)',
     'ValueError',
     "Both 'rtol' and 'atol' must be either specified or omitted, but got "
     'no atol.'),
    ('assert_close(torch.ones(2), 1.)',
     'TypeError',
     'No comparison pair was able to handle inputs of type <class '
     "'nbgrad.tensor.Tensor'> and <class 'float'>."),
    ('assert_close(torch.ones(2), [1., 1.])',
     'TypeError',
     'No comparison pair was able to handle inputs of type <class '
     "'nbgrad.tensor.Tensor'> and <class 'list'>."),
    ("assert_close(torch.tensor([1., float('inf')]), torch.tensor([1., "
     "float('inf')]))",
     None,
     None),
    ("assert_close(torch.tensor([1., float('inf')]), torch.tensor([1., "
     "-float('inf')]))",
     'AssertionError',
     'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\n'
     'Greatest absolute difference: inf at index (1,) (up to 1e-05 '
     'allowed)\nGreatest relative difference: nan at index (1,) (up to '
     '1.3e-06 allowed)'),
    ('assert_close(torch.tensor([0., 1.]), torch.tensor([1e-3, 1.]))',
     'AssertionError',
     'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\n'
     'Greatest absolute difference: 0.0010000000474974513 at index (0,) (up '
     'to 1e-05 allowed)\nGreatest relative difference: 1.0 at index (0,) '
     '(up to 1.3e-06 allowed)'),
    ('assert_close(torch.tensor([[1., 2.], [3., 4.]], dtype=torch.float64), '
     'torch.tensor([[1., 2.1], [3.5, 4.]], dtype=torch.float64))',
     'AssertionError',
     'Tensor-likes are not close!\n\nMismatched elements: 2 / 4 (50.0%)\n'
     'Greatest absolute difference: 0.5 at index (1, 0) (up to 1e-07 '
     'allowed)\nGreatest relative difference: 0.14285714285714285 at index '
     '(1, 0) (up to 1e-07 allowed)'),
    ('assert_close(torch.ones(2, requires_grad=True), torch.ones(2))',
     None,
     None),
    ("assert_close('a', 'a')",
     'TypeError',
     "No comparison pair was able to handle inputs of type <class 'str'> "
     "and <class 'str'>."),
    ('assert_close(torch.tensor([1, 2], dtype=torch.int32), '
     'torch.tensor([1, 2]))',
     'AssertionError',
     "The values for attribute 'dtype' do not match: torch.int32 != "
     'torch.int64.'),
    ('assert_close(torch.tensor([1, 2], dtype=torch.int32), '
     'torch.tensor([1, 2]), check_dtype=False)',
     None,
     None),
    ('assert_close(torch.tensor(3), torch.tensor(5))',
     'AssertionError',
     'Scalars are not equal!\n\nExpected 5 but got 3.\nAbsolute difference: '
     '2\nRelative difference: 0.4'),
    ('assert_close(2.0, torch.tensor(2.0))',
     'TypeError',
     "No comparison pair was able to handle inputs of type <class 'float'> "
     "and <class 'nbgrad.tensor.Tensor'>."),
    ('assert_close(torch.tensor([0., 0.]), torch.tensor([0., 1e-3]))',
     'AssertionError',
     'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\n'
     'Greatest absolute difference: 0.0010000000474974513 at index (1,) (up '
     'to 1e-05 allowed)\nGreatest relative difference: 1.0 at index (1,) '
     '(up to 1.3e-06 allowed)'),
]


@pytest.mark.parametrize("code, exc, message", RECORDED, ids=[r[0][:60] for r in RECORDED])
def test_assert_close_matches_pytorch(code, exc, message):
    env = {"torch": torch, "assert_close": assert_close}
    if exc is None:
        eval(code, env)   # noqa: S307 - the recorded call
        return
    with pytest.raises(Exception) as info:
        eval(code, env)   # noqa: S307
    assert type(info.value).__name__ == exc
    assert str(info.value) == message


def test_docs_page_runs(capsys):
    import pathlib
    import re
    page = pathlib.Path(__file__).resolve().parent.parent / "docs" / "testing.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    assert len(blocks) == 3
    ns = {"__name__": "docs_testing"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"testing.md[block {i}]", "exec"), ns)   # noqa: S102
    out = capsys.readouterr().out
    assert out.startswith("Tensor-likes are not close!\n\nMismatched elements: 1 / 4 (25.0%)")
    assert "Self CPU time total: " in out and "aten::mm" in out and "forward" in out
