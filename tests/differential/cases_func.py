"""Differential cases for nb.func (torch.func): vmap with in_dims/out_dims, nested vmap,
grad/grad_and_value/vjp/jvp/jacrev/jacfwd/hessian values, per-sample gradients,
functional_call, and the errors PyTorch raises for misuse."""

X = "x = torch.arange(6.).reshape(2, 3)\n"
V = "v = torch.tensor([0.5, -1.0, 2.0])\n"
M = "m = nn.Linear(3, 1)\n"


def vmaps():
    return [
        X + "torch.func.vmap(torch.dot)(x, torch.ones(2, 3))",
        X + "torch.func.vmap(lambda a: a.sum(0), in_dims=1)(x)",
        X + "torch.func.vmap(torch.mul, in_dims=(0, None))(x, torch.tensor(2.))",
        X + "torch.func.vmap(lambda a: a * 2, out_dims=1)(x)",
        X + "torch.func.vmap(lambda a: (a.softmax(0), a.max()))(x)",
        X + "torch.func.vmap(lambda a: a @ torch.ones(3, 2))(x)",
        X + "torch.func.vmap(lambda d: d['a'] + d['b'], in_dims=({'a': 0, 'b': None},))("
            "{'a': x, 'b': torch.ones(3)})",
        X + "torch.func.vmap(torch.func.vmap(lambda a, b: a * b, in_dims=(None, 0)), "
            "in_dims=(0, None))(x[0], x[1])",
        X + "torch.func.vmap(lambda a: a.reshape(3, 1).expand(3, 2).t())(x)",
        X + "torch.func.vmap(lambda a: torch.cat([a, a[:1]]) + a.sum(), chunk_size=1)(x)",
        X + "torch.func.vmap(lambda a: F.mse_loss(a, torch.zeros(3)))(x)",
        X + "torch.func.vmap(lambda a: F.cross_entropy(a, torch.tensor(2)))(x)",
        X + "torch.func.vmap(torch.add)(x, torch.ones(3, 3))",
        X + "torch.func.vmap(lambda a: a.item())(x)",
        X + "torch.func.vmap(lambda a: a, out_dims=None)(x)",
        X + "torch.func.vmap(lambda a, n: a * n)(x, 3)",
        X + "torch.func.vmap(lambda a: a, in_dims=2)(x)",
        X + "torch.func.vmap(lambda a: a, in_dims=None)(x)",
        X + "torch.func.vmap(lambda a: a, randomness='sometimes')(x)",
        X + "torch.func.vmap(lambda a: F.dropout(a, 0.5))(x)",
        X + "torch.func.vmap(lambda a: 'text')(x)",
    ]


def grads():
    return [
        V + "torch.func.grad(lambda a: (a ** 3).sum())(v)",
        V + "torch.func.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(v, v * 2)",
        V + "torch.func.grad(lambda a: (a.sin().sum(), a * 2), has_aux=True)(v)",
        V + "torch.func.grad_and_value(lambda a: (a ** 2).sum())(v)",
        V + "torch.func.grad(torch.func.grad(lambda a: a ** 3))(torch.tensor(2.))",
        V + "torch.func.grad(lambda a: a * 2)(v)",
        V + "torch.func.grad(lambda a: a.sum(), argnums=2)(v)",
        V + "torch.func.grad(lambda a: a.sum())(torch.tensor([1, 2]))",
        V + "torch.func.grad(lambda a: (a, a), has_aux=True)(v)",
        V + "o, f = torch.func.vjp(torch.sin, v)\nf(torch.ones(3))",
        V + "o, f = torch.func.vjp(torch.sin, v)\nf(torch.ones(2))",
        V + "torch.func.jvp(torch.sin, (v,), (torch.ones(3),))",
        V + "torch.func.jvp(torch.sin, v, (torch.ones(3),))",
        V + "torch.func.jvp(torch.sin, (v,), (torch.ones(2),))",
        V + "torch.func.jacrev(lambda a: a.sin() * a.sum())(v)",
        V + "torch.func.jacfwd(lambda a: a.sin() * a.sum())(v)",
        V + "torch.func.jacrev(lambda a, b: a * b, argnums=(0, 1))(v, v + 1)",
        V + "torch.func.hessian(lambda a: (a ** 3).sum() + a.prod())(v)",
        V + "torch.func.vmap(torch.func.grad(lambda w, a: (w * a).sin().sum()), "
            "in_dims=(None, 0))(v, torch.arange(6.).reshape(2, 3))",
        V + "torch.func.vmap(torch.func.jacrev(torch.sin))(torch.arange(6.).reshape(2, 3))",
    ]


def functional_calls():
    return [
        M + "torch.func.functional_call(m, {'weight': torch.ones(1, 3), 'bias': torch.zeros(1)}, "
            "(torch.tensor([1., 2., 3.]),))",
        M + "torch.func.functional_call(m, {'bias': torch.ones(1) * 5}, torch.zeros(3))",
        M + "torch.func.functional_call(m, {'bias': torch.ones(1)}, (torch.zeros(3),), "
            "strict=True)",
        M + "torch.func.functional_call(m, ({'bias': torch.ones(1)}, {'bias': torch.ones(1)}), "
            "(torch.zeros(3),))",
        M + "torch.func.functional_call(m, [1, 2], (torch.zeros(3),))",
    ]


def all_cases():
    return ([("func.vmap", c) for c in vmaps()] + [("func.grad", c) for c in grads()]
            + [("func.functional_call", c) for c in functional_calls()])
