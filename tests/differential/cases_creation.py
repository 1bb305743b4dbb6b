"""Differential cases for creation and conversion: integer overflow, NumPy scalars and arrays
as operands, failed allocations, Python types as dtypes, float()/int()/bool() of tensors,
bad factory arguments, odd operands of comparisons, deepcopy, devices and nn.functional."""

X = "x = torch.arange(6.).reshape(2, 3)\n"
NP_SCALARS = ["np.float64(2.0)", "np.float32(2.0)", "np.int64(2)", "np.int32(2)", "np.bool_(True)",
              "np.sqrt(2.0)", "np.float16(2.0)", "np.uint8(2)"]


def overflow():
    out = ["torch.tensor(2 ** 63)", "torch.tensor([2 ** 70])", "torch.tensor(2 ** 64 - 1)",
           "torch.tensor(-2 ** 63 - 1)", "torch.tensor(2 ** 63 - 1)", "torch.tensor([-2 ** 63])",
           "torch.tensor([300], dtype=torch.uint8)", "torch.tensor([-1], dtype=torch.uint8)",
           "torch.tensor(128, dtype=torch.int8)", "torch.tensor([2 ** 31], dtype=torch.int32)",
           "torch.tensor([1, 2 ** 64])", "torch.tensor([1.5, 2 ** 70])",
           "torch.tensor([[1], [2 ** 63]])", "torch.tensor(2 ** 100, dtype=torch.float32)",
           "torch.tensor(1e300, dtype=torch.float32)", "torch.tensor([1e39])",
           "torch.full((2,), 2 ** 63, dtype=torch.int64)", "torch.full((2,), 300, dtype=torch.uint8)",
           "torch.full((2,), 2 ** 40, dtype=torch.int32)",
           "torch.zeros(2, dtype=torch.int32).fill_(2 ** 40)",
           "torch.zeros(2, dtype=torch.uint8).fill_(300)", "torch.zeros(2, dtype=torch.int8).fill_(-129)",
           "torch.zeros(2, dtype=torch.int64).fill_(2 ** 63)",
           "torch.zeros(2, dtype=torch.int64).add_(2 ** 63)",
           "x = torch.zeros(2, dtype=torch.uint8)\nx[0] = 256\nx",
           "x = torch.zeros(2, dtype=torch.int64)\nx[0] = 2 ** 64\nx",
           "torch.arange(2 ** 63 - 2, 2 ** 63 - 1)", "torch.arange(0, 300, 100, dtype=torch.uint8)",
           "torch.tensor([255], dtype=torch.uint8) + 1", "torch.tensor([127], dtype=torch.int8) + 1",
           "torch.tensor([2 ** 63 - 1]) + 1", "torch.tensor([2 ** 62]).sum() * 4",
           "torch.tensor([2 ** 62, 2 ** 62]).sum()", "torch.tensor([2 ** 40]).int()",
           "torch.tensor([3e9]).int()", "torch.tensor([-1.]).to(torch.uint8)",
           "torch.tensor([1e10]).long()", "torch.ones(2).masked_fill(torch.ones(2) > 0, 2 ** 70)",
           "torch.ones(2, dtype=torch.int32).masked_fill(torch.ones(2) > 0, 2 ** 40)",
           "torch.tensor([1, 2]).clamp(max=2 ** 64)", "torch.tensor([1, 2]) == 2 ** 64",
           "torch.tensor([1, 2]) < 2 ** 70", "torch.tensor([True]) + 2 ** 63"]
    return [("overflow", c) for c in out]


def numpy():
    out = []
    for s in NP_SCALARS:
        out += [f"torch.ones(2) * {s}", f"{s} * torch.ones(2)", f"torch.ones(2) + {s}",
                f"torch.tensor([1, 2]) * {s}"]
    out += [f"torch.ones(2) {op} np.ones(2)" for op in ("+", "-", "*", "/", "==", "<", "@")]
    out += [f"np.ones(2) {op} torch.ones(2)" for op in ("+", "*")]
    out += ["torch.ones(2, dtype=torch.int64) + np.ones(2, dtype=np.int32)",
            "torch.ones(2) + np.ones((3, 2))", "torch.ones(2) + np.ones(3)",
            "torch.tensor(np.float32(1.5))", "torch.tensor(np.float64(1.5))",
            "torch.tensor(np.int64(3))", "torch.tensor(np.bool_(True))",
            "torch.tensor(np.array([1, 2], dtype=np.int32))", "torch.tensor(np.array([1., 2.]))",
            "torch.tensor([np.float64(1.), np.float64(2.)])", "torch.tensor([np.int64(1), 2.5])",
            "torch.tensor(np.array(['a']))", "torch.tensor(np.array([1, 2], dtype=object))",
            "torch.tensor(np.array([1., 2.], dtype='>f8'))",
            "torch.from_numpy(np.array([1., 2.], dtype='>f8'))",
            "torch.from_numpy(np.array([1., 2.], dtype=np.float16))",
            "torch.from_numpy(np.array([1, 2], dtype=np.uint16))",
            "torch.from_numpy(np.array([1, 2], dtype=np.uint32))",
            "torch.from_numpy(np.array([1, 2], dtype=np.uint64))",
            "torch.from_numpy(np.array([1 + 2j]))", "torch.from_numpy(np.array(['a']))",
            "torch.from_numpy([1., 2.])", "torch.from_numpy(np.float64(1.))",
            "torch.from_numpy(np.ones((2, 3))[:, ::2])",
            "torch.from_numpy(np.ones((2, 3))[:, ::-1])",
            "a = np.ones(2)\na.flags.writeable = False\ntorch.from_numpy(a).add_(1)",
            "a = np.ones(2)\nt = torch.from_numpy(a)\nt.add_(1)\na",
            "torch.as_tensor(np.ones(2, dtype=np.float32)).dtype",
            "torch.ones(np.int64(3))", "torch.ones((np.int64(2), np.int32(2)))",
            "torch.ones(np.float64(3.))", "torch.arange(np.int64(3))",
            X + "x[np.int64(1)]", X + "x[np.array([0, 1])]", X + "x[np.array([True, False])]",
            X + "x.reshape(np.int64(6))", X + "x.sum(dim=np.int64(0))",
            X + "x.sum(dim=np.array(0))", X + "x.pow(np.float32(2.))",
            X + "x.clamp(np.float64(1.), np.float64(2.))", X + "x.masked_fill(x > 1, np.float64(0.))",
            X + "x.add_(np.float64(1.))\nx", X + "x.add_(np.ones(3))\nx",
            X + "x[0] = np.array([7., 8., 9.])\nx", X + "x[0] = np.float64(3.)\nx",
            X + "torch.where(x > 1, x, np.float64(0.))", X + "torch.maximum(x, np.ones(3))",
            X + "np.exp(x)", X + "np.add(x, 1.)", X + "np.sum(x)",
            X + "str(x.numpy().dtype)", X + "str(x.int().numpy().dtype)", X + "np.array(x).shape",
            X + "x.tolist() == np.arange(6.).reshape(2, 3).tolist()"]
    return [("numpy", c) for c in out]


def allocation():
    out = ["torch.empty(10 ** 13)", "torch.ones(10 ** 6, 10 ** 7)", "torch.zeros(10 ** 13)",
           "torch.full((10 ** 13,), 1.)", "torch.randn(10 ** 13)", "torch.rand(10 ** 13)",
           "torch.arange(10 ** 13)", "torch.ones(2).repeat(10 ** 12)",
           "torch.ones(1).expand(10 ** 13).shape", "torch.ones(2).expand(10 ** 13, 2).contiguous()",
           "torch.empty(-1)", "torch.ones(2, -3)", "torch.zeros((2, -1))", "torch.rand(-2)",
           "torch.empty(2 ** 63)", "torch.ones(10 ** 20)", "torch.empty(2.5)",
           "torch.ones(10 ** 7, 10 ** 7) @ torch.ones(10 ** 7, 1)"]
    return [("allocation", c) for c in out]


def pytypes():
    out = ["torch.ones(2, dtype=float)", "torch.ones(2, dtype=int)", "torch.ones(2, dtype=bool)",
           "torch.zeros(2, dtype=float)", "torch.tensor([1, 2], dtype=float)",
           "torch.tensor([1.5], dtype=int)", "torch.full((2,), 1, dtype=float)",
           "torch.arange(3, dtype=float)", "torch.ones(2).to(float)", "torch.ones(2).to(int)",
           "torch.ones(2).to(bool)", "torch.empty(2, dtype=float).dtype",
           "torch.ones(2, dtype='float32')", "torch.ones(2, dtype=np.float32)",
           "torch.ones(2, dtype=complex)", "torch.ones(2, dtype=str)", "torch.ones(2, dtype=None)",
           "torch.randn(2, dtype=torch.int64)", "torch.rand(2, dtype=torch.int64)",
           "torch.randn(2, dtype=float).dtype", "torch.randint(0, 5, (2,), dtype=float).dtype",
           "torch.linspace(0, 1, 3, dtype=int)", "torch.eye(2, dtype=bool)",
           "torch.ones(2).type_as(torch.ones(1, dtype=torch.float64))",
           "torch.ones(2).sum(dtype=float)", "torch.ones(2).to(torch.float64, copy=True).dtype",
           "torch.ones(2).to('float64')", "torch.ones(2).double().dtype"]
    return [("pytypes", c) for c in out]


def conversions():
    out = ["float(torch.ones(2))", "int(torch.ones(2))", "bool(torch.ones(2))",
           "float(torch.ones(0))", "bool(torch.ones(0))", "float(torch.ones(1, 1))",
           "int(torch.tensor([2.7]))", "int(torch.tensor(-2.7))", "bool(torch.tensor([0.]))",
           "torch.ones(0).item()", "torch.ones(2).item()", "torch.ones(1, 1).item()",
           "torch.tensor(None)", "torch.tensor(object())", "torch.tensor([1, [2]])",
           "torch.tensor([[1, 2], [3]])", "torch.tensor('a')", "torch.tensor([1, 'a'])",
           "torch.tensor([])", "torch.tensor([[]])", "torch.tensor([[], []])",
           "torch.tensor([1, None])", "torch.tensor([1, 2.5, True])", "torch.tensor([True, 2])",
           "torch.tensor(((1, 2), (3, 4)))", "torch.tensor(range(3))", "torch.tensor({1, 2})",
           "torch.tensor({'a': 1})", "torch.tensor(3 + 4j)", "torch.tensor([torch.tensor(1.), 2.])",
           "torch.tensor([torch.ones(2), torch.ones(2)])", "len(torch.tensor(1.))",
           "len(torch.ones(3, 2))", "list(torch.tensor(1.))", "list(torch.arange(3))",
           "[t.shape for t in torch.ones(2, 3)]", "list(range(torch.tensor(3)))",
           "range(torch.tensor(3.))", "[1, 2, 3][torch.tensor(1)]", "[1, 2, 3][torch.tensor([1])]",
           "hex(torch.tensor(5))", "torch.ones(2) in [1]", "1. in torch.ones(2)",
           "'a' in torch.ones(2)", "torch.ones(2).__index__()", "math.floor(torch.tensor(2.5))",
           "round(torch.tensor(2.567), 2)", "torch.tensor(2.) ** torch.tensor(0.5)",
           "complex(torch.tensor(2.))", "abs(torch.tensor(-2))", "str(torch.tensor(1.5))",
           "repr(torch.ones(0, 3))", "format(torch.tensor(2.5), '.2f')", "format(torch.ones(2), '.2f')",
           "torch.tensor([[1., 2.]]).tolist()", "torch.tensor(3).tolist()"]
    return [("conversions", c) for c in out]


def factories():
    out = ["torch.eye(-1)", "torch.eye(2, -1)", "torch.eye(0)", "torch.eye(2.5)",
           "torch.linspace(0, 1, -1)", "torch.linspace(0, 1, 0)", "torch.linspace(0, 1, 1)",
           "torch.linspace(0, 1, 2.5)", "torch.linspace(1, 0, 3)", "torch.linspace(0, 1)",
           "torch.arange(0, 1, 0)", "torch.arange(1, 0, 1)", "torch.arange(0, 10, -1)",
           "torch.arange(float('nan'))", "torch.arange(0, float('inf'))", "torch.arange(-3)",
           "torch.arange(0, 1, 0.3)", "torch.arange(1, 2.5)", "torch.arange(5, dtype=torch.bool)",
           "torch.randint(5, 2, (3,))", "torch.randint(5, (3,)).shape", "torch.randint(0, 0, (3,))",
           "torch.randint(0, 5, 3)", "torch.randint(0, 5.5, (3,)).dtype",
           "torch.randint(0, 300, (3,), dtype=torch.uint8)", "torch.rand(2, 3).shape",
           "torch.rand((2, 3), 4)", "torch.rand(2, -1)", "torch.randn('a')", "torch.ones(2.5)",
           "torch.zeros((2, 3.0))", "torch.empty('a')", "torch.ones([2, [3]])",
           "torch.ones((2,), (3,))", "torch.ones([])", "torch.ones(())", "torch.ones(2, 3, dtype=torch.float64).sum()",
           "torch.full((2,), 'a')", "torch.full((2,), 1.5, dtype=torch.int64)",
           "torch.full((2,), True)", "torch.full((2,), 3)", "torch.full(2, 1.)",
           "torch.full((2,), torch.tensor(1.))", "torch.full((2,), torch.ones(2))",
           "torch.zeros_like(torch.ones(2), dtype=torch.int64)", "torch.ones_like([1, 2])",
           "torch.full_like(torch.ones(2, dtype=torch.int64), 2.7)",
           "torch.rand_like(torch.ones(2, dtype=torch.int64))",
           "torch.randn_like(torch.ones(2, dtype=torch.int64))",
           "torch.randint_like(torch.ones(2), 5, 2)", "torch.manual_seed(-1)\ntorch.rand(1).shape",
           "torch.manual_seed(2 ** 70)", "torch.manual_seed(1.5)\ntorch.rand(1).shape", "torch.manual_seed('a')",
           "torch.device('xyz')", "torch.device('cpu:0')", "torch.ones(2, device='xyz')",
           "torch.ones(2, device='cpu').device", "torch.ones(2).to('cpu').device",
           "torch.ones(2).to('xyz')", "torch.ones(2).to(device=None).dtype",
           "torch.ones(2).cpu().device", "torch.ones(2).is_cuda",
           "torch.as_tensor([1, 2], dtype=torch.float64)", "torch.as_tensor(None)",
           "torch.empty(0, 3).shape",
           "torch.tensor([1., 2.]).element_size()", "torch.tensor(1.).dim()",
           "torch.get_default_dtype()", "torch.set_default_dtype(torch.int64)",
           "torch.set_default_dtype(torch.float64)\ntorch.tensor([1.]).dtype",
           "torch.set_default_dtype(torch.float64)\n(torch.ones(2, dtype=torch.float32) + 1.5).dtype",
           "torch.set_default_dtype(torch.float64)\ntorch.tensor([1]).dtype"]
    return [("factories", c) for c in out]


def operands():
    out = [X + e for e in (
        "x == 'a'", "x == None", "x != 'a'", "x != None", "x < 'a'", "x + 'a'", "x + None",
        "x * [1, 2, 3]", "x + (1, 2, 3)", "x @ 1", "1 @ x", "x + [[1], [2]]", "x == [0, 1, 2]",
        "x + True", "x + 1j", "x & True", "x.add(1, 2)", "x.add(torch.ones(3), alpha=2)",
        "x.add(1, alpha=0.5)", "x.pow('a')", "torch.add(x)", "torch.add(1, 2)",
        "torch.exp(2.)", "torch.exp([1., 2.])", "torch.sum([1, 2])", "torch.mul(x, 'a')",
        "x.sum(keepdim='yes')", "x.view(2, 'a')", "x.reshape('a')", "x.view(2, 3.0)",
        "x.permute('a', 0)", "x.transpose(0)", "x.squeeze('a')", "x.expand(2, 'a')",
        "x.repeat('a')", "x.flip()", "x.softmax(dim='a')", "x.clamp('a')", "x[0] is x[0]",
        "x.max(x)", "x.max(1, x)", "x.min(torch.ones(3))", "x.std(correction=0)",
        "x.where(x > 2, 0.)", "torch.where(x > 2)", "x.gather(1)", "x.index_select(0, [0, 1])",
        "x.masked_fill(x > 2)", "torch.cat(x, x)", "torch.stack(x)", "x.split('a')",
        "x.mT", "torch.ones(3).mT", "torch.ones(3).T",
        "x.to()", "x.to(torch.float64, torch.float32)", "x.type_as(1)", "x.numel()",
        "x.size(2)", "x.size(-3)", "x.size('a')", "x.shape[2]", "x.dim()", "x.ndim",
        "x.element_size()", "hash(x) == hash(x)", "sorted([x[0, 0], x[0, 1]], reverse=True)",
        "x.detach() is x", "x.contiguous() is x", "x.t().is_contiguous()")]
    return [("operands", c) for c in out]


def functional():
    L = "logits = torch.tensor([[1., 2., 3.], [1., 0., -1.]])\n"
    out = [L + e for e in (
        "F.cross_entropy(logits, torch.tensor([3, 0]))", "F.cross_entropy(logits, torch.tensor([-1, 0]))",
        "F.cross_entropy(logits, torch.tensor([2., 0.]))", "F.cross_entropy(logits, torch.tensor([2]))",
        "F.cross_entropy(logits, torch.tensor([[2, 0]]))", "F.cross_entropy(logits[0], torch.tensor(2))",
        "F.cross_entropy(logits, torch.tensor([2, 0]), reduction='bad')",
        "F.cross_entropy(logits, torch.tensor([2, 0], dtype=torch.int32))",
        "F.cross_entropy(logits, logits.softmax(1))", "F.cross_entropy(logits, torch.tensor([2, -100]))",
        "F.cross_entropy(logits, torch.tensor([-100, -100]))",
        "F.cross_entropy(logits.long(), torch.tensor([2, 0]))",
        "F.nll_loss(logits, torch.tensor([3, 0]))", "F.nll_loss(logits, torch.tensor([2.5, 0.]))",
        "F.nll_loss(logits, torch.tensor([0, 1, 2]))",
        "F.mse_loss(logits, torch.ones(3))", "F.mse_loss(logits, torch.ones(4))",
        "F.mse_loss(logits, torch.ones(2, 3, dtype=torch.int64))",
        "F.mse_loss(logits, torch.ones(2, 3), reduction='none')",
        "F.l1_loss(logits, torch.ones(2, 3, dtype=torch.float64))",
        "F.binary_cross_entropy(logits, torch.ones(2, 3))",
        "F.binary_cross_entropy(logits.sigmoid(), torch.ones(3))",
        "F.binary_cross_entropy(logits.sigmoid(), torch.ones(2, 3) * 2)",
        "F.binary_cross_entropy_with_logits(logits, torch.ones(3))",
        "F.binary_cross_entropy_with_logits(logits, torch.ones(2, 3, dtype=torch.int64))",
        "F.linear(logits, torch.ones(2, 2))", "F.linear(logits, torch.ones(4, 3), torch.ones(3))",
        "F.linear(logits, torch.ones(4, 3), torch.ones(4))", "F.linear(logits, torch.ones(3))",
        "F.softmax(logits)", "F.softmax(logits, 2)", "F.log_softmax(logits, dim=-3)",
        "F.dropout(logits, p=1.5)", "F.dropout(logits, p=-0.1)", "F.dropout(logits, p=1.)",
        "F.dropout(logits, p=0.5, training=False)", "F.dropout(logits.long(), p=0.5)",
        "F.hardtanh(logits, 1., -1.)", "F.leaky_relu(logits, -2.)", "F.elu(logits, alpha=-1.)",
        "F.relu(logits.long())", "F.gelu(logits.long())", "F.gelu(logits, approximate='bad')",
        "F.gelu(logits, approximate='tanh')", "F.silu(logits.long())", "F.softplus(logits, beta=0)",
        "F.sigmoid(logits.long())", "F.tanh(logits.bool())", "F.relu6(logits * 3)",
        "F.relu(logits, inplace=True)\nlogits",
        "a = logits.clone().requires_grad_()\nF.relu(a, inplace=True)",
        ("a = logits.clone().requires_grad_()\nb = a * 1\nF.relu(b, inplace=True)\n"
         "b.sum().backward()\na.grad"),
        ("a = logits.clone().requires_grad_()\nb = a.sigmoid()\nF.relu(b, inplace=True)\n"
         "b.sum().backward()\na.grad"))]
    return [("functional", c) for c in out]


def all_cases():
    return (overflow() + numpy() + allocation() + pytypes() + conversions() + factories()
            + operands() + functional())
