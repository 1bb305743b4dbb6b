"""Tests for nbgrad._printing: repr/str byte-identical to PyTorch 2.x.

Every expected string below was produced by the real ``repr`` of PyTorch 2.13
on the same values (a throwaway script, not part of the repo), so the tests
never import torch.  A small stand-in tensor supplies exactly the attributes
that ``tensor_repr`` is allowed to use, so they do not depend on Tensor either.
"""

import math
import sys
from pathlib import Path

import numpy as np
import pytest

# Run from any directory, before nbgrad is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nbgrad import _printing  # noqa: E402
from nbgrad._printing import (  # noqa: E402
    get_printoptions, printoptions, set_printoptions, tensor_repr)

f32, f64 = np.float32, np.float64
# The names the value sources in CASES may use.
_SOURCE_NAMES = {"np": np, "f32": f32, "f64": f64, "nan": np.nan, "inf": np.inf}


class _DType:
    def __init__(self, name):
        self.name = name
        self.is_floating_point = name.startswith("float")

    def __repr__(self):
        return "torch." + self.name


class _Device:
    def __init__(self, spec):
        self.type = spec.split(":")[0]
        self._spec = spec

    def __str__(self):
        return self._spec


class _StandIn:
    """The attributes of a Tensor that tensor_repr may rely on, over numpy."""

    def __init__(self, values, grad=None, device="cpu"):
        self._values = np.asarray(values)
        self.dtype = _DType(self._values.dtype.name)
        self.device = _Device(device)
        self.shape = tuple(self._values.shape)
        # grad: None, "leaf" (requires_grad leaf) or a grad_fn class name.
        self.requires_grad = grad is not None
        self.is_leaf = grad in (None, "leaf")
        self.grad_fn = None if self.is_leaf else type(grad, (), {})()

    def _host(self):
        return self._values


@pytest.fixture(autouse=True)
def _default_options():
    set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")


# (id, numpy source of the values, grad, print options, torch's repr)
CASES = [
    ('seed_ones_leaf', 'np.ones((2, 2), f32)', 'leaf', {},
     'tensor([[1., 1.],\n'
     '        [1., 1.]], requires_grad=True)'),
    ('seed_add', 'np.full((2, 2), 3, f32)', 'AddBackward0', {},
     'tensor([[3., 3.],\n'
     '        [3., 3.]], grad_fn=<AddBackward0>)'),
    ('seed_mul', 'np.full((2, 2), 27, f32)', 'MulBackward0', {},
     'tensor([[27., 27.],\n'
     '        [27., 27.]], grad_fn=<MulBackward0>)'),
    ('seed_mean_0d', 'np.array(27, f32)', 'MeanBackward0', {},
     'tensor(27., grad_fn=<MeanBackward0>)'),
    ('seed_grad', 'np.full((2, 2), 4.5, f32)', None, {},
     'tensor([[4.5000, 4.5000],\n'
     '        [4.5000, 4.5000]])'),
    ('seed_mixed_width', 'np.array([-468.6488, 15.7427, 897.0353], f32)', 'MulBackward0', {},
     'tensor([-468.6488,   15.7427,  897.0353], grad_fn=<MulBackward0>)'),
    ('seed_sci', 'np.array([51.2, 512.0, 0.0512], f32)', None, {},
     'tensor([5.1200e+01, 5.1200e+02, 5.1200e-02])'),
    ('int_valued_floats', 'np.array([1, 2, -3, 100], f32)', None, {},
     'tensor([  1.,   2.,  -3., 100.])'),
    ('four_decimals', 'np.array([0.1, 1.23456, -2.5, 3.0], f32)', None, {},
     'tensor([ 0.1000,  1.2346, -2.5000,  3.0000])'),
    ('sci_small', 'np.array([1e-5, 1.0, 2.0], f32)', None, {},
     'tensor([1.0000e-05, 1.0000e+00, 2.0000e+00])'),
    ('sci_large_ints', 'np.array([1e9, 1.0], f32)', None, {},
     'tensor([1.0000e+09, 1.0000e+00])'),
    ('sci_negative', 'np.array([-1.5e-7, 3.25e3], f64)', None, {},
     'tensor([-1.5000e-07,  3.2500e+03], dtype=torch.float64)'),
    ('negative_2d', 'np.array([[-1.5, 2.25], [10.125, -100.0]], f32)', None, {},
     'tensor([[  -1.5000,    2.2500],\n'
     '        [  10.1250, -100.0000]])'),
    ('neg_zero', 'np.array([-0.0, 0.0, 1.0], f32)', None, {},
     'tensor([-0., 0., 1.])'),
    ('all_zero', 'np.zeros(3, f32)', None, {},
     'tensor([0., 0., 0.])'),
    ('nested_3d', 'np.arange(24, dtype=f32).reshape(2, 3, 4) - 12', None, {},
     'tensor([[[-12., -11., -10.,  -9.],\n'
     '         [ -8.,  -7.,  -6.,  -5.],\n'
     '         [ -4.,  -3.,  -2.,  -1.]],\n'
     '\n'
     '        [[  0.,   1.,   2.,   3.],\n'
     '         [  4.,   5.,   6.,   7.],\n'
     '         [  8.,   9.,  10.,  11.]]])'),
    ('nested_4d', '(np.arange(16, dtype=f32).reshape(2, 2, 2, 2) - 8) / 4', None, {},
     'tensor([[[[-2.0000, -1.7500],\n'
     '          [-1.5000, -1.2500]],\n'
     '\n'
     '         [[-1.0000, -0.7500],\n'
     '          [-0.5000, -0.2500]]],\n'
     '\n'
     '\n'
     '        [[[ 0.0000,  0.2500],\n'
     '          [ 0.5000,  0.7500]],\n'
     '\n'
     '         [[ 1.0000,  1.2500],\n'
     '          [ 1.5000,  1.7500]]]])'),
    ('wide_1d', '(np.arange(40, dtype=f32) * 37 % 101 - 50) / 7', None, {},
     'tensor([-7.1429, -1.8571,  3.4286, -5.7143, -0.4286,  4.8571, -4.2857,  1.0000,\n'
     '         6.2857, -2.8571,  2.4286, -6.7143, -1.4286,  3.8571, -5.2857,  0.0000,\n'
     '         5.2857, -3.8571,  1.4286,  6.7143, -2.4286,  2.8571, -6.2857, -1.0000,\n'
     '         4.2857, -4.8571,  0.4286,  5.7143, -3.4286,  1.8571,  7.1429, -2.0000,\n'
     '         3.2857, -5.8571, -0.5714,  4.7143, -4.4286,  0.8571,  6.1429, -3.0000])'),
    ('wide_2d_rows', '(np.arange(36, dtype=f32).reshape(2, 18) * 13 % 29 - 14) / 3', None, {},
     'tensor([[-4.6667, -0.3333,  4.0000, -1.3333,  3.0000, -2.3333,  2.0000, -3.3333,\n'
     '          1.0000, -4.3333,  0.0000,  4.3333, -1.0000,  3.3333, -2.0000,  2.3333,\n'
     '         -3.0000,  1.3333],\n'
     '        [-4.0000,  0.3333,  4.6667, -0.6667,  3.6667, -1.6667,  2.6667, -2.6667,\n'
     '          1.6667, -3.6667,  0.6667, -4.6667, -0.3333,  4.0000, -1.3333,  3.0000,\n'
     '         -2.3333,  2.0000]])'),
    ('summarized_1d', 'np.arange(2000, dtype=f32) / 2', None, {},
     'tensor([0.0000e+00, 5.0000e-01, 1.0000e+00,  ..., 9.9850e+02, 9.9900e+02,\n'
     '        9.9950e+02])'),
    ('summarized_int_1d', 'np.arange(2000) - 1000', None, {},
     'tensor([-1000,  -999,  -998,  ...,   997,   998,   999])'),
    ('summarized_2d', '(np.arange(2500, dtype=f32).reshape(50, 50) % 97 - 48) / 4', None, {},
     'tensor([[-12.0000, -11.7500, -11.5000,  ...,  -0.2500,   0.0000,   0.2500],\n'
     '        [  0.5000,   0.7500,   1.0000,  ..., -12.0000, -11.7500, -11.5000],\n'
     '        [-11.2500, -11.0000, -10.7500,  ...,   0.5000,   0.7500,   1.0000],\n'
     '        ...,\n'
     '        [ -6.5000,  -6.2500,  -6.0000,  ...,   5.2500,   5.5000,   5.7500],\n'
     '        [  6.0000,   6.2500,   6.5000,  ...,  -6.5000,  -6.2500,  -6.0000],\n'
     '        [ -5.7500,  -5.5000,  -5.2500,  ...,   6.0000,   6.2500,   6.5000]])'),
    ('summarized_3d', 'np.arange(98).reshape(7, 2, 7)', None, {'threshold': 50},
     'tensor([[[ 0,  1,  2,  ...,  4,  5,  6],\n'
     '         [ 7,  8,  9,  ..., 11, 12, 13]],\n'
     '\n'
     '        [[14, 15, 16,  ..., 18, 19, 20],\n'
     '         [21, 22, 23,  ..., 25, 26, 27]],\n'
     '\n'
     '        [[28, 29, 30,  ..., 32, 33, 34],\n'
     '         [35, 36, 37,  ..., 39, 40, 41]],\n'
     '\n'
     '        ...,\n'
     '\n'
     '        [[56, 57, 58,  ..., 60, 61, 62],\n'
     '         [63, 64, 65,  ..., 67, 68, 69]],\n'
     '\n'
     '        [[70, 71, 72,  ..., 74, 75, 76],\n'
     '         [77, 78, 79,  ..., 81, 82, 83]],\n'
     '\n'
     '        [[84, 85, 86,  ..., 88, 89, 90],\n'
     '         [91, 92, 93,  ..., 95, 96, 97]]])'),
    ('nan_inf_int_mode', 'np.array([nan, inf, -inf, 1.0, -2.0], f32)', None, {},
     'tensor([nan, inf, -inf,  1., -2.])'),
    ('nan_inf_fixed', 'np.array([nan, 1.5, -inf], f32)', None, {},
     'tensor([   nan, 1.5000,   -inf])'),
    ('nan_inf_sci', 'np.array([nan, 1e-6, inf], f32)', None, {},
     'tensor([       nan, 1.0000e-06,        inf])'),
    ('all_nan', 'np.array([nan, nan], f32)', None, {},
     'tensor([nan, nan])'),
    ('empty_1d', 'np.zeros(0, f32)', None, {},
     'tensor([])'),
    ('empty_2d', 'np.zeros((0, 3), f32)', None, {},
     'tensor([], size=(0, 3))'),
    ('empty_int64', 'np.zeros((2, 0), np.int64)', None, {},
     'tensor([], size=(2, 0), dtype=torch.int64)'),
    ('empty_bool', 'np.zeros(0, bool)', None, {},
     'tensor([], dtype=torch.bool)'),
    ('scalar_fixed', 'np.array(0.1, f32)', None, {},
     'tensor(0.1000)'),
    ('scalar_int64', 'np.array(-5)', None, {},
     'tensor(-5)'),
    ('scalar_bool', 'np.array(True)', None, {},
     'tensor(True)'),
    ('scalar_nan', 'np.array(nan, f32)', None, {},
     'tensor(nan)'),
    ('int64', 'np.array([1, -20, 300])', None, {},
     'tensor([  1, -20, 300])'),
    ('int64_2d', 'np.array([[1, -20], [300, 4]])', None, {},
     'tensor([[  1, -20],\n'
     '        [300,   4]])'),
    ('bool', 'np.array([[True, False], [False, True]])', None, {},
     'tensor([[ True, False],\n'
     '        [False,  True]])'),
    ('float64', 'np.array([1.5, 2.0], f64)', None, {},
     'tensor([1.5000, 2.0000], dtype=torch.float64)'),
    ('float64_int_valued', 'np.array([1.0, 2.0], f64)', None, {},
     'tensor([1., 2.], dtype=torch.float64)'),
    ('float64_leaf', 'np.array([1.0, 2.0], f64)', 'leaf', {},
     'tensor([1., 2.], dtype=torch.float64, requires_grad=True)'),
    ('float64_grad_fn', 'np.array([1.0, 2.0], f64)', 'PowBackward0', {},
     'tensor([1., 2.], dtype=torch.float64, grad_fn=<PowBackward0>)'),
    ('int32', 'np.array([1, 2], np.int32)', None, {},
     'tensor([1, 2], dtype=torch.int32)'),
    ('int8', 'np.array([-1, 2], np.int8)', None, {},
     'tensor([-1,  2], dtype=torch.int8)'),
    ('uint8', 'np.array([255, 0], np.uint8)', None, {},
     'tensor([255,   0], dtype=torch.uint8)'),
    ('int16', 'np.array([7], np.int16)', None, {},
     'tensor([7], dtype=torch.int16)'),
    ('float16', 'np.array([0.1, 1000.0], np.float16)', None, {},
     'tensor([9.9976e-02, 1.0000e+03], dtype=torch.float16)'),
    ('suffix_wraps_1d', 'np.arange(12, dtype=f64) / 8 + 1000', 'MulBackward0', {},
     'tensor([1000.0000, 1000.1250, 1000.2500, 1000.3750, 1000.5000, 1000.6250,\n'
     '        1000.7500, 1000.8750, 1001.0000, 1001.1250, 1001.2500, 1001.3750],\n'
     '       dtype=torch.float64, grad_fn=<MulBackward0>)'),
    ('suffix_wraps_2d', 'np.arange(18, dtype=f64).reshape(2, 9) / 4 + 100', 'leaf', {},
     'tensor([[100.0000, 100.2500, 100.5000, 100.7500, 101.0000, 101.2500, 101.5000,\n'
     '         101.7500, 102.0000],\n'
     '        [102.2500, 102.5000, 102.7500, 103.0000, 103.2500, 103.5000, 103.7500,\n'
     '         104.0000, 104.2500]], dtype=torch.float64, requires_grad=True)'),
    ('opt_precision_2', 'np.array([1.12345, -0.5], f32)', None, {'precision': 2},
     'tensor([ 1.12, -0.50])'),
    ('opt_threshold_5', 'np.arange(10)', None, {'threshold': 5},
     'tensor([0, 1, 2,  ..., 7, 8, 9])'),
    ('opt_edgeitems_1', 'np.arange(25, dtype=f32).reshape(5, 5)',
     None, {'threshold': 10, 'edgeitems': 1},
     'tensor([[ 0.,  ...,  4.],\n'
     '        ...,\n'
     '        [20.,  ..., 24.]])'),
    ('opt_edgeitems_0', 'np.arange(25, dtype=f32).reshape(5, 5)',
     None, {'threshold': 10, 'edgeitems': 0},
     'tensor([...], size=(5, 5))'),
    ('opt_linewidth_30', 'np.arange(12, dtype=f32) / 3', None, {'linewidth': 30},
     'tensor([0.0000, 0.3333,\n'
     '        0.6667, 1.0000,\n'
     '        1.3333, 1.6667,\n'
     '        2.0000, 2.3333,\n'
     '        2.6667, 3.0000,\n'
     '        3.3333, 3.6667])'),
    ('opt_sci_off', 'np.array([51.2, 512.0, 0.0512], f32)', None, {'sci_mode': False},
     'tensor([ 51.2000, 512.0000,   0.0512])'),
    ('opt_sci_on', 'np.array([1.0, 2.5], f32)', None, {'sci_mode': True},
     'tensor([1.0000e+00, 2.5000e+00])'),
    ('opt_profile_short', 'np.arange(2000, dtype=f32) / 3', None, {'profile': 'short'},
     'tensor([0.00e+00, 3.33e-01,  ..., 6.66e+02, 6.66e+02])'),
]

@pytest.mark.parametrize(
    "src, grad, opts, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_matches_torch(src, grad, opts, expected):
    t = _StandIn(eval(src, dict(_SOURCE_NAMES)), grad)
    set_printoptions(**opts)
    assert tensor_repr(t) == expected


def test_seed_notebook_outputs():
    x = _StandIn(np.ones((2, 2), f32), "leaf")
    y = _StandIn(np.full((2, 2), 3, f32), "AddBackward0")
    z = _StandIn(np.full((2, 2), 27, f32), "MulBackward0")
    out = _StandIn(np.array(27, f32), "MeanBackward0")
    grad = _StandIn(np.full((2, 2), 4.5, f32))
    y2 = _StandIn(np.array([-468.6488, 15.7427, 897.0353], f32), "MulBackward0")
    xg = _StandIn(np.array([51.2, 512.0, 0.0512], f32))
    printed = "\n".join([
        tensor_repr(x), tensor_repr(y), tensor_repr(z) + " " + tensor_repr(out),
        tensor_repr(grad), tensor_repr(y2), tensor_repr(xg)])
    assert printed == """\
tensor([[1., 1.],
        [1., 1.]], requires_grad=True)
tensor([[3., 3.],
        [3., 3.]], grad_fn=<AddBackward0>)
tensor([[27., 27.],
        [27., 27.]], grad_fn=<MulBackward0>) tensor(27., grad_fn=<MeanBackward0>)
tensor([[4.5000, 4.5000],
        [4.5000, 4.5000]])
tensor([-468.6488,   15.7427,  897.0353], grad_fn=<MulBackward0>)
tensor([5.1200e+01, 5.1200e+02, 5.1200e-02])"""


def test_device_suffix():
    # Composed by torch's own _add_suffixes (a CPU build has no cuda tensors).
    t = _StandIn(np.ones((2, 2), f32), "leaf", device="cuda:0")
    assert tensor_repr(t) == (
        "tensor([[1., 1.],\n        [1., 1.]], device='cuda:0', requires_grad=True)")
    t = _StandIn(np.arange(3, dtype=f64), "AddBackward0", device="cuda:0")
    assert tensor_repr(t) == (
        "tensor([0., 1., 2.], device='cuda:0', dtype=torch.float64,\n"
        "       grad_fn=<AddBackward0>)")


def test_profile_full_prints_everything():
    set_printoptions(profile="full")
    lines = tensor_repr(_StandIn(np.arange(1001))).split("\n")
    assert len(lines) == 84
    assert lines[0] == (
        "tensor([   0,    1,    2,    3,    4,    5,    6,    7,    8,    9,   10,   11,")
    assert lines[-1] == "         996,  997,  998,  999, 1000])"
    assert not any("..." in line for line in lines)


def test_float64_default_dtype(monkeypatch):
    fake = type(sys)("nbgrad._dtypes")
    fake.get_default_dtype = lambda: _DType("float64")
    monkeypatch.setitem(sys.modules, "nbgrad._dtypes", fake)
    assert tensor_repr(_StandIn(np.array([1.5, 2.0], f32))) == (
        "tensor([1.5000, 2.0000], dtype=torch.float32)")
    assert tensor_repr(_StandIn(np.array([1.5, 2.0], f64))) == "tensor([1.5000, 2.0000])"
    assert tensor_repr(_StandIn(np.zeros(0, f32))) == "tensor([], dtype=torch.float32)"
    assert tensor_repr(_StandIn(np.zeros(0, f64))) == "tensor([])"


def test_get_and_set_printoptions():
    assert get_printoptions() == {
        "precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
        "sci_mode": None}
    set_printoptions(profile="short")
    assert get_printoptions() == {
        "precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80,
        "sci_mode": None}
    # As in torch, every call resets sci_mode unless it is passed again.
    set_printoptions(sci_mode=True)
    set_printoptions(precision=3)
    assert get_printoptions()["sci_mode"] is None
    assert get_printoptions()["precision"] == 3
    set_printoptions(profile="full")
    assert get_printoptions()["threshold"] == math.inf


def test_printoptions_context_restores():
    t = _StandIn(np.array([1.12345, -0.5], f32))
    with printoptions(precision=2):
        assert tensor_repr(t) == "tensor([ 1.12, -0.50])"
    assert tensor_repr(t) == "tensor([ 1.1235, -0.5000])"
    assert _printing.PRINT_OPTS.precision == 4
