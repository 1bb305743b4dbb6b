"""Indexing, assignment and joining: index kinds, views vs copies, gradients of
``x[key] = v``, and PyTorch's errors.  Values that depend on PyTorch-specific
rules (ints applied before index arrays) are written out by hand."""

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.backends.cpu import elementwise as cpu_elementwise

A = np.arange(60.0).reshape(3, 4, 5)


def _x(requires_grad=False, dtype=nb.float64):
    return nb.tensor(A, dtype=dtype, requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy()


# -- index kinds ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", [
    [0, 2], (slice(None), [3, 1]), ([0, 2], [1, 1], [4, 0]),
    ([[0], [2]], slice(1, 3), [[1, 4]]), (Ellipsis, [4, -1]), (slice(None, None, 2), None, [0, 3]),
    ([-1, 0],), ([0, 1], slice(None), [2, 3]),
], ids=str)
def test_index_arrays_match_numpy(key):
    k = tuple(np.array(i) if isinstance(i, list) else i for i in key) \
        if isinstance(key, tuple) else np.array(key)
    np.testing.assert_array_equal(_np(_x()[key]), A[k])


@pytest.mark.parametrize("make", [lambda v: v, np.array, lambda v: nb.tensor(v),
                                  lambda v: nb.tensor(v, dtype=nb.int32)],
                         ids=["list", "numpy", "int64", "int32"])
def test_index_array_types(make):
    np.testing.assert_array_equal(_np(_x()[make([2, 0, 2])]), A[[2, 0, 2]])
    np.testing.assert_array_equal(_np(_x()[:, make([[1], [3]])]), A[:, [[1], [3]]])


def test_int_is_applied_before_index_arrays():
    # PyTorch (unlike NumPy) selects with the int first: the result is A[0][:, [1, 2]]
    x = _x()
    assert x[0, :, [1, 2]].shape == (4, 2)
    np.testing.assert_array_equal(_np(x[0, :, [1, 2]]), A[0][:, [1, 2]])
    assert x[[0, 1], 0, [0, 1]].shape == (2,)
    np.testing.assert_array_equal(_np(x[[0, 1], 0, [0, 1]]), [A[0, 0, 0], A[1, 0, 1]])


def test_index_arrays_apart_go_first():
    x = _x()
    assert x[[0, 1], :, [2, 3]].shape == (2, 4)
    assert x[:, None, [0, 1]].shape == (3, 1, 2, 5)
    assert x[[0, 1], None, [0, 1]].shape == (2, 1, 5)
    np.testing.assert_array_equal(_np(x[[0, 2], :, [1, 4]]), np.stack([A[0, :, 1], A[2, :, 4]]))


def test_boolean_masks():
    x = _x()
    m = A > 40
    np.testing.assert_array_equal(_np(x[nb.tensor(m)]), A[m])
    np.testing.assert_array_equal(_np(x[:, m[0]]), A[:, m[0]])
    np.testing.assert_array_equal(_np(x[1, m[0]]), A[1][m[0]])
    np.testing.assert_array_equal(_np(x[:, nb.tensor([True, False, True, False])]),
                                  A[:, [0, 2]])
    np.testing.assert_array_equal(_np(x[[True, False, True]]), A[[0, 2]])
    assert x[True].shape == (1, 3, 4, 5) and x[False].shape == (0, 3, 4, 5)
    assert x[nb.tensor(True)].shape == (1, 3, 4, 5)
    assert x[nb.zeros(3, 4, 5, dtype=nb.bool)].shape == (0,)


def test_uint8_index_is_a_mask_with_a_warning():
    with pytest.warns(UserWarning, match="uint8"):
        got = nb.tensor([1.0, 2.0, 3.0])[nb.tensor([1, 0, 1], dtype=nb.uint8)]
    np.testing.assert_array_equal(got.numpy(), [1.0, 3.0])


def test_basic_and_zero_dim_int_tensor_keys_are_views():
    x = _x()
    for key in [0, (1, 2), (slice(1, None), 0), (None, 2), (Ellipsis, 3), nb.tensor(1),
                (0, 1, 2), (slice(None, None, 2), slice(1, 4, 2))]:
        v = x[key]
        assert np.shares_memory(v.numpy(), x.numpy()), key
    v = x[1, 2]
    v[0] = -7.0
    assert A[1, 2, 0] != -7.0 and x[1, 2, 0].item() == -7.0
    assert x._version == v._version == 1


def test_advanced_indexing_copies():
    x = _x()
    for key in [[0, 1], (slice(None), [1]), A > 3, (0, [1, 2])]:
        r = x[key]
        assert not np.shares_memory(r.numpy(), x.numpy()), key
        assert r.is_contiguous()


def test_empty_index():
    x = _x()
    assert x[[]].shape == (0, 4, 5)
    assert x[nb.tensor([], dtype=nb.int64), 1].shape == (0, 5)
    assert nb.zeros(2, 0)[[0, 1]].shape == (2, 0)


def test_iteration_yields_rows():
    x = _x()
    rows = list(x)
    assert len(rows) == 3
    for i, r in enumerate(rows):
        np.testing.assert_array_equal(r.numpy(), A[i])
        assert np.shares_memory(r.numpy(), x.numpy())
    with pytest.raises(TypeError):
        iter(nb.tensor(1.0))


# -- gradients of indexing ---------------------------------------------------------------

def test_repeated_indices_accumulate_gradient():
    x = nb.zeros(4, dtype=nb.float64, requires_grad=True)
    y = x[[0, 0, 3, 0]]
    assert type(y.grad_fn).__name__ == "IndexBackward0"
    y.backward(nb.tensor([1.0, 2.0, 3.0, 4.0], dtype=nb.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 0.0, 0.0, 3.0])


def test_mask_gradient():
    x = _x(requires_grad=True)
    m = A % 7 == 0
    (x[nb.tensor(m)] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where(m, 2.0, 0.0))


def test_index_gradient_mixed_int_and_array():
    x = _x(requires_grad=True)
    x[1, :, [4, 0]].sum().backward()
    want = np.zeros_like(A)
    want[1][:, [4, 0]] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), want)


# -- __setitem__ -------------------------------------------------------------------------

@pytest.mark.parametrize("key", [1, (slice(None), 2), (0, [1, 3]), ([0, 2], slice(1, 3)),
                                 (A > 30,), (Ellipsis, [0, 0]), (slice(None, None, 2), 1, 4)],
                         ids=str)
def test_setitem_scalar_matches_numpy(key):
    x = _x()
    x[key] = -1.0
    want = A.copy()
    want[key] = -1.0
    np.testing.assert_array_equal(x.numpy(), want)
    assert x._version == 1


def test_setitem_tensor_values_broadcast():
    x = nb.zeros(3, 4)
    x[0] = nb.tensor([1.0, 2.0, 3.0, 4.0])
    x[1:, [0, 2]] = nb.tensor([[5.0, 6.0]])           # (1, 2) into (2, 2)
    x[2, 3] = nb.tensor([[9.0]])                      # leading ones are dropped
    x[x == 0] = nb.tensor(-1.0)
    want = np.array([[1, 2, 3, 4], [5, -1, 6, -1], [5, -1, 6, 9]], np.float32)
    np.testing.assert_array_equal(x.numpy(), want)


def test_setitem_casts_value_and_refuses_numpy_arrays_as_pytorch():
    x = nb.zeros(3, dtype=nb.int64)
    x[0] = 2.7
    x[1:] = np.int64(5)
    assert x.tolist() == [2, 5, 5] and x.dtype is nb.int64
    with pytest.raises(TypeError, match="can't assign a numpy.ndarray to a torch.LongTensor"):
        x[1:] = np.array([5, 6])
    with pytest.raises(TypeError, match="can't assign a list to a torch.LongTensor"):
        x[1:] = [5, 6]


def test_setitem_duplicate_indices_last_write_wins():
    x = nb.zeros(5)
    x[[0, 0, 1]] += 1
    assert x.tolist() == [1.0, 1.0, 0.0, 0.0, 0.0]


def test_setitem_overlapping_source_is_refused_clone_reads_first():
    # PyTorch refuses a value sharing the target's memory in part (tests/test_overlap.py)
    x = nb.arange(5.0)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x[1:] = x[:-1]
    x[1:] = x[:-1].clone()
    assert x.tolist() == [0.0, 0.0, 1.0, 2.0, 3.0]
    y = nb.arange(5.0)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        y[[1, 2, 3, 4]] = y[:4]
    y[[1, 2, 3, 4]] = y[:4].clone()
    assert y.tolist() == [0.0, 0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("key,node", [((1, slice(1, 3)), "CopySlices"),
                                      (([2, 0], [1, 1]), "IndexPutBackward0"),
                                      ((A[:, :, 0] > 20,), "IndexPutBackward0")], ids=str)
def test_setitem_gradients_reach_target_and_value(key, node):
    x = nb.tensor(A[:, :, 0], dtype=nb.float64, requires_grad=True)   # (3, 4)
    v = nb.tensor([10.0], dtype=nb.float64, requires_grad=True)        # broadcast value
    y = x * 1
    y[key] = v * 2
    assert type(y.grad_fn).__name__ == node
    w = nb.tensor(np.arange(12.0).reshape(3, 4) + 1, dtype=nb.float64)
    (y * w).sum().backward()
    written = np.zeros((3, 4), bool)
    written[key if not isinstance(key[0], list) else tuple(np.array(k) for k in key)] = True
    np.testing.assert_array_equal(x.grad.numpy(), np.where(written, 0.0, w.numpy()))
    np.testing.assert_allclose(v.grad.numpy(), [2.0 * w.numpy()[written].sum()])
    np.testing.assert_array_equal(y.detach().numpy()[written], 20.0)


def test_setitem_on_a_view_rebases_its_base():
    x = nb.arange(6.0, dtype=nb.float64).reshape(2, 3).requires_grad_()
    y = x * 1
    for row in y:
        row[0] = row[1] * 2
    w = nb.arange(6.0, dtype=nb.float64).reshape(2, 3)
    (y * w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0, 2.0], [0.0, 10.0, 5.0]])


def test_setitem_gradgrad():
    x = nb.tensor([1.0, 2.0, 3.0], dtype=nb.float64, requires_grad=True)
    v = nb.tensor([0.5, 0.25], dtype=nb.float64, requires_grad=True)

    def f(x, v):
        y = x * x
        y[[0, 2]] = v * v * x[1]
        return y
    assert nb.autograd.gradcheck(f, (x, v))
    assert nb.autograd.gradgradcheck(f, (x, v))


def test_setitem_leaf_checks_and_no_grad():
    w = nb.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 1.0
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        w[1:][0] = 1.0
    with nb.no_grad():
        w[0] = 1.0
    assert w.tolist() == [1.0, 0.0, 0.0] and w.grad_fn is None


def test_inplace_methods():
    x = nb.zeros(2, 3)
    assert x.masked_fill_(nb.tensor([True, False, True]), 2.0) is x
    assert x.tolist() == [[2.0, 0.0, 2.0], [2.0, 0.0, 2.0]]
    x.scatter_(1, nb.tensor([[1], [1]]), 5.0)
    x.scatter_add_(0, nb.tensor([[0, 0, 0]]), nb.ones(1, 3))
    x.index_put_((nb.tensor([1]), nb.tensor([2])), nb.tensor(-1.0))
    assert x.tolist() == [[3.0, 6.0, 3.0], [2.0, 5.0, -1.0]]
    assert x._version == 4


# -- gather / scatter / index_select / masked_fill ------------------------------------------

def test_gather_scatter_values():
    x = nb.tensor([[1.0, 2.0], [3.0, 4.0]])
    idx = nb.tensor([[0, 0], [1, 0]])
    assert nb.gather(x, 1, idx).tolist() == [[1.0, 1.0], [4.0, 3.0]]
    assert nb.zeros(2, 2).scatter(1, idx[:, 1:], nb.tensor([[7.0], [8.0]])).tolist() == \
        [[7.0, 0.0], [8.0, 0.0]]
    assert nb.zeros(3).scatter_add(0, nb.tensor([0, 0, 2]), nb.tensor([1.0, 2.0, 3.0])
                                   ).tolist() == [3.0, 0.0, 3.0]
    assert nb.scatter(nb.zeros(3), 0, nb.tensor([1]), value=4).tolist() == [0.0, 4.0, 0.0]


def test_scatter_gradients():
    x = nb.ones(2, 3, dtype=nb.float64, requires_grad=True)
    src = nb.tensor([[5.0, 6.0, 7.0]], dtype=nb.float64, requires_grad=True)
    idx = nb.tensor([[1, 0]])
    y = x.scatter(0, idx, src)
    assert type(y.grad_fn).__name__ == "ScatterBackward0"
    (y * nb.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=nb.float64)).sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 3.0], [0.0, 5.0, 6.0]]
    assert src.grad.tolist() == [[4.0, 2.0, 0.0]]     # src wider than index: zero there


def test_index_select_and_masked_fill():
    x = _x(requires_grad=True)
    y = x.index_select(-1, nb.tensor([4, 4, 1]))
    np.testing.assert_array_equal(_np(y), A[:, :, [4, 4, 1]])
    y.sum().backward()
    want = np.zeros_like(A)
    want[:, :, 4], want[:, :, 1] = 2.0, 1.0
    np.testing.assert_array_equal(x.grad.numpy(), want)
    v = nb.tensor(3.0, dtype=nb.float64, requires_grad=True)
    m = nb.tensor([True, False, False, True, False])
    z = nb.masked_fill(x, m, v)
    assert type(z.grad_fn).__name__ == "MaskedFillBackward1"
    z.sum().backward()
    assert v.grad.item() == 24.0
    assert nb.zeros(3, dtype=nb.int64).masked_fill(nb.ones(3, dtype=nb.bool), 2.5).tolist() \
        == [2, 2, 2]


def test_parallel_kernels_match_serial(monkeypatch):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((6, 5, 7))
    idx = rng.integers(0, 5, (6, 9, 7))
    x, src = nb.tensor(a), nb.tensor(rng.standard_normal(idx.shape))
    key = (slice(None), nb.tensor(idx[0, :, 0]))

    def run():
        xg = x.detach().requires_grad_()
        xg[key].backward(nb.tensor(rng_values))   # repeated indices: accumulating put
        y = nb.zeros(6, 5, 7, dtype=nb.float64)
        y[key] = nb.tensor(rng_values)
        return [nb.gather(x, 1, nb.tensor(idx)), x[key], x.tril(1), x.triu(-1), xg.grad, y,
                nb.zeros(6, 5, 7, dtype=nb.float64).scatter_add(1, nb.tensor(idx), src),
                nb.zeros(6, 5, 7, dtype=nb.float64).scatter(1, nb.tensor(idx[:, :1]), src)]
    rng_values = rng.standard_normal((6, 9, 7))
    serial = run()
    monkeypatch.setattr(cpu_elementwise, "PARALLEL_THRESHOLD", 1)
    par = run()
    for s, p in zip(serial, par):
        np.testing.assert_array_equal(s.numpy(), p.numpy())


# -- joining -------------------------------------------------------------------------------

def test_cat_promotes_and_skips_legacy_empty():
    c = nb.cat([nb.zeros(2, dtype=nb.int64), nb.ones(2)])
    assert c.dtype is nb.float32 and c.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert nb.cat([nb.zeros(2, 3), nb.zeros(0)]).shape == (2, 3)
    assert nb.concatenate((nb.zeros(1), nb.ones(1)), 0).tolist() == [0.0, 1.0]


def test_split_unbind_chunk_are_views():
    x = nb.arange(12.0).reshape(3, 4)
    parts = x.split([1, 3], dim=1)
    assert [p.shape for p in parts] == [(3, 1), (3, 3)]
    assert all(np.shares_memory(p.numpy(), x.numpy()) for p in parts)
    rows = x.unbind()
    rows[1][0] = -1.0
    assert x[1, 0].item() == -1.0 and x._version == 1
    assert [c.shape[0] for c in nb.arange(6).chunk(4)] == [2, 2, 2]
    assert [c.shape[0] for c in nb.arange(5).chunk(3)] == [2, 2, 1]


def test_split_gradient_with_unused_outputs():
    x = nb.arange(6.0, dtype=nb.float64).requires_grad_()
    a, b, c = x.split(2)
    (b * 3).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 3.0, 3.0, 0.0, 0.0]
    y = nb.arange(6.0, dtype=nb.float64).reshape(2, 3).requires_grad_()
    r0, r1 = y.unbind()
    r1.sum().backward()
    assert y.grad.tolist() == [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]


def test_node_names():
    y = nb.ones(2, 3, requires_grad=True) * 1
    names = {
        "CatBackward0": nb.cat([y, y]), "StackBackward0": nb.stack([y, y]),
        "SplitBackward0": y.split(1)[0], "SplitWithSizesBackward0": y.split([1, 1])[0],
        "UnbindBackward0": y.unbind()[0], "GatherBackward0": y.gather(0, nb.tensor([[0]])),
        "ScatterBackward1": y.scatter(0, nb.tensor([[0]]), 1.0),
        "ScatterAddBackward0": y.scatter_add(0, nb.tensor([[0]]), y),
        "IndexSelectBackward0": y.index_select(1, nb.tensor([0])),
        "MaskedFillBackward0": y.masked_fill(y > 0, 0.0), "TrilBackward0": y.tril(),
        "TriuBackward0": y.triu(), "FlipBackward0": y.flip(0), "RollBackward0": y.roll(1),
        "RepeatBackward0": y.repeat(2, 1), "IndexBackward0": y[[0]],
    }
    for name, t in names.items():
        assert type(t.grad_fn).__name__ == name


# -- errors ---------------------------------------------------------------------------------

def _raises(exc, match, fn):
    with pytest.raises(exc, match=match):
        fn()


def test_dimension_errors():
    x = nb.zeros(2, 3)
    msg = r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"
    for fn in [lambda: nb.cat([x, x], 2), lambda: x.gather(2, nb.zeros(2, 3, dtype=nb.int64)),
               lambda: x.index_select(2, nb.tensor([0])), lambda: x.flip(2),
               lambda: x.roll(1, 2), lambda: x.split(1, 2), lambda: x.unbind(2),
               lambda: x.flatten(2), lambda: x.unflatten(2, (1,))]:
        _raises(IndexError, msg, fn)
    _raises(IndexError, r"range of \[-3, 2\], but got 3", lambda: nb.stack([x, x], 3))


def test_index_errors():
    x = nb.zeros(2, 3)
    _raises(IndexError, "index 5 is out of bounds for dimension 1 with size 3", lambda: x[:, 5])
    _raises(IndexError, "index 3 is out of bounds for dimension 1 with size 3",
            lambda: x[[0, 1], [1, 3]])
    _raises(IndexError, "index -3 is out of bounds", lambda: x[[-3]])
    _raises(IndexError, "too many indices for tensor of dimension 2", lambda: x[0, 0, 0])
    _raises(IndexError, "tensors used as indices must be long, int, byte or bool tensors",
            lambda: x[nb.tensor([0.0])])
    _raises(IndexError, "tensors used as indices must be long, int, byte or bool tensors",
            lambda: x[nb.tensor([0], dtype=nb.int16)])
    _raises(IndexError, r"The shape of the mask \[2\] at index 0 does not match the shape of "
            r"the indexed tensor \[2, 3\] at index 1", lambda: x[:, nb.tensor([True, False])])
    _raises(IndexError, r"shape mismatch: indexing tensors could not be broadcast together "
            r"with shapes \[2\], \[3\]", lambda: x[[0, 1], [0, 1, 2]])
    _raises(IndexError, "only integers, slices", lambda: x[1.5])
    _raises(ValueError, "step must be greater than zero", lambda: x[::-1])
    _raises(IndexError, "index_select.*out of range in self",
            lambda: x.index_select(0, nb.tensor([2])))
    _raises(IndexError, "Index is supposed to be a vector",
            lambda: x.index_select(0, nb.tensor([[0]])))
    _raises(RuntimeError, "Expected dtype int32 or int64 for index",
            lambda: x.index_select(0, nb.tensor([0.0])))


def test_gather_scatter_errors_leave_input_unchanged():
    x = nb.zeros(2, 3)
    _raises(RuntimeError, "index 5 is out of bounds for dimension 0 with size 2",
            lambda: x.gather(0, nb.tensor([[5]])))
    _raises(RuntimeError, "Index tensor must have the same number of dimensions",
            lambda: x.gather(0, nb.tensor([0])))
    _raises(RuntimeError, "Expected dtype int32/int64 for index",
            lambda: x.gather(0, nb.tensor([[0.0]])))
    _raises(RuntimeError, r"Size does not match at dimension 0 expected index \[3, 1\]",
            lambda: x.gather(1, nb.zeros(3, 1, dtype=nb.int64)))
    _raises(RuntimeError, "to be no larger size than src",
            lambda: x.scatter(1, nb.zeros(1, 3, dtype=nb.int64), nb.ones(1, 2)))
    _raises(RuntimeError, "Expected self.dtype to be equal to src.dtype",
            lambda: x.scatter(0, nb.zeros(1, 1, dtype=nb.int64), nb.ones(1, 1,
                                                                        dtype=nb.float64)))
    _raises(RuntimeError, "index 7 is out of bounds",
            lambda: x.scatter_(1, nb.tensor([[0, 7]]), 1.0))
    _raises(IndexError, "out of bounds", lambda: x.__setitem__(([0, 1], [0, 9]), 1.0))
    assert x.tolist() == [[0.0] * 3] * 2 and x._version == 0


def test_joining_errors():
    x = nb.zeros(2, 3)
    _raises(RuntimeError, "Sizes of tensors must match except in dimension 1. Expected size 2 "
            "but got size 4 for tensor number 1 in the list.", lambda: nb.cat([x, nb.zeros(4, 3)],
                                                                            1))
    _raises(RuntimeError, "Tensors must have same number of dimensions: got 2 and 1",
            lambda: nb.cat([x, nb.zeros(3)]))
    _raises(RuntimeError, "zero-dimensional tensor", lambda: nb.cat([nb.zeros(()), x]))
    _raises(ValueError, "expected a non-empty list of Tensors", lambda: nb.cat([]))
    _raises(TypeError, "must be tuple of Tensors", lambda: nb.cat(x))
    _raises(RuntimeError, r"stack expects each tensor to be equal size, but got \[2, 3\] at "
            r"entry 0 and \[3\] at entry 1", lambda: nb.stack([x, nb.zeros(3)]))
    _raises(RuntimeError, "split_with_sizes expects split_sizes to sum exactly to 2",
            lambda: x.split([1, 2]))
    _raises(RuntimeError, "split_size can only be 0", lambda: x.split(0))
    _raises(RuntimeError, "chunk expects `chunks` to be greater than 0", lambda: x.chunk(0))


def test_value_and_mask_errors():
    x = nb.zeros(2, 3)
    _raises(RuntimeError, "shape mismatch: value tensor of shape",
            lambda: x.__setitem__([0, 1], nb.ones(3, 3)))
    _raises(RuntimeError, "cannot be broadcast", lambda: x.__setitem__(0, nb.ones(2)))
    _raises(TypeError, "can't assign a str", lambda: x.__setitem__(0, "a"))
    _raises(RuntimeError, "masked_fill_ only supports boolean masks",
            lambda: x.masked_fill(nb.ones(3), 0.0))
    _raises(RuntimeError, "0-dimensional value tensor", lambda: x.masked_fill(
        nb.ones(3, dtype=nb.bool), nb.ones(1)))
    _raises(RuntimeError, "tril: input tensor must have at least 2 dimensions",
            lambda: nb.zeros(3).tril())
    _raises(RuntimeError, "dim 0 appears multiple times", lambda: x.flip(0, 0))
    _raises(RuntimeError, "shifts and dimensions must align", lambda: x.roll((1, 2)))
    _raises(RuntimeError, "Number of dimensions of repeat dims", lambda: x.repeat(2))
    _raises(RuntimeError, "start_dim cannot come after end_dim", lambda: x.flatten(1, 0))
    _raises(RuntimeError, "don't multiply up", lambda: x.unflatten(1, (2, 2)))
    assert x._version == 0


def test_different_devices_are_named():
    x = nb.zeros(2)
    fake = nb.Tensor._make(np.zeros(2, np.float32), nb.float32, nb.device("cuda:0"))
    _raises(RuntimeError, "cpu and cuda:0", lambda: nb.cat([x, fake]))
    _raises(RuntimeError, "cpu and cuda:0", lambda: x.__setitem__(0, fake[0]))
    _raises(RuntimeError, "cpu and cuda:0", lambda: x.index_select(0, nb.Tensor._make(
        np.zeros(1, np.int64), nb.int64, nb.device("cuda:0"))))


# -- the eager fast paths of x[i], x[i, j] = v (nothing recorded) ----------------------------

def test_int_index_fast_path_is_a_view_sharing_the_version():
    x = nb.arange(6.).reshape(2, 3).clone()
    v = x[1]
    e = x[1, 2]
    assert v._base is x and e._base is x and v.grad_fn is None
    e += 10
    assert x[1, 2].item() == 15.0 and v.tolist() == [3.0, 4.0, 15.0]
    assert x._version == v._version == e._version == 1
    x[0, 0] = 7
    assert v._version == 2 and x.tolist()[0][0] == 7.0


def test_int_index_records_selects_when_grad_is_needed():
    w = nb.arange(6.).reshape(2, 3).clone().requires_grad_()
    y = w[1, 2]
    assert type(y.grad_fn).__name__ == "SelectBackward0"
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "SelectBackward0"
    (y * 3).backward()
    assert w.grad.tolist() == [[0.0, 0.0, 0.0], [0.0, 0.0, 3.0]]
    with nb.no_grad():
        assert w[1].grad_fn is None and w[1]._base is w


def test_element_write_fast_path_checks_like_the_general_path():
    n = nb.zeros(2, 2, dtype=nb.int8)
    with pytest.raises(RuntimeError, match="without overflow"):
        n[0, 0] = 1000
    n[0, 1] = 2.7   # truncated, as PyTorch casts
    n[1, 1] = nb.tensor(5, dtype=nb.int8)
    assert n.tolist() == [[0, 2], [0, 5]] and n._version == 2
    w = nb.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 1.0
    assert w._version == 0


def test_fast_paths_step_aside_for_the_profiler_and_vmap():
    x = nb.arange(6.).reshape(2, 3)
    with nb.autograd.profiler.profile() as prof:
        x[1]
    assert [e.name for e in prof.events()] == ["aten::select"]
    batch = nb.arange(12.).reshape(4, 3)
    assert nb.func.vmap(lambda r: r[1] * x[0, 2])(batch).tolist() == [2.0, 8.0, 14.0, 20.0]
    assert nb.func.vmap(lambda r: r.select(0, -1))(batch).tolist() == [2.0, 5.0, 8.0, 11.0]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("n", [1, 4, 8, 9])
def test_stack_of_single_values_matches_numpy_in_one_kernel_call(monkeypatch, dtype, n):
    import nbgrad.backends.cpu as cpu_backend
    values = np.array([3, -0.0, 1, 0, 2, float("nan"), 7, 5, 4], dtype=np.float64)[:n]
    if dtype != "bool":
        values = values[~np.isnan(values)] if not dtype.startswith("float") else values
    expected = np.stack([np.array(v, dtype=dtype) for v in values])
    tensors = [nb.tensor(np.array(v, dtype=dtype)) for v in values]
    copies = []
    copy_into = cpu_backend.copy_into
    monkeypatch.setattr(cpu_backend, "copy_into", lambda *a: copies.append(a) or copy_into(*a))
    out = nb.stack(tensors)
    np.testing.assert_array_equal(out.numpy(), expected)
    assert out.numpy().dtype == expected.dtype
    # up to 8 values of one dtype: one kernel call; past that, one copy per value
    assert len(copies) == (0 if len(values) <= 8 else len(values))


def test_stack_of_single_values_of_two_dtypes_promotes_and_keeps_gradients():
    x = nb.tensor(2.0, requires_grad=True)
    out = nb.stack([x, nb.tensor(3, dtype=nb.int64), x * 2])
    assert out.dtype == nb.float32 and out.tolist() == [2.0, 3.0, 4.0]
    (out * nb.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.item() == 201.0


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_stack_backward_views_skip_the_getitem_op_unless_recorded(monkeypatch, dim):
    from nbgrad.ops import joining
    calls = []
    getitem = joining.getitem
    monkeypatch.setattr(joining, "getitem", lambda *a: calls.append(a) or getitem(*a))
    x = nb.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = nb.tensor(np.arange(6.0, 12.0).reshape(2, 3), requires_grad=True)
    weights = nb.tensor(np.arange(12.0).reshape(nb.stack([x, y], dim).shape))
    expected = np.moveaxis(weights.numpy(), dim, 0)
    gx, gy = nb.autograd.grad((nb.stack([x, y], dim) * weights).sum(), (x, y))
    assert calls == []   # the engine's backward: views made directly
    np.testing.assert_array_equal(gx.numpy(), expected[0])
    np.testing.assert_array_equal(gy.numpy(), expected[1])
    gx2, gy2 = nb.autograd.grad((nb.stack([x, y], dim) * weights).sum(), (x, y),
                                create_graph=True)
    assert len(calls) == 2   # recorded: the getitem op, differentiable again
    np.testing.assert_array_equal(gx2.numpy(), expected[0])
    np.testing.assert_array_equal(gy2.numpy(), expected[1])
