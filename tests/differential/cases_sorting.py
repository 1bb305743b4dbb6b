"""Differential cases for sorting, searching, counting and structural ops (issue 14): values,
gradients and errors of sort/argsort/topk/kthvalue/median/mode/unique/searchsorted/bucketize,
histc/histogram/bincount, diag*/tri*_indices/meshgrid/cartesian_prod/kron/cross/cdist,
nan_to_num, clamp with tensors and flatten/unflatten.  Only outcomes PyTorch defines are
recorded: sorts with ties use stable=True; topk/kthvalue/median/mode indices only where the
selected value is unique (or, for mode, where PyTorch documents the last index)."""

X = "x = torch.tensor([[3., 1., 2., 5.], [0., -1., 4., 2.5]])\n"
T = "t = torch.tensor([2., 1., 2., 0., 1., 2.])\n"
N = "n = torch.tensor([1., float('nan'), -1., 3., float('nan')])\n"
G = "g = torch.tensor([3., 1., 2.], dtype=torch.float64, requires_grad=True)\n"
S = "s = torch.tensor([1., 2., 2., 3., 5.])\n"
U = "u = torch.tensor([[1., 2., 1.], [0., 5., 0.], [1., 2., 1.], [1., 0., 1.]], requires_grad=True)\n"


def sorting():
    out = [
        X + "torch.sort(x)", X + "torch.sort(x, 0)", X + "torch.sort(x, dim=1, descending=True)",
        X + "x.sort(-1, True)", X + "torch.argsort(x)", X + "x.argsort(dim=0, descending=True)",
        X + "torch.msort(x)", X + "x.msort()",
        T + "torch.sort(t, stable=True)", T + "torch.sort(t, descending=True, stable=True)",
        T + "torch.argsort(t, stable=True)", T + "t.sort(stable=True, descending=True)",
        N + "torch.sort(n, stable=True)", N + "torch.sort(n, descending=True, stable=True)",
        "torch.sort(torch.tensor([True, False, True]), stable=True)",
        "torch.sort(torch.tensor([3, -1, 2], dtype=torch.int32))",
        "torch.sort(torch.tensor(2.))", "torch.sort(torch.ones(0, 3), 0)",
        X + "torch.sort(x, 2)", X + "torch.sort(x, descending=1)",
        X + "torch.topk(x, 2)", X + "torch.topk(x, 1, dim=0)", X + "torch.topk(x, 3, largest=False)",
        X + "x.topk(2, 0, False, True)", X + "torch.topk(x, 5)", X + "torch.topk(x, -1)",
        X + "torch.topk(x, 0)", "torch.topk(torch.tensor(3.), 1)",
        X + "torch.kthvalue(x, 2)", X + "torch.kthvalue(x, 1, 0, True)", X + "x.kthvalue(4)",
        X + "torch.kthvalue(x, 5)", X + "torch.kthvalue(x, 0)",
        X + "torch.median(x)", X + "x.median(1)", X + "torch.median(x, 0, keepdim=True)",
        "torch.median(torch.tensor([4., 1., 3., 2.]))", N + "torch.median(n)",
        N + "n.nanmedian()", "torch.median(torch.tensor([]))", "torch.median(torch.ones(0, 2), 0)",
        "torch.median(torch.ones(0, 2), 1)", X + "torch.nanmedian(x, 1)",
        "torch.nanmedian(torch.tensor([[1., float('nan'), 3.], [float('nan'), 2., float('nan')]]),"
        " 1)", "torch.nanmedian(torch.tensor([float('nan'), float('nan')]))",
        "torch.median(torch.tensor([[1., float('nan'), 3.], [2., 0., 5.]]), 1)",
        "torch.median(torch.tensor([5, 1, 3]))",
        "torch.mode(torch.tensor([3., 1., 3., 2., 1., 3., 1.]))",
        "torch.mode(torch.tensor([2., 1., 2., 1.]))", T + "t.mode()",
        "torch.mode(torch.tensor([[1, 2, 2], [3, 3, 1]]), 1)",
        "torch.mode(torch.tensor([[1., 2., 2.], [1., 1., 3.]]), 0, keepdim=True)",
        "torch.mode(torch.tensor([]))",
        T + "torch.unique(t)", T + "torch.unique(t, return_inverse=True, return_counts=True)",
        T + "t.unique(return_counts=True)", T + "torch.unique(t.reshape(2, 3), return_inverse=True)",
        "torch.unique(torch.tensor([2, 1, 2, 3]), sorted=False)",
        "torch.unique(torch.tensor([float('nan'), float('nan'), 1.]))",
        "torch.unique(torch.tensor([], dtype=torch.long), return_counts=True)",
        "torch.unique(torch.tensor([True, False, True]))",
        U + "torch.unique(u, dim=0, return_inverse=True, return_counts=True)",
        U + "torch.unique(u, dim=1, return_inverse=True, return_counts=True)",
        U + "r = torch.unique(u, dim=-1)\n(r, r.grad_fn.name())", U + "u.unique(dim=0, sorted=False)",
        U + "torch.unique_consecutive(u, dim=0, return_inverse=True, return_counts=True)",
        U + "r = torch.unique_consecutive(u, dim=1)\n(r, r.grad_fn.name())",
        U + "torch.unique(u, dim=0)[0].sum().backward()", U + "torch.unique(u, dim=2)",
        U + "torch.unique(u, dim=1.0)", "torch.unique(torch.tensor(3.), dim=0)",
        "torch.unique(torch.empty(0, 3), dim=0, return_inverse=True, return_counts=True)",
        "torch.unique(torch.empty(3, 0), dim=1)", "torch.unique(torch.empty(3, 0), dim=0)",
        "torch.unique(torch.tensor([[[1, 2], [1, 2]], [[0, 2], [1, 2]], [[1, 2], [1, 2]]]), "
        "dim=0, return_inverse=True, return_counts=True)",
        "torch.unique(torch.tensor([[[1, 2], [1, 2]], [[0, 2], [1, 2]]]), dim=2, "
        "return_inverse=True)",
        "torch.unique(torch.tensor([[True, False], [True, False], [False, True]]), dim=0)",
        "torch.unique(torch.tensor([[3, 1, 2], [3, 1, 2], [1, 1, 1]]).t(), dim=1, "
        "return_counts=True)",
        "torch.unique_consecutive(torch.tensor([[1, 1, 2, 2, 1]]), dim=1, return_counts=True)",
        "torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 1]), return_inverse=True, "
        "return_counts=True)", T + "t.unique_consecutive()",
        S + "torch.searchsorted(s, torch.tensor([2., 0., 6., 2.5]))",
        S + "torch.searchsorted(s, torch.tensor([2., 0., 6., 2.5]), right=True)",
        S + "torch.searchsorted(s, torch.tensor([[2., 3.], [5., 1.]]), side='right')",
        S + "torch.searchsorted(s, 2)", S + "torch.searchsorted(s, 2.5, out_int32=True)",
        S + "torch.searchsorted(s, torch.tensor([float('nan'), 2.]))",
        "torch.searchsorted(torch.tensor([[1., 3., 5.], [2., 4., 6.]]), torch.tensor([[3.], "
        "[3.]]))", "torch.searchsorted(torch.tensor([1., 2., 3.]), torch.tensor([2, 3]))",
        "torch.searchsorted(torch.tensor([1, 2, 3]), torch.tensor([2.5, 3.]))",
        "torch.searchsorted(torch.tensor([3., 1., 2.]), torch.tensor([2.5]), "
        "sorter=torch.tensor([1, 2, 0]))",
        "torch.searchsorted(torch.tensor([[1., 2, 3]]), 2.5)",
        "torch.searchsorted(torch.tensor([[1., 2, 3]]), torch.tensor([[2.5], [1.]]))",
        "torch.searchsorted(torch.tensor([1., 2, 3]), torch.tensor([2.]), "
        "sorter=torch.tensor([0, 1, 2], dtype=torch.int32))",
        "torch.searchsorted(torch.tensor([1., 2, 3]), torch.tensor([2.]), side='left', "
        "right=True)", "torch.searchsorted(torch.tensor([1., 2, 3]), torch.tensor([2.]), "
        "side='mid')",
        S + "torch.bucketize(torch.tensor([0.5, 2., 4., 9.]), s)",
        S + "torch.bucketize(torch.tensor([0.5, 2., 4., 9.]), s, right=True, out_int32=True)",
        S + "torch.bucketize(2.5, s)", "torch.bucketize(torch.tensor([2.]), "
        "torch.tensor([[1., 2, 3]]))",
    ]
    return [("sorting", c) for c in out]


def gradients():
    out = [
        G + "torch.sort(g, descending=True).values.mul(torch.tensor([1., 2., 3.], "
        "dtype=torch.float64)).sum().backward()\ng.grad",
        G + "torch.topk(g, 2).values.mul(torch.tensor([1., 10.], dtype=torch.float64)).sum()"
        ".backward()\ng.grad",
        G + "torch.kthvalue(g, 2).values.backward()\ng.grad",
        G + "torch.median(g).backward()\ng.grad",
        G + "torch.median(g, 0).values.backward()\ng.grad",
        "g = torch.tensor([1., 2., 1., 3.], dtype=torch.float64, requires_grad=True)\n"
        "torch.nanmedian(g).backward()\ng.grad",
        "g = torch.tensor([[1., 3.], [2., 2.]], dtype=torch.float64, requires_grad=True)\n"
        "torch.mode(g, 1).values.sum().backward()\ng.grad",
        G + "torch.sort(g)[0].requires_grad, torch.sort(g)[1].requires_grad",
        G + "gg, = torch.autograd.grad(torch.sort(g).values.pow(2).sum(), g, create_graph=True)\n"
        "gg.sum().backward()\ng.grad",
        G + "torch.unique(g).requires_grad",
        G + "torch.histc(g, bins=2).requires_grad",
        "g = torch.tensor([[1., 2.], [3., 4.]], dtype=torch.float64, requires_grad=True)\n"
        "torch.diag_embed(g, 1).sum().backward()\ng.grad",
        "g = torch.tensor([[1., 2.], [3., 4.]], dtype=torch.float64, requires_grad=True)\n"
        "(torch.diag(g) * torch.tensor([2., 3.], dtype=torch.float64)).sum().backward()\ng.grad",
        "a = torch.tensor([[0., 0.], [1., 2.]], dtype=torch.float64, requires_grad=True)\n"
        "b = torch.tensor([[1., 0.], [0., 0.]], dtype=torch.float64, requires_grad=True)\n"
        "torch.cdist(a, b).sum().backward()\na.grad, b.grad",
        "a = torch.tensor([[0., 0.], [1., 2.]], dtype=torch.float64, requires_grad=True)\n"
        "b = torch.tensor([[1., 0.5], [-1., 3.]], dtype=torch.float64, requires_grad=True)\n"
        "torch.cdist(a, b, p=1.5).sum().backward()\na.grad, b.grad",
        "a = torch.tensor([[0., 0.], [1., 2.]], dtype=torch.float64, requires_grad=True)\n"
        "b = torch.tensor([[1., 0.5], [-1., 3.]], dtype=torch.float64, requires_grad=True)\n"
        "torch.cdist(a, b, p=float('inf')).sum().backward()\na.grad, b.grad",
        "a = torch.tensor([1., 2., 3.], dtype=torch.float64, requires_grad=True)\n"
        "b = torch.tensor([0., -1., 4.], dtype=torch.float64, requires_grad=True)\n"
        "torch.cross(a, b, dim=0).mul(torch.tensor([1., 2., 3.], dtype=torch.float64)).sum()"
        ".backward()\na.grad, b.grad",
        "a = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)\n"
        "torch.kron(a, torch.tensor([1., 3.], dtype=torch.float64)).pow(2).sum().backward()\n"
        "a.grad",
        "n = torch.tensor([1., float('nan'), float('inf'), -float('inf')], requires_grad=True)\n"
        "torch.nan_to_num(n).sum().backward()\nn.grad",
        "x = torch.tensor([-2., 0.5, 3., 1.], requires_grad=True)\n"
        "lo = torch.tensor([0., 0., 0., 2.], requires_grad=True)\n"
        "hi = torch.tensor([1., 1., 1., 1.], requires_grad=True)\n"
        "torch.clamp(x, lo, hi).sum().backward()\nx.grad, lo.grad, hi.grad",
        "x = torch.tensor([[-2., 0.5, 3.]], requires_grad=True)\n"
        "lo = torch.tensor([[0.], [1.]], requires_grad=True)\n"
        "y = torch.clamp(x, min=lo)\ny.sum().backward()\ny, x.grad, lo.grad",
        "x = torch.tensor([-2., 0.5, 3.], requires_grad=True)\n"
        "hi = torch.tensor([0., 1., 2.], requires_grad=True)\n"
        "y = x.clip(max=hi)\ny.sum().backward()\ny, x.grad, hi.grad",
    ]
    return [("sorting-grad", c) for c in out]


def counting():
    out = [
        "torch.histc(torch.tensor([1., 2., 1.]), bins=4, min=0, max=3)",
        "torch.histc(torch.tensor([1., 1.]), bins=2)",
        "torch.histc(torch.tensor([0., 0.5, 1., 2., -1.]), bins=2, min=0, max=1)",
        "torch.histc(torch.arange(10.), bins=3)", "torch.histc(torch.tensor([]), bins=2)",
        "torch.histc(torch.tensor([1., 2.]), bins=0)",
        "torch.histc(torch.tensor([1., 2.]), bins=2, min=3, max=1)",
        "torch.histc(torch.tensor([1., float('inf')]), bins=2)",
        "torch.histc(torch.tensor([1, 2, 1]), bins=4, min=0, max=3)",
        "torch.histc(torch.tensor([1., 2., 1.], dtype=torch.float64), bins=3).dtype",
        "torch.histogram(torch.tensor([1., 2., 1.]), bins=4, range=(0., 3.))",
        "torch.histogram(torch.tensor([1., 1.]), bins=2)",
        "torch.histogram(torch.arange(10.), bins=3)",
        "torch.histogram(torch.tensor([1., 2.]), bins=torch.tensor([0., 1.5, 3.]), density=True)",
        "torch.histogram(torch.tensor([1., 2., 5.]), bins=2, weight=torch.tensor([1., 2., 3.]))",
        "torch.histogram(torch.tensor([1., 2.]), bins=torch.tensor([[0., 1.5, 3.]]))",
        "torch.histogram(torch.tensor([1., 2.]), bins=2, weight=torch.tensor([1.]))",
        "torch.histogram(torch.tensor([1., 2.]), bins=2, weight=torch.tensor([1., 2.], "
        "dtype=torch.float64))", "torch.histogram(torch.tensor([1., 2.]), bins=2, range=(3., 1.))",
        "torch.histogram(torch.tensor([]), bins=2)", "torch.histogram(torch.tensor([1, 2]), bins=2)",
        "torch.histogram(torch.tensor([1., 2.]), bins=0)",
        "torch.tensor([0.5, 1.5, 2.5, 2.5]).histogram(3, range=(0., 3.), density=True)",
        "torch.bincount(torch.tensor([0, 2, 2, 5]))",
        "torch.bincount(torch.tensor([0, 2, 2]), weights=torch.tensor([1., 2., 3.]))",
        "torch.bincount(torch.tensor([0, 2, 2]), weights=torch.tensor([1, 2, 3]))",
        "torch.bincount(torch.tensor([0, 2, 2]), torch.tensor([1., 2., 3.], "
        "dtype=torch.float64), 5)", "torch.bincount(torch.tensor([1, 2], dtype=torch.uint8), "
        "minlength=5)", "torch.tensor([1, 1, 3]).bincount()",
        "torch.bincount(torch.tensor([], dtype=torch.long))",
        "torch.bincount(torch.tensor([1., 2.]))", "torch.bincount(torch.tensor([-1, 2]))",
        "torch.bincount(torch.tensor([[1, 2]]))",
        "torch.bincount(torch.tensor([1, 2]), minlength=-1)",
        "torch.bincount(torch.tensor([1, 2]), weights=torch.tensor([1.]))",
    ]
    return [("counting", c) for c in out]


def structure():
    out = [
        "torch.diag(torch.tensor([1., 2.]))", "torch.diag(torch.tensor([1, 2]), 1)",
        "torch.diag(torch.tensor([1., 2.]), -2)", X + "torch.diag(x)", X + "torch.diag(x, 1)",
        X + "torch.diag(x, -1)", X + "x.diag(5)", "torch.diag(torch.ones(2, 2, 2))",
        "torch.diag(torch.tensor(1.))", X + "torch.diag_embed(x)", X + "torch.diag_embed(x, 1)",
        X + "torch.diag_embed(x, -1, 0, 2)", X + "torch.diag_embed(x, 0, 2, 0)",
        "torch.diag_embed(torch.ones(2), dim1=0, dim2=0)", "torch.diag_embed(torch.tensor(1.))",
        X + "torch.diagflat(x)", "torch.diagflat(torch.tensor([1., 2.]), 1)",
        "torch.diagflat(torch.tensor(1.))", "torch.tril_indices(3, 3)",
        "torch.tril_indices(3, 4, 1)", "torch.tril_indices(4, 3, -1)",
        "torch.triu_indices(3, 4, 1)", "torch.triu_indices(3, 3)", "torch.triu_indices(2, 5, -1)",
        "torch.tril_indices(0, 3)", "torch.tril_indices(3, 3, dtype=torch.int32)",
        "torch.tril_indices(-1, 3)", "torch.tril_indices(3, 3, dtype=torch.float32)",
        "torch.tril_indices(3, 3, 10)", "torch.triu_indices(3, 3, -10)",
        "torch.meshgrid(torch.tensor([1, 2, 3]), torch.tensor([4, 5]), indexing='ij')",
        "torch.meshgrid(torch.tensor([1, 2, 3]), torch.tensor([4, 5]), indexing='xy')",
        "torch.meshgrid([torch.tensor([1., 2.]), torch.tensor(3.), torch.tensor([4., 5.])], "
        "indexing='xy')", "torch.meshgrid(torch.tensor([1, 2]), torch.tensor([3]))",
        "torch.meshgrid(torch.ones(2, 2), torch.ones(2), indexing='ij')",
        "torch.meshgrid(torch.ones(2), torch.ones(2, dtype=torch.float64), indexing='ij')",
        "torch.meshgrid(torch.ones(2), torch.ones(2), indexing='foo')",
        "torch.meshgrid(indexing='ij')",
        "torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4, 5]))",
        "torch.cartesian_prod(torch.tensor([1., 2.]), torch.tensor([3., 4.]), "
        "torch.tensor([0., 1.]))", "torch.cartesian_prod(torch.tensor([1, 2]))",
        "torch.cartesian_prod(torch.ones(2, 2))",
        "torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3., 4.]))",
        "torch.kron(torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([[0., 1.], [1., 0.]]))",
        "torch.kron(torch.tensor([1, 2]), torch.tensor([[1, 10], [100, 1000]]))",
        "torch.kron(torch.ones(2), torch.ones(2, 2, dtype=torch.int64))",
        "torch.kron(torch.ones(2, 1, 3), torch.arange(4.).reshape(2, 2)).shape",
        "torch.kron(torch.tensor(2.), torch.tensor([1., 2.]))",
        "torch.cross(torch.tensor([1, 2, 3]), torch.tensor([4, 5, 6]))",
        "torch.cross(torch.tensor([[1., 0., 0.], [0., 1., 0.]]), torch.tensor([[0., 1., 0.], "
        "[0., 0., 1.]]), dim=1)", "torch.cross(torch.arange(9.).reshape(3, 3), "
        "torch.ones(3, 3))", "torch.cross(torch.arange(6.).reshape(3, 2), torch.ones(3, 1), 0)",
        "torch.cross(torch.ones(3), torch.ones(3, dtype=torch.float64))",
        "torch.cross(torch.ones(2, 3), torch.ones(2, 3), dim=0)",
        "torch.cross(torch.ones(2, 4), torch.ones(2, 4))",
        "torch.cross(torch.ones(3, 3), torch.ones(3))",
        "torch.cross(torch.ones(3, 3), torch.ones(3, 3), dim=2)",
        "torch.tensor([1., 0., 0.]).cross(torch.tensor([0., 1., 0.]), dim=0)",
        "a = torch.tensor([[0., 0.], [1., 2.], [3., -1.]])\nb = torch.tensor([[1., 0.], [0., 0.]])"
        "\ntorch.cdist(a, b), torch.cdist(a, b, p=1), torch.cdist(a, b, p=0), "
        "torch.cdist(a, b, p=3), torch.cdist(a, b, p=float('inf')), torch.cdist(a, b, 0.5)",
        "torch.cdist(torch.ones(2, 1, 3, 2), torch.zeros(4, 2, 2))",
        "torch.cdist(torch.ones(3), torch.ones(3))",
        "torch.cdist(torch.ones(2, 3), torch.ones(2, 4))",
        "torch.cdist(torch.ones(2, 3), torch.ones(2, 3), p=-1)",
        "torch.cdist(torch.ones(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.long))",
        "torch.cdist(torch.ones(2, 3), torch.ones(2, 3, dtype=torch.float64))",
        "torch.cdist(torch.ones(2, 2, 3), torch.ones(3, 2, 3))",
        "torch.cdist(torch.ones(0, 3), torch.ones(2, 3))",
        N + "torch.nan_to_num(n)", N + "n.nan_to_num(nan=2.)",
        "torch.nan_to_num(torch.tensor([float('nan'), float('inf'), -float('inf'), 1.]), 0., 5., "
        "-5.)", "torch.nan_to_num(torch.tensor([float('inf'), -float('inf')], "
        "dtype=torch.float64))", "torch.nan_to_num(torch.tensor([1, 2]), nan=0.5)",
        "torch.nan_to_num(torch.tensor([True]))",
        "torch.nan_to_num(torch.tensor([float('nan'), float('inf')]), nan=1e40)",
        "x = torch.tensor([-2., 0.5, 3.])\ntorch.clamp(x, torch.tensor([0., 1., 0.]), "
        "torch.tensor([1., 2., 2.]))", "x = torch.tensor([-2., 0.5, 3.])\n"
        "torch.clamp(x, min=torch.tensor([[0.], [1.]]))",
        "torch.clamp(torch.tensor([1, 5, 9]), torch.tensor([2, 2, 2]), torch.tensor([4, 4, 4]))",
        "torch.clamp(torch.tensor([1., 5.]), torch.tensor([2., 2., 2.]))",
        "torch.clamp(torch.tensor([1., 5.]), max=torch.tensor([2., float('nan')]))",
        "torch.clamp(torch.tensor([1., 5.]), torch.tensor([3., 3.]), torch.tensor([2., 2.]))",
        "torch.arange(24.).reshape(2, 3, 4).flatten(1).shape",
        "torch.arange(24.).reshape(2, 3, 4).flatten(0, -2).shape",
        "torch.tensor(3.).flatten()", "torch.arange(6.).reshape(2, 3).flatten(1, 0)",
        "torch.arange(6.).reshape(2, 3).flatten(3)",
        "torch.arange(6.).unflatten(0, (2, 3))", "torch.arange(6.).unflatten(0, (-1, 2)).shape",
        "torch.arange(6.).unflatten(0, (4, 2))", "torch.arange(6.).unflatten(0, (-1, -1))",
        "torch.arange(6.).unflatten(0, ())", "torch.arange(6.).unflatten(1, (2, 3))",
        "torch.arange(6.).reshape(2, 3).unflatten(-1, (3, 1)).shape",
        "torch.arange(6.).unflatten(0, (-1, 4))",
    ]
    return [("structure", c) for c in out]


def all_cases():
    return sorting() + gradients() + counting() + structure()
