"""Creation and scalar conversion follow PyTorch (issue 10): integer overflow raises
instead of wrapping on creation (``nb.tensor(2**63)``, ``nb.tensor([300],
dtype=nb.uint8)``, fills, setitem, clamp/where/masked_fill bounds), while integer
arithmetic with Python scalars wraps as PyTorch's does (``int8 + 1000`` is -24,
``int64 * 2**63``); Python's float/int/bool as dtypes are float64/int64/bool;
factories raise PyTorch's exception types (allocation failures are RuntimeError,
``float()`` of a multi-element tensor ValueError, ``nb.tensor(None)``
RuntimeError, ``randn(dtype=int64)`` NotImplementedError, ...).

OUTCOMES was recorded once from PyTorch 2.13.0+cpu with `tests.recorded.record`
(this module never imports torch): each case, run with ``torch`` bound to
nbgrad, must end the same way: the same builtin exception class, or the same
dtype, shape and values.
"""

import pytest

import nbgrad
from tests.recorded import close, outcome

OUTCOMES = {
    'torch.tensor(2**63)':
        ('raises', 'ValueError'),
    'torch.tensor([2**70])':
        ('raises', 'ValueError'),
    'torch.tensor(2**64 - 1)':
        ('raises', 'ValueError'),
    'torch.tensor(-2**63 - 1)':
        ('raises', 'ValueError'),
    'torch.tensor(2**63 - 1)':
        ('value', ('tensor', 'int64', [], 9223372036854775807)),
    'torch.tensor(-2**63)':
        ('value', ('tensor', 'int64', [], -9223372036854775808)),
    'torch.tensor([1, 2**63])':
        ('raises', 'ValueError'),
    'torch.tensor([[1], [2**64]])':
        ('raises', 'ValueError'),
    'torch.tensor([2**64, True])':
        ('raises', 'ValueError'),
    'torch.tensor([1.5, 2**70])':
        ('value', ('tensor', 'float32', [2], [1.5, 1.1805916207174113e+21])),
    'torch.tensor([2**64, 1.0])':
        ('value', ('tensor', 'float32', [2], [1.8446744073709552e+19, 1.0])),
    'torch.tensor([2**1030])':
        ('raises', 'ValueError'),
    'torch.tensor([2**1030], dtype=torch.float64)':
        ('raises', 'OverflowError'),
    'torch.tensor([300], dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.tensor(300, dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.tensor([-1], dtype=torch.uint8)':
        ('value', ('tensor', 'uint8', [1], [255])),
    'torch.tensor([-255], dtype=torch.uint8)':
        ('value', ('tensor', 'uint8', [1], [1])),
    'torch.tensor([-256], dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.tensor([255, 0], dtype=torch.uint8)':
        ('value', ('tensor', 'uint8', [2], [255, 0])),
    'torch.tensor([256], dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.tensor([-0.5], dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.tensor([255.5], dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    "torch.tensor([float('inf')], dtype=torch.uint8)":
        ('raises', 'RuntimeError'),
    "torch.tensor([float('nan')], dtype=torch.uint8)":
        ('raises', 'RuntimeError'),
    'torch.tensor([2**63], dtype=torch.uint8)':
        ('raises', 'ValueError'),
    'torch.tensor([2**63], dtype=torch.float32)':
        ('value', ('tensor', 'float32', [1], [9.223372036854776e+18])),
    'torch.tensor([127, -128], dtype=torch.int8)':
        ('value', ('tensor', 'int8', [2], [127, -128])),
    'torch.tensor([128], dtype=torch.int8)':
        ('raises', 'RuntimeError'),
    'torch.tensor([-129], dtype=torch.int8)':
        ('raises', 'RuntimeError'),
    'torch.tensor([127.9], dtype=torch.int8)':
        ('raises', 'RuntimeError'),
    'torch.tensor([-128.9], dtype=torch.int8)':
        ('raises', 'RuntimeError'),
    'torch.tensor([32767, -32768], dtype=torch.int16)':
        ('value', ('tensor', 'int16', [2], [32767, -32768])),
    'torch.tensor([40000], dtype=torch.int16)':
        ('raises', 'RuntimeError'),
    'torch.tensor([2**31 - 1], dtype=torch.int32)':
        ('value', ('tensor', 'int32', [1], [2147483647])),
    'torch.tensor([2**31], dtype=torch.int32)':
        ('raises', 'RuntimeError'),
    'torch.tensor([1e20], dtype=torch.int32)':
        ('raises', 'RuntimeError'),
    'torch.tensor([1e20], dtype=torch.int64)':
        ('raises', 'RuntimeError'),
    'torch.tensor([9.2e18], dtype=torch.int64)':
        ('value', ('tensor', 'int64', [1], [9200000000000000000])),
    'torch.tensor([9.3e18], dtype=torch.int64)':
        ('raises', 'RuntimeError'),
    'torch.tensor([float(2**63)], dtype=torch.int64)':
        ('value', ('tensor', 'int64', [1], [-9223372036854775808])),
    "torch.tensor([float('nan')], dtype=torch.int64)":
        ('raises', 'RuntimeError'),
    'torch.tensor([1.5, -1.5], dtype=torch.int64)':
        ('value', ('tensor', 'int64', [2], [1, -1])),
    'torch.tensor([1.5, 2**62 + 1], dtype=torch.int64)':
        ('value', ('tensor', 'int64', [2], [1, 4611686018427387905])),
    'torch.tensor([1.5, 2**63], dtype=torch.int64)':
        ('raises', 'ValueError'),
    'torch.tensor([True, 2], dtype=torch.uint8)':
        ('value', ('tensor', 'uint8', [2], [1, 2])),
    "torch.tensor([2, 2**70, 0.5, float('nan')], dtype=torch.bool)":
        ('value', ('tensor', 'bool', [4], [True, True, True, True])),
    'torch.tensor([1e300], dtype=torch.float32)':
        ('value', ('tensor', 'float32', [1], ['inf'])),
    'torch.tensor(np.int64(300), dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.tensor([np.int64(300)], dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.tensor(np.array([300]), dtype=torch.uint8)':
        ('value', ('tensor', 'uint8', [1], [44])),
    'torch.tensor(torch.tensor(300), dtype=torch.uint8)':
        ('value', ('tensor', 'uint8', [], 44)),
    'torch.tensor([torch.tensor(300)], dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.tensor([torch.tensor(1.5), 2])':
        ('value', ('tensor', 'float32', [2], [1.5, 2.0])),
    'torch.tensor([torch.tensor(1, dtype=torch.int8), 300])':
        ('value', ('tensor', 'int64', [2], [1, 300])),
    'torch.tensor([torch.ones(2), torch.ones(2)])':
        ('raises', 'ValueError'),
    'torch.tensor([torch.ones(1), torch.ones(1)])':
        ('value', ('tensor', 'float32', [2], [1.0, 1.0])),
    'torch.tensor([[1, 2], torch.tensor([3, 4])])':
        ('value', ('tensor', 'int64', [2, 2], [[1, 2], [3, 4]])),
    'torch.tensor([torch.tensor(1.5)], dtype=torch.int64)':
        ('raises', 'TypeError'),
    'torch.tensor(None)':
        ('raises', 'RuntimeError'),
    'torch.tensor(object())':
        ('raises', 'RuntimeError'),
    'torch.tensor([1, None])':
        ('raises', 'RuntimeError'),
    'torch.tensor({1: 2})':
        ('raises', 'RuntimeError'),
    "torch.tensor('abc')":
        ('raises', 'TypeError'),
    "torch.tensor([1, 'a'])":
        ('raises', 'TypeError'),
    'torch.tensor([[1, 2], [3]])':
        ('raises', 'ValueError'),
    'torch.tensor([[1, 2], 3])':
        ('raises', 'TypeError'),
    'torch.tensor([1, [2]])':
        ('raises', 'TypeError'),
    'torch.tensor([])':
        ('value', ('tensor', 'float32', [0], [])),
    'torch.tensor([[], []])':
        ('value', ('tensor', 'float32', [2, 0], [[], []])),
    'torch.tensor(range(3))':
        ('value', ('tensor', 'int64', [3], [0, 1, 2])),
    'torch.tensor(((1, 2), (3, 4)))':
        ('value', ('tensor', 'int64', [2, 2], [[1, 2], [3, 4]])),
    'torch.tensor([1, 2.5, True])':
        ('value', ('tensor', 'float32', [3], [1.0, 2.5, 1.0])),
    'torch.ones(2, dtype=float)':
        ('value', ('tensor', 'float64', [2], [1.0, 1.0])),
    'torch.ones(2, dtype=int)':
        ('value', ('tensor', 'int64', [2], [1, 1])),
    'torch.ones(2, dtype=bool)':
        ('value', ('tensor', 'bool', [2], [True, True])),
    'torch.zeros(2, dtype=float)':
        ('value', ('tensor', 'float64', [2], [0.0, 0.0])),
    'torch.empty(2, dtype=int).dtype':
        ('value', ('dtype', 'int64')),
    'torch.full((2,), 3, dtype=float)':
        ('value', ('tensor', 'float64', [2], [3.0, 3.0])),
    'torch.arange(3, dtype=float)':
        ('value', ('tensor', 'float64', [3], [0.0, 1.0, 2.0])),
    'torch.linspace(0, 1, 3, dtype=float)':
        ('value', ('tensor', 'float64', [3], [0.0, 0.5, 1.0])),
    'torch.eye(2, dtype=int)':
        ('value', ('tensor', 'int64', [2, 2], [[1, 0], [0, 1]])),
    'torch.rand(2, dtype=float).dtype':
        ('value', ('dtype', 'float64')),
    'torch.randn(2, dtype=float).dtype':
        ('value', ('dtype', 'float64')),
    'torch.randint(0, 3, (2,), dtype=float).dtype':
        ('value', ('dtype', 'float64')),
    'torch.tensor([1, 2], dtype=float)':
        ('value', ('tensor', 'float64', [2], [1.0, 2.0])),
    'torch.tensor([1.5], dtype=int)':
        ('value', ('tensor', 'int64', [1], [1])),
    'torch.tensor([1.5], dtype=bool)':
        ('value', ('tensor', 'bool', [1], [True])),
    'torch.as_tensor([1, 2], dtype=float)':
        ('value', ('tensor', 'float64', [2], [1.0, 2.0])),
    'torch.ones_like(torch.ones(2), dtype=int)':
        ('value', ('tensor', 'int64', [2], [1, 1])),
    'torch.full_like(torch.ones(2), 1, dtype=float)':
        ('value', ('tensor', 'float64', [2], [1.0, 1.0])),
    'torch.ones(2).to(float)':
        ('value', ('tensor', 'float64', [2], [1.0, 1.0])),
    'torch.ones(2).to(int)':
        ('value', ('tensor', 'int64', [2], [1, 1])),
    'torch.ones(2).to(bool)':
        ('value', ('tensor', 'bool', [2], [True, True])),
    'torch.ones(2).to(dtype=float)':
        ('value', ('tensor', 'float64', [2], [1.0, 1.0])),
    "torch.ones(2).to('cpu', float)":
        ('value', ('tensor', 'float64', [2], [1.0, 1.0])),
    'torch.ones(2).sum(dtype=float)':
        ('value', ('tensor', 'float64', [], 2.0)),
    'torch.ones(2).new_ones(2, dtype=float)':
        ('value', ('tensor', 'float64', [2], [1.0, 1.0])),
    'torch.ones(2).new_zeros(2, dtype=int)':
        ('value', ('tensor', 'int64', [2], [0, 0])),
    'torch.ones(2).new_full((2,), 1, dtype=float)':
        ('value', ('tensor', 'float64', [2], [1.0, 1.0])),
    'torch.ones(2).new_empty(2, dtype=int).dtype':
        ('value', ('dtype', 'int64')),
    'torch.ones(2).new_tensor([1], dtype=float)':
        ('value', ('tensor', 'float64', [1], [1.0])),
    'torch.ones(2).new_tensor([1])':
        ('value', ('tensor', 'float32', [1], [1.0])),
    'torch.ones(2).type()':
        ('value', 'torch.FloatTensor'),
    'torch.ones(2).type(torch.float64)':
        ('value', ('tensor', 'float64', [2], [1.0, 1.0])),
    "torch.ones(2).type('torch.DoubleTensor')":
        ('value', ('tensor', 'float64', [2], [1.0, 1.0])),
    'torch.ones(2).type(float)':
        ('raises', 'ValueError'),
    "torch.ones(2, dtype='float32')":
        ('raises', 'TypeError'),
    'torch.ones(2, dtype=np.float32)':
        ('raises', 'TypeError'),
    'torch.ones(2).to(np.float64)':
        ('raises', 'TypeError'),
    'torch.set_default_dtype(float)':
        ('raises', 'TypeError'),
    'torch.empty(10**13)':
        ('raises', 'RuntimeError'),
    'torch.ones(10**6, 10**7)':
        ('raises', 'RuntimeError'),
    'torch.zeros(10**13)':
        ('raises', 'RuntimeError'),
    'torch.full((10**13,), 1.0)':
        ('raises', 'RuntimeError'),
    'torch.rand(10**13)':
        ('raises', 'RuntimeError'),
    'torch.arange(10**13)':
        ('raises', 'RuntimeError'),
    'torch.ones(2).repeat(10**12)':
        ('raises', 'RuntimeError'),
    'torch.ones(10**7).expand(10**6, 10**7).contiguous()':
        ('raises', 'RuntimeError'),
    'torch.empty(2**62, 2**62)':
        ('raises', 'RuntimeError'),
    'torch.empty(2**40, 2**30)':
        ('raises', 'RuntimeError'),
    'torch.empty(2**63)':
        ('raises', 'TypeError'),
    'torch.empty(True)':
        ('raises', 'TypeError'),
    'torch.empty((2, True)).shape':
        ('value', [2, 1]),
    'torch.empty(torch.tensor(2)).shape':
        ('value', [2]),
    'torch.empty(torch.tensor(2.))':
        ('raises', 'TypeError'),
    'torch.empty(2, 3.0)':
        ('raises', 'TypeError'),
    'torch.ones(-1)':
        ('raises', 'RuntimeError'),
    'torch.ones(2.5)':
        ('raises', 'TypeError'),
    'torch.ones(None)':
        ('raises', 'TypeError'),
    'float(torch.ones(2))':
        ('raises', 'ValueError'),
    'int(torch.ones(2))':
        ('raises', 'ValueError'),
    'float(torch.ones(0))':
        ('raises', 'ValueError'),
    'complex(torch.ones(2))':
        ('raises', 'ValueError'),
    'float(torch.ones(1, 1))':
        ('value', 1.0),
    'int(torch.tensor([[2.7]]))':
        ('value', 2),
    'torch.ones(2).item()':
        ('raises', 'RuntimeError'),
    'bool(torch.ones(2))':
        ('raises', 'RuntimeError'),
    'torch.randn(2, dtype=torch.int64)':
        ('raises', 'NotImplementedError'),
    'torch.rand(2, dtype=torch.int32)':
        ('raises', 'NotImplementedError'),
    'torch.randn(2, dtype=torch.bool)':
        ('raises', 'NotImplementedError'),
    'torch.rand_like(torch.ones(2, dtype=torch.int64))':
        ('raises', 'NotImplementedError'),
    'torch.eye(-1)':
        ('raises', 'RuntimeError'),
    'torch.eye(2, -1)':
        ('raises', 'RuntimeError'),
    'torch.eye(2.5)':
        ('raises', 'TypeError'),
    'torch.eye(True)':
        ('raises', 'TypeError'),
    'torch.eye(torch.tensor(2))':
        ('value', ('tensor', 'float32', [2, 2], [[1.0, 0.0], [0.0, 1.0]])),
    'torch.eye(3, 2)':
        ('value', ('tensor', 'float32', [3, 2], [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])),
    'torch.linspace(0, 1, -1)':
        ('raises', 'RuntimeError'),
    'torch.linspace(0, 1, 2.5)':
        ('raises', 'TypeError'),
    'torch.linspace(0, 1, 0)':
        ('value', ('tensor', 'float32', [0], [])),
    'torch.linspace(0, 300, 3, dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.linspace(-1, 1, 3, dtype=torch.uint8)':
        ('value', ('tensor', 'uint8', [3], [255, 128, 1])),
    'torch.linspace(0, 10, 5, dtype=torch.int8)':
        ('value', ('tensor', 'int8', [5], [0, 2, 5, 7, 10])),
    'torch.linspace(0, 1e300, 2, dtype=torch.float32)':
        ('raises', 'RuntimeError'),
    'torch.linspace(0, 2**70, 3)':
        ('raises', 'OverflowError'),
    'torch.linspace(0, 1, 3, dtype=torch.bool)':
        ('raises', 'NotImplementedError'),
    'torch.arange(0, 10, 0)':
        ('raises', 'RuntimeError'),
    'torch.arange(10, 0)':
        ('raises', 'RuntimeError'),
    "torch.arange(float('inf'))":
        ('raises', 'RuntimeError'),
    "torch.arange(float('nan'))":
        ('raises', 'RuntimeError'),
    'torch.arange(5, dtype=torch.bool)':
        ('raises', 'NotImplementedError'),
    'torch.arange(2.5, dtype=torch.int64)':
        ('value', ('tensor', 'int64', [2], [0, 1])),
    'torch.arange(-2.5, 2, dtype=torch.int64)':
        ('value', ('tensor', 'int64', [4], [-2, -1, 0, 1])),
    'torch.arange(0, 5, 1.5, dtype=torch.int64)':
        ('value', ('tensor', 'int64', [5], [0, 1, 2, 3, 4])),
    'torch.arange(0, 5, 0.5, dtype=torch.int64)':
        ('raises', 'ValueError'),
    'torch.arange(2**63 - 2, 2**63)':
        ('raises', 'RuntimeError'),
    'torch.arange(2**64)':
        ('raises', 'OverflowError'),
    'torch.arange(250, 260, dtype=torch.uint8)':
        ('value', ('tensor', 'uint8', [10], [250, 251, 252, 253, 254, 255, 0, 1, 2, 3])),
    'torch.arange(0, 1e300, 1e299, dtype=torch.int64)':
        ('raises', 'RuntimeError'),
    "torch.arange('a')":
        ('raises', 'TypeError'),
    'torch.arange(True)':
        ('value', ('tensor', 'int64', [1], [0])),
    'torch.arange(np.float64(3))':
        ('value', ('tensor', 'float32', [3], [0.0, 1.0, 2.0])),
    'torch.arange(torch.tensor(3))':
        ('value', ('tensor', 'int64', [3], [0, 1, 2])),
    'torch.randint(5, 2, (3,))':
        ('raises', 'RuntimeError'),
    'torch.randint(2, 2, (3,))':
        ('raises', 'RuntimeError'),
    'torch.randint(5, (3,)).shape':
        ('value', [3]),
    'torch.randint(0, 5, 3)':
        ('raises', 'TypeError'),
    'torch.randint(0, 2.5, (3,))':
        ('raises', 'TypeError'),
    'torch.randint(True, (2,))':
        ('raises', 'TypeError'),
    'torch.randint(0, 2**63, (2,))':
        ('raises', 'ValueError'),
    'torch.randint(0, 300, (2,), dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.randint(-1, 2, (2,), dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.randint(-200, 0, (2,), dtype=torch.int8)':
        ('raises', 'RuntimeError'),
    'torch.randint(0, 3, (2,), dtype=torch.bool)':
        ('raises', 'RuntimeError'),
    'torch.randint(0, 2, (2,), dtype=torch.bool).dtype':
        ('value', ('dtype', 'bool')),
    'torch.manual_seed(2**70)':
        ('raises', 'ValueError'),
    'torch.manual_seed(2**64 - 1).initial_seed()':
        ('value', 18446744073709551615),
    'torch.full(2, 1.0)':
        ('raises', 'TypeError'),
    "torch.full((2,), 'a')":
        ('raises', 'TypeError'),
    'torch.full((2,), torch.ones(2))':
        ('raises', 'TypeError'),
    'torch.full((2,), torch.tensor(2.5))':
        ('value', ('tensor', 'float32', [2], [2.5, 2.5])),
    'torch.full((2,), 2**63)':
        ('raises', 'RuntimeError'),
    'torch.full((2,), 2**63, dtype=torch.float64)':
        ('value', ('tensor', 'float64', [2], [9.223372036854776e+18, 9.223372036854776e+18])),
    'torch.full((2,), 2**70, dtype=torch.float64)':
        ('raises', 'OverflowError'),
    'torch.full((2,), -2**63 - 1, dtype=torch.float64)':
        ('raises', 'OverflowError'),
    'torch.full((2,), 300, dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.full((2,), -1, dtype=torch.uint8)':
        ('value', ('tensor', 'uint8', [2], [255, 255])),
    'torch.full((2,), -256, dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    'torch.full((2,), 255.5, dtype=torch.uint8)':
        ('raises', 'RuntimeError'),
    "torch.full((2,), float('nan'), dtype=torch.int64)":
        ('raises', 'RuntimeError'),
    'torch.full((2,), 1e19, dtype=torch.int64)':
        ('raises', 'RuntimeError'),
    'torch.full((2,), 1.5, dtype=torch.int64)':
        ('value', ('tensor', 'int64', [2], [1, 1])),
    'torch.full((2,), 1e300, dtype=torch.float32)':
        ('raises', 'RuntimeError'),
    "torch.full((2,), float('inf'), dtype=torch.float32)":
        ('value', ('tensor', 'float32', [2], ['inf', 'inf'])),
    'torch.full((2,), 2**40, dtype=torch.int32)':
        ('raises', 'RuntimeError'),
    'torch.full((2,), True, dtype=torch.int8)':
        ('value', ('tensor', 'int8', [2], [1, 1])),
    'torch.full((2,), np.bool_(True))':
        ('value', ('tensor', 'float32', [2], [1.0, 1.0])),
    'torch.full((2,), np.int32(2))':
        ('value', ('tensor', 'int64', [2], [2, 2])),
    'torch.full_like(torch.zeros(2, dtype=torch.uint8), 300)':
        ('raises', 'RuntimeError'),
    'torch.full_like(torch.zeros(2, dtype=torch.uint8), -1)':
        ('value', ('tensor', 'uint8', [2], [255, 255])),
    'torch.ones_like([1, 2])':
        ('raises', 'TypeError'),
    'torch.zeros(2, dtype=torch.uint8).fill_(300)':
        ('raises', 'RuntimeError'),
    'torch.zeros(2, dtype=torch.uint8).fill_(-1)':
        ('value', ('tensor', 'uint8', [2], [255, 255])),
    'torch.zeros(2, dtype=torch.int64).fill_(2**63)':
        ('raises', 'RuntimeError'),
    'torch.zeros(2, dtype=torch.int64).fill_(2**64)':
        ('raises', 'OverflowError'),
    "torch.zeros(2, dtype=torch.int64).fill_(float('nan'))":
        ('raises', 'RuntimeError'),
    'torch.zeros(2, dtype=torch.int64).fill_(1.5)':
        ('value', ('tensor', 'int64', [2], [1, 1])),
    'torch.zeros(2).fill_(1e300)':
        ('raises', 'RuntimeError'),
    'x = torch.zeros(2, dtype=torch.int8)\nx[0] = 200\nx':
        ('raises', 'RuntimeError'),
    'x = torch.zeros(2, dtype=torch.uint8)\nx[0] = -1\nx':
        ('value', ('tensor', 'uint8', [2], [255, 0])),
    'x = torch.zeros(2, dtype=torch.int64)\nx[0] = 2**63\nx':
        ('raises', 'ValueError'),
    'x = torch.zeros(2)\nx[0] = 1e300\nx':
        ('raises', 'RuntimeError'),
    'torch.tensor([1, 2]).masked_fill(torch.tensor([True, False]), 2**63)':
        ('raises', 'RuntimeError'),
    ('torch.tensor([1, 2], dtype=torch.uint8).masked_fill(torch.tensor([True, '
     'False]), 300)'):
        ('raises', 'RuntimeError'),
    'torch.ones(2).masked_fill(torch.tensor([True, False]), 2**70)':
        ('raises', 'OverflowError'),
    'torch.where(torch.tensor([True, False]), torch.tensor([1, 2]), 2**63)':
        ('raises', 'RuntimeError'),
    'torch.tensor([1, 2]).clamp(max=2**63)':
        ('raises', 'RuntimeError'),
    'torch.tensor([1, 2], dtype=torch.int8).clamp(max=1000)':
        ('raises', 'RuntimeError'),
    'torch.tensor([1, 2]).pow(2**63)':
        ('raises', 'RuntimeError'),
    'torch.zeros(2, dtype=torch.int8) + 1000':
        ('value', ('tensor', 'int8', [2], [-24, -24])),
    'torch.zeros(2, dtype=torch.uint8) - 1':
        ('value', ('tensor', 'uint8', [2], [255, 255])),
    'torch.zeros(2, dtype=torch.uint8) + 300':
        ('value', ('tensor', 'uint8', [2], [44, 44])),
    'torch.zeros(2, dtype=torch.uint8) + -300':
        ('value', ('tensor', 'uint8', [2], [212, 212])),
    'torch.ones(2, dtype=torch.int8) * 200':
        ('value', ('tensor', 'int8', [2], [-56, -56])),
    'torch.ones(2, dtype=torch.int16) + 70000':
        ('value', ('tensor', 'int16', [2], [4465, 4465])),
    'torch.ones(2, dtype=torch.int32) + 2**40':
        ('value', ('tensor', 'int32', [2], [1, 1])),
    'torch.tensor([1, 2]) * 2**63':
        ('value', ('tensor', 'int64', [2], [-9223372036854775808, 0])),
    'torch.tensor([1, 2]) * (2**64 - 1)':
        ('value', ('tensor', 'int64', [2], [-1, -2])),
    'torch.tensor([1, 2]) * 2**64':
        ('raises', 'OverflowError'),
    'torch.tensor([1, 2]) * 2**70':
        ('raises', 'OverflowError'),
    'torch.tensor([1, 2]) + (-2**63 - 1)':
        ('raises', 'OverflowError'),
    'torch.tensor([1, 2]) + 2**63':
        ('value', ('tensor', 'int64', [2], [-9223372036854775807, -9223372036854775806])),
    '2**63 * torch.tensor([1, 2])':
        ('value', ('tensor', 'int64', [2], [-9223372036854775808, 0])),
    '2**63 - torch.tensor([1, 2])':
        ('value', ('tensor', 'int64', [2], [9223372036854775807, 9223372036854775806])),
    'torch.tensor([1, 2]) // 2**63':
        ('value', ('tensor', 'int64', [2], [-1, -1])),
    'torch.tensor([1, 2]) % 2**63':
        ('value', ('tensor', 'int64', [2], [-9223372036854775807, -9223372036854775806])),
    'torch.tensor([1, 2]) == 2**63':
        ('value', ('tensor', 'bool', [2], [False, False])),
    'torch.tensor([1, 2]) < 2**63':
        ('value', ('tensor', 'bool', [2], [False, False])),
    'torch.tensor([1, 2]) & 2**63':
        ('value', ('tensor', 'int64', [2], [0, 0])),
    'torch.tensor([1., 2.]) * 2**63':
        ('value', ('tensor', 'float32', [2], [9.223372036854776e+18, 1.8446744073709552e+19])),
    'torch.tensor([1., 2.]) * 2**70':
        ('raises', 'OverflowError'),
    '2**70 * torch.tensor([1., 2.])':
        ('raises', 'OverflowError'),
    'torch.tensor([True, False]) + 2**63':
        ('raises', 'RuntimeError'),
    'torch.tensor([True, False]) + 300':
        ('value', ('tensor', 'int64', [2], [301, 300])),
    'torch.tensor([1, 2], dtype=torch.uint8) * 2**63':
        ('value', ('tensor', 'uint8', [2], [0, 0])),
    'torch.tensor([1, 2], dtype=torch.uint8) * -1':
        ('value', ('tensor', 'uint8', [2], [255, 254])),
    ('torch.tensor([100, 2], dtype=torch.int8) + torch.tensor([100, 2], '
     'dtype=torch.int8)'):
        ('value', ('tensor', 'int8', [2], [-56, 4])),
    'torch.tensor([100, 2], dtype=torch.int8) + torch.tensor(1000)':
        ('value', ('tensor', 'int8', [2], [76, -22])),
    'torch.tensor([2**62, 2]) * 4':
        ('value', ('tensor', 'int64', [2], [0, 8])),
    'torch.tensor([-2**63]) - 1':
        ('value', ('tensor', 'int64', [1], [9223372036854775807])),
    'torch.tensor([1, 2]).add(2**63)':
        ('value', ('tensor', 'int64', [2], [-9223372036854775807, -9223372036854775806])),
    'torch.tensor([1, 2]).add_(2**63)':
        ('value', ('tensor', 'int64', [2], [-9223372036854775807, -9223372036854775806])),
    'torch.tensor([1, 2], dtype=torch.int8).add_(1000)':
        ('value', ('tensor', 'int8', [2], [-23, -22])),
    'torch.tensor([1, 2], dtype=torch.int8).mul_(200)':
        ('value', ('tensor', 'int8', [2], [-56, -112])),
    'torch.tensor([1, 2], dtype=torch.uint8).sub_(3)':
        ('value', ('tensor', 'uint8', [2], [254, 255])),
    "torch.ones(2) == 'a'":
        ('value', False),
    "torch.ones(2) != 'a'":
        ('value', True),
    'torch.ones(2) == None':
        ('value', False),
    'torch.ones(2) == [1, 1]':
        ('value', False),
    "'a' == torch.ones(2)":
        ('value', False),
    "torch.ones(2) < 'a'":
        ('raises', 'TypeError'),
    "torch.ones(2) + 'a'":
        ('raises', 'TypeError'),
    "torch.eq(torch.ones(2), 'a')":
        ('raises', 'TypeError'),
    "'a' in torch.ones(2)":
        ('raises', 'RuntimeError'),
    '1.0 in torch.ones(2)':
        ('value', True),
    "torch.ones(4).view('a')":
        ('raises', 'TypeError'),
    'torch.ones(4).view(2.0)':
        ('raises', 'TypeError'),
    "torch.ones(4).reshape('a')":
        ('raises', 'TypeError'),
    'torch.ones(4).view(np.int64(2), 2).shape':
        ('value', [2, 2]),
    'torch.tensor([1, 2]).add(1, alpha=2**63)':
        ('raises', 'RuntimeError'),
    'torch.tensor([1, 2], dtype=torch.int8).sub(1, alpha=300)':
        ('raises', 'RuntimeError'),
    'torch.ones(2).add(1, alpha=2**70)':
        ('raises', 'OverflowError'),
    'torch.tensor([1, 2]).add(1, alpha=3)':
        ('value', ('tensor', 'int64', [2], [4, 5])),
}
CASES = list(OUTCOMES)


@pytest.mark.parametrize("code", CASES, ids=[c.replace("\n", "; ") for c in CASES])
def test_case_ends_as_in_pytorch(code):
    got = outcome(nbgrad, code)
    assert close(got, OUTCOMES[code]), f"{code}\nPyTorch: {OUTCOMES[code]}\nnbgrad: {got}"


def test_the_recorded_cases_cover_each_kind():
    kinds = [v[0] for v in OUTCOMES.values()]
    assert kinds.count("raises") > 100 and kinds.count("value") > 100


@pytest.mark.parametrize("code, words", [
    ("nbgrad.tensor([300], dtype=nbgrad.uint8)", ["uint8", "300"]),
    ("nbgrad.full((2,), 2**40, dtype=nbgrad.int32)", ["int", "1099511627776"]),
    ("nbgrad.tensor(2**63)", ["Overflow", "9223372036854775808"]),
    ("nbgrad.empty(10**13)", ["40000000000000 bytes", "10000000000000"]),
    ("nbgrad.randn(2, dtype=nbgrad.int64)", ["normal", "Long"]),
    ("nbgrad.randint(0, 300, (2,), dtype=nbgrad.uint8)", ["unsigned char", "300"]),
    ("float(nbgrad.ones(2, 3))", ["[2, 3]"]),
    ("nbgrad.ones(2, dtype='float32')", ["dtype", "str"]),
])
def test_errors_name_the_value_and_dtype(code, words):
    with pytest.raises(Exception) as info:
        eval(code, {"nbgrad": nbgrad})
    for w in words:
        assert w in str(info.value), (code, str(info.value))


def test_wrapping_scalar_arithmetic_matches_twos_complement_on_every_integer_dtype():
    # the kernels see the low bits of the Python int, as C casts give them
    for d, bits in ((nbgrad.int8, 8), (nbgrad.int16, 16), (nbgrad.int32, 32),
                    (nbgrad.int64, 64), (nbgrad.uint8, 8)):
        signed = d is not nbgrad.uint8
        x = nbgrad.tensor([3, 5], dtype=d)
        for k in (1000, -1000, 2**40 + 7, 2**63 + 3, -(2**63)):
            want = [(v + k) % 2**bits for v in (3, 5)]
            if signed:
                want = [w - 2**bits if w >= 2**(bits - 1) else w for w in want]
            assert (x + k).tolist() == want, (d, k)
            assert (k + x).tolist() == want, (d, k)


def test_a_python_scalar_that_fits_keeps_the_fast_path_value():
    x = nbgrad.arange(4, dtype=nbgrad.int8)
    assert (x * 3).tolist() == [0, 3, 6, 9]
    assert (x * 100).tolist() == [0, 100, -56, 44]   # wraps in int8
    assert (nbgrad.ones(3) * 2**63).tolist() == [2.0**63] * 3

