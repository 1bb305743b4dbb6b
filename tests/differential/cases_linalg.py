"""Differential cases for ``torch.linalg`` (and torch.det / slogdet / logdet / inverse /
cholesky / cholesky_solve / qr / svd / pinverse / matrix_exp): values, gradients (.grad
after backward, float64), return types, shapes, and PyTorch's errors (non-square,
integer, singular, not positive definite, bad shapes and options).  Eigenvectors and
singular vectors are compared through sign-invariant quantities (v * v, U @ Vh)."""

A = "A = torch.tensor([[4., 1., 0.5], [1., 3., 0.2], [0.5, 0.2, 2.]], dtype=torch.float64)\n"
G = ("G = torch.tensor([[2., -1., 0.3], [0.4, 1.5, -0.7], [0.1, 0.9, 3.]], "
     "dtype=torch.float64, requires_grad=True)\n")
W = "W = torch.tensor([[1., 2.], [3., 4.], [5., 7.]], dtype=torch.float64, requires_grad=True)\n"
F = "F = torch.tensor([[2., 1.], [1., 3.]])\n"


def values():
    out = [
        A + "torch.linalg.det(A)", A + "torch.det(A)", A + "A.det()",
        A + "torch.linalg.slogdet(-A)", A + "torch.slogdet(A)", A + "tuple(A.slogdet())",
        A + "torch.logdet(A)", A + "torch.logdet(-A)", "torch.logdet(torch.zeros(2, 2))",
        A + "torch.linalg.inv(A)", A + "torch.inverse(A)", A + "A.inverse()",
        A + "torch.linalg.inv_ex(A)", A + "torch.linalg.solve(A, torch.ones(3, dtype=torch.float64))",
        A + "torch.linalg.solve(A, torch.ones(2, 3, 2, dtype=torch.float64))",
        A + "torch.linalg.solve(A, torch.ones(2, 3, dtype=torch.float64), left=False)",
        A + "torch.linalg.solve_ex(A, torch.ones(3, 1, dtype=torch.float64))",
        A + "torch.linalg.solve_triangular(A, torch.ones(3, 2, dtype=torch.float64), upper=True)",
        A + "torch.linalg.solve_triangular(A, torch.ones(2, 3, dtype=torch.float64), upper=False, left=False, unitriangular=True)",
        "torch.linalg.solve_triangular(torch.zeros(3, 3), torch.ones(3, 1), upper=True)",
        A + "torch.linalg.cholesky(A)", A + "torch.linalg.cholesky(A, upper=True)", A + "torch.cholesky(A)",
        A + "A.cholesky()", A + "torch.linalg.cholesky_ex(A)",
        A + "torch.linalg.cholesky_ex(torch.stack([A, -A])).info",
        A + "torch.cholesky_solve(torch.ones(3, 2, dtype=torch.float64), torch.linalg.cholesky(A))",
        A + "torch.cholesky_solve(torch.ones(3, 1, dtype=torch.float64), torch.linalg.cholesky(A, upper=True), upper=True)",
        A + "torch.linalg.qr(A)", A + "torch.linalg.qr(A[:, :2])", A + "torch.linalg.qr(A[:2])",
        A + "torch.linalg.qr(A[:, :2], mode='complete')", A + "torch.linalg.qr(A, mode='r')", A + "torch.qr(A)",
        A + "torch.linalg.eigh(A).eigenvalues", A + "torch.linalg.eigh(A).eigenvectors ** 2",
        A + "torch.linalg.eigh(A, UPLO='U').eigenvalues", A + "torch.linalg.eigvalsh(torch.triu(A))",
        A + "torch.linalg.eigvalsh(torch.triu(A), UPLO='U')",
        A + "torch.linalg.svd(A[:2]).S", A + "[t.shape for t in torch.linalg.svd(A[:2])]",
        A + "[t.shape for t in torch.linalg.svd(A[:, :2], full_matrices=False)]",
        A + "U, S, Vh = torch.linalg.svd(A[:, :2], full_matrices=False)\nU @ Vh",
        A + "torch.linalg.svdvals(A)", A + "torch.svd(A[:2]).S", A + "torch.svd(A[:, :2]).V.shape",
        A + "torch.linalg.pinv(A[:, :2])", A + "torch.linalg.pinv(A, hermitian=True)",
        A + "torch.linalg.pinv(A, rtol=0.5)", A + "torch.linalg.pinv(A, atol=2.5)", A + "torch.pinverse(A[:2])",
        A + "torch.linalg.matrix_exp(A / 2)", A + "torch.matrix_exp(-A)", A + "A.matrix_exp()",
        A + "torch.linalg.matrix_exp(torch.zeros(2, 3, 3))",
        A + "torch.linalg.lstsq(A[:, :2], torch.ones(3, 1, dtype=torch.float64))",
        A + "torch.linalg.lstsq(A[:, :2], torch.ones(3, 2, dtype=torch.float64), driver='gelsd')",
        A + "torch.linalg.lstsq(A[:, :2], torch.ones(3, dtype=torch.float64), driver='gels')",
        A + "torch.linalg.lstsq(A[:2], torch.ones(2, 1, dtype=torch.float64))",
        A + "torch.linalg.multi_dot([A, A[:, :2], torch.ones(2, dtype=torch.float64)])",
        A + "torch.linalg.multi_dot([torch.ones(3, dtype=torch.float64), A, A])",
        A + "torch.linalg.norm(A)", A + "torch.linalg.norm(A, 'nuc')", A + "torch.linalg.norm(A, 2)",
        A + "torch.linalg.norm(A, -1)", A + "torch.linalg.norm(A, float('inf'), dim=(1, 0))",
        A + "torch.linalg.norm(A, 3, dim=1)", A + "torch.linalg.norm(A[0], 0.5)",
        A + "torch.linalg.vector_norm(A, 1, dim=(0, 1), keepdim=True)",
        A + "torch.linalg.vector_norm(A, float('-inf'))",
        A + "torch.linalg.matrix_norm(A, -2)", A + "torch.linalg.matrix_norm(A, 'nuc', keepdim=True)",
        A + "torch.linalg.matrix_norm(torch.stack([A, 2 * A]), 1)",
        A + "torch.linalg.matrix_norm(A, float('-inf'), dim=(1, 0), keepdim=True)",
        F + "torch.linalg.matrix_norm(F, dtype=torch.float64)",
        F + "torch.linalg.det(torch.stack([F, 2 * F]))", F + "torch.linalg.inv(F)",
        F + "torch.linalg.cholesky(F)", F + "torch.linalg.eigvalsh(F)", F + "torch.linalg.svdvals(F)",
        F + "torch.linalg.matrix_exp(F)", F + "torch.linalg.solve(F, torch.ones(2))",
        "torch.linalg.det(torch.zeros(0, 0))", "torch.linalg.slogdet(torch.zeros(2, 0, 0))",
        "torch.linalg.inv(torch.zeros(0, 0))", "torch.linalg.det(torch.ones(3, 3))",
        "torch.linalg.slogdet(torch.ones(3, 3))",
    ]
    return [("linalg-values", c) for c in out]


def gradients():
    out = [
        G + "torch.linalg.det(G).backward()\nG.grad", G + "torch.linalg.slogdet(G).logabsdet.backward()\nG.grad",
        G + "torch.linalg.inv(G).sum().backward()\nG.grad",
        G + "torch.linalg.solve(G, torch.arange(3.).double()).sum().backward()\nG.grad",
        G + "torch.linalg.solve_triangular(G, torch.ones(3, 2).double(), upper=True).sum().backward()\nG.grad",
        G + "torch.linalg.solve_triangular(G, torch.ones(2, 3).double(), upper=False, left=False, unitriangular=True).sum().backward()\nG.grad",
        G + "L = torch.linalg.cholesky(G @ G.mT)\n(L * torch.arange(9.).double().reshape(3, 3)).sum().backward()\nG.grad",
        G + "L = torch.linalg.cholesky(G @ G.mT, upper=True)\n(L * torch.arange(9.).double().reshape(3, 3)).sum().backward()\nG.grad",
        G + "torch.cholesky_solve(G[:, :2], torch.linalg.cholesky(G @ G.mT + torch.eye(3).double())).sum().backward()\nG.grad",
        G + "Q, R = torch.linalg.qr(G)\n(Q.sum() + (R * R).sum()).backward()\nG.grad",
        W + "Q, R = torch.linalg.qr(W)\n(Q[0].sum() + R.sum()).backward()\nW.grad",
        W + "Q, R = torch.linalg.qr(W.mT)\n(Q[0].sum() + R.sum()).backward()\nW.grad",
        G + "S = G + G.mT\nw, V = torch.linalg.eigh(S)\n(w[0] + (V * V)[0].sum() + (V * V)[:, 1].sum()).backward()\nG.grad",
        G + "torch.linalg.eigvalsh(G + G.mT).sum().backward()\nG.grad",
        W + "U, S, Vh = torch.linalg.svd(W, full_matrices=False)\n(S.sum() + (U @ Vh).sum() + (U * U)[0].sum()).backward()\nW.grad",
        W + "U, S, Vh = torch.linalg.svd(W.mT)\n(S[0] + (U * U)[0].sum()).backward()\nW.grad",
        W + "torch.linalg.svdvals(W).sum().backward()\nW.grad",
        W + "torch.linalg.pinv(W).sum().backward()\nW.grad", W + "torch.linalg.pinv(W.mT).sum().backward()\nW.grad",
        G + "torch.linalg.matrix_exp(G).sum().backward()\nG.grad",
        W + "b = torch.tensor([[1.], [0.], [2.]], dtype=torch.float64, requires_grad=True)\nr = torch.linalg.lstsq(W, b, driver='gelsd')\n(r.solution.sum() + r.residuals.sum()).backward()\n(W.grad, b.grad)",
        G + "torch.linalg.matrix_norm(G, 'nuc').backward()\nG.grad", G + "torch.linalg.matrix_norm(G, 2).backward()\nG.grad",
        G + "torch.linalg.matrix_norm(G, 1).backward()\nG.grad",
        G + "torch.linalg.multi_dot([G, G, G[0]]).sum().backward()\nG.grad",
        G + "torch.logdet(G).backward()\nG.grad",
        G + "(g,) = torch.autograd.grad(torch.linalg.det(G), G, create_graph=True)\ng.sum().backward()\nG.grad",
        G + "(g,) = torch.autograd.grad(torch.linalg.inv(G).sum(), G, create_graph=True)\ng.pow(2).sum().backward()\nG.grad",
        "S = torch.tensor([[1., 2., 3.], [2., 4., 6.], [1., 0., 1.]], dtype=torch.float64, requires_grad=True)\ntorch.linalg.det(S).backward()\nS.grad",
        G + "torch.linalg.det(G).grad_fn.name()", G + "torch.linalg.inv(G).grad_fn.name()",
        G + "torch.linalg.eigh(G).eigenvalues.grad_fn.name()", G + "torch.linalg.cholesky_ex(G).L.grad_fn.name()",
        G + "torch.linalg.svd(G).S.grad_fn.name()", G + "torch.linalg.lstsq(G, G).solution.grad_fn.name()",
        G + "torch.linalg.norm(G).grad_fn.name()", G + "torch.linalg.matrix_norm(G, 2).grad_fn.name()",
        G + "torch.logdet(G).grad_fn.name()", G + "torch.linalg.slogdet(G).sign.requires_grad",
        G + "[t.requires_grad for t in torch.linalg.lstsq(G, G, driver='gelsd')]",
    ]
    return [("linalg-gradients", c) for c in out]


def errors():
    out = [
        "torch.linalg.det(torch.ones(2, 3))", "torch.linalg.det(torch.ones(3))",
        "torch.linalg.det(torch.ones(2, 2, dtype=torch.int64))", "torch.linalg.inv(torch.ones(3, 3))",
        "torch.linalg.inv(torch.stack([torch.eye(3), torch.ones(3, 3)]))",
        "torch.linalg.inv_ex(torch.ones(3, 3)).info", "torch.inverse(torch.ones(2, 3))",
        "torch.linalg.solve(torch.ones(3, 3), torch.ones(3))", "torch.linalg.solve(torch.eye(3), torch.ones(2))",
        "torch.linalg.solve(torch.eye(2), torch.ones(2), left=False)",
        "torch.linalg.solve(torch.eye(2), torch.ones(2, dtype=torch.float64))",
        "torch.linalg.solve(torch.eye(2).expand(2, 2, 2), torch.ones(3, 2))",
        "torch.linalg.solve_triangular(torch.eye(3), torch.ones(3), upper=True)",
        "torch.linalg.solve_triangular(torch.eye(2), torch.ones(3, 2), upper=False)",
        "torch.linalg.cholesky(torch.tensor([[1., 2.], [2., 1.]]))",
        "torch.linalg.cholesky(torch.stack([torch.eye(2), -torch.eye(2)]))",
        "torch.linalg.cholesky(torch.ones(2, 3))", "torch.linalg.cholesky(torch.ones(3))",
        "torch.linalg.cholesky(torch.ones(2, 2, dtype=torch.int64))",
        "torch.linalg.cholesky_ex(-torch.eye(2), check_errors=True)",
        "torch.cholesky_solve(torch.ones(3, 2), torch.eye(2))", "torch.cholesky_solve(torch.ones(2), torch.eye(2))",
        "torch.cholesky_solve(torch.ones(2, 1), torch.eye(2, dtype=torch.float64))",
        "torch.linalg.qr(torch.ones(3))", "torch.linalg.qr(torch.eye(2), mode='bad')",
        "torch.linalg.qr(torch.eye(2, dtype=torch.int64))",
        "A = torch.ones(3, 2, requires_grad=True)\nQ, R = torch.linalg.qr(A, mode='complete')\nQ.sum().backward()",
        "A = torch.ones(3, 2, requires_grad=True)\nQ, R = torch.linalg.qr(A, mode='r')\nR.sum().backward()",
        "torch.linalg.eigh(torch.ones(2, 3))", "torch.linalg.eigh(torch.eye(2), UPLO='X')",
        "torch.linalg.eigvalsh(torch.ones(3))", "torch.linalg.svd(torch.ones(3))",
        "torch.linalg.svdvals(torch.ones(2, 2, dtype=torch.int64))", "torch.linalg.pinv(torch.ones(3))",
        "torch.linalg.pinv(torch.ones(2, 2, dtype=torch.int64))", "torch.linalg.matrix_exp(torch.ones(2, 3))",
        "torch.linalg.matrix_exp(torch.ones(2, 2, dtype=torch.int64))",
        "torch.linalg.lstsq(torch.eye(2), torch.ones(3, 1))", "torch.linalg.lstsq(torch.ones(3), torch.ones(3))",
        "torch.linalg.lstsq(torch.eye(2), torch.ones(2, 1), driver='bad')",
        "torch.linalg.lstsq(torch.eye(2, dtype=torch.int64), torch.ones(2, 1, dtype=torch.int64))",
        "torch.linalg.multi_dot([torch.eye(2)])", "torch.linalg.multi_dot([])",
        "torch.linalg.multi_dot([torch.eye(2), torch.ones(3)])",
        "torch.linalg.multi_dot([torch.eye(2), torch.ones(2, 2, 2)])",
        "torch.linalg.multi_dot([torch.ones(2, 2, 2), torch.eye(2)])",
        "torch.linalg.multi_dot([torch.eye(2), torch.ones(2), torch.eye(2)])",
        "torch.linalg.multi_dot([torch.eye(2), torch.eye(2, dtype=torch.float64)])",
        "torch.linalg.norm(torch.ones(2, 2, 2), ord=2)", "torch.linalg.norm(torch.ones(3), 'fro')",
        "torch.linalg.norm(torch.eye(2), dim=(0, 1, 1))", "torch.linalg.norm(torch.eye(2), 'nuc', dim=0)",
        "torch.linalg.vector_norm(torch.eye(2), ord='fro')",
        "torch.linalg.vector_norm(torch.ones(2, dtype=torch.int64))",
        "torch.linalg.matrix_norm(torch.ones(2))", "torch.linalg.matrix_norm(torch.eye(2), ord=3)",
        "torch.linalg.matrix_norm(torch.eye(2), ord='abc')", "torch.linalg.matrix_norm(torch.eye(2), dim=(0, 0))",
        "torch.linalg.matrix_norm(torch.eye(2), dim=0)", "torch.linalg.matrix_norm(torch.eye(2, dtype=torch.int64))",
        "try:\n    torch.linalg.cholesky(-torch.eye(2))\nexcept torch.linalg.LinAlgError as e:\n    r = str(e)\nr",
        "issubclass(torch.linalg.LinAlgError, RuntimeError)",
    ]
    return [("linalg-errors", c) for c in out]


def nuclear():
    """torch.norm / Tensor.norm with p='nuc' (the nuclear norm through linalg.matrix_norm)."""
    x = "x = torch.arange(24.).reshape(2, 3, 4)\n"
    m = "m = torch.tensor([[2., 1.], [0.5, 3.], [1., -1.]], dtype=torch.float64, " \
        "requires_grad=True)\n"
    cases = [x + e for e in ("torch.norm(x, p='nuc')", "torch.norm(x, p='nuc', dim=(1, 2))",
                             "torch.norm(x[0], p='nuc', keepdim=True)",
                             "torch.norm(x, p='nuc', dim=1)", "x[0, 0].norm(p='nuc')",
                             "x[0].norm(p='nuc', dtype=torch.float64)", "x[0].norm('nuc')")]
    cases += [m + "r = m.norm(p='nuc')\nr.backward()\n(r, r.grad_fn.name(), m.grad)",
              m + "torch.norm(m, 'nuc', dim=(1, 0))"]
    return [("linalg-nuclear", c) for c in cases]


def all_cases():
    return values() + gradients() + errors() + nuclear()
