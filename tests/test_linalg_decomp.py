"""nb.linalg beyond the op database (tests/opdb/linalg_decomp.py) and the recorded
PyTorch outcomes (tests/differential/cases_linalg.py): errors and info codes, return
types, options (UPLO, modes, drivers, tolerances), empty and batched inputs, float32,
the gradient of det at singular matrices, Tensor methods and the lapack kernels."""

import pathlib
import re

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.backends import dispatch

RNG = np.random.default_rng(7)


def _t(a, dtype=nb.float64, grad=False):
    return nb.tensor(np.asarray(a), dtype=dtype, requires_grad=grad)


def _spd(n, batch=()):
    m = RNG.standard_normal(batch + (n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


# -- errors and info codes -------------------------------------------------------------------
def test_cholesky_of_a_non_positive_definite_batch_names_the_element_and_minor():
    A = _t(np.stack([np.eye(3), np.diag([1.0, -1.0, 1.0])]))
    with pytest.raises(nb.linalg.LinAlgError, match=r"\(Batch element 1\): .*leading minor "
                       r"of order 2 is not positive-definite"):
        nb.linalg.cholesky(A)
    assert issubclass(nb.linalg.LinAlgError, RuntimeError)
    L, info = nb.linalg.cholesky_ex(A)
    assert info.dtype is nb.int32 and info.tolist() == [0, 2]
    np.testing.assert_allclose(L[0].numpy(), np.eye(3))


def test_inv_and_solve_of_singular_matrices_raise_and_report_info():
    S = _t([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(nb.linalg.LinAlgError, match="diagonal element 2 is zero"):
        nb.linalg.inv(S)
    with pytest.raises(nb.linalg.LinAlgError, match="singular"):
        nb.linalg.solve(S, _t([1.0, 1.0]))
    assert nb.linalg.inv_ex(S).info.item() == 2
    assert nb.linalg.solve_ex(S, _t([1.0, 1.0])).info.item() == 2
    assert nb.linalg.det(S).item() == 0.0
    sign, logabs = nb.linalg.slogdet(S)
    assert sign.item() == 0.0 and logabs.item() == -np.inf


@pytest.mark.parametrize("call, match", [
    (lambda: nb.linalg.det(nb.ones(2, 3)), "square matrices"),
    (lambda: nb.linalg.inv(nb.ones(3)), "at least 2 dimensions"),
    (lambda: nb.linalg.eigh(nb.ones(2, 2, dtype=nb.int64)), "Got Long"),
    (lambda: nb.linalg.solve(nb.eye(2), nb.ones(3)), "Incompatible shapes"),
    (lambda: nb.linalg.solve(nb.eye(2), nb.ones(2, dtype=nb.float64)), "same dtype"),
    (lambda: nb.linalg.qr(nb.eye(2), mode="bad"), "unrecognized mode"),
    (lambda: nb.linalg.eigh(nb.eye(2), UPLO="X"), "UPLO"),
    (lambda: nb.linalg.lstsq(nb.eye(2), nb.ones(2, 1), driver="x"), "driver"),
    (lambda: nb.linalg.multi_dot([nb.eye(2)]), "at least 2 tensors"),
    (lambda: nb.linalg.matrix_norm(nb.eye(2), ord=3), "Order 3 not supported"),
    (lambda: nb.linalg.norm(nb.ones(2, 2, 2), ord=2), "must be 1D or 2D"),
])
def test_argument_errors_are_runtime_errors_raised_before_any_kernel(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_derivatives_that_do_not_exist_raise_at_backward():
    A = nb.ones(3, 2, dtype=nb.float64, requires_grad=True)
    Q, R = nb.linalg.qr(A, mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        Q.sum().backward()
    Q, R = nb.linalg.qr(A, mode="r")
    assert Q.shape == (0,)
    with pytest.raises(RuntimeError, match="mode='r'"):
        R.sum().backward()


# -- results ---------------------------------------------------------------------------------
def test_return_types_have_pytorchs_names_and_print_as_pytorch():
    A = _t(_spd(2))
    r = nb.linalg.slogdet(A)
    assert type(r).__name__ == "linalg_slogdet" and r._fields == ("sign", "logabsdet")
    assert repr(r).startswith("torch.return_types.linalg_slogdet(")
    assert nb.slogdet(A)._fields == ("sign", "logabsdet") and type(nb.slogdet(A)).__name__ == \
        "slogdet"
    for fn, fields in ((nb.linalg.eigh, ("eigenvalues", "eigenvectors")),
                       (nb.linalg.qr, ("Q", "R")), (nb.linalg.svd, ("U", "S", "Vh")),
                       (nb.linalg.cholesky_ex, ("L", "info")), (nb.svd, ("U", "S", "V"))):
        assert fn(A)._fields == fields
    assert nb.linalg.lstsq(A, A)._fields == ("solution", "residuals", "rank", "singular_values")


def test_eigh_reads_only_the_chosen_triangle():
    S = _spd(3)
    junk = S + np.triu(RNG.standard_normal((3, 3)), 1)   # the upper triangle is garbage
    w = nb.linalg.eigvalsh(_t(junk))
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(S), rtol=1e-12)
    w, V = nb.linalg.eigh(_t(junk.T.copy()), UPLO="U")
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(S), rtol=1e-12)
    v = V.numpy()
    np.testing.assert_allclose(v @ np.diag(w.numpy()) @ v.T, S, atol=1e-12)


def test_qr_and_svd_shapes_of_every_mode():
    A = _t(RNG.standard_normal((2, 5, 3)))
    assert [t.shape for t in nb.linalg.qr(A)] == [(2, 5, 3), (2, 3, 3)]
    Q, R = nb.linalg.qr(A, mode="complete")
    assert Q.shape == (2, 5, 5) and R.shape == (2, 5, 3)
    np.testing.assert_allclose((Q @ R).numpy(), A.numpy(), atol=1e-12)
    np.testing.assert_allclose((Q.mT @ Q).numpy(), np.broadcast_to(np.eye(5), (2, 5, 5)),
                               atol=1e-12)
    assert [t.shape for t in nb.linalg.svd(A)] == [(2, 5, 5), (2, 3), (2, 3, 3)]
    assert [t.shape for t in nb.linalg.svd(A, full_matrices=False)] == [(2, 5, 3), (2, 3),
                                                                         (2, 3, 3)]
    U, S, V = nb.svd(A)
    np.testing.assert_allclose(((U * S.unsqueeze(-2)) @ V.mT).numpy(), A.numpy(), atol=1e-12)


def test_lstsq_drivers_fill_pytorchs_fields():
    A = _t(RNG.standard_normal((5, 3)))
    B = _t(RNG.standard_normal((5, 2)))
    default = nb.linalg.lstsq(A, B)
    assert default.residuals.shape == (0,) and default.singular_values.shape == (0,)
    assert default.rank.item() == 3
    d = nb.linalg.lstsq(A, B, driver="gelsd")
    x = np.linalg.lstsq(A.numpy(), B.numpy(), rcond=None)
    np.testing.assert_allclose(d.solution.numpy(), x[0], rtol=1e-12)
    np.testing.assert_allclose(d.residuals.numpy(), x[1], rtol=1e-10)
    np.testing.assert_allclose(d.singular_values.numpy(), x[3], rtol=1e-12)
    assert nb.linalg.lstsq(A, B, driver="gels").rank.shape == (0,)


def test_lstsq_of_a_rank_deficient_matrix_is_the_minimum_norm_solution():
    A = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    b = np.array([[1.0], [2.0], [2.0]])
    r = nb.linalg.lstsq(_t(A), _t(b))
    np.testing.assert_allclose(r.solution.numpy(), np.linalg.pinv(A) @ b, rtol=1e-10)
    assert r.rank.item() == 1


def test_pinv_tolerances_drop_small_singular_values():
    u, _, vh = np.linalg.svd(RNG.standard_normal((3, 3)))
    A = (u * np.array([3.0, 1.0, 1e-3])) @ vh
    kept2 = (vh[:2].T / np.array([3.0, 1.0])) @ u[:, :2].T
    np.testing.assert_allclose(nb.linalg.pinv(_t(A), atol=0.01).numpy(), kept2, atol=1e-10)
    np.testing.assert_allclose(nb.linalg.pinv(_t(A), rtol=0.01).numpy(), kept2, atol=1e-10)
    np.testing.assert_allclose(nb.linalg.pinv(_t(A)).numpy(), np.linalg.inv(A), rtol=1e-8)


def test_matrix_exp_of_a_symmetric_matrix_with_a_large_norm():
    S = _spd(4) / 2
    w, V = np.linalg.eigh(S)
    got = nb.linalg.matrix_exp(_t(S)).numpy()
    np.testing.assert_allclose(got, (V * np.exp(w)) @ V.T, rtol=1e-11)


def test_empty_and_float32_inputs():
    assert nb.linalg.det(nb.zeros(0, 0)).item() == 1.0
    assert nb.linalg.inv(nb.zeros(2, 0, 0)).shape == (2, 0, 0)
    U, S, Vh = nb.linalg.svd(nb.zeros(0, 3))
    assert U.shape == (0, 0) and S.shape == (0,)
    np.testing.assert_array_equal(Vh.numpy(), np.eye(3))
    A = _t(_spd(3), nb.float32)
    for out in (nb.linalg.inv(A), nb.linalg.cholesky(A), nb.linalg.eigvalsh(A),
                nb.linalg.svdvals(A), nb.linalg.pinv(A), nb.linalg.matrix_exp(A / 10),
                nb.linalg.det(A), nb.linalg.qr(A).R, nb.linalg.norm(A, "nuc")):
        assert out.dtype is nb.float32


# -- gradients beyond gradcheck --------------------------------------------------------------
def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    A = _t([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], grad=True)
    nb.linalg.det(A).backward()
    a = A.detach().numpy()
    cof = np.array([[np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) * (-1) ** (i + j)
                     for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(A.grad.numpy(), cof, atol=1e-12)


def test_det_second_derivative_near_a_singular_matrix():
    """|det| = 7e-18, not 0: the recorded backward (create_graph) takes the SVD formula
    below 100 eps, as PyTorch's linalg_det_backward; det times the inverse's
    transpose differentiates wrongly there.  (A rank-2 matrix built by a product
    has a det of 0 or 1e-17 depending on the BLAS: this one is exact.)"""
    A = _t([[1.0, 0.0, 0.0], [2.0, 0.7, 0.0], [3.0, 5.0, 1e-17]], grad=True)
    assert nb.linalg.det(A).item() == 7e-18
    assert nb.autograd.gradgradcheck(nb.linalg.det, (A,))


def test_eigh_gradient_is_symmetric_and_ignores_the_unused_output():
    X = _t(_spd(3), grad=True)
    w, V = nb.linalg.eigh(X)
    w.sum().backward()   # d trace / dA = I, whatever V
    np.testing.assert_allclose(X.grad.numpy(), np.eye(3), atol=1e-12)


def test_tensor_methods_and_top_level_names():
    A = _t(_spd(3))
    for name in ("det", "slogdet", "logdet", "inverse", "cholesky", "qr", "svd", "pinverse",
                 "matrix_exp"):
        assert callable(getattr(nb.Tensor, name)) and callable(getattr(nb, name))
    np.testing.assert_allclose(A.inverse().numpy(), np.linalg.inv(A.numpy()), rtol=1e-12)
    L = nb.linalg.cholesky(A)
    b = _t(RNG.standard_normal((3, 2)))
    np.testing.assert_allclose(b.cholesky_solve(L).numpy(), np.linalg.solve(A.numpy(),
                                                                            b.numpy()),
                               rtol=1e-10)
    np.testing.assert_allclose(nb.logdet(A).item(), np.linalg.slogdet(A.numpy())[1])


def test_the_lapack_kernels_are_the_backends_api():
    cpu = dispatch.backend(nb.device("cpu"))
    a = np.ascontiguousarray(_spd(3, (2,)), np.float32)
    L, info = cpu.lapack.cholesky(a)
    assert L.dtype == np.float32 and info.tolist() == [0, 0]
    np.testing.assert_allclose(L @ np.swapaxes(L, -1, -2), a, rtol=1e-5)


def test_docs_examples_run(capsys):
    page = pathlib.Path(__file__).resolve().parent.parent / "docs" / "linalg.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    assert len(blocks) >= 4
    ns = {"__name__": "docs_linalg"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"linalg.md[block {i}]", "exec"), ns)   # noqa: S102
    out = capsys.readouterr().out
    assert "leading minor of order 2" in out
