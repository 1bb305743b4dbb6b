"""Run the seed notebook (docs/tutorial.md): ``python -m nbgrad.tutorial``.

Its code cells are PyTorch's autograd tutorial with ``import nbgrad as torch``
in place of ``import torch`` (the torchvision imports dropped, nothing else
changed); each cell runs in order and prints what PyTorch prints.
"""

CELLS = [
    """\
import nbgrad as torch
""",
    """\
x = torch.ones(2, 2, requires_grad=True)
print(x)
""",
    """\
y = x + 2
print(y)
""",
    """\
print(y.grad_fn)
""",
    """\
z = y * y * 3
out = z.mean()

print(z, out)
""",
    """\
a = torch.randn(2, 2)
a = ((a * 3) / (a - 1))
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn)
""",
    """\
#进行反向传播，因为 out 是一个标量，
# 因此 out.backward() 和 out.backward(torch.tensor(1.)) 等价。
out.backward()
""",
    """\
#输出导数 d(out)/dx
print(x.grad)
""",
    """\
#雅可比向量积
x = torch.randn(3, requires_grad=True)

y = x * 2
while y.data.norm() < 1000:
    y = y * 2

print(y)
""",
    """\
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)

print(x.grad)
""",
    """\
print(x.requires_grad)
print((x ** 2).requires_grad)

with torch.no_grad():
    print((x ** 2).requires_grad)
""",
]


def main(cells=CELLS):
    """Execute the cells in one namespace, as a notebook kernel would."""
    namespace = {"__name__": "__tutorial__"}
    for source in cells:
        exec(compile(source, "<tutorial cell>", "exec"), namespace)
    return namespace


if __name__ == "__main__":
    main()
