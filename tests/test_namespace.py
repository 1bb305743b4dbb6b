"""The torch namespace's small names: finfo/iinfo, constants, memory formats, the
default device (``set_default_device``, ``with nb.device(...)``), ``nb.accelerator``,
``keepdims``/``axis`` aliases, ``Tensor.new_*`` and ``add(alpha=<tensor>)``.
PyTorch's own outcomes of these are recorded in tests/differential/cases_namespace.py."""

import math

import numpy as np
import pytest

import nbgrad as nb


def test_finfo_matches_the_ieee_formats():
    f32, f64 = nb.finfo(nb.float32), nb.finfo(nb.float64)
    assert f32.eps == float(np.finfo(np.float32).eps) and f32.bits == 32
    assert f64.max == float(np.finfo(np.float64).max) and f64.min == -f64.max
    assert f32.tiny == f32.smallest_normal == float(np.finfo(np.float32).tiny)
    assert (f32.resolution, f64.resolution) == (1e-6, 1e-15)
    assert f32.dtype == "float32" and nb.finfo().dtype == "float32"
    assert nb.finfo(float).dtype == "float64"
    assert repr(f32) == ("finfo(resolution=1e-06, min=-3.40282e+38, max=3.40282e+38, "
                         "eps=1.19209e-07, smallest_normal=1.17549e-38, tiny=1.17549e-38, "
                         "dtype=float32)")


def test_finfo_follows_the_default_dtype():
    nb.set_default_dtype(nb.float64)
    try:
        assert nb.finfo().bits == 64
    finally:
        nb.set_default_dtype(nb.float32)


def test_iinfo():
    i8, i64 = nb.iinfo(nb.int8), nb.iinfo(nb.int64)
    assert (i8.min, i8.max, i8.bits) == (-128, 127, 8)
    assert i64.max == 2 ** 63 - 1 and isinstance(i64.max, int)
    assert nb.iinfo(nb.uint8).min == 0
    assert repr(nb.iinfo(nb.int32)) == "iinfo(min=-2.14748e+09, max=2.14748e+09, dtype=int32)"


@pytest.mark.parametrize("call", [lambda: nb.finfo(nb.int32), lambda: nb.iinfo(nb.float32),
                                  lambda: nb.iinfo(nb.bool), lambda: nb.finfo("float32"),
                                  lambda: nb.finfo(None)])
def test_info_errors(call):
    with pytest.raises(TypeError):
        call()


def test_constants():
    assert nb.pi == math.pi and nb.e == math.e and nb.inf == math.inf
    assert math.isnan(nb.nan) and nb.newaxis is None
    assert nb.ones(3)[:, nb.newaxis].shape == (3, 1)


def test_memory_formats():
    x = nb.arange(24.).reshape(1, 2, 3, 4)
    assert repr(nb.contiguous_format) == "torch.contiguous_format"
    for fmt in (nb.contiguous_format, nb.preserve_format):
        assert nb.equal(x.clone(memory_format=fmt), x)
        assert nb.equal(x.contiguous(memory_format=fmt), x)
        assert nb.equal(x.to(nb.float64, memory_format=fmt), x.double())
        assert nb.zeros_like(x, memory_format=fmt).shape == x.shape
    with pytest.raises(NotImplementedError, match="channels_last"):
        x.clone(memory_format=nb.channels_last)
    with pytest.raises(RuntimeError, match="rank 4"):
        nb.ones(3).contiguous(memory_format=nb.channels_last)
    with pytest.raises(TypeError, match="memory_format"):
        x.clone(memory_format=1)


def test_default_device_and_device_context():
    assert nb.get_default_device() == nb.device("cpu")
    nb.set_default_device("cuda")
    try:
        assert nb.get_default_device() == nb.device("cuda", 0)
        with nb.device("cpu"):   # the context wins, then the setting comes back
            assert nb.ones(2).device.type == "cpu"
            assert nb.get_default_device().type == "cpu"
        assert nb.get_default_device().type == "cuda"
        if not nb.cuda.is_available():   # factories now ask for the (missing) GPU
            with pytest.raises(RuntimeError, match="CUDA"):
                nb.zeros(2)
            with pytest.raises(RuntimeError, match="CUDA"):
                nb.rand(2)
    finally:
        nb.set_default_device(None)
    assert nb.ones(2).device.type == "cpu"


def test_accelerator():
    available = nb.cuda.is_available()
    assert nb.accelerator.is_available() is available
    assert nb.accelerator.device_count() == nb.cuda.device_count()
    assert (nb.accelerator.current_accelerator(check_available=True) is None) != available


def test_new_factories_take_self_dtype_and_device():
    x = nb.ones(2, dtype=nb.float64, requires_grad=True)
    for t in (x.new_ones(3), x.new_zeros((2, 3)), x.new_empty(2), x.new_full((2,), 3),
              x.new_tensor([1, 2])):
        assert t.dtype is nb.float64 and not t.requires_grad and t.device == x.device
    assert x.new_ones(2, dtype=nb.int64).dtype is nb.int64
    assert x.new_zeros(2, requires_grad=True).requires_grad
    assert x.new_full((2,), 3).tolist() == [3.0, 3.0]


def test_keepdims_and_axis_aliases():
    x = nb.arange(6.).reshape(2, 3)
    assert x.sum(1, keepdims=True).shape == (2, 1)
    assert nb.sum(x, axis=1, keepdims=True).shape == (2, 1)
    assert x.mean(axis=0).tolist() == [1.5, 2.5, 3.5]
    assert x.amax(1, keepdims=True).shape == (2, 1)
    assert x.max(1, keepdims=True)[0].shape == (2, 1)
    assert x.std(1, keepdims=True).shape == (2, 1)
    with pytest.raises(TypeError):
        x.sum(1, keepdim=True, keepdims=True)


def test_add_alpha_tensor():
    x, y = nb.ones(2), nb.ones(2)
    assert x.add(y, alpha=nb.tensor(2.)).tolist() == [3.0, 3.0]
    assert nb.sub(x, y, alpha=nb.tensor(3)).tolist() == [-2.0, -2.0]
    assert x.add_(y, alpha=nb.tensor(2.)) is x and x.tolist() == [3.0, 3.0]
    i = nb.ones(2, dtype=nb.int64)
    with pytest.raises(RuntimeError, match="alpha"):
        i.add(i, alpha=nb.tensor(2.))


def test_docs_page_runs(capsys):
    import pathlib
    import re
    page = pathlib.Path(__file__).resolve().parent.parent / "docs" / "namespace.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    assert len(blocks) == 3
    ns = {"__name__": "docs_namespace"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"namespace.md[block {i}]", "exec"), ns)   # noqa: S102
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("finfo(resolution=1e-06, min=-3.40282e+38, max=3.40282e+38, "
                      "eps=1.19209e-07, smallest_normal=1.17549e-38, tiny=1.17549e-38, "
                      "dtype=float32)")
    assert out[2] == "iinfo(min=-2.14748e+09, max=2.14748e+09, dtype=int32)"
    assert "True tensor([[ 7., 10.]," in out and "tensor([1, 1])" in out
    assert "tensor([0, 0, 0])" in out
