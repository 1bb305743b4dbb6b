"""Linear algebra: matmul's rank cases and node names, mm / bmm / dot / mv /
outer / trace / diagonal / einsum against NumPy and closed-form gradients,
and the errors PyTorch raises for bad shapes and dtypes."""

import numpy as np
import pytest

import nbgrad as nb
from tests.opdb import BY_NAME

RNG = np.random.default_rng(0)


def npy(x):
    return x.detach().numpy()


def t(*shape, grad=True, dtype=np.float64):
    return nb.tensor(RNG.standard_normal(shape).astype(dtype), requires_grad=grad)


# -- matmul ------------------------------------------------------------------
def _unbroadcast(g, shape):
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True)


@pytest.mark.parametrize("a, b, node", [
    ((3,), (3,), "DotBackward0"),
    ((2, 3), (3,), "MvBackward0"),
    ((3,), (3, 4), "SqueezeBackward0"),
    ((2, 3), (3, 4), "MmBackward0"),
    ((2, 2, 3), (3, 4), "UnsafeViewBackward0"),
    ((3,), (2, 3, 4), "UnsafeViewBackward0"),
    ((2, 2, 3), (3,), "UnsafeViewBackward0"),
    ((2, 3), (2, 3, 4), "UnsafeViewBackward0"),
    ((2, 1, 2, 3), (3, 3, 2), "UnsafeViewBackward0"),
])
def test_matmul_rank_cases(a, b, node):
    x, y = t(*a), t(*b)
    out = nb.matmul(x, y)
    want = np.matmul(npy(x), npy(y))
    assert out.shape == want.shape
    np.testing.assert_allclose(npy(out), want, rtol=1e-12)
    assert type(out.grad_fn).__name__ == node
    # gradient of sum(x @ y): ones @ y^T summed over broadcast dims, and x^T @ ones
    out.sum().backward()
    x2 = npy(x) if len(a) > 1 else npy(x)[None]
    y2 = npy(y) if len(b) > 1 else npy(y)[:, None]
    ones = np.ones(np.matmul(x2, y2).shape)
    gx = np.matmul(ones, np.swapaxes(y2, -1, -2))
    gy = np.matmul(np.swapaxes(x2, -1, -2), ones)
    gx, gy = _unbroadcast(gx, x2.shape), _unbroadcast(gy, y2.shape)
    np.testing.assert_allclose(npy(x.grad), gx.reshape(a), rtol=1e-12)
    np.testing.assert_allclose(npy(y.grad), gy.reshape(b), rtol=1e-12)


def test_matmul_operator_and_methods():
    x, y = t(2, 3), t(3, 4)
    want = npy(x) @ npy(y)
    for got in (x @ y, x.matmul(y), x.mm(y), nb.mm(x, y), nb.einsum("ij,jk->ik", x, y)):
        np.testing.assert_allclose(npy(got), want, rtol=1e-12)
    v = t(3)
    np.testing.assert_allclose(npy(x.mv(v)), npy(x) @ npy(v), rtol=1e-12)
    np.testing.assert_allclose(npy(v.dot(v)), npy(v) @ npy(v), rtol=1e-12)
    np.testing.assert_allclose(npy(v.outer(v)), np.outer(npy(v), npy(v)))
    np.testing.assert_allclose(npy(v.ger(v)), np.outer(npy(v), npy(v)))


def test_integer_matmul_keeps_dtype():
    a = nb.tensor([[1, 2], [3, 4]])
    assert (a @ a).dtype is nb.int64
    assert (a @ a).tolist() == [[7, 10], [15, 22]]
    assert nb.dot(nb.tensor([1, 2]), nb.tensor([3, 4])).item() == 11


def test_mm_gradients_closed_form():
    x, y = t(2, 3), t(3, 4)
    w = RNG.standard_normal((2, 4))
    (nb.mm(x, y) * nb.tensor(w)).sum().backward()
    np.testing.assert_allclose(npy(x.grad), w @ npy(y).T, rtol=1e-12)
    np.testing.assert_allclose(npy(y.grad), npy(x).T @ w, rtol=1e-12)


def test_mm_saves_only_what_a_needed_gradient_uses():
    x, y = t(2, 3), t(3, 4, grad=False)
    out = nb.mm(x, y)
    assert out.grad_fn.saved_tensors[0] is None and out.grad_fn.saved_tensors[1] is y


def test_float64_root_gradient_for_float32_product():
    x, y = t(2, 3, dtype=np.float32), t(3, 4, dtype=np.float32)
    out = x @ y
    out.backward(nb.ones(2, 4, dtype=nb.float64))
    assert x.grad.dtype is nb.float32 and y.grad.dtype is nb.float32
    np.testing.assert_allclose(npy(x.grad), np.ones((2, 4)) @ npy(y).T, rtol=1e-6)


@pytest.mark.parametrize("fn, exc, msg", [
    (lambda: nb.matmul(t(3), t(4)), RuntimeError, "inconsistent tensor size"),
    (lambda: nb.matmul(t(2, 3), t(4)), RuntimeError, "size mismatch, got input (2), "
                                                      "mat (2x3), vec (4)"),
    (lambda: nb.matmul(t(3), t(4, 5)), RuntimeError, "shapes cannot be multiplied (1x3 and 4x5)"),
    (lambda: nb.matmul(t(2, 3), t(4, 5)), RuntimeError, "(2x3 and 4x5)"),
    (lambda: nb.matmul(t(2, 2, 3), t(4, 5)), RuntimeError, "(4x3 and 4x5)"),
    (lambda: nb.matmul(t(2, 2, 3), t(3, 3, 5)), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    (lambda: nb.matmul(t(), t(3)), RuntimeError, "both arguments to matmul need to be at least "
                                                 "1D, but they are 0D and 1D"),
    (lambda: nb.matmul(t(2, 3), t(3, 4, dtype=np.float32)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: double != float"),
    (lambda: nb.matmul(t(2, 3), np.ones((3, 4))), TypeError, "must be Tensor"),
    (lambda: nb.mm(t(3), t(3, 4)), RuntimeError, "self must be a matrix"),
    (lambda: nb.mm(t(2, 3), t(3)), RuntimeError, "mat2 must be a matrix"),
    (lambda: nb.mm(t(2, 3), t(4, 4)), RuntimeError, "mat1 and mat2 shapes cannot be multiplied "
                                                    "(2x3 and 4x4)"),
    (lambda: nb.mm(t(2, 3, dtype=np.float32), t(3, 4)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda: nb.bmm(t(2, 3), t(3, 4)), RuntimeError, "batch1 must be a 3D tensor"),
    (lambda: nb.bmm(t(2, 2, 3), t(2, 3)), RuntimeError, "batch2 must be a 3D tensor"),
    (lambda: nb.bmm(t(2, 2, 3), t(3, 3, 4)), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [3, 3]."),
    (lambda: nb.bmm(t(2, 2, 3), t(2, 3, 4, dtype=np.float32)), RuntimeError,
     "expected scalar type Double but found Float"),
    (lambda: nb.dot(t(2, 3), t(3)), RuntimeError, "1D tensors expected, but got 2D and 1D"),
    (lambda: nb.dot(t(3), t(4)), RuntimeError, "inconsistent tensor size, expected tensor [3] "
                                               "and src [4]"),
    (lambda: nb.dot(t(3), t(3, dtype=np.float32)), RuntimeError,
     "dot : expected both vectors to have same dtype, but found Double and Float"),
    (lambda: nb.mv(t(3), t(3)), RuntimeError, "vector + matrix @ vector expected"),
    (lambda: nb.outer(t(2, 3), t(3)), RuntimeError, "outer: Expected 1-D argument self, but "
                                                    "got 2-D"),
    (lambda: nb.outer(t(3), t()), RuntimeError, "Expected 1-D argument vec2, but got 0-D"),
    (lambda: nb.trace(t(3)), RuntimeError, "trace: expected a matrix, but got tensor with dim 1"),
    (lambda: nb.trace(t(2, 3, 4)), RuntimeError, "expected a matrix, but got tensor with dim 3"),
    (lambda: nb.diagonal(t(2, 3, 4), 0, 1, 1), RuntimeError,
     "diagonal dimensions cannot be identical 1, 1"),
    (lambda: nb.diagonal(t(3)), IndexError, "Dimension out of range"),
])
def test_errors(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value)


# -- outer, trace, diagonal ----------------------------------------------------------
def test_outer_promotes_like_mul():
    a = nb.tensor([1, 2])
    b = nb.tensor([0.5, 1.0, 2.0])
    out = nb.outer(a, b)
    assert out.dtype is nb.float32 and out.shape == (2, 3)
    np.testing.assert_allclose(npy(out), np.outer([1, 2], [0.5, 1, 2]))


def test_trace_values_dtypes_and_gradient():
    x = t(3, 4)
    out = nb.trace(x)
    assert type(out.grad_fn).__name__ == "TraceBackward0"
    np.testing.assert_allclose(out.item(), np.trace(npy(x)), rtol=1e-12)
    out.backward()
    np.testing.assert_array_equal(npy(x.grad), np.eye(3, 4))
    assert nb.trace(nb.ones(3, 3, dtype=nb.int32)).dtype is nb.int64
    assert nb.trace(nb.ones(3, 3, dtype=nb.int32)).item() == 3
    assert nb.trace(nb.ones(2, 3)).dtype is nb.float32
    assert x.trace().item() == pytest.approx(out.item())


@pytest.mark.parametrize("shape, offset, d1, d2", [
    ((3, 4), 0, 0, 1), ((3, 4), 2, 0, 1), ((3, 4), -1, 0, 1), ((3, 4), 9, 0, 1),
    ((2, 3, 4), 1, 2, 0), ((2, 3, 4), 0, -1, -2)])
def test_diagonal_matches_numpy_and_is_a_view(shape, offset, d1, d2):
    x = t(*shape)
    d = nb.diagonal(x, offset, d1, d2)
    want = np.diagonal(npy(x), offset, d1, d2)
    assert d.shape == want.shape
    np.testing.assert_array_equal(npy(d), want)
    assert type(d.grad_fn).__name__ == "DiagonalBackward0"
    assert d._data.base is not None or d.numel() == 0   # no copy of the data
    g = RNG.standard_normal(want.shape)
    d.backward(nb.tensor(g))
    expect = np.zeros(shape)
    idx = np.arange(expect.size).reshape(shape)
    flat = np.diagonal(idx, offset, d1, d2).reshape(-1)
    expect.reshape(-1)[flat] = g.reshape(-1)
    np.testing.assert_array_equal(npy(x.grad), expect)


# -- einsum --------------------------------------------------------------------------
@pytest.mark.parametrize("eq, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ji,jk->ki", [(3, 2), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("ij->ji", [(2, 3)]), ("ii->", [(3, 3)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("ij->j", [(2, 3)]),
    ("ij", [(2, 3)]), ("ji", [(2, 3)]), ("i,j->ij", [(2,), (3,)]), ("i,i->", [(4,), (4,)]),
    ("i,i", [(4,), (4,)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("...ij,...jk", [(2, 2, 3), (3, 4)]), ("...ij->...ji", [(2, 3, 4)]),
    ("iij->j", [(2, 2, 3)]), ("ijk,ikl->jl", [(2, 3, 4), (2, 4, 5)]),
    ("i,j,k->ijk", [(2,), (3,), (2,)]), ("aB,Bc->ca", [(2, 3), (3, 2)]),
])
def test_einsum_matches_numpy(eq, shapes):
    ops = [t(*s) for s in shapes]
    out = nb.einsum(eq, *ops)
    want = np.einsum(eq, *[npy(o) for o in ops])
    assert out.shape == np.shape(want)
    np.testing.assert_allclose(npy(out), want, rtol=1e-10, atol=1e-12)
    # the list form gives the same
    np.testing.assert_allclose(npy(nb.einsum(eq, ops)), want, rtol=1e-10, atol=1e-12)


def test_einsum_sums_an_ellipsis_missing_from_the_output():
    x = t(2, 3, 4)
    out = nb.einsum("...ij->ij", x)
    np.testing.assert_allclose(npy(out), npy(x).sum(0), rtol=1e-12)


def test_einsum_gradient_closed_form():
    a, b = t(2, 3), t(3, 4)
    nb.einsum("ij,jk->", a, b).backward()
    np.testing.assert_allclose(npy(a.grad), np.ones((2, 4)) @ npy(b).T, rtol=1e-12)
    np.testing.assert_allclose(npy(b.grad), npy(a).T @ np.ones((2, 4)), rtol=1e-12)
    x = t(3, 3)
    nb.einsum("ii->", x).backward()
    np.testing.assert_array_equal(npy(x.grad), np.eye(3))


def test_einsum_transpose_is_a_view():
    x = t(2, 3)
    out = nb.einsum("ij->ji", x)
    assert type(out.grad_fn).__name__ == "PermuteBackward0"


@pytest.mark.parametrize("fn, msg", [
    (lambda: nb.einsum("ij,jk->ik", t(2, 3), t(4, 4)),
     "subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3"),
    (lambda: nb.einsum("ij,jk->ik", t(2, 3)), "fewer operands were provided"),
    (lambda: nb.einsum("ij->ij", t(2, 3), t(3)), "more operands were provided"),
    (lambda: nb.einsum("ij->ik", t(2, 3)), "output subscript k does not appear in the equation"),
    (lambda: nb.einsum("ijk->ij", t(2, 3)), "the number of subscripts in the equation (3) does "
                                            "not match the number of dimensions (2) for "
                                            "operand 0 and no ellipsis was given"),
    (lambda: nb.einsum("ii->i", t(2, 3)), "subscript i is repeated for operand 0 but the sizes "
                                          "don't match, 3 != 2"),
    (lambda: nb.einsum("ij->ii", t(2, 3)), "output subscript i appears more than once"),
    (lambda: nb.einsum("i1->i", t(2, 3)), "invalid subscript given at index 1"),
    (lambda: nb.einsum("ij,jk", t(2, 3), t(3, 4, dtype=np.float32)),
     "expected scalar type Double but found Float"),
])
def test_einsum_errors(fn, msg):
    with pytest.raises(RuntimeError) as info:
        fn()
    assert msg in str(info.value)


# -- the create_graph rule agrees with the fast backward -----------------------------
_MINE = [info for name in ("matmul", "mm", "bmm", "dot", "mv", "outer", "diagonal",
                           "diagonal_scatter_zeros", "trace", "einsum") for info in BY_NAME[name]]


@pytest.mark.parametrize("info", _MINE, ids=lambda i: i.id)
def test_recorded_backward_matches_fast_backward(info):
    """gradgradcheck checks second derivatives against the recorded first
    derivative; this checks the recorded first derivative itself."""
    for sample in info.samples(np.random.default_rng(1)):
        args = [nb.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray)
                else a for a in sample.args]
        diff = [a for a in args if isinstance(a, nb.Tensor) and a.requires_grad]
        out = info.call(*args, **sample.kwargs)
        v = nb.tensor(np.random.default_rng(2).standard_normal(out.shape))
        fast = nb.autograd.grad(out, diff, v, retain_graph=True, allow_unused=True)
        slow = nb.autograd.grad(out, diff, v, create_graph=True, allow_unused=True)
        for f, s in zip(fast, slow):
            np.testing.assert_allclose(npy(s), npy(f), rtol=1e-12, atol=1e-14)


def test_mm_gradients_take_their_inputs_layout():
    # as PyTorch's mm_mat1/mat2_backward: a column-major input (F.linear's weight.t())
    # gets a column-major gradient, so weight.grad needs no transposing copy
    rng = np.random.default_rng(0)
    x_np, w_np, g_np = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), \
        rng.standard_normal((3, 5))
    x, w = nb.tensor(x_np, requires_grad=True), nb.tensor(w_np, requires_grad=True)
    wt = w.t()
    layouts = []
    wt.register_hook(lambda g: layouts.append(g.is_contiguous()))
    (x @ wt).backward(nb.tensor(g_np))
    assert layouts == [False] and w.grad.is_contiguous()
    assert np.allclose(w.grad.numpy(), g_np.T @ x_np, rtol=1e-14, atol=1e-14)
    assert np.allclose(x.grad.numpy(), g_np @ w_np, rtol=1e-14, atol=1e-14)
    xt = nb.tensor(x_np.T.copy(), requires_grad=True)
    # both inputs column-major, and one of each
    assert nb.autograd.gradcheck(lambda a, b: nb.mm(a.t(), b.t()), (xt, w))
    assert nb.autograd.gradgradcheck(lambda a, b: nb.mm(a.t(), b.t()), (xt, w))
    assert nb.autograd.gradgradcheck(lambda a, b: nb.mm(a, b.t()), (x, w))
