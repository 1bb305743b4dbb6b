"""NumPy operands follow PyTorch (issue 10): NumPy scalars (np.float64, np.float32,
np.int64, np.bool_ ...) act as Python numbers of their kind on either side of every
operator (np.bool_ as a float, as PyTorch reads it); ``tensor OP ndarray`` takes
NumPy's result dtype (PyTorch hands it to NumPy) and refuses a tensor that
requires grad; ``nb.tensor`` infers NumPy scalars' own dtypes; ``from_numpy``,
``tensor`` and ``as_tensor`` give PyTorch's errors for other byte orders,
negative strides and dtypes nbgrad has no tensors of.

OUTCOMES was recorded once from PyTorch 2.13.0+cpu with `tests.recorded.record`
(this module never imports torch).  Deliberate differences are tested on their
own below: PyTorch has float16, uint16/32/64 and complex tensors, nbgrad raises
a TypeError naming the dtype; a read-only array's tensor refuses in-place writes.
"""

import warnings

import numpy as np
import pytest

import nbgrad
from tests.recorded import close, outcome

OUTCOMES = {
    'torch.ones(2) * np.float64(2.0)':
        ('value', ('tensor', 'float32', [2], [2.0, 2.0])),
    'np.float64(2.0) * torch.ones(2)':
        ('value', ('tensor', 'float32', [2], [2.0, 2.0])),
    'torch.ones(2) * np.float32(2.0)':
        ('value', ('tensor', 'float32', [2], [2.0, 2.0])),
    'np.float32(2.0) * torch.ones(2)':
        ('value', ('tensor', 'float32', [2], [2.0, 2.0])),
    'torch.ones(2) * np.int64(2)':
        ('value', ('tensor', 'float32', [2], [2.0, 2.0])),
    'np.int64(2) * torch.ones(2)':
        ('value', ('tensor', 'float32', [2], [2.0, 2.0])),
    'torch.ones(2) * np.bool_(True)':
        ('value', ('tensor', 'float32', [2], [1.0, 1.0])),
    'np.bool_(True) * torch.ones(2)':
        ('value', ('tensor', 'float32', [2], [1.0, 1.0])),
    'np.sqrt(2.0) * torch.ones(2)':
        ('value', ('tensor', 'float32', [2], [1.4142135381698608, 1.4142135381698608])),
    'torch.ones(2) * np.sqrt(2.0)':
        ('value', ('tensor', 'float32', [2], [1.4142135381698608, 1.4142135381698608])),
    'torch.ones(2, dtype=torch.float64) * np.sqrt(2.0)':
        ('value', ('tensor', 'float64', [2], [1.4142135623730951, 1.4142135623730951])),
    'np.float64(2.5) + torch.ones(2)':
        ('value', ('tensor', 'float32', [2], [3.5, 3.5])),
    'np.float64(2.5) - torch.ones(2)':
        ('value', ('tensor', 'float32', [2], [1.5, 1.5])),
    'np.float64(2.5) / torch.ones(2)':
        ('value', ('tensor', 'float32', [2], [2.5, 2.5])),
    'np.float64(2.5) // torch.ones(2)':
        ('value', ('tensor', 'float32', [2], [2.0, 2.0])),
    'np.float64(2.5) % torch.ones(2)':
        ('value', ('tensor', 'float32', [2], [0.5, 0.5])),
    'np.float64(2.5) ** torch.ones(2)':
        ('value', ('tensor', 'float32', [2], [2.5, 2.5])),
    'torch.ones(2) ** np.float64(2.0)':
        ('value', ('tensor', 'float32', [2], [1.0, 1.0])),
    'torch.ones(2) - np.float32(0.5)':
        ('value', ('tensor', 'float32', [2], [0.5, 0.5])),
    'torch.ones(2) / np.int32(4)':
        ('value', ('tensor', 'float32', [2], [0.25, 0.25])),
    'np.float64(2.5) < torch.ones(2)':
        ('value', ('tensor', 'bool', [2], [False, False])),
    'np.float64(2.5) == torch.ones(2)':
        ('value', ('tensor', 'bool', [2], [False, False])),
    'np.float64(1.0) >= torch.ones(2)':
        ('value', ('tensor', 'bool', [2], [True, True])),
    'torch.ones(2) != np.float64(1.0)':
        ('value', ('tensor', 'bool', [2], [False, False])),
    'np.int64(3) & torch.tensor([1, 2])':
        ('value', ('tensor', 'int64', [2], [1, 2])),
    'np.int64(3) | torch.tensor([1, 2])':
        ('value', ('tensor', 'int64', [2], [3, 3])),
    'np.int64(3) ^ torch.tensor([1, 2])':
        ('value', ('tensor', 'int64', [2], [2, 1])),
    'torch.tensor([1, 2]) & np.int64(3)':
        ('value', ('tensor', 'int64', [2], [1, 2])),
    'np.float64(2.0) * torch.tensor([1, 2])':
        ('value', ('tensor', 'float32', [2], [2.0, 4.0])),
    'torch.tensor([1, 2]) * np.float64(2.0)':
        ('value', ('tensor', 'float32', [2], [2.0, 4.0])),
    'torch.tensor([1, 2]) * np.float32(2.5)':
        ('value', ('tensor', 'float32', [2], [2.5, 5.0])),
    'torch.tensor([1, 2]) + np.float16(1.5)':
        ('value', ('tensor', 'float32', [2], [2.5, 3.5])),
    'np.float16(1.5) + torch.tensor([1, 2])':
        ('value', ('tensor', 'float32', [2], [2.5, 3.5])),
    'torch.tensor([1, 2]) * np.bool_(True)':
        ('value', ('tensor', 'float32', [2], [1.0, 2.0])),
    'torch.tensor([True, False]) * np.bool_(True)':
        ('value', ('tensor', 'float32', [2], [1.0, 0.0])),
    'torch.tensor([True, False]) + np.int64(1)':
        ('value', ('tensor', 'int64', [2], [2, 1])),
    'torch.tensor([True, False]) + np.float32(1.5)':
        ('value', ('tensor', 'float32', [2], [2.5, 1.5])),
    'np.int64(2) * torch.tensor([1, 2], dtype=torch.int8)':
        ('value', ('tensor', 'int8', [2], [2, 4])),
    'np.int32(2) * torch.tensor([1, 2], dtype=torch.int8)':
        ('value', ('tensor', 'int8', [2], [2, 4])),
    'torch.tensor([1, 2], dtype=torch.int8) + np.int64(1000)':
        ('value', ('tensor', 'int8', [2], [-23, -22])),
    'torch.tensor([1, 2], dtype=torch.int8) * np.int64(2**40)':
        ('value', ('tensor', 'int8', [2], [0, 0])),
    'torch.tensor([1, 2], dtype=torch.uint8) + np.int64(-1)':
        ('value', ('tensor', 'uint8', [2], [0, 1])),
    'torch.tensor([1, 2]) + np.uint64(5)':
        ('value', ('tensor', 'int64', [2], [6, 7])),
    'torch.tensor([1, 2], dtype=torch.float64) * np.float32(2.5)':
        ('value', ('tensor', 'float64', [2], [2.5, 5.0])),
    'torch.tensor([1., 2.]) + np.float64(1e300)':
        ('value', ('tensor', 'float32', [2], ['inf', 'inf'])),
    'torch.ones(2, requires_grad=True) * np.float64(2.0)':
        ('value', ('tensor', 'float32', [2], [2.0, 2.0])),
    ('(np.float64(2.0) * torch.ones(2, requires_grad=True)).grad_fn is not '
     'None'):
        ('value', True),
    ('x = torch.ones(2, requires_grad=True)\n(np.float64(3.0) * '
     'x).sum().backward()\nx.grad'):
        ('value', ('tensor', 'float32', [2], [3.0, 3.0])),
    ('x = torch.ones(2, requires_grad=True)\n(x * np.float32(3.0) + '
     'np.int64(1)).sum().backward()\nx.grad'):
        ('value', ('tensor', 'float32', [2], [3.0, 3.0])),
    'torch.ones(2).add(np.float64(2.0))':
        ('value', ('tensor', 'float32', [2], [3.0, 3.0])),
    'torch.add(torch.ones(2), np.float64(2.0), alpha=np.float64(2.0))':
        ('value', ('tensor', 'float32', [2], [5.0, 5.0])),
    'torch.ones(2).mul_(np.float64(2.0))':
        ('value', ('tensor', 'float32', [2], [2.0, 2.0])),
    'torch.ones(2).add_(np.float64(2.0))':
        ('value', ('tensor', 'float32', [2], [3.0, 3.0])),
    'torch.tensor([1, 2]).add_(np.float64(2.0))':
        ('raises', 'RuntimeError'),
    'torch.tensor([1, 2]).mul_(np.int64(3))':
        ('value', ('tensor', 'int64', [2], [3, 6])),
    'torch.ones(2).pow(np.float64(2.0))':
        ('value', ('tensor', 'float32', [2], [1.0, 1.0])),
    'torch.ones(2).clamp(np.float64(0.5), np.float64(2.0))':
        ('value', ('tensor', 'float32', [2], [1.0, 1.0])),
    'torch.ones(2).masked_fill(torch.tensor([True, False]), np.float64(3.0))':
        ('value', ('tensor', 'float32', [2], [3.0, 1.0])),
    'torch.where(torch.tensor([True, False]), torch.ones(2), np.float64(3.0))':
        ('value', ('tensor', 'float32', [2], [1.0, 3.0])),
    'torch.full((2,), np.float64(2.5))':
        ('value', ('tensor', 'float32', [2], [2.5, 2.5])),
    'torch.full((2,), np.float32(2.5)).dtype':
        ('value', ('dtype', 'float32')),
    'torch.full((2,), np.int32(2)).dtype':
        ('value', ('dtype', 'int64')),
    'torch.full((2,), np.bool_(True)).dtype':
        ('value', ('dtype', 'float32')),
    'torch.ones(2) + np.ones(2)':
        ('value', ('tensor', 'float64', [2], [2.0, 2.0])),
    'torch.ones(2) - np.ones(2)':
        ('value', ('tensor', 'float64', [2], [0.0, 0.0])),
    'torch.ones(2) * np.ones(2, np.float32)':
        ('value', ('tensor', 'float32', [2], [1.0, 1.0])),
    'torch.ones(2) / np.ones(2)':
        ('value', ('tensor', 'float64', [2], [1.0, 1.0])),
    'torch.tensor([1, 2]) / np.array([1, 2])':
        ('value', ('tensor', 'float64', [2], [1.0, 1.0])),
    'torch.tensor([1, 2], dtype=torch.int8) / np.array([1, 2], np.int8)':
        ('value', ('tensor', 'float64', [2], [1.0, 1.0])),
    'torch.ones(2) + np.ones((2, 2))':
        ('value', ('tensor', 'float64', [2, 2], [[2.0, 2.0], [2.0, 2.0]])),
    'torch.ones(2) + np.ones(3)':
        ('raises', 'ValueError'),
    'torch.tensor([1, 2]) + np.ones(2, np.int32)':
        ('value', ('tensor', 'int64', [2], [2, 3])),
    'torch.ones(2, dtype=torch.int32) + np.ones((2, 2), np.int64)':
        ('value', ('tensor', 'int64', [2, 2], [[2, 2], [2, 2]])),
    'torch.tensor([1], dtype=torch.int16) + np.array([1], np.uint8)':
        ('value', ('tensor', 'int16', [1], [2])),
    'torch.ones(2, dtype=torch.float64) + np.array(2.5, np.float32)':
        ('value', ('tensor', 'float64', [2], [3.5, 3.5])),
    'torch.ones(2, dtype=torch.int8) + np.array(2)':
        ('value', ('tensor', 'int64', [2], [3, 3])),
    'torch.ones(2) + np.array(2.5)':
        ('value', ('tensor', 'float64', [2], [3.5, 3.5])),
    'torch.ones(2) == np.ones(2)':
        ('value', ('tensor', 'bool', [2], [True, True])),
    'np.ones(2) == torch.ones(2)':
        ('value', ('tensor', 'bool', [2], [True, True])),
    'torch.tensor([1., 2.]) == np.array([1., 3.])':
        ('value', ('tensor', 'bool', [2], [True, False])),
    'torch.tensor([1., 2.]) != np.array([1., 3.])':
        ('value', True),
    'torch.ones(2) < np.ones(2)':
        ('raises', 'TypeError'),
    'np.ones(2) + torch.ones(2)':
        ('raises', 'TypeError'),
    'np.ones(2, np.float32) * torch.ones(2)':
        ('raises', 'TypeError'),
    'np.array(2.5) * torch.ones(2)':
        ('raises', 'TypeError'),
    'torch.ones(2, requires_grad=True) + np.ones(2)':
        ('raises', 'RuntimeError'),
    'np.ones(2) + torch.ones(2, requires_grad=True)':
        ('raises', 'TypeError'),
    'torch.add(torch.ones(2), np.ones(2))':
        ('raises', 'TypeError'),
    'torch.mul(np.ones(2), torch.ones(2))':
        ('raises', 'TypeError'),
    'torch.ones(2).add(np.ones(2))':
        ('raises', 'TypeError'),
    'torch.ones(2).add_(np.ones(2))':
        ('raises', 'TypeError'),
    'torch.maximum(torch.ones(2), np.ones(2))':
        ('raises', 'TypeError'),
    'torch.exp(np.ones(2))':
        ('raises', 'TypeError'),
    'torch.tensor([np.float64(1.0)])':
        ('value', ('tensor', 'float64', [1], [1.0])),
    'torch.tensor([np.float64(1.0), 2.0])':
        ('value', ('tensor', 'float64', [2], [1.0, 2.0])),
    'torch.tensor([np.float32(1.0), 2])':
        ('value', ('tensor', 'float32', [2], [1.0, 2.0])),
    'torch.tensor([np.float32(1.0), np.float64(2)])':
        ('value', ('tensor', 'float64', [2], [1.0, 2.0])),
    'torch.tensor([1.5, np.float64(2.0)])':
        ('value', ('tensor', 'float64', [2], [1.5, 2.0])),
    'torch.tensor([np.int32(1), 2])':
        ('value', ('tensor', 'int64', [2], [1, 2])),
    'torch.tensor([np.int32(1)])':
        ('value', ('tensor', 'int32', [1], [1])),
    'torch.tensor([np.int8(1), np.uint8(2)])':
        ('value', ('tensor', 'int16', [2], [1, 2])),
    'torch.tensor([np.int32(1), 2.5])':
        ('value', ('tensor', 'float32', [2], [1.0, 2.5])),
    'torch.tensor([np.bool_(True)])':
        ('value', ('tensor', 'bool', [1], [True])),
    'torch.tensor([np.bool_(True), True])':
        ('value', ('tensor', 'bool', [2], [True, True])),
    'torch.tensor([np.bool_(True), 2])':
        ('raises', 'TypeError'),
    'torch.tensor([np.bool_(True), 2.5])':
        ('value', ('tensor', 'float32', [2], [1.0, 2.5])),
    'torch.tensor([np.bool_(True)], dtype=torch.int64)':
        ('raises', 'TypeError'),
    'torch.tensor([np.bool_(True)], dtype=torch.float32)':
        ('value', ('tensor', 'float32', [1], [1.0])),
    'torch.tensor([True, np.int8(1)])':
        ('value', ('tensor', 'int8', [2], [1, 1])),
    'torch.tensor([np.int8(1), 1000])':
        ('value', ('tensor', 'int64', [2], [1, 1000])),
    'torch.tensor([np.int16(1000)], dtype=torch.int8)':
        ('raises', 'RuntimeError'),
    'torch.tensor([np.float64(-1.5)], dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.tensor([np.float32(0.0)], dtype=torch.bool)':
        ('raises', 'TypeError'),
    'torch.tensor([np.int64(3)], dtype=torch.float32)':
        ('value', ('tensor', 'float32', [1], [3.0])),
    'torch.tensor([np.float32(3.5)], dtype=torch.int64)':
        ('raises', 'TypeError'),
    'torch.tensor([np.float16(1.5)], dtype=torch.int64)':
        ('raises', 'TypeError'),
    'torch.tensor([np.float16(1), 2.0])':
        ('value', ('tensor', 'float32', [2], [1.0, 2.0])),
    'torch.tensor([np.uint64(5)], dtype=torch.int64)':
        ('value', ('tensor', 'int64', [1], [5])),
    'torch.tensor(np.uint64(2**64 - 1))':
        ('raises', 'TypeError'),
    'torch.tensor(np.float64(2.5))':
        ('value', ('tensor', 'float64', [], 2.5)),
    'torch.tensor(np.float64(2.5), dtype=torch.int64)':
        ('value', ('tensor', 'int64', [], 2)),
    'torch.tensor(np.float64(1e300), dtype=torch.int64)':
        ('raises', 'RuntimeError'),
    'torch.tensor(np.int64(-1), dtype=torch.uint8)':
        ('value', ('tensor', 'uint8', [], 255)),
    'torch.tensor(np.int64(200), dtype=torch.int8)':
        ('raises', 'RuntimeError'),
    'torch.tensor(np.int8(-1), dtype=torch.uint8)':
        ('value', ('tensor', 'uint8', [], 255)),
    'torch.tensor(np.float32(np.nan), dtype=torch.int32)':
        ('raises', 'TypeError'),
    'torch.tensor(np.int32(5))':
        ('value', ('tensor', 'int32', [], 5)),
    'torch.tensor(np.uint8(5))':
        ('value', ('tensor', 'uint8', [], 5)),
    'torch.tensor(np.bool_(True))':
        ('value', ('tensor', 'bool', [], True)),
    'torch.tensor(np.array(2.5))':
        ('value', ('tensor', 'float64', [], 2.5)),
    'torch.tensor(np.array(2.5, np.float32))':
        ('value', ('tensor', 'float32', [], 2.5)),
    'torch.tensor(np.array(300), dtype=torch.uint8)':
        ('value', ('tensor', 'uint8', [], 44)),
    'torch.tensor(np.array([-1.5]), dtype=torch.uint8).dtype':
        ('value', ('dtype', 'uint8')),
    'torch.tensor(np.array([1e300]), dtype=torch.float32)':
        ('value', ('tensor', 'float32', [1], ['inf'])),
    'torch.tensor([np.array(2.5), 1])':
        ('raises', 'TypeError'),
    'torch.tensor([np.array([1]), 2])':
        ('raises', 'TypeError'),
    'torch.tensor([np.array([1.0, 2.0]), np.array([3.0, 4.0])])':
        ('value', ('tensor', 'float64', [2, 2], [[1.0, 2.0], [3.0, 4.0]])),
    'torch.tensor([np.array([1, 2]), np.array([3, 4])])':
        ('value', ('tensor', 'int64', [2, 2], [[1, 2], [3, 4]])),
    'torch.tensor([np.array([1, 2], np.int32), np.array([3, 4], np.int32)])':
        ('value', ('tensor', 'int32', [2, 2], [[1, 2], [3, 4]])),
    'torch.tensor([np.array([1, 2], np.int32), [3, 4]])':
        ('value', ('tensor', 'int64', [2, 2], [[1, 2], [3, 4]])),
    "torch.tensor(np.ones(2, '>f8'))":
        ('raises', 'ValueError'),
    "torch.tensor(np.ones(2, '>i4'))":
        ('raises', 'ValueError'),
    "torch.as_tensor(np.ones(2, '>f8'))":
        ('raises', 'ValueError'),
    "torch.from_numpy(np.ones(2, '>f8'))":
        ('raises', 'ValueError'),
    "torch.from_numpy(np.ones(2, '<f8')).dtype":
        ('value', ('dtype', 'float64')),
    'torch.from_numpy(np.ones(4)[::-1])':
        ('raises', 'ValueError'),
    'torch.tensor(np.ones(4)[::-1])':
        ('raises', 'ValueError'),
    'torch.tensor(np.ones((2, 2))[:, ::-1])':
        ('raises', 'ValueError'),
    'torch.as_tensor(np.ones(4)[::-1])':
        ('raises', 'ValueError'),
    'torch.from_numpy(np.ones((2, 3))[:, ::2])':
        ('value', ('tensor', 'float64', [2, 2], [[1.0, 1.0], [1.0, 1.0]])),
    'torch.from_numpy(np.broadcast_to(np.ones(1), (3,)))':
        ('value', ('tensor', 'float64', [3], [1.0, 1.0, 1.0])),
    'torch.from_numpy(np.broadcast_to(np.ones(1), (3,))).add_(1)':
        ('raises', 'RuntimeError'),
    'torch.from_numpy([1, 2])':
        ('raises', 'TypeError'),
    'torch.from_numpy(np.float64(1.0))':
        ('raises', 'TypeError'),
    'torch.from_numpy(np.array(1.5))':
        ('value', ('tensor', 'float64', [], 1.5)),
    'torch.from_numpy(np.ones(2, object))':
        ('raises', 'TypeError'),
    "torch.from_numpy(np.array(['a']))":
        ('raises', 'TypeError'),
    "torch.from_numpy(np.ones(2, 'M8[s]'))":
        ('raises', 'TypeError'),
    'torch.tensor(np.ones(2, object))':
        ('raises', 'TypeError'),
    "torch.tensor(np.array(['a']))":
        ('raises', 'TypeError'),
    'torch.from_numpy(np.ones(2, np.int32)).dtype':
        ('value', ('dtype', 'int32')),
    'torch.from_numpy(np.ones(2, np.int8)).dtype':
        ('value', ('dtype', 'int8')),
    'torch.from_numpy(np.ones(2, np.int16)).dtype':
        ('value', ('dtype', 'int16')),
    'torch.from_numpy(np.ones(2, np.bool_)).dtype':
        ('value', ('dtype', 'bool')),
    'torch.from_numpy(np.ones(2, np.uint8)).dtype':
        ('value', ('dtype', 'uint8')),
    'torch.from_numpy(np.ones(2, np.float32)).dtype':
        ('value', ('dtype', 'float32')),
    'a = np.zeros(3)\nt = torch.from_numpy(a)\nt.add_(1)\na':
        ('value', ('ndarray', 'float64', [1.0, 1.0, 1.0])),
    'a = np.zeros(3)\nt = torch.from_numpy(a)\na[1] = 5\nt':
        ('value', ('tensor', 'float64', [3], [0.0, 5.0, 0.0])),
    'a = np.zeros(3)\nt = torch.as_tensor(a)\nt[0] = 2\na':
        ('value', ('ndarray', 'float64', [2.0, 0.0, 0.0])),
    'a = np.zeros(3)\nt = torch.tensor(a)\nt[0] = 2\na':
        ('value', ('ndarray', 'float64', [0.0, 0.0, 0.0])),
    'float(np.float64(1.0) * torch.ones(1))':
        ('value', 1.0),
    'torch.tensor(np.float64(2.0)) * torch.ones(2)':
        ('value', ('tensor', 'float32', [2], [2.0, 2.0])),
    'np.asarray(torch.ones(2))':
        ('value', ('ndarray', 'float32', [1.0, 1.0])),
    'np.array(torch.ones(2), dtype=np.float64)':
        ('value', ('ndarray', 'float64', [1.0, 1.0])),
    'np.asarray(torch.ones(2, requires_grad=True))':
        ('raises', 'RuntimeError'),
}
CASES = list(OUTCOMES)


@pytest.mark.parametrize("code", CASES, ids=[c.replace("\n", "; ") for c in CASES])
def test_case_ends_as_in_pytorch(code):
    got = outcome(nbgrad, code)
    assert close(got, OUTCOMES[code]), f"{code}\nPyTorch: {OUTCOMES[code]}\nnbgrad: {got}"


@pytest.mark.parametrize("scalar", [np.float64(2.5), np.float32(2.5), np.int64(3), np.int8(3),
                                    np.bool_(True), np.float16(0.5)])
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "==", "<", ">="])
def test_numpy_scalars_act_as_python_numbers_on_both_sides(scalar, op):
    x = nbgrad.tensor([1.0, 2.0, 4.0])
    py = scalar.item() if not isinstance(scalar, np.bool_) else float(scalar)
    for expr in (f"x {op} s", f"s {op} x"):
        got = eval(expr, {"x": x, "s": scalar})
        want = eval(expr, {"x": x, "s": py})
        assert got.dtype is want.dtype and got.tolist() == want.tolist(), (expr, scalar)


@pytest.mark.parametrize("dtype, name", [(np.float16, "float16"), (np.uint16, "uint16"),
                                         (np.uint32, "uint32"), (np.uint64, "uint64"),
                                         (np.complex64, "complex64"),
                                         (np.complex128, "complex128")])
@pytest.mark.parametrize("make", ["from_numpy", "tensor", "as_tensor"])
def test_dtypes_nbgrad_lacks_are_a_type_error_naming_them(dtype, name, make):
    # PyTorch has these tensor types; nbgrad's kernels do not (docs/differential.md)
    with pytest.raises(TypeError, match=name):
        getattr(nbgrad, make)(np.ones(2, dtype))


def test_a_complex_scalar_operand_is_refused_not_truncated():
    with pytest.raises(TypeError, match="complex"):
        nbgrad.ones(2) + np.complex128(1 + 2j)


def test_a_read_only_array_warns_and_refuses_in_place_writes():
    a = np.arange(3.0)
    a.setflags(write=False)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        t = nbgrad.from_numpy(a)
    assert any("not writable" in str(x.message) for x in w)
    for write in (lambda: t.add_(1), lambda: t.mul_(2), lambda: t.__setitem__(0, 5.0),
                  lambda: t.fill_(2), lambda: t.zero_(), lambda: t.clamp_(0, 1)):
        with pytest.raises(RuntimeError, match="read-only"):
            write()
    assert a.tolist() == [0.0, 1.0, 2.0]          # never written
    assert (t + 1).tolist() == [1.0, 2.0, 3.0]    # reads are fine


def test_tensor_op_ndarray_computes_in_nbgrad_with_numpy_dtype():
    x = nbgrad.tensor([1, 2, 3], dtype=nbgrad.int32)
    out = x * np.array([2, 2, 2], dtype=np.int64)
    assert out.dtype is nbgrad.int64 and out.tolist() == [2, 4, 6]
    assert (x / np.array([2, 2, 2])).dtype is nbgrad.float64   # NumPy's true division
