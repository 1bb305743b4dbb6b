"""Differential cases for autograd: misuse (backward twice, non-scalar outputs, grads of
tensors that do not require grad, in-place on leaves...), a saved tensor changed in place
before backward for every op that saves one, and overlapping in-place writes."""

A = "a = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)\n"
M = "a = torch.tensor([[0.5, 1.0, 2.0], [3.0, -1.0, 0.25]], requires_grad=True)\n"

# (setup, expression): `x` is a non-leaf input (a * 1) that a test may modify, `y` the result
_SAVING = [
    (A, "x.exp()"), (A, "x.sigmoid()"), (A, "x.tanh()"), (A, "x.sqrt()"), (A, "x.rsqrt()"),
    (A, "x.reciprocal()"), (A, "x.expm1()"), (A, "x.relu()"), (A, "x.softmax(0)"),
    (A, "x.log_softmax(0)"), (A, "x.logsumexp(0)"), (A, "x.norm()"), (A, "x.norm(p=3)"),
    (A, "x.prod()"), (A, "x.cumprod(0)"), (A, "x.amax(0)"), (A, "x.max()"), (A, "x.min()"),
    (A, "x.max(0)[0]"), (A, "x.std()"), (A, "x.var()"), (A, "torch.pow(2., x)"),
    (A, "x.pow(2)"), (A, "x ** x"), (A, "x.log()"), (A, "x.log2()"), (A, "x.log10()"),
    (A, "x.log1p()"), (A, "x.sin()"), (A, "x.cos()"), (A, "x.tan()"), (A, "x.sinh()"),
    (A, "x.cosh()"), (A, "(x / 4).asin()"), (A, "x.atan()"),
    (A, "x.abs()"), (A, "x.square()"), (A, "x.erf()"), (A, "x.sign()"),
    (A, "x.clamp(0.6, 1.5)"), (A, "x.mean()"), (A, "x.sum()"), (A, "x.cumsum(0)"),
    (A, "x * x"), (A, "x / (x + 1)"), (A, "1 / x"), (A, "x * 3"),
    (A, "torch.atan2(x, x + 1)"), (A, "torch.maximum(x, x.flip(0))"),
    (A, "torch.dot(x, x)"), (A, "torch.outer(x, x)"), (M, "x @ x.t()"), (M, "x.mm(x.t())"),
    (M, "x.t().matmul(x)"), (A, "torch.where(x > 1, x, 0.)"), (A, "F.gelu(x)"),
    (A, "F.silu(x)"), (A, "F.elu(x)"), (A, "F.leaky_relu(x)"), (A, "F.softplus(x)"),
    (A, "F.hardtanh(x)"), (A, "F.relu6(x)"), (A, "F.mse_loss(x, x.flip(0))"),
    (A, "F.l1_loss(x, x.flip(0))"),
    (A, "F.binary_cross_entropy((x / 3), torch.tensor([0., 1., 1.]))"),
    (A, "F.binary_cross_entropy_with_logits(x, torch.tensor([0., 1., 1.]))"),
    (M, "F.cross_entropy(x, torch.tensor([2, 0]))"),
    (M, "F.nll_loss(x.log_softmax(1), torch.tensor([2, 0]))"),
    (M, "F.linear(x, x)"), (M, "torch.einsum('ij,kj->ik', x, x)"),
    (M, "x.logsumexp(1)"), (M, "x.std(0)"), (M, "x.norm(dim=1)"), (M, "x.amax(1)"),
]

# (setup, index tensor built from `a`'s shape, expression using i): the index is modified
_INDEXED = [
    (A, "i = torch.tensor([0, 2])", "x[i]", "i.add_(1)"),
    (A, "i = torch.tensor([0, 2])", "x.index_select(0, i)", "i.zero_()"),
    (A, "i = torch.tensor([0, 2])", "x.index_put((i,), torch.tensor(5.))", "i.zero_()"),
    (A, "i = torch.tensor([0, 2])", "x.index_put((i,), torch.tensor(5.), accumulate=True)",
     "i.zero_()"),
    (M, "i = torch.tensor([[0, 2]])", "x.gather(1, i)", "i.fill_(1)"),
    (M, "i = torch.tensor([[0, 2]])", "x.scatter(1, i, 0.)", "i.fill_(1)"),
    (M, "i = torch.tensor([[0, 2]])", "x.scatter_add(1, i, torch.ones(1, 2))", "i.fill_(1)"),
    (A, "m = torch.tensor([True, False, True])", "x.masked_fill(m, 0.)", "m.fill_(False)"),
    (A, "m = torch.tensor([True, False, True])", "x.masked_fill(m, 0.)", "m[0] = False"),
    (A, "m = torch.tensor([True, False, True])", "x[m]", "m[1] = True"),
    (A, "m = torch.tensor([True, False, True])", "torch.where(m, x, 0.)", "m[1] = True"),
    (A, "i = torch.tensor([2, 0])", "x[i] * x", "i[0] = 1"),
]

_MUTATE_OUT = ["y.mul_(2)", "y.add_(1)", "y.zero_()", "y[..., 0] = 5.", "y.fill_(1.)",
               "y.view(-1)[0] = 7.", "y.detach().zero_()", "y.data.mul_(2)"]


def _backward(lines):
    return "\n".join(lines + ["y.sum().backward()", "a.grad"])


def saved():
    out = []
    for setup, expr in _SAVING:
        base = [setup + "x = a * 1", f"y = {expr}"]
        out.append(_backward(base + ["y.mul_(2)"]))
        out.append(_backward(base + ["x.add_(1)"]))
    for setup, expr in _SAVING[:12]:
        for mut in _MUTATE_OUT[1:]:
            out.append(_backward([setup + "x = a * 1", f"y = {expr}", mut]))
    for setup, make, expr, mut in _INDEXED:
        out.append(_backward([setup + "x = a * 1", make, f"y = {expr}", mut]))
        changed_input = _backward([setup + "x = a * 1", make, f"y = {expr}", "x.mul_(2)"])
        if changed_input not in out:  # two entries differ only in how the mask changes
            out.append(changed_input)
    out += [_backward([A + "x = a * 1", "y = x.exp()", "with torch.no_grad():\n    y.mul_(2)"]),
            _backward([A + "x = a * 1", "y = x.exp()", "y.mul_(2)", "y.div_(2)"]),
            _backward([A + "x = a * 1", "y = x.exp()", "z = y * 1", "z.mul_(2)"]),
            _backward([A + "x = a * 1", "y = x.exp()", "y2 = y[:2]", "y2.mul_(2)"]),
            _backward([A + "x = a.exp()", "y = x * a", "a.data.mul_(2)"]),
            A + "y = (a * a).sum()\nwith torch.no_grad():\n    a.mul_(2)\ny.backward()\na.grad",
            A + "y = (a * 2).sum()\nwith torch.no_grad():\n    a.mul_(2)\ny.backward()\na.grad",
            A + "b = a * 1\ny = b.exp()\ny2 = y.mul_(2)\ny2.sum().backward()\na.grad"]
    return [("saved", c) for c in out]


def overlap():
    out = ["x = torch.arange(4.)\nx[1:] += x[:-1]\nx", "x = torch.arange(4.)\nx[1:] = x[:-1]\nx",
           "x = torch.arange(4.)\nx[:-1] = x[1:]\nx",
           "x = torch.arange(4.).reshape(2, 2)\nx.add_(x.t())\nx",
           "x = torch.arange(4.).reshape(2, 2)\nx.mul_(x.t())\nx",
           "x = torch.arange(4.)\nx.add_(x)\nx", "x = torch.arange(4.)\nx[::2] += x[1::2]\nx",
           "x = torch.arange(4.)\nx[1:].mul_(x[:-1])\nx",
           "x = torch.arange(4.)\nx[:2] = x[2:]\nx",
           "x = torch.arange(3.)\nx.expand(2, 3).add_(1)\nx",
           "x = torch.arange(3.)\nx.expand(2, 3).zero_()\nx",
           "x = torch.arange(3.)\nx.expand(2, 3)[0, 0] = 9.\nx",
           "x = torch.zeros(1)\ny = x.expand(3)\ny.add_(torch.arange(3.))\nx",
           "x = torch.arange(6.).reshape(2, 3)\nx[1] = x[0]\nx",
           "x = torch.arange(4.)\nx.clamp_(max=x[0])\nx",
           "x = torch.arange(4.)\nx.masked_fill_(x > 1, x[0])\nx",
           "x = torch.arange(4.)\nx.index_put_((torch.tensor([1, 2]),), x[:2])\nx",
           "x = torch.arange(4.)\nx.index_put_((torch.tensor([1, 1]),), x[:2], accumulate=True)\nx"]
    return [("overlap", c) for c in out]


def misuse():
    out = [A + e for e in (
        "y = (a * a).sum()\ny.backward()\ny.backward()",
        "y = (a * a).sum()\ny.backward(retain_graph=True)\ny.backward()\na.grad",
        "y = a.exp().sum()\ny.backward()\ny.backward()",
        "y = a.sum()\ny.backward()\ny.backward()\na.grad",
        "(a * 2).backward()", "(a * 2).backward(torch.ones(2))",
        "(a * 2).backward(torch.ones(3, dtype=torch.float64))\na.grad",
        "(a * 2).backward(torch.ones(3, dtype=torch.int64))\na.grad",
        "(a * 2).backward(torch.tensor(1.))", "(a * 2).backward(torch.ones(1, 3))",
        "(a * 2).backward([1., 1., 1.])", "(a * 2).backward(2.)",
        "torch.ones(2).sum().backward()", "a.detach().sum().backward()",
        "a.long().sum().backward()", "(a > 1).sum().backward()",
        "torch.tensor(2., requires_grad=True).backward()",
        "b = torch.tensor(2., requires_grad=True)\nb.backward()\nb.grad",
        "torch.ones(2).grad", "(a * 2).grad", "b = a * 2\nb.retain_grad()\nb.sum().backward()\nb.grad",
        "a.retain_grad()\na.sum().backward()\na.grad", "a.add_(1)", "a[0] = 1.", "a.zero_()",
        "a += 1", "a.mul_(2)", "a.clamp_(0, 1)", "a.masked_fill_(a > 1, 0.)", "a.fill_(0.)",
        "a.view(3).add_(1)", "a[:2].mul_(2)",
        "with torch.no_grad():\n    a.mul_(2)\na", "with torch.no_grad():\n    a[0] = 7.\na",
        "a.detach().add_(1)\na", "a.data.add_(1)\na", "a.numpy()", "(a * 2).numpy()",
        "a.detach().numpy()", "np.asarray(a)", "a.tolist()", "a.item()", "a[0].item()",
        "y = a * 2\ny.requires_grad_(False)", "y = a * 2\ny.requires_grad = False",
        "a.requires_grad_(False)\na.requires_grad", "a.requires_grad = 'yes'\na.requires_grad",
        "torch.autograd.grad(torch.ones(2).sum(), a)",
        "torch.autograd.grad((a * 2).sum(), torch.ones(2, requires_grad=True))",
        "torch.autograd.grad((a * 2).sum(), torch.ones(2, requires_grad=True), allow_unused=True)",
        "torch.autograd.grad((a * 2).sum(), torch.ones(2))", "torch.autograd.grad(a * 2, a)",
        "torch.autograd.grad(a * 2, a, torch.ones(2))", "torch.autograd.grad((a * 2).sum(), [])",
        "torch.autograd.grad(a.sum(), a)", "torch.autograd.grad(a, a, torch.ones(3))",
        "y = (a * a).sum()\ntorch.autograd.grad(y, a)\ntorch.autograd.grad(y, a)",
        "y = (a * a).sum()\ng, = torch.autograd.grad(y, a)\ng.sum().backward()",
        ("y = (a * a * a).sum()\ng, = torch.autograd.grad(y, a, create_graph=True)\n"
         "g.sum().backward()\na.grad"),
        "y = (a * a).sum()\ng, = torch.autograd.grad(y, a, create_graph=True)\ng.requires_grad",
        "(a * 2).sum().backward(inputs=[torch.ones(2)])",
        "b = torch.ones(3, requires_grad=True)\n(a * 2).sum().backward(inputs=[b])\nb.grad",
        "a.register_hook(lambda g: torch.ones(5))\n(a * 2).sum().backward()",
        "a.register_hook(lambda g: g.double())\n(a * 2).sum().backward()\na.grad",
        "a.register_hook(lambda g: g * 10)\n(a * 2).sum().backward()\na.grad",
        "a.register_hook(lambda g: 1.)\n(a * 2).sum().backward()\na.grad",
        "torch.ones(2).register_hook(lambda g: g)",
        "a.grad = torch.ones(5)", "a.grad = torch.ones(3, dtype=torch.float64)\na.grad",
        "a.grad = torch.ones(3, dtype=torch.int64)", "a.grad = 1.", "a.grad = None\na.grad",
        "a.grad.zero_()", "with torch.no_grad():\n    y = a * 2\ny.sum().backward()",
        "with torch.no_grad():\n    with torch.enable_grad():\n        y = a * 2\ny.requires_grad",
        "with torch.no_grad():\n    y = a * 2\ny.requires_grad",
        "y = a.sum()\ny.backward(retain_graph=True)\ny.backward()\na.grad",
        "torch.autograd.backward([], [])", "torch.autograd.backward([(a * 2).sum()], [None])\na.grad",
        "torch.autograd.backward([a * 2], [torch.ones(2)])",
        "y = a.exp()\ny.detach_()\ny.requires_grad", "a.detach_()",
        "a[0].detach_()", "y = a * 2\ny.backward(gradient=torch.ones(3), inputs=[a])\na.grad",
        "(a * 2).sum().backward(create_graph=True)\na.grad.requires_grad",
        "torch.autograd.grad((a * 2).sum(), a, grad_outputs=torch.ones(2))",
        "torch.autograd.grad((a * 2).sum(), (a, a))",
        "torch.autograd.functional.jacobian(lambda t: t * 2, a)",
        "torch.autograd.functional.jacobian(lambda t: 1., a)",
        "torch.autograd.functional.vjp(lambda t: t * 2, a, torch.ones(2))",
        "torch.autograd.functional.hessian(lambda t: t * 2, a)",
        "b = a.detach()\nb.requires_grad_()\nb is a",
        "copy.deepcopy(a)", "(a * 2).sum().backward()\ncopy.deepcopy(a).grad",
        "copy.deepcopy(a * 2)", "copy.deepcopy(a.detach())",
        "b = torch.arange(3.)\nc, v = copy.deepcopy((b, b[1:]))\nc.add_(1)\nv",
        "copy.deepcopy({'w': a})['w'].requires_grad", "copy.copy(a).requires_grad",
        "torch.tensor(a)", "torch.tensor(a * 2).requires_grad", "torch.as_tensor(a).requires_grad",
        "a.clone().is_leaf", "a.detach().requires_grad", "(a * 2).is_leaf",
        "a[0].is_leaf", "a.grad_fn is None", "type((a * 2).grad_fn).__name__",
        "(a * 2).grad_fn.next_functions[0][0].__class__.__name__",
        "a.to(torch.float64).requires_grad", "a.double().is_leaf", "a.int().requires_grad",
        ("torch.autograd.set_detect_anomaly(True)\n(a.sqrt() * 0 + a.log()).sum().backward()\n"
         "a.grad"))]
    out += ["torch.ones(2, dtype=torch.int64, requires_grad=True)",
            "torch.tensor([1, 2], requires_grad=True)", "torch.tensor([1, 2]).requires_grad_()",
            "x = torch.arange(3)\nx.requires_grad = True",
            "torch.tensor([True]).requires_grad_()", "torch.zeros(2, dtype=torch.uint8).requires_grad_()",
            "torch.arange(3, requires_grad=True)", "torch.arange(3., requires_grad=True).requires_grad",
            "torch.full((2,), 1, requires_grad=True)", "torch.ones(2, requires_grad=True).long()",
            "torch.randint(0, 3, (2,), requires_grad=True)",
            "torch.zeros(2, dtype=torch.float16, requires_grad=True).requires_grad",
            "torch.tensor(1., requires_grad=True).item()",
            "torch.tensor(1., requires_grad=True).backward(torch.tensor(2.))"]
    return [("autograd", c) for c in out]


def all_cases():
    return misuse() + saved() + overlap()
