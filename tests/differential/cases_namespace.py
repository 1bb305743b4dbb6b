"""Differential cases for the namespace's small names (issue 14): finfo/iinfo, constants,
memory formats, the default device, keepdims/axis, out=, new_* factories, add's alpha as a
tensor, and the ops isfinite..equal, addcmul/addcdiv/lerp/copysign and
addmm/addmv/addr/baddbmm/addbmm (values, names of grad_fn, .grad after backward, errors)."""

X = "x = torch.tensor([[1.5, -2., 0.25], [3., 0.5, -1.]])\n"
P = ("x = torch.tensor([1., 2., -3.], dtype=torch.float64, requires_grad=True)\n"
     "y = torch.tensor([0.5, -1., 2.], dtype=torch.float64, requires_grad=True)\n"
     "z = torch.tensor([2., 4., -0.5], dtype=torch.float64, requires_grad=True)\n")
S = "s = torch.tensor([0., -0., 1.5, float('inf'), -float('inf'), float('nan'), -2.])\n"
M = ("i = torch.tensor([[1., 2.], [3., 4.]], dtype=torch.float64, requires_grad=True)\n"
     "a = torch.tensor([[1., -1., 2.], [0.5, 3., 1.]], dtype=torch.float64, requires_grad=True)\n"
     "b = torch.tensor([[2., 1.], [-1., 0.5], [1., 1.]], dtype=torch.float64, "
     "requires_grad=True)\n")


def info():
    out = []
    for d in ("float32", "float64", "float16"):
        out += [f"torch.finfo(torch.{d}).{a}" for a in ("bits", "eps", "max", "min", "tiny",
                                                         "smallest_normal", "resolution",
                                                         "dtype")]
        out.append(f"repr(torch.finfo(torch.{d}))")
    for d in ("int8", "int16", "int32", "int64", "uint8"):
        out += [f"torch.iinfo(torch.{d}).{a}" for a in ("bits", "max", "min", "dtype")]
        out.append(f"str(torch.iinfo(torch.{d}))")
    out += ["torch.finfo().eps", "torch.finfo(float).bits", "torch.finfo(torch.int64)",
            "torch.iinfo(torch.float32)", "torch.iinfo(torch.bool)", "torch.finfo(None)",
            "torch.finfo('float32')", "torch.finfo(torch.float32) == torch.finfo(torch.float32)",
            "torch.pi", "torch.e", "torch.inf", "torch.nan != torch.nan", "torch.newaxis",
            "torch.ones(3)[:, torch.newaxis].shape"]
    return out


def devices():
    return [
        "torch.get_default_device()",
        "with torch.device('cpu'):\n    t = torch.ones(2)\nt.device",
        "with torch.device('cpu'):\n    d = torch.get_default_device()\nd",
        "torch.set_default_device('cpu')\nd = torch.zeros(1).device\ntorch.set_default_device(None)\nd",
        "torch.accelerator.is_available()", "torch.accelerator.device_count()",
        "torch.accelerator.current_accelerator(check_available=True)",
        "repr(torch.contiguous_format)", "repr(torch.channels_last)",
        "repr(torch.preserve_format)",
        X + "x.clone(memory_format=torch.contiguous_format)",
        X + "x.clone(memory_format=torch.preserve_format)",
        X + "x.t().contiguous(memory_format=torch.contiguous_format)",
        X + "torch.zeros_like(x, memory_format=torch.preserve_format)",
        X + "torch.ones_like(x, memory_format=torch.contiguous_format)",
        X + "torch.empty_like(x, memory_format=torch.contiguous_format).shape",
        X + "x.to(torch.float64, memory_format=torch.contiguous_format)",
        X + "x.clone(memory_format=torch.channels_last)",
        X + "x.contiguous(memory_format=torch.channels_last)",
        X + "x.clone(memory_format=2)",
        "torch.empty(2, 3, memory_format=torch.contiguous_format).shape",
    ]


def keywords():
    out = []
    for op in ("sum", "mean", "amax", "amin", "argmax", "argmin", "logsumexp", "all", "any",
               "std", "var", "prod"):
        out.append(X + f"x.{op}(1, keepdims=True)")
        out.append(X + f"torch.{op}(x, axis=0)")
    out += [X + "x.max(1, keepdims=True)", X + "torch.min(x, axis=1)",
            X + "torch.sum(x, axis=1, keepdims=True)", X + "x.cumsum(axis=1)",
            X + "torch.count_nonzero(x, axis=0)", X + "x.sum(1, keepdim=True, keepdims=True)",
            X + "x.sum(dim=1, axis=1)"]
    return out


def out_arg():
    o = "o = torch.empty(2, 3)\n"
    return [
        X + o + "r = torch.add(x, 1, out=o)\n(r is o, o)",
        X + o + "torch.mul(x, x, out=o)", X + o + "torch.sin(x, out=o)",
        X + o + "torch.clamp(x, 0, 1, out=o)", X + o + "torch.where(x > 0, x, 0., out=o)",
        X + "o = torch.empty(2, 2)\ntorch.matmul(x, x.t(), out=o)",
        X + "o = torch.empty(2, 2)\ntorch.mm(x, x.t(), out=o)",
        X + "o = torch.empty(1, 2, 2)\ntorch.bmm(x[None], x.t()[None], out=o)",
        X + "o = torch.empty(2)\ntorch.sum(x, 1, out=o)",
        X + "o = torch.empty(3)\ntorch.mean(x, 0, out=o)",
        X + "o = torch.empty(2, dtype=torch.int64)\ntorch.sum(x, 1, out=o)",
        X + "o = torch.empty(())\ntorch.norm(x, out=o)",
        X + "o = torch.empty(4, 3)\ntorch.cat([x, x], out=o)",
        X + "o = torch.empty(2, 2, 3)\ntorch.stack([x, x], out=o)",
        X + "o = (torch.empty(2), torch.empty(2, dtype=torch.int64))\ntuple(torch.max(x, 1, out=o))",
        X + "o = (torch.empty(2), torch.empty(2))\ntorch.max(x, 1, out=o)",
        X + "o = torch.empty(2, 3, dtype=torch.int64)\ntorch.add(x, 1, out=o)",
        X + "o = torch.empty(2, 3, dtype=torch.bool)\ntorch.add(x, 1, out=o)",
        X + "o = torch.empty(2, 3, dtype=torch.float64)\ntorch.add(x, 1, out=o)",
        X + "o = torch.empty(2, 3)\ntorch.gt(x, 0, out=o)",
        X + "o = torch.empty(5)\ntorch.add(x, 1, out=o)",
        X + "o = torch.empty(0)\ntorch.add(x, 1, out=o).shape",
        X + "o = torch.empty(2, 3, requires_grad=True)\ntorch.add(x, 1, out=o)",
        X + "x.requires_grad_()\ntorch.add(x, 1, out=torch.empty(2, 3))",
        X + "x.requires_grad_()\nwith torch.no_grad():\n    r = torch.add(x, 1, out=torch.empty(2, 3))\nr",
        X + o + "v = o._version\ntorch.add(x, 1, out=o)\no._version > v",
        X + "torch.sum(x, out=3)",
        "o = torch.empty(3, dtype=torch.int64)\ntorch.zeros(2, out=o)",
        "o = torch.empty(2)\ntorch.ones(2, 2, out=o)",
        "o = torch.empty(2, dtype=torch.float64)\ntorch.arange(4, out=o)",
        "o = torch.empty(3)\ntorch.full((3,), 2., out=o)",
        "o = torch.empty(3)\ntorch.linspace(0, 1, 3, out=o)",
        P + "o = torch.empty(3, dtype=torch.float64)\ntorch.addcmul(x, y, z, out=o)",
        M + "o = torch.empty(2, 2, dtype=torch.float64)\ntorch.addmm(i, a, b, out=o)",
    ]


def new_and_alpha():
    d = "t = torch.ones(2, dtype=torch.float64, requires_grad=True)\n"
    return [
        d + "t.new_ones(3)", d + "t.new_zeros((2, 2))", d + "t.new_empty(2).dtype",
        d + "t.new_full((2,), 3)", d + "t.new_tensor([1, 2])", d + "t.new_ones(2, dtype=torch.int64)",
        d + "t.new_zeros(2, requires_grad=True)", d + "t.new_tensor([1., 2.], dtype=torch.float32)",
        "torch.ones(2, dtype=torch.int64).new_full((2,), 2.7)",
        "torch.ones(2).add(torch.ones(2), alpha=torch.tensor(2.))",
        "torch.add(torch.ones(2), torch.ones(2), alpha=torch.tensor(3))",
        "torch.sub(torch.ones(2), torch.ones(2), alpha=torch.tensor(0.5))",
        "x = torch.ones(2)\nx.add_(torch.ones(2), alpha=torch.tensor(2.))\nx",
        "torch.add(torch.ones(2), torch.ones(2), alpha=torch.ones(2))",
        "torch.add(torch.ones(2), torch.ones(2), alpha=torch.tensor(2., requires_grad=True))",
        "torch.ones(2, dtype=torch.int64).add(torch.ones(2, dtype=torch.int64), alpha=torch.tensor(2.))",
        "x = torch.ones(2, 3)\nx.copy_(torch.tensor([1., 2., 3.]))",
        "x = torch.ones(2, 3)\nx.copy_(torch.tensor([1, 2, 3]))",
        "x = torch.ones(2, 3)\nx.copy_(torch.ones(2))",
        "x = torch.ones(2, dtype=torch.int64)\nx.copy_(torch.tensor([1.7, -2.7]))",
    ]


def classifiers():
    out = [S + f"torch.{op}(s)" for op in ("isfinite", "isnan", "isinf", "isposinf",
                                            "isneginf", "isreal")]
    out += [S + f"s.{op}()" for op in ("isfinite", "isnan", "isinf")]
    out += ["torch.isfinite(torch.tensor([1, 2]))", "torch.isnan(torch.tensor([True]))",
            "torch.isinf(torch.tensor([3], dtype=torch.int8))", "torch.isfinite([1.])"]
    close = ("a = torch.tensor([1., 2., float('nan'), float('inf'), -float('inf'), 1e-9, 100.])\n"
             "b = torch.tensor([1.000001, 2.1, float('nan'), float('inf'), float('inf'), 0., "
             "100.001])\n")
    out += [close + "torch.isclose(a, b)", close + "torch.isclose(a, b, equal_nan=True)",
            close + "torch.isclose(a, b, rtol=1e-3, atol=0.)", close + "a.isclose(b, atol=0.2)",
            close + "torch.allclose(a, b)", close + "torch.allclose(a[:2], b[:2], rtol=0.1)",
            close + "torch.allclose(a, a, equal_nan=True)", close + "torch.isclose(a, b, rtol=-1.)",
            close + "torch.isclose(a, b.double())", close + "torch.isclose(a, 1.)",
            close + "torch.isclose(a, b[:3])",
            "torch.isclose(torch.tensor([1, 2, 3]), torch.tensor([1, 3, 3]))",
            "torch.isclose(torch.tensor([100, 2]), torch.tensor([101, 2]), rtol=0.01)",
            "torch.isclose(torch.tensor([True, False]), torch.tensor([True, True]))",
            "torch.isclose(torch.ones(2, 3), torch.ones(3))",
            "torch.equal(torch.ones(2), torch.ones(2))", "torch.equal(torch.ones(2), torch.ones(3))",
            "torch.equal(torch.ones(2), torch.zeros(2))",
            "torch.equal(torch.tensor([float('nan')]), torch.tensor([float('nan')]))",
            "torch.equal(torch.ones(2), torch.ones(2, dtype=torch.int64))",
            "torch.equal(torch.ones(2, 1), torch.ones(2))", "torch.ones(2).equal(torch.ones(2))"]
    return out


def pointwise():
    grads = "\n(r, x.grad, y.grad, z.grad)"
    bk = "\nr.sum().backward()"
    out = [
        P + "r = torch.addcmul(x, y, z, value=0.5)" + bk + grads,
        P + "r = torch.addcdiv(x, y, z, value=-2)" + bk + grads,
        P + "r = torch.addcmul(x, y, z)\nr.grad_fn.name()",
        P + "r = torch.addcdiv(x, y, z)\nr.grad_fn.name()",
        P + "r = torch.addcmul(x, y[:1], z[:, None])" + bk + grads,
        P + "r = torch.addcmul(x, y, z, value=torch.tensor(2.))",
        "torch.addcmul(torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.int64), "
        "torch.ones(2, dtype=torch.int64), value=2)",
        "torch.addcmul(torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.int64), "
        "torch.ones(2, dtype=torch.int64), value=0.5)",
        "torch.addcdiv(torch.ones(2), torch.ones(2, dtype=torch.int64), "
        "torch.ones(2, dtype=torch.int64))",
        "torch.addcmul(torch.ones(2), torch.ones(2), torch.ones(2, dtype=torch.float64))",
        "torch.addcmul(torch.ones(2), torch.ones(3), torch.ones(2))",
        "w = torch.ones(3)\nw.addcmul_(torch.tensor([1., 2., 3.]), torch.tensor([2., 2., 2.]), value=0.5)\nw",
        "w = torch.ones(3)\nw.addcdiv_(torch.tensor([1., 2., 3.]), torch.tensor([2., 4., 8.]), value=2)\nw",
        "w = torch.ones(1)\nw.addcmul_(torch.ones(3), torch.ones(3))",
        "w = torch.ones(3, requires_grad=True)\nw.addcmul_(torch.ones(3), torch.ones(3))",
        P + "r = torch.lerp(x, y, 0.3)" + bk + grads,
        P + "r = torch.lerp(x, y, 0.75)" + bk + grads,
        P + "r = torch.lerp(x, y, z)" + bk + grads,
        P + "(torch.lerp(x, y, 0.3).grad_fn.name(), torch.lerp(x, y, z).grad_fn.name())",
        P + "torch.lerp(x, y, 1.)", P + "torch.lerp(x, y, torch.tensor(0.5, dtype=torch.float64))",
        "torch.lerp(torch.ones(2), torch.ones(2, dtype=torch.float64), 0.5)",
        "torch.lerp(torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.int64), 0.5)",
        "torch.lerp(torch.ones(2), torch.zeros(2), torch.ones(2, dtype=torch.float64))",
        "w = torch.zeros(2)\nw.lerp_(torch.ones(2), 0.25)\nw",
        P + "r = torch.copysign(x, y)" + bk + "\n(r, x.grad, y.grad)",
        P + "r = torch.copysign(x, -1.)" + bk + "\n(r, x.grad, r.grad_fn.name())",
        P + "torch.copysign(x, y).grad_fn.name()",
        "torch.copysign(torch.tensor([1., -2., 3.]), torch.tensor([-0., 0., -1.]))",
        "torch.copysign(torch.tensor([1, -2]), torch.tensor([-1, 1]))",
        "torch.copysign(torch.tensor([1., 2.]), torch.tensor([float('nan'), -float('nan')]))",
        "x = torch.tensor([0., 2.], requires_grad=True)\ntorch.copysign(x, -1.).sum().backward()\nx.grad",
        "w = torch.tensor([1., -2.])\nw.copysign_(torch.tensor([-1., -1.]))\nw",
    ]
    return out


def matrix():
    bk = "\nr.sum().backward()\n(r, i.grad, a.grad, b.grad)"
    v = ("u = torch.tensor([1., -2.], dtype=torch.float64, requires_grad=True)\n"
         "w = torch.tensor([0.5, 3.], dtype=torch.float64, requires_grad=True)\n")
    bb = ("p = torch.arange(12., dtype=torch.float64).reshape(2, 2, 3).requires_grad_()\n"
          "q = torch.arange(6., dtype=torch.float64).reshape(2, 3, 1).requires_grad_()\n")
    return [
        M + "r = torch.addmm(i, a, b)" + bk,
        M + "r = torch.addmm(i, a, b, beta=0.5, alpha=-2)" + bk,
        M + "r = torch.addmm(i[0], a, b)" + bk,
        M + "torch.addmm(i, a, b).grad_fn.name()",
        M + "r = i.addmm(a, b, alpha=3)\nr",
        M + "torch.addmm(torch.full((2, 2), float('nan'), dtype=torch.float64), a, b, beta=0)",
        M + "torch.addmm(i, a, a)", M + "torch.addmm(i, a, b.float())",
        M + "torch.addmm(i.float(), a.float(), b.float(), alpha=torch.tensor(2.))",
        M + "torch.addmm(torch.ones(3, 2, dtype=torch.float64), a, b)",
        M + "torch.addmm(torch.ones(5, 2, 2, dtype=torch.float64), a, b)",
        "torch.addmm(torch.ones(2, 2, dtype=torch.int64), torch.ones(2, 2, dtype=torch.int64), "
        "torch.ones(2, 2, dtype=torch.int64), alpha=2)",
        "torch.addmm(torch.ones(2, 2, dtype=torch.int64), torch.ones(2, 2, dtype=torch.int64), "
        "torch.ones(2, 2, dtype=torch.int64), beta=0.5)",
        M + "c = i.detach().clone()\nc.addmm_(a.detach(), b.detach(), beta=2)\nc",
        M + "i.addmm_(a, b)",
        M + v + "r = torch.addmv(u, i, w, beta=2)\nr.sum().backward()\n(r, u.grad, i.grad, w.grad)",
        M + v + "r = torch.addr(i, u, w, alpha=0.5)\nr.sum().backward()\n(r, i.grad, u.grad, w.grad)",
        M + v + "(torch.addmv(u, i, w).grad_fn.name(), torch.addr(i, u, w).grad_fn.name())",
        M + "torch.addmv(i[0], i, b[0])", M + "torch.addr(i, i[0], a[0])",
        bb + "r = torch.baddbmm(torch.ones(2, 1, dtype=torch.float64), p, q, alpha=2)\n"
        "r.sum().backward()\n(r, p.grad, q.grad, r.grad_fn.name())",
        bb + "r = torch.addbmm(torch.ones(2, 1, dtype=torch.float64), p, q, beta=3)\n"
        "r.sum().backward()\n(r, p.grad, q.grad, r.grad_fn.name())",
        bb + "torch.baddbmm(torch.ones(2, 1, dtype=torch.float64), p, p)",
        bb + "torch.addbmm(torch.ones(2, 1, dtype=torch.float64), p, q[:1])",
    ]


def all_cases():
    groups = (("namespace", info() + devices() + keywords() + new_and_alpha()),
              ("out", out_arg()), ("pointwise", classifiers() + pointwise() + matrix()))
    return [(g, c) for g, cases in groups for c in cases]
