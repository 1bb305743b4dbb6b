"""Reductions beyond the op database: named (values, indices) results, ties,
zeros in prod/cumprod, NaN and -inf, result dtypes, empty inputs, errors, and
the parallel kernels (forced on with a zero threshold)."""

import math
import pickle

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.backends.cpu import reduce as cpu_reduce

inf = math.inf


def t64(values, requires_grad=True):
    return nb.tensor(values, dtype=nb.float64, requires_grad=requires_grad)


def grad_of(fn, values):
    x = t64(values)
    out = fn(x)
    out = out[0] if isinstance(out, tuple) else out
    out.sum().backward()
    return x.grad


# -- named tuples ---------------------------------------------------------------------
def test_max_dim_returns_a_named_tuple_printed_as_pytorch():
    x = nb.tensor([[1., 3., 3.], [2., 0., 1.]], requires_grad=True)
    r = x.max(1)
    assert isinstance(r, tuple) and len(r) == 2 and type(r).__name__ == "max"
    assert type(r) is nb.return_types.max
    values, indices = r
    assert values is r.values and indices is r.indices and r[1] is r.indices
    assert repr(r) == ("torch.return_types.max(\n"
                       "values=tensor([3., 2.], grad_fn=<MaxBackward0>),\n"
                       "indices=tensor([1, 0]))")
    assert str(r) == repr(r)
    assert repr(nb.min(x, dim=0, keepdim=True)) == (
        "torch.return_types.min(\n"
        "values=tensor([[1., 0., 1.]], grad_fn=<MinBackward0>),\n"
        "indices=tensor([[0, 1, 1]]))")


def test_named_tuple_pickles():
    r = nb.tensor([[1., 5.], [3., 2.]]).max(0)
    back = pickle.loads(pickle.dumps(r))
    assert type(back) is nb.return_types.max
    assert back.indices.tolist() == [1, 0] and back.values.tolist() == [3., 5.]


def test_node_names_follow_the_overloads():
    x = nb.ones(2, 3, requires_grad=True)
    names = {e: type(f(x).grad_fn).__name__ for e, f in {
        "sum": lambda t: t.sum(), "sum1": lambda t: t.sum(1), "mean": lambda t: t.mean(),
        "mean1": lambda t: t.mean((0, 1)), "prod": lambda t: t.prod(),
        "prod1": lambda t: t.prod(1), "max": lambda t: t.max(), "max1": lambda t: t.max(1)[0],
        "min": lambda t: t.min(), "amax": lambda t: t.amax(1), "norm": lambda t: t.norm(),
        "var": lambda t: t.var(1), "std": lambda t: t.std(), "lse": lambda t: t.logsumexp(1),
        "cumsum": lambda t: t.cumsum(0), "cumprod": lambda t: t.cumprod(1)}.items()}
    assert names == {"sum": "SumBackward0", "sum1": "SumBackward1", "mean": "MeanBackward0",
                     "mean1": "MeanBackward1", "prod": "ProdBackward0", "prod1": "ProdBackward1",
                     "max": "MaxBackward1", "max1": "MaxBackward0", "min": "MinBackward1",
                     "amax": "AmaxBackward0", "norm": "LinalgVectorNormBackward0",
                     "var": "VarBackward0", "std": "StdBackward0", "lse": "LogsumexpBackward0",
                     "cumsum": "CumsumBackward0", "cumprod": "CumprodBackward0"}


def test_max_with_another_tensor_is_elementwise():
    if not hasattr(nb, "maximum"):
        pytest.skip("nb.maximum is not there yet")
    x, y = nb.tensor([1., 5.]), nb.tensor([3., 2.])
    assert nb.max(x, y).tolist() == [3., 5.] and x.min(y).tolist() == [1., 2.]


# -- index outputs --------------------------------------------------------------------
def test_indices_are_int64_and_never_require_grad():
    x = nb.randn(3, 4, requires_grad=True)
    for r in (x.max(1), x.min(0, keepdim=True)):
        assert r.indices.dtype is nb.int64 and not r.indices.requires_grad
        assert r.values.requires_grad
    for i in (x.argmax(), x.argmin(1), x.argmax(dim=0, keepdim=True)):
        assert i.dtype is nb.int64 and not i.requires_grad
    assert x.argmax().shape == () and x.argmax(keepdim=True).shape == (1, 1)


def test_first_index_wins_ties():
    x = nb.tensor([[2., 7., 7., 1.], [5., 5., 5., 5.]])
    assert x.max(1).indices.tolist() == [1, 0]
    assert x.argmax(1).tolist() == [1, 0] and x.argmin(1).tolist() == [3, 0]
    assert x.argmax().item() == 1


def test_nan_propagates_through_extrema():
    x = nb.tensor([1., math.nan, 3., math.nan])
    assert math.isnan(x.max().item()) and math.isnan(x.amin().item())
    r = x.max(0)
    assert math.isnan(r.values.item()) and r.indices.item() == 1
    assert x.argmin().item() == 1


# -- gradients at ties, zeros, -inf ------------------------------------------------------
def test_full_max_and_amax_share_the_gradient_among_ties():
    assert grad_of(lambda x: x.max(), [1., 3., 3.]).tolist() == [0., .5, .5]
    assert grad_of(lambda x: x.min(), [1., 1., 3.]).tolist() == [.5, .5, 0.]
    g = grad_of(lambda x: x.amax(1), [[1., 3., 3.], [2., 2., 2.]])
    np.testing.assert_allclose(g.numpy(), [[0, .5, .5], [1 / 3, 1 / 3, 1 / 3]])
    assert grad_of(lambda x: x.amin((0, 1)), [[1., 0.], [0., 4.]]).tolist() == [[0, .5], [.5, 0]]


def test_max_with_dim_sends_the_gradient_to_the_index():
    assert grad_of(lambda x: x.max(0), [1., 3., 3.]).tolist() == [0., 1., 0.]
    g = grad_of(lambda x: x.min(1, keepdim=True).values * nb.tensor([[2.], [3.]],
                                                                   dtype=nb.float64),
                [[4., 1., 1.], [0., 5., 0.]])
    assert g.tolist() == [[0., 2., 0.], [3., 0., 0.]]


def test_nan_maximum_takes_the_gradient():
    assert grad_of(lambda x: x.max(), [1., math.nan, 3.]).tolist() == [0., 1., 0.]


@pytest.mark.parametrize("values, expected", [
    ([2., 0., 3.], [0., 6., 0.]),          # one zero: only its gradient is nonzero
    ([2., 0., 0.], [0., 0., 0.]),          # two zeros: all zero
    ([0., 0., 0.], [0., 0., 0.]),
    ([2., 4., 3.], [12., 6., 8.]),
])
def test_prod_gradient_with_zeros(values, expected):
    assert grad_of(lambda x: x.prod(), values).tolist() == expected
    assert grad_of(lambda x: x.prod(0), values).tolist() == expected


def test_prod_gradient_with_zeros_along_a_dim():
    g = grad_of(lambda x: x.prod(1), [[2., 0., 3.], [1., 2., 3.], [0., 5., 0.]])
    assert g.tolist() == [[0., 6., 0.], [6., 3., 2.], [0., 0., 0.]]


def test_prod_second_derivative_with_two_zeros():
    x = t64([2., 0., 0.])
    (g,) = nb.autograd.grad(x.prod(), x, create_graph=True)
    (gg,) = nb.autograd.grad(g.sum(), x)
    assert gg.tolist() == [0., 2., 2.]   # d2/dx1 dx2 = x0 (PyTorch gives the same)


@pytest.mark.parametrize("values, expected", [
    ([2., 0., 3., 4.], [1., 32., 0., 0.]),
    ([2., 0., 3., 0., 5.], [1., 8., 0., 0., 0.]),
    ([0., 2., 3.], [9., 0., 0.]),
    ([2., 3., 4.], [16., 10., 6.]),
])
def test_cumprod_gradient_with_zeros(values, expected):
    assert grad_of(lambda x: x.cumprod(0), values).tolist() == expected


def test_cumprod_gradient_with_zeros_matches_finite_differences():
    x = t64([[1.5, 0., -2., 0.5], [0., 3., 0., 2.]])
    assert nb.autograd.gradcheck(lambda t: t.cumprod(1), (x,))
    assert nb.autograd.gradcheck(lambda t: t.cumprod(0), (x,))


def test_cumprod_second_derivative_with_zeros():
    x = t64([2., 0., 3., 4.])
    (g,) = nb.autograd.grad(x.cumprod(0).sum(), x, create_graph=True)
    hessian = [nb.autograd.grad(g[k], x, retain_graph=True)[0].tolist() for k in range(4)]
    # d2/dx1dx2 of sum_j prod_{i<=j} x_i = x0 + x0 * x3 = 10 (PyTorch agrees)
    assert hessian == [[0., 16., 0., 0.], [16., 0., 10., 6.], [0., 10., 0., 0.],
                       [0., 6., 0., 0.]]
    y = t64([[1.5, 0., -2., 0.5], [0., 3., 0., 2.]])
    assert nb.autograd.gradgradcheck(lambda t: t.cumprod(1), (y,))
    assert nb.autograd.gradgradcheck(lambda t: t.cumprod(0), (y,))


def test_norm_at_zero_has_zero_gradient():
    assert grad_of(lambda x: x.norm(), [0., 0.]).tolist() == [0., 0.]
    assert grad_of(lambda x: x.norm(dim=1), [[0., 0.], [3., 4.]]).tolist() == \
        [[0., 0.], [.6, .8]]
    assert grad_of(lambda x: x.norm(3), [0., 0.]).tolist() == [0., 0.]
    assert grad_of(lambda x: x.norm(1), [0., 1.]).tolist() == [0., 1.]
    assert grad_of(lambda x: x.norm(0.5), [0., 1.]).tolist() == [0., 1.]


def test_inf_norm_gradients_and_p0():
    assert grad_of(lambda x: x.norm(inf), [-3., 3., 1.]).tolist() == [-.5, .5, 0.]
    assert grad_of(lambda x: x.norm(-inf), [-1., 3., 1.]).tolist() == [-.5, 0., .5]
    x = t64([-1., 3., 0.])
    n = x.norm(0)
    assert n.item() == 2.
    n.backward()
    assert x.grad is None   # no gradient, as in PyTorch


def test_logsumexp_with_minus_inf():
    x = nb.tensor([-inf, 1., 2.])
    assert x.logsumexp(0).item() == pytest.approx(math.log(math.e + math.e ** 2))
    g = grad_of(lambda t: t.logsumexp(0), [-inf, 1., 2.])
    np.testing.assert_allclose(g.numpy(), [0., 0.2689414213699951, 0.7310585786300049])
    assert nb.tensor([-inf, -inf]).logsumexp(0).item() == -inf
    assert all(math.isnan(v) for v in grad_of(lambda t: t.logsumexp(0), [-inf, -inf]).tolist())
    assert nb.tensor([inf, 1.]).logsumexp(0).item() == inf
    assert nb.tensor([1000., 1000.]).logsumexp(0).item() == pytest.approx(1000 + math.log(2))


def test_std_of_a_constant_has_zero_gradient():
    assert grad_of(lambda x: x.std(), [1., 1., 1.]).tolist() == [0., 0., 0.]


def test_var_std_arguments():
    a = np.arange(6.).reshape(2, 3) ** 2
    x = nb.tensor(a)
    np.testing.assert_allclose(x.var().numpy(), a.var(ddof=1))
    np.testing.assert_allclose(x.var(1, False).numpy(), a.var(1))
    np.testing.assert_allclose(x.var(False).numpy(), a.var())
    np.testing.assert_allclose(x.std(1, True, True).numpy(), a.std(1, ddof=1, keepdims=True))
    np.testing.assert_allclose(nb.std(x, dim=0, correction=0).numpy(), a.std(0))
    np.testing.assert_allclose(x.var(correction=1.5).numpy(), ((a - a.mean()) ** 2).sum() / 4.5)
    with pytest.raises(TypeError):
        x.var(1, unbiased=True, correction=1)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert math.isnan(nb.tensor([3.]).var().item())


# -- dtypes -----------------------------------------------------------------------------
def test_result_dtypes():
    i32 = nb.tensor([1, 2, 3], dtype=nb.int32)
    b = nb.tensor([True, True, False])
    f = nb.tensor([1.5, 2.5])
    assert i32.sum().dtype is nb.int64 and b.sum().dtype is nb.int64 and b.sum().item() == 2
    assert i32.prod().dtype is nb.int64 and i32.cumsum(0).dtype is nb.int64
    assert b.cumsum(0).tolist() == [1, 2, 2] and i32.cumprod(0).dtype is nb.int64
    assert i32.max().dtype is nb.int32 and i32.amax(0).dtype is nb.int32
    assert i32.sum(dtype=nb.float32).dtype is nb.float32
    assert f.sum(dtype=nb.int64).item() == 3   # the input is converted first, as PyTorch
    assert f.sum(dtype=nb.float64).dtype is nb.float64
    assert i32.mean(dtype=nb.float32).item() == 2.0
    assert f.mean(dtype=nb.float64).dtype is nb.float64
    assert f.cumsum(0, dtype=nb.float64).dtype is nb.float64
    assert i32.logsumexp(0).dtype is nb.float32
    assert f.norm(dtype=nb.float64).dtype is nb.float64
    assert i32.all().dtype is nb.bool and f.any(0).dtype is nb.bool
    u8 = nb.tensor([1, 2], dtype=nb.uint8)
    assert u8.all().dtype is nb.uint8 and u8.all().item() == 1
    assert nb.count_nonzero(nb.tensor([[0., 1.], [2., 0.]]), 0).dtype is nb.int64


def test_float32_sums_accumulate_in_float64():
    a = np.full(1 << 20, 0.1, np.float32)
    exact = float(a.astype(np.float64).sum())
    assert nb.tensor(a).sum().item() == pytest.approx(exact, rel=1e-7)
    assert nb.tensor(a).mean().item() == pytest.approx(0.1, rel=1e-7)


# -- empty inputs ------------------------------------------------------------------------
def test_empty_reductions():
    e = nb.empty(0, 3)
    assert e.sum().item() == 0 and e.sum(0).tolist() == [0., 0., 0.]
    assert e.prod().item() == 1 and e.prod(0).tolist() == [1., 1., 1.]
    assert math.isnan(e.mean().item())
    assert e.logsumexp(0).tolist() == [-inf] * 3 and e.logsumexp(1).shape == (0,)
    assert e.all().item() is True and e.any().item() is False
    assert e.all(0).tolist() == [True] * 3
    assert e.norm().item() == 0 and e.norm(0).item() == 0
    assert e.cumsum(0).shape == (0, 3) and e.cumprod(1).shape == (0, 3)
    assert e.amax(1).shape == (0,) and e.max(1).indices.shape == (0,)
    assert e.argmax(1).shape == (0,)
    assert nb.count_nonzero(e).item() == 0
    with pytest.warns(UserWarning):
        assert math.isnan(e.var().item())


@pytest.mark.parametrize("call, exc, match", [
    (lambda e: e.max(), RuntimeError, r"max\(\): Expected reduction dim to be specified"),
    (lambda e: e.amin(), RuntimeError, r"amin\(\): Expected reduction dim to be specified"),
    (lambda e: e.max(0), IndexError, r"max\(\): Expected reduction dim 0 to have non-zero"),
    (lambda e: e.amax(0), IndexError, r"amax\(\): Expected reduction dim 0 to have non-zero"),
    (lambda e: e.argmax(), IndexError, r"argmax\(\): Expected reduction dim to be specified"),
    (lambda e: e.argmin(0), IndexError, r"argmin\(\): Expected reduction dim 0"),
    (lambda e: e.norm(inf), RuntimeError, "cannot compute the inf norm"),
    (lambda e: e.norm(-inf, dim=0), RuntimeError, "cannot compute the -inf norm"),
])
def test_empty_reductions_without_identity_raise(call, exc, match):
    with pytest.raises(exc, match=match):
        call(nb.empty(0, 3))


# -- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, call", [
    ("sum", lambda x: x.sum(3)), ("mean", lambda x: x.mean((0, 5))),
    ("prod", lambda x: x.prod(2)), ("max", lambda x: x.max(-3)),
    ("min", lambda x: x.min(2)), ("amax", lambda x: x.amax(4)),
    ("argmax", lambda x: x.argmax(2)), ("argmin", lambda x: x.argmin(-3)),
    ("norm", lambda x: x.norm(dim=4)), ("var", lambda x: x.var(5)),
    ("std", lambda x: x.std((0, 2))), ("logsumexp", lambda x: x.logsumexp(7)),
    ("cumsum", lambda x: x.cumsum(-3)), ("cumprod", lambda x: x.cumprod(2)),
    ("all", lambda x: x.all(3)), ("any", lambda x: x.any(-4)),
    ("count_nonzero", lambda x: nb.count_nonzero(x, 2)),
])
def test_dim_out_of_range_is_an_index_error_naming_the_op(name, call):
    with pytest.raises(IndexError, match=rf"^{name}\b.*Dimension out of range"):
        call(nb.ones(2, 3))


def test_mean_of_integers_raises():
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype.*Long"):
        nb.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="Optional dtype"):
        nb.ones(2).mean(dtype=nb.int64)


def test_other_errors():
    x = nb.ones(2, 3)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.sum((0, 0))
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.amax((1, -1))
    with pytest.raises(TypeError, match="must be int, not tuple"):
        x.prod((0, 1))
    with pytest.raises(TypeError, match="must be int, not tuple"):
        x.max((0, 1))
    with pytest.raises(TypeError, match="must be int, not tuple"):
        x.argmax((0, 1))
    with pytest.raises(TypeError, match="must be int, not float"):
        x.sum(1.0)
    with pytest.raises(TypeError):
        x.logsumexp()
    with pytest.raises(TypeError):
        x.cumsum()
    with pytest.raises(RuntimeError, match="var.*floating point"):
        nb.tensor([1, 2]).var()
    with pytest.raises(RuntimeError, match="vector_norm.*floating point.*Long"):
        nb.tensor([1, 2]).norm()
    with pytest.raises(RuntimeError, match="without narrowing"):
        nb.ones(2, dtype=nb.float64).norm(dtype=nb.float32)
    with pytest.raises(RuntimeError, match="'abc'"):
        x.norm("abc")


# -- parallel kernels -------------------------------------------------------------------
@pytest.fixture
def parallel(monkeypatch):
    monkeypatch.setattr(cpu_reduce, "PARALLEL_THRESHOLD", 0)


# (A, R, B) shapes through the row tasks and the chunked-R path of each kernel
PAR_CASES = [((40000,), None), ((3, 30000), 1), ((20000, 3), 0), ((50, 40), 1),
             ((2, 20000, 2), 1)]


@pytest.mark.parametrize("shape, dim", PAR_CASES)
def test_parallel_kernels_match_numpy(parallel, shape, dim):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(shape)
    a.reshape(-1)[7] = a.reshape(-1)[9]     # a tie, that the first index wins
    x = nb.tensor(a)
    ax = dim
    close = np.testing.assert_allclose
    if dim is None:
        close(x.sum().numpy(), a.sum())
        close(x.mean().numpy(), a.mean())
        assert x.argmax().item() == a.argmax() and x.argmin().item() == a.argmin()
        close(x.max().numpy(), a.max())
    else:
        close(x.sum(dim).numpy(), a.sum(ax))
        close(x.mean(dim).numpy(), a.mean(ax))
        r = x.max(dim)
        assert (r.indices.numpy() == a.argmax(ax)).all()
        close(r.values.numpy(), a.max(ax))
        assert (x.argmin(dim).numpy() == a.argmin(ax)).all()
    close(x.amin(dim).numpy() if dim is not None else x.amin().numpy(), a.min(ax))
    close(x.var(dim).numpy(), a.var(ax, ddof=1))
    close(x.std(dim, correction=0).numpy(), a.std(ax))
    m = a.max(ax, keepdims=True)
    lse = np.log(np.exp(a - m).sum(ax, keepdims=True)) + m
    close(x.logsumexp(dim if dim is not None else tuple(range(a.ndim))).numpy(),
          lse.reshape(a.sum(ax).shape))
    for p in (2, 1, 3, inf, -inf, 0):
        want = {inf: np.abs(a).max(ax), -inf: np.abs(a).min(ax),
                0: (a != 0).sum(ax) * 1.0}.get(p)
        if want is None:
            want = (np.abs(a) ** p).sum(ax) ** (1 / p)
        close(x.norm(p, dim).numpy(), want)
    small = 1 + a * 1e-4
    close(nb.tensor(small).prod(dim).numpy() if dim is not None else
          nb.tensor(small).prod().numpy(), small.prod(ax))
    assert (x.gt(3.5).any(dim).numpy() == (a > 3.5).any(ax)).all()
    assert (x.lt(3.5).all(dim).numpy() == (a < 3.5).all(ax)).all()
    d = 0 if dim is None else dim
    close(x.cumsum(d).numpy(), np.cumsum(a, d))
    close(nb.tensor(small).cumprod(d).numpy(), np.cumprod(small, d))


@pytest.mark.parametrize("shape, dim", PAR_CASES[:3])
def test_parallel_scan_backward(parallel, shape, dim):
    rng = np.random.default_rng(2)
    a = 1 + rng.standard_normal(shape) * 1e-3
    d = 0 if dim is None else dim
    x = nb.tensor(a, requires_grad=True)
    g = rng.standard_normal(shape)
    x.cumsum(d).backward(nb.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), np.flip(np.cumsum(np.flip(g, d), d), d))
    x.grad = None
    x.cumprod(d).backward(nb.tensor(g))
    out = np.cumprod(a, d)
    want = np.flip(np.cumsum(np.flip(g * out, d), d), d) / a
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-9)


@pytest.mark.parametrize("force_parallel", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8,
                                   np.bool_])
def test_extrema_against_numpy(monkeypatch, force_parallel, dtype):
    # long rows (several blocks of the kernel's scan), ties across blocks, NaNs,
    # infinities and signed zeros; rows (B == 1) and columns (B > 1)
    if force_parallel:
        monkeypatch.setattr(cpu_reduce, "PARALLEL_THRESHOLD", 0)
    rng = np.random.default_rng(3)
    n = 40000
    if dtype == np.bool_:
        a = rng.random((3, n)) < 0.5
    elif np.issubdtype(dtype, np.integer):
        a = rng.integers(0 if dtype == np.uint8 else -100, 100, (3, n)).astype(dtype)
    else:
        a = rng.standard_normal((3, n)).astype(dtype)
        a[0, [5, 30000]] = 9.0                 # a tie in two blocks: the first wins
        a[1, 20000] = np.nan                    # a NaN wins over everything
        a[1, 35000] = np.nan
        a[2, 100] = -np.inf
        a[2, 200] = np.inf
        a[2, 300] = -0.0
    for arr in (a, np.ascontiguousarray(a.T)):
        x = nb.tensor(arr)
        ax = 1 if arr is a else 0
        for fn, np_val, np_idx in ((nb.max, np.max, np.argmax), (nb.min, np.min, np.argmin)):
            r = fn(x, ax)
            np.testing.assert_array_equal(r.values.numpy(), np_val(arr, ax))
            np.testing.assert_array_equal(r.indices.numpy(), np_idx(arr, ax))
        np.testing.assert_array_equal(x.argmax(ax).numpy(), np.argmax(arr, ax))
        np.testing.assert_array_equal(x.amin(ax).numpy(), np.min(arr, ax))
        assert x.argmax().item() == np.argmax(arr) and x.argmin().item() == np.argmin(arr)
        np.testing.assert_array_equal(x.max().numpy(), np.max(arr))


# -- prepare's plan cache (one int dim of a C-contiguous array) ---------------------------
def test_a_cached_int_dim_plan_answers_as_the_first_call():
    x = nb.arange(24.0).reshape(2, 3, 4)
    for dim in (0, 1, 2, -1, -3):
        for keepdim in (False, True):
            first = x.sum(dim, keepdim=keepdim)
            again = x.sum(dim, keepdim=keepdim)   # from the plan cache
            want = np.arange(24.0).reshape(2, 3, 4).sum(dim, keepdims=keepdim)
            assert first.shape == again.shape == want.shape
            assert again.tolist() == first.tolist() == want.tolist()
            assert x.mean(dim, keepdim=keepdim).tolist() == (want / x.shape[dim]).tolist()


def test_bool_and_bad_dims_still_raise_after_an_int_dim_was_cached():
    x = nb.ones(2, 3)
    x.sum(1), x.sum(1)   # dim 1 is cached; True == 1 hashes alike
    with pytest.raises(TypeError, match="must be int, not bool"):
        x.sum(True)
    with pytest.raises(IndexError):
        x.sum(2)
    with pytest.raises(IndexError):
        x.sum(2)   # a refused dim is never cached


def test_cached_plans_for_0d_and_empty_tensors():
    for _ in range(2):
        assert nb.tensor(5.0).sum(0).tolist() == 5.0
        assert nb.tensor(5.0).sum(-1, keepdim=True).shape == ()
        assert nb.ones(0, 3).sum(0).tolist() == [0.0] * 3
        assert nb.ones(2, 0).sum(1).tolist() == [0.0] * 2
