"""Differential cases for tensor ops: wrong shapes, bad dims, dtype mismatches, bad indices,
empty tensors and NaN/inf inputs.  Each case is (group, code); `torch` is bound to the module
under test and the last expression is the result."""

X = "x = torch.arange(6.).reshape(2, 3)\n"
XI = "x = torch.arange(6).reshape(2, 3)\n"
NANS = "n = torch.tensor([1., float('nan'), 3.])\n"

_BINARY = ["torch.add", "torch.sub", "torch.mul", "torch.div", "torch.pow", "torch.maximum",
           "torch.minimum", "torch.atan2", "torch.eq", "torch.lt", "torch.fmod",
           "torch.remainder", "torch.logical_and", "torch.floor_divide"]
_BAD_PAIRS = [("(2, 3)", "(3, 2)"), ("(2, 3)", "(4,)"), ("(0,)", "(2,)")]
_GOOD_PAIRS = [("(2, 1)", "(1, 3)")]


def shapes():
    out = []
    for op in _BINARY:
        for a, b in _BAD_PAIRS + _GOOD_PAIRS:
            out.append(f"{op}(torch.ones{a} + 1, torch.ones{b} + 2)")
    for sym in ["+", "-", "*", "/", "**", "<", "==", "&", "%"]:
        cast = ".bool()" if sym == "&" else ""
        out.append(f"torch.ones(2, 3){cast} {sym} torch.ones(2, 4){cast}")
    out += [
        "torch.where(torch.ones(2, 3) > 0, torch.ones(3), torch.zeros(4))",
        "torch.where(torch.ones(2) > 0, torch.ones(2, 1), 0.)",
        "torch.ones(2, 3).add_(torch.ones(2, 1, 3))",
        "torch.ones(1, 3).add_(torch.ones(2, 3))",
        "torch.ones(2, 3).masked_fill(torch.ones(3, 2) > 0, 0.)",
        "torch.ones(2, 3).masked_fill(torch.ones(3) > 0, 5.)",
        "torch.mm(torch.ones(2, 3), torch.ones(2, 3))",
        "torch.mm(torch.ones(2, 3, 1), torch.ones(1, 3))",
        "torch.mm(torch.ones(3), torch.ones(3, 2))",
        "torch.matmul(torch.ones(2, 3), torch.ones(4))",
        "torch.matmul(torch.ones(3), torch.ones(4))",
        "torch.matmul(torch.ones(3), torch.ones(3))",
        "torch.matmul(torch.ones(3), torch.ones(3, 2))",
        "torch.matmul(torch.ones(2, 3), torch.ones(3))",
        "torch.matmul(torch.tensor(2.), torch.ones(3))",
        "torch.matmul(torch.ones(5, 2, 3), torch.ones(4, 3, 2))",
        "torch.matmul(torch.ones(5, 2, 3), torch.ones(1, 3, 2)).shape",
        "torch.matmul(torch.ones(2, 3), torch.ones(3, 2, dtype=torch.float64))",
        "torch.matmul(torch.ones(2, 3, dtype=torch.int64), torch.ones(3, 2, dtype=torch.int64))",
        "torch.matmul(torch.ones(2, 3, dtype=torch.int64), torch.ones(3, 2))",
        "torch.ones(2, 3) @ torch.ones(2, 3)",
        "torch.bmm(torch.ones(2, 3, 4), torch.ones(3, 4, 5))",
        "torch.bmm(torch.ones(3, 4), torch.ones(4, 5))",
        "torch.bmm(torch.ones(2, 3, 4), torch.ones(2, 5, 4))",
        "torch.mv(torch.ones(2, 3), torch.ones(2))",
        "torch.mv(torch.ones(3), torch.ones(3))",
        "torch.dot(torch.ones(3), torch.ones(4))",
        "torch.dot(torch.ones(2, 2), torch.ones(2, 2))",
        "torch.dot(torch.ones(3), torch.ones(3, dtype=torch.float64))",
        "torch.outer(torch.ones(2, 2), torch.ones(3))",
        "torch.einsum('ij,jk->ik', torch.ones(2, 3), torch.ones(4, 5))",
        "torch.einsum('ij,jk->ik', torch.ones(2, 3))",
        "torch.einsum('ij->ijk', torch.ones(2, 3))",
        "torch.einsum('ii->i', torch.ones(2, 3))",
        "torch.cat([torch.ones(2, 3), torch.ones(2, 4)])",
        "torch.cat([torch.ones(2, 3), torch.ones(2, 4)], 1)",
        "torch.cat([torch.ones(2, 3), torch.ones(3)])",
        "torch.cat([])",
        "torch.cat([torch.ones(2, 3), torch.ones(2, 3)], 2)",
        "torch.cat([torch.ones(2, 3), torch.ones(2, 3)], -3)",
        "torch.cat([torch.ones(2, 3), torch.tensor([])])",
        "torch.cat([torch.ones(2), torch.ones(2, dtype=torch.int64)])",
        "torch.cat([torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.bool)])",
        "torch.cat([torch.tensor(1.), torch.tensor(2.)])",
        "torch.cat(torch.ones(2, 3))",
        "torch.cat((torch.ones(2), 1.))",
        "torch.stack([torch.ones(2, 3), torch.ones(3, 2)])",
        "torch.stack([])",
        "torch.stack([torch.ones(2, 3), torch.ones(2, 3)], 3)",
        "torch.stack([torch.ones(2, 3), torch.ones(2, 3)], 2)",
        "torch.stack([torch.ones(2, 3), torch.ones(2, 3)], -4)",
        "torch.stack([torch.ones(2), torch.ones(2, dtype=torch.float64)])",
        "torch.stack([torch.tensor(1.), torch.tensor(2.)])",
    ]
    out += movement()
    return [("shapes", c) for c in out]


def movement():
    return [
        X + "x.reshape(4, 2)", X + "x.reshape(5)", X + "x.reshape(-1, -1)", X + "x.reshape(-2, 3)",
        X + "x.reshape(0, -1)", X + "x.reshape(4, -1)", X + "x.reshape(3, -1)",
        X + "x.reshape(2.0, 3)", X + "x.reshape()", X + "x.view(7)", X + "x.t().view(6)",
        X + "x.t().reshape(6)", X + "x.view('a')", X + "x.view(-1, 4)", X + "x.view(3, 2)",
        X + "x.view(torch.float64)", X + "x.view(2, 3, 1, 1).shape", X + "x[:, :2].view(4)",
        X + "x.expand(3, 3)", X + "x.expand(2)", X + "x.expand(4, 2, 3).shape",
        X + "x.expand(-1, 4)", X + "x.expand(-1, 2, 3)", X + "x[:1].expand(4, 3)",
        X + "x[:1].expand(4, -1)", X + "x.expand(2, -2)",
        X + "x.expand_as(torch.ones(3, 3))", X + "x.broadcast_to((3, 2))",
        X + "torch.broadcast_to(x, (2, 2, 3))", X + "x.permute(0, 0)", X + "x.permute(0)",
        X + "x.permute(0, 1, 2)", X + "x.permute(1, -1)", X + "x.permute(2, 0)",
        X + "x.permute(-1, -2)", X + "x.flatten(1, 0)", X + "x.flatten(0, 5)",
        X + "x.flatten(-3)", X + "torch.tensor(5.).flatten()", X + "x.unflatten(1, (2, 2))",
        X + "x.unflatten(1, (-1, 3))", X + "x.unflatten(1, (-1, -1))", X + "x.unflatten(2, (3,))",
        X + "x.t().t()", X + "torch.ones(2, 2, 2).t()", X + "torch.ones(3).t()",
        X + "x.repeat(2)", X + "x.repeat(2, 1, 1).shape", X + "x.repeat(-1, 1)",
        X + "x.repeat(0, 2)", X + "x.chunk(0)", X + "x.chunk(-1)", X + "x.chunk(4, 1)",
        X + "x.split(0)", X + "x.split([1, 1], 1)", X + "x.split([1, 2], 1)",
        X + "x.split([3, -1], 1)", X + "x.unbind(2)", X + "x.roll(1, 2)",
        X + "x.roll((1, 1), (0,))", X + "x.roll(1)", X + "x.flip(0, 0)", X + "x.flip(2)",
        X + "x.diagonal(0, 0)", X + "x.diagonal(0, 2)", X + "x.diagonal(5)",
        X + "torch.ones(3).tril()", X + "x.triu(10)", X + "x.tril(-10)",
        X + "torch.ones(2, 2, 2).trace()", X + "x.swapaxes(0, 2)",
        X + "x.sum_to_size(3)", X + "x.sum_to_size(1, 3)", X + "x.sum_to_size(2, 3, 1)",
        X + "x.squeeze(0)", X + "x.squeeze(2)", X + "x.squeeze(-3)",
        X + "x.unsqueeze(3)", X + "x.unsqueeze(-4)", X + "x.unsqueeze(2).shape",
        X + "x.unsqueeze(-3).shape", X + "torch.tensor(1.).unsqueeze(1)",
        X + "torch.tensor(1.).squeeze(0)", X + "torch.tensor(1.).squeeze(1)",
        X + "x.transpose(0, 2)", X + "x.transpose(-3, 0)", X + "x.transpose(1, 1)",
        X + "torch.tensor(1.).transpose(0, -1)", X + "torch.tensor(1.).t()",
    ]


_RED = [("sum", ""), ("mean", ""), ("prod", ""), ("amax", ""), ("amin", ""), ("max", ""),
        ("min", ""), ("argmax", ""), ("argmin", ""), ("std", ""), ("var", ""),
        ("logsumexp", ""), ("cumsum", ""), ("cumprod", ""), ("softmax", ""),
        ("log_softmax", ""), ("norm", "dim="), ("all", ""), ("any", ""),
        ("count_nonzero", "")]
_DUP = ["sum", "mean", "amax", "amin", "std", "var", "logsumexp", "count_nonzero", "norm"]


def dims():
    out = []
    for op, kw in _RED:
        for d in ("2", "-3"):
            out.append(X + f"x.{op}({kw}{d})")
    for op in _DUP:
        kw = "dim=" if op == "norm" else ""
        out.append(X + f"x.{op}({kw}(0, 0))")
        out.append(X + f"x.{op}({kw}(1, -1))")
    out += [X + "x.prod((0, 1))", X + "x.sum(dim=[])", X + "x.mean(dim=[])",
            X + "x.amax(dim=[])", X + "x.sum(1.5)", X + "x.sum(dim=(0, 2))",
            "torch.tensor(3.).sum(0)", "torch.tensor(3.).sum(-1)", "torch.tensor(3.).sum(1)",
            "torch.tensor(3.).softmax(0)", "torch.tensor(3.).cumsum(0)",
            "torch.tensor(3.).max(0)", "torch.tensor(3.).argmax(1)", "torch.tensor(3.).std()",
            X + "x.sum(0, keepdim=True).shape", X + "x.max(1, keepdim=True)",
            X + "x.softmax()", X + "x.cumsum()", X + "x.logsumexp()",
            X + "x.argmax(None)", X + "x.max(dim=None)", X + "x.std(unbiased=True, dim=1)",
            X + "x.var(0, unbiased=False)", X + "x.norm(p=0)", X + "x.norm(p=float('inf'))",
            X + "x.norm(p=-1)", X + "x.norm(p='fro')", X + "x.norm(p='nuc')",
            X + "x.norm(p='abc')", X + "x.sum(0, dtype=torch.int64)",
            X + "x.cumsum(0, dtype=torch.float64)", X + "x.softmax(1, dtype=torch.float64)",
            X + "x.mean(dtype=torch.int64)"]
    return [("dims", c) for c in out]


def dtypes():
    out = [XI + f"x.{op}()" for op in ("mean", "std", "var", "logsumexp", "norm")]
    out += [XI + f"x.{op}(1)" for op in ("softmax", "log_softmax", "cumsum", "cumprod", "prod",
                                         "amax", "argmax")]
    out += [XI + f"torch.{op}(x)" for op in ("exp", "sqrt", "sigmoid", "log", "sin", "tanh",
                                              "erf", "reciprocal", "rsqrt", "floor", "round",
                                              "abs", "neg", "sign", "relu")]
    out += [XI + e for e in (
        "x.add_(1.5)", "x.mul_(1.5)", "x.sub_(0.5)", "x.div_(2)", "x.div_(2, rounding_mode='floor')",
        "x.add_(torch.ones(3))", "x += 0.5", "x[0] = 2.7\nx", "x.fill_(2.5)", "x.clamp_(0.5, 2.)",
        "x.masked_fill_(x > 2, 0.5)", "x.masked_fill(x > 2, 0.5)", "x.pow(-1)", "x ** -2",
        "x.pow(0.5)", "x / 2", "x // 2", "x // 0.5", "x % 2.5", "x.true_divide(4)",
        "x * True", "x.float() & 1", "x & 1.5", "x | 2", "~x", "x ^ x", "x.bitwise_not()",
        "torch.bitwise_and(x.float(), x.float())", "x.bool() + x.bool()", "x.bool() - x.bool()",
        "-x.bool()", "x.bool().sum()", "x.bool().mean()", "x.bool().add_(1)",
        "x.bool() * 2.5", "torch.where(x, 1., 0.)", "torch.where(x > 1, x, 0.5)",
        "torch.where(x > 1, x, torch.ones(1, dtype=torch.float64))",
        "x.masked_fill(x, 0)", "x.float().masked_fill(x.float(), 0)",
        "x.masked_fill(x > 1, torch.tensor([1, 2]))", "x.masked_fill(x > 1, torch.tensor(9.5))",
        "torch.ones(2, dtype=torch.uint8) - 3", "torch.ones(2, dtype=torch.int8) * 1000",
        "torch.ones(2, dtype=torch.int8) + 1000", "torch.ones(2, dtype=torch.uint8) + 256",
        "torch.tensor([1, 2]) * 2 ** 63", "torch.tensor([1, 2]) + 2 ** 62 * 3",
        "torch.tensor([2 ** 62]) * 4", "torch.tensor([-2 ** 63]).abs()",
        "torch.tensor([-2 ** 63]) // -1", "torch.tensor([3], dtype=torch.int32) * 2 ** 40",
        "torch.ones(2, 3, dtype=torch.float16) + 1", "torch.ones(2, dtype=torch.float16).sum()",
        "x.float().type_as(x)", "x.to(torch.float64).dtype", "(x + 1.5).dtype",
        "(x.int() + torch.tensor(1)).dtype", "(x.int() + torch.ones(1)).dtype",
        "(torch.tensor(1.) + x).dtype", "(torch.tensor(1., dtype=torch.float64) + x.float()).dtype",
        "(x.to(torch.uint8) + x.to(torch.int8)).dtype", "(x.to(torch.uint8) - 5).tolist()",
        "torch.result_type(x, 1.5)", "torch.result_type(x.float(), 2)",
        "x.float().clamp(min=torch.tensor([1, 2, 3]))", "x.clamp(0.5)", "x.clamp()",
        "x.float().clamp(3., 1.)", "torch.clamp(x.float(), min=2, max=1)")]
    return [("dtypes", c) for c in out]


def indexing():
    out = [X + e for e in (
        "x[2]", "x[-3]", "x[0, 3]", "x[0, 0, 0]", "x[1.5]", "x['a']", "x[None].shape",
        "x[..., None].shape", "x[..., ...]", "x[::-1]", "x[::0]", "x[5:]", "x[1:0].shape",
        "x[-10:10]", "x[torch.tensor([2])]", "x[torch.tensor([-3])]", "x[torch.tensor([-2])]",
        "x[torch.tensor([0.])]", "x[torch.tensor([True, False])]",
        "x[torch.tensor([True, False, True])]", "x[torch.ones(2, 2) > 0]",
        "x[x > 2]", "x[[0, 0, 1]]", "x[[[0, 1], [1, 0]]]", "x[[0, 1], [2, 5]]",
        "x[[0, 1], [0, 1, 2]]", "x[torch.tensor(1)]", "x[torch.tensor(1.)]",
        "x[torch.tensor([0, 1], dtype=torch.int32)]", "x[torch.tensor([0, 1], dtype=torch.uint8)]",
        "x[[]]", "x[torch.tensor([], dtype=torch.int64)]", "x[True]", "x[False]",
        "x.index_select(0, torch.tensor([2]))", "x.index_select(0, torch.tensor([-1]))",
        "x.index_select(0, torch.tensor([0.]))", "x.index_select(2, torch.tensor([0]))",
        "x.index_select(0, torch.tensor([[0]]))", "x.index_select(1, torch.tensor([], dtype=torch.int64))",
        "x.gather(0, torch.tensor([[2, 0, 0]]))", "x.gather(1, torch.tensor([[0.]]))",
        "x.gather(1, torch.tensor([0, 1]))", "x.gather(1, torch.tensor([[0, 1, 2, 1]]))",
        "x.gather(1, torch.tensor([[-1]]))", "x.gather(3, torch.tensor([[0]]))",
        "x.gather(0, torch.tensor([[0, 1, 0, 1]]))",
        "x.scatter(0, torch.tensor([[2, 0, 0]]), 1.)", "x.scatter(1, torch.tensor([[0.]]), 1.)",
        "x.scatter(1, torch.tensor([[0, 1]]), torch.ones(1, 1))",
        "x.scatter_add(0, torch.tensor([[5]]), torch.ones(1, 1))",
        "x.scatter_add(0, torch.tensor([[1, 1]]), torch.ones(1, 2))",
        "x.scatter(0, torch.tensor([[1, 1]]), torch.ones(1, 2, dtype=torch.float64))",
        "x[2] = 1.\nx", "x[0, 3] = 1.\nx", "x[torch.tensor([5])] = 0.\nx",
        "x[x > 2] = torch.tensor([1., 2.])\nx", "x[x > 2] = torch.tensor([1., 2., 3.])\nx",
        "x[0] = torch.ones(4)\nx", "x[0] = torch.ones(1, 3)\nx", "x[0] = torch.ones(2, 3)\nx",
        "x[:, 0] = torch.tensor([1, 2])\nx", "x[0] = 'a'\nx", "x[0] = None\nx",
        "x.index_put((torch.tensor([2]),), torch.tensor(1.))",
        "x.index_put((torch.tensor([0]), torch.tensor([3])), torch.tensor(1.))",
        "x.index_put((torch.tensor([0, 0]),), torch.tensor(1.), accumulate=True)",
        "x.index_put((torch.tensor([0]),), torch.ones(2))",
        "x.index_put((torch.tensor([0.]),), torch.tensor(1.))",
        "x.index_put_((torch.tensor([1]),), torch.tensor(7., dtype=torch.float64))",
        "torch.tensor(5.)[0]", "torch.tensor(5.)[None].shape", "torch.tensor(5.)[...]",
        "torch.ones(0)[0]", "x[torch.tensor([[0, 1], [1, 0]])].shape",
        "x[:, torch.tensor([True, False, True])]", "x[:, [True, False]]",
        "x[0][torch.tensor([3])]", "x[torch.tensor([0, 1]), torch.tensor([0])]")]
    return [("indexing", c) for c in out]


def empty():
    e = "e = torch.ones(0)\n"
    e2 = "e = torch.ones(0, 3)\n"
    out = [e + f"e.{op}()" for op in ("sum", "mean", "prod", "max", "min", "argmax", "argmin",
                                       "amax", "amin", "std", "var", "logsumexp", "norm", "all",
                                       "any", "count_nonzero", "item", "tolist")]
    out += [e2 + f"e.{op}(0)" for op in ("sum", "mean", "prod", "max", "amax", "argmax", "std",
                                          "logsumexp", "cumsum", "softmax", "log_softmax")]
    out += [e2 + f"e.{op}(1)" for op in ("sum", "max", "amax", "argmin", "logsumexp", "softmax")]
    out += [
        "torch.ones(2, 0) @ torch.ones(0, 3)", "torch.ones(0, 2) @ torch.ones(2, 3)",
        "torch.ones(0) @ torch.ones(0)", "torch.mm(torch.ones(2, 0), torch.ones(0, 2))",
        "torch.bmm(torch.ones(0, 2, 3), torch.ones(0, 3, 4))", "torch.mv(torch.ones(2, 0), torch.ones(0))",
        "torch.cat([torch.ones(0), torch.ones(2)])", "torch.cat([torch.ones(0, 3), torch.ones(0, 4)])",
        "torch.stack([torch.ones(0), torch.ones(0)])", "torch.ones(0).reshape(0, -1)",
        "torch.ones(0).view(-1)", "torch.ones(0, 3).reshape(-1, 0)", "torch.ones(0).reshape(3, -1)",
        "torch.ones(0).expand(2, 0)", "torch.ones(0).max(dim=0)", "torch.ones(2, 0).max(1)",
        "torch.ones(2, 0).sum(1)", "torch.ones(2, 0).prod(1)", "torch.ones(2, 0).mean(1)",
        "torch.ones(0).repeat(3)", "torch.ones(0).chunk(2)", "torch.ones(0).split(2)",
        "torch.ones(0)[torch.tensor([], dtype=torch.int64)]",
        "torch.ones(0, 3).gather(0, torch.ones(0, 3, dtype=torch.int64))",
        "torch.ones(0).cumprod(0)", "torch.ones(0).flip(0)", "torch.ones(0).roll(1)",
        "torch.ones(0, 0).trace()", "torch.ones(0, 2).t().shape", "torch.ones(0).sigmoid()",
        "torch.ones(0, 3).norm(dim=0)", "torch.ones(0).min(0)",
        "F.softmax(torch.ones(2, 0), dim=1)",
        "F.cross_entropy(torch.ones(0, 3), torch.ones(0, dtype=torch.int64))",
        "F.mse_loss(torch.ones(0), torch.ones(0))",
        "F.nll_loss(torch.ones(0, 3), torch.ones(0, dtype=torch.int64))",
        "a = torch.ones(0, requires_grad=True)\na.mean().backward()\na.grad",
        "a = torch.ones(0, 3, requires_grad=True)\n(a @ torch.ones(3, 2)).sum().backward()\na.grad",
        "a = torch.ones(2, 0, requires_grad=True)\n(a @ torch.ones(0, 3)).sum().backward()\na.grad",
    ]
    return [("empty", c) for c in out]


def nonfinite():
    out = [NANS + e for e in (
        "n.max()", "n.min()", "n.argmax()", "n.argmin()", "n.amax(0)", "n.max(0)", "n.sum()",
        "n.mean()", "n.cumsum(0)", "n.softmax(0)", "n.logsumexp(0)", "n.norm()", "n.std()",
        "n == n", "n != n", "n > 1", "n.clamp(0, 2)", "n.relu()", "n.sign()", "n.round()",
        "n.abs()", "torch.maximum(n, torch.tensor(2.))", "torch.minimum(torch.tensor(2.), n)",
        "n.prod()", "n.count_nonzero()", "n.bool()", "n.long()", "n.tolist()",
        "n.clamp(min=float('nan'))", "torch.where(n > 0, n, 0.)", "n.floor()", "n.sigmoid()")]
    out += ["torch.tensor([float('inf'), 1.]).softmax(0)",
            "torch.tensor([float('-inf'), float('-inf')]).softmax(0)",
            "torch.tensor([float('-inf'), 0.]).log_softmax(0)",
            "torch.tensor([float('-inf'), float('-inf')]).logsumexp(0)",
            "torch.tensor([float('inf'), float('inf')]).logsumexp(0)",
            "torch.tensor([float('inf'), float('-inf')]).logsumexp(0)",
            "torch.tensor([float('inf'), float('-inf')]).sum()",
            "torch.tensor([0., -1.]).log()", "torch.tensor([-1.]).sqrt()",
            "torch.tensor([0.]).rsqrt()", "torch.tensor([1., -1., 0.]) / 0.",
            "torch.tensor([1, 2]) // 0", "torch.tensor([1, 2]) % 0",
            "torch.tensor([1, 2]).div(0)", "torch.tensor([1, 2]).fmod(0)",
            "torch.tensor([1.]).fmod(0.)", "torch.tensor([1.]).remainder(0.)",
            "torch.tensor([0.]).pow(-1)", "torch.tensor([-8.]).pow(1 / 3)",
            "torch.tensor([1000.]).exp()", "torch.tensor([1000.], dtype=torch.float64).exp()",
            "torch.tensor([89.]).exp()", "torch.tensor([-1000.]).sigmoid()",
            "torch.tensor([float('inf')]).tanh()", "torch.tensor([float('inf')]).sin()",
            "torch.tensor([2.5, -0.5, 0.5, 1.5]).round()", "torch.tensor([float('inf')]).floor()",
            "torch.tensor([0.]).atan2(torch.tensor([-0.]))", "torch.tensor([-0.]).sign()",
            "torch.tensor([1e38]) * 10", "torch.tensor([3e38]).sum() + torch.tensor([3e38]).sum()",
            "torch.tensor([1e-45]) / 2", "torch.tensor([float('inf')]).long()",
            "torch.tensor(float('nan')).item()", "int(torch.tensor(float('nan')))",
            "int(torch.tensor(float('inf')))", "torch.tensor([1e20, 1e20]).log_softmax(0)",
            "torch.tensor([[1e20, 1e20]]).logsumexp(1)", "torch.tensor([1e20, -1e20]).std()",
            "torch.tensor([1e30, 1e30]).norm()", "torch.tensor([1e-30, 1e-30]).norm()",
            "torch.tensor([1e30]).pow(2)", "torch.tensor([float('nan')]).argmax()",
            "torch.tensor([[1., float('nan')], [float('nan'), 1.]]).max(1)",
            "F.cross_entropy(torch.tensor([[float('inf'), 0.]]), torch.tensor([0]))",
            "F.relu(torch.tensor([float('-inf'), float('nan')]))",
            "F.gelu(torch.tensor([1e30, -1e30]))",
            "F.gelu(torch.tensor([float('inf'), float('-inf')], dtype=torch.float64))",
            "F.softplus(torch.tensor([1000., -1000.]))",
            "F.silu(torch.tensor([float('-inf')]))", "F.elu(torch.tensor([float('-inf')]))",
            "F.binary_cross_entropy(torch.tensor([0., 1.]), torch.tensor([1., 0.]))",
            "F.binary_cross_entropy_with_logits(torch.tensor([1000., -1000.]), torch.tensor([0., 1.]))",
            ]
    return [("nonfinite", c) for c in out]


def all_cases():
    return shapes() + dims() + dtypes() + indexing() + empty() + nonfinite()
