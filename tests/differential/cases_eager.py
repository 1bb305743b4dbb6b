"""Differential cases for the eager idioms of notebooks: a number on the left of an operator
(the order of ``grad_fn.next_functions``, which tutorials walk), ``tensor == None``, and
indexing with a ``range`` or a NumPy array (read, write, ``N[i, j] += 1``, gradients)."""

A = "a = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)\nx = a * 1\n"
N = "n = torch.zeros(3, 4, dtype=torch.int32)\n"
M = "m = torch.arange(12.).reshape(3, 4).requires_grad_()\n"
# the nodes a result's grad_fn leads to, by name (None where an operand is a number)
NEXT = "tuple((None if f is None else type(f).__name__, i) for f, i in {}.grad_fn.next_functions)"


def reflected():
    exprs = ["2 * x", "x * 2", "2 + x", "x + 2", "x - 2", "2 / x", "x / 2", "2.5 * x",
             "np.float64(2.) * x", "True * x", "x * x", "2 * (3 * x)"]
    cases = [A + f"y = {e}\n(type(y.grad_fn).__name__, {NEXT.format('y')})" for e in exprs]
    cases += [A + "y = 2 * x\ny.sum().backward()\na.grad", A + "(2 - x, 2 ** x, 2 // x)"]
    return cases


def plus_and_none():
    return ["(+x) is x", "torch.positive(x) is x", "(+torch.tensor([1, 2]), x.positive() is x)",
            "+torch.ones(2, dtype=torch.bool)", "(-(+x)).grad_fn.name()",
            "torch.ones(2) == None", "torch.ones(2) != None", "None == torch.ones(2)",
            "torch.ones(2) is None", "[t for t in [torch.ones(1), None] if t != None]",
            "torch.ones(2).eq(None)"]


def range_and_array_keys():
    keys = ["range(2)", "range(1, 4, 2)", "range(0)", "np.array([0, 2])",
            "np.array([True, False, True])", "np.int64(1)", "np.array(2)",
            "(range(2), range(1, 3))", "(np.array([2, 0]), slice(None))",
            "(slice(None), range(3))", "(np.int64(1), np.int32(2))", "[range(2), [0, 1]]",
            "range(5)", "np.array(['a'])"]
    cases = [M + f"m[{k}]" for k in keys]
    cases += [M + f"y = m[{k}]\ny.sum().backward()\nm.grad" for k in keys[:9]]
    cases += [
        N + "for i in range(3):\n    for j in range(4):\n        n[i, j] += i + j\nn",
        N + "n[range(2), range(1, 3)] += 1\nn",
        N + "n[np.array([0, 0, 2]), 1] += 5\nn",
        N + "n[range(3)] = torch.arange(4, dtype=torch.int32)\nn",
        N + "n[np.int64(1), np.int64(2)] = 7\nn",
        N + "n[1][range(2)] = 3\nn",
        N + "i, j = np.int64(2), 3\nn[i, j] -= 1\n(n, n[i, j], n[i, j].item())",
        M + "with torch.no_grad():\n    m[range(1, 3)] *= 2\nm",
        M + "y = m * 1\ny[range(2)] = 0.\ny.sum().backward()\nm.grad",
    ]
    return cases


def fast_paths():
    """What the eager fast paths (x[i], x[i, j] = v, in-place with a number, tensor(number))
    must keep: views sharing versions, PyTorch's casts and errors, recording when needed."""
    z = "x = torch.zeros(3)\n"
    return [
        z + "v = x[1]\nv += 5\n(x, v, x._version, v._version, v._base is x)",
        z + "v = x[1]\nx[1] = 2.\n(v, v._version)", z + "x[-1] = 7\nx[-3] += 1.5\nx",
        z + "x[3] = 1.", z + "x[-4]", z + "x[0, 0]", z + "x[0, 0] = 1.",
        "n = torch.zeros(2, 2, dtype=torch.int8)\nn[0, 0] = 1000",
        "n = torch.zeros(2, 2, dtype=torch.int8)\nn[0, 0] = 2.7\nn[1, 1] = -1\nn",
        "n = torch.zeros(2, 2, dtype=torch.uint8)\nn[0, 0] = -1\nn",
        "n = torch.zeros(2, 2, dtype=torch.int64)\nn[0, 1] = 2**63",
        "n = torch.zeros(2, 2, dtype=torch.bool)\nn[0, 1] = 2\nn[1, 0] = True\nn",
        "n = torch.zeros(2, 2, dtype=torch.int32)\nn[0, 1] = torch.tensor(3.5)\nn",
        "n = torch.zeros(2, 2, dtype=torch.int32)\nn[0, 1] = torch.tensor([[4]], dtype=torch.int32)"
        "\nn",
        "n = torch.zeros(2, 2, dtype=torch.int32)\nn[0, 1] = torch.tensor([4, 5], dtype=torch.int32)",
        "n = torch.zeros(2, 2, dtype=torch.int32)\nn[0, 1] += 2.5",
        "n = torch.zeros(2, 2, dtype=torch.bool)\nn[0, 1] += 1",
        "n = torch.zeros(2, 2, dtype=torch.int8)\nn[0, 1] += 1000\nn",
        "n = torch.zeros(2, 2)\nn[0, 1] += True\nn[1, 1] -= 2\nn[1, 0] *= 3\nn[0, 0] /= 2\nn",
        "w = torch.zeros(2, requires_grad=True)\nw[0] = 1.",
        "w = torch.zeros(2, requires_grad=True)\nw[0] += 1.",
        "w = torch.zeros(2, requires_grad=True)\nwith torch.no_grad():\n    w[0] = 1.\n"
        "    w[1] += 2.\n(w, w._version)",
        "w = torch.zeros(2, requires_grad=True)\ny = w * 1\ny[0] = 3.\n"
        "(y, y.grad_fn.name(), w[1].grad_fn.name())",
        "w = torch.zeros(2, 2, requires_grad=True)\ny = w * 1\ny[0, 1] += 3.\n"
        "y.sum().backward()\n(y, w.grad)",
        "w = torch.zeros(2, requires_grad=True)\nv = w.detach()[0]\n(v.requires_grad, v._base is None)",
        "x = torch.zeros(3)\ny = x.expand(2, 3)\ny[0, 1] = 1.\n(x, y)",
        "a = np.zeros(3, np.float32)\na.flags.writeable = False\nt = torch.from_numpy(a)\nt[0] = 1.",
        "torch.tensor(1e300)", "torch.tensor(-0.0)", "torch.tensor(2**63 - 1)",
        "torch.tensor(-2**63)", "torch.tensor(True)", "torch.tensor(3, requires_grad=True)",
        "torch.tensor(0.5, requires_grad=True)",
        "torch.set_default_dtype(torch.float64)\ntorch.tensor(0.1)",
    ]


def selects():
    """x[i] records PyTorch's SelectBackward0 (a chain for x[i, j]); Tensor.select."""
    w = "w = torch.arange(12.).reshape(3, 4).requires_grad_()\n"
    cases = [w + f"y = {e}\n(type(y.grad_fn).__name__, {NEXT.format('y')}, y)"
             for e in ("w[1]", "w[1, 2]", "w[-1, -4]", "w.select(1, -1)", "w.select(0, 2)",
                       "torch.select(w, 1, 0)", "(w * 2)[0]")]
    cases += [w + f"y = {e}\ny.sum().backward()\n(y, w.grad)"
              for e in ("w[1, 2]", "w.select(1, -1) * w.select(0, 0)[:3]", "w[2][1]")]
    cases += [w + e for e in ("w.select(0, 3)", "w.select(2, 0)", "w.select(-3, 0)",
                              "w.select(0, 1.5)", "torch.tensor(1.).select(0, 0)",
                              "w.select(0, np.int64(1))", "w[1, 2, 0]", "w[3, 0]",
                              "v = w.detach()\ns = v.select(1, 2)\ns += 1\n(v, s._version)")]
    cases += [w + "y = w * 1\ny[0] = 1.\ny.grad_fn.name()",
              w + "y = w * 1\ny.copy_(w.detach())\ny.grad_fn.name()",
              w + "w.sum().grad_fn.next_functions[0][0].name()"]
    return cases


def all_cases():
    groups = (("eager", reflected() + [A + c for c in plus_and_none()] + fast_paths()
               + selects()),
              ("indexing", range_and_array_keys()))
    return [(g, c) for g, cases in groups for c in cases]
