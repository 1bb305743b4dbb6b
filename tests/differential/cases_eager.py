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


def compare_with_none():
    return ["torch.ones(2) == None", "torch.ones(2) != None", "None == torch.ones(2)",
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


def all_cases():
    groups = (("eager", reflected() + compare_with_none()),
              ("indexing", range_and_array_keys()))
    return [(g, c) for g, cases in groups for c in cases]
