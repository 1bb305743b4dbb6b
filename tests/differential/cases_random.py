"""Differential cases for random generators and random ops (issue 14): what does not
depend on the numbers drawn (nbgrad's generator is Philox, PyTorch's CPU one a Mersenne
twister): errors, shapes, dtypes, requires_grad and grad_fn names, zero gradients,
version bumps, seeds, and values fixed by their arguments (one-hot multinomial rows,
probabilities 0 and 1, rate 0, std 0, sorted permutations).  Each case is (group, code)."""

G = "g = torch.Generator()\n"
Y = "x = torch.ones(3, requires_grad=True)\ny = x * 1\n"


def errors():
    out = [
        "torch.multinomial(torch.ones(3), 4)", "torch.multinomial(torch.ones(3), 0)",
        "torch.multinomial(torch.ones(3), -1)", "torch.multinomial(torch.ones(2, 2, 2), 1)",
        "torch.multinomial(torch.ones(()), 1)",
        "torch.multinomial(torch.ones(3, dtype=torch.int64), 1)",
        "torch.multinomial(torch.tensor([1., -1.]), 1)",
        "torch.multinomial(torch.tensor([1., float('nan')]), 1)",
        "torch.multinomial(torch.tensor([1., float('inf')]), 1, True)",
        "torch.multinomial(torch.zeros(3), 1)", "torch.multinomial(torch.zeros(2, 0), 1)",
        "torch.multinomial(torch.tensor([[1., 0.], [0., 0.]]), 1)",
        "torch.multinomial(torch.ones(3), 2.5)", "torch.multinomial([1., 2.], 1)",
        "torch.bernoulli(torch.tensor([0.5, 1.5]))", "torch.bernoulli(torch.tensor([-0.5]))",
        "torch.bernoulli(torch.tensor([0., float('nan')]))",
        "torch.bernoulli(torch.tensor([0., 1.]), 1.5)", "torch.bernoulli(torch.tensor([0, 1]))",
        "torch.ones(3).bernoulli_(1.5)", "torch.ones(3).bernoulli_(-0.1)",
        "torch.ones(3).bernoulli_(torch.tensor([0., 1.]))",
        "torch.ones(3).bernoulli_(torch.zeros(2, 3))",
        "torch.poisson(torch.tensor([-1.]))", "torch.poisson(torch.tensor([1], dtype=torch.int64))",
        "torch.poisson(torch.tensor([float('nan')]))",
        "torch.randperm(-1)", "torch.randperm(300, dtype=torch.uint8)",
        "torch.randperm(3, dtype=torch.bool)", "torch.randperm(2.5)",
        "torch.randperm(3, requires_grad=True)",
        "torch.ones(3).uniform_(2, 1)", "torch.ones(3, dtype=torch.int64).uniform_()",
        "torch.ones(3).uniform_(0, float('inf'))", "torch.ones(3).uniform_(-3e38, 3e38)",
        "torch.ones(3).normal_(0, -1)", "torch.ones(3, dtype=torch.int64).normal_()",
        "torch.ones(3).exponential_(0)", "torch.ones(3).exponential_(-1)",
        "torch.ones(3, dtype=torch.int64).exponential_()",
        "torch.ones(3).geometric_(0)", "torch.ones(3).geometric_(1)",
        "torch.ones(3).geometric_(1.5)",
        "torch.ones(3).cauchy_(0, -1)", "torch.ones(3).cauchy_(0, 0)",
        "torch.ones(3, dtype=torch.int64).cauchy_()",
        "torch.ones(3).log_normal_(0, 0)", "torch.ones(3).log_normal_(0, -1)",
        "torch.ones(3, dtype=torch.int64).log_normal_()",
        "torch.ones(3).random_(5, 2)", "torch.ones(3).random_(0)", "torch.ones(3).random_(-1)",
        "torch.ones(3, dtype=torch.uint8).random_(300)",
        "torch.ones(3, dtype=torch.uint8).random_(-1, 5)",
        "torch.ones(3, dtype=torch.bool).random_(3)", "torch.ones(3).random_(1.5)",
        "torch.normal(torch.ones(2, 3), torch.ones(4))",
        "torch.normal(torch.ones(3), -torch.ones(3))", "torch.normal(torch.ones(3), -1.)",
        "torch.normal(1., -torch.ones(3))", "torch.normal(1., -1., (3,))",
        "torch.normal(1., 1.)", "torch.normal(torch.ones(3, dtype=torch.int64), 1.)",
        "torch.normal(torch.zeros(2), 1, (3,))",
        "torch.Generator().manual_seed(2**64)", "torch.Generator().manual_seed(-2**63 - 1)",
        "torch.Generator().manual_seed(1.5)", "torch.Generator().manual_seed('a')",
        "torch.Generator().manual_seed(True)", "torch.Generator('meta')",
        "torch.Generator().set_state(torch.zeros(3))",
        "torch.Generator().set_state(torch.zeros(3, dtype=torch.uint8))",
        "torch.Generator().set_state([1, 2])", "torch.set_rng_state(torch.zeros(3))",
        "torch.set_rng_state(torch.zeros(3, dtype=torch.uint8))",
        "torch.rand(3, generator=5)", "torch.randn(3, generator=torch.zeros(1))",
    ]
    return [("random-errors", c) for c in out]


def values():
    out = [
        "torch.multinomial(torch.tensor([0., 1., 0.]), 3, True)",
        "torch.multinomial(torch.tensor([[0., 1., 0.], [0, 0, 5.]]), 2, True)",
        "torch.multinomial(torch.tensor([[0., 1., 0.], [0, 0, 5.]]), 1)",
        "torch.multinomial(torch.tensor([0., 1., 0.]), 2)",
        "torch.multinomial(torch.tensor([[0., 1., 1.], [0, 5., 5.]]), 2).sort(1).values",
        "torch.multinomial(torch.ones(5, dtype=torch.float64), 5).sort().values",
        "torch.multinomial(torch.zeros(0, 3), 2)",
        "torch.multinomial(torch.ones(3, requires_grad=True), 2).requires_grad",
        "torch.ones(2, 3).multinomial(2).shape",
        "torch.bernoulli(torch.tensor([0., 1.]))",
        "torch.bernoulli(torch.tensor([[0., 1.], [1., 0.]], dtype=torch.float64))",
        "torch.bernoulli(torch.tensor([0., 1.]), 0.)",
        "torch.bernoulli(torch.tensor([0, 1]), 1.)",
        "torch.bernoulli(torch.ones(2), generator=torch.Generator())",
        "torch.ones(3, dtype=torch.int64).bernoulli_(1.)",
        "torch.ones(3, dtype=torch.bool).bernoulli_(0.)",
        "torch.ones(2, 3).bernoulli_(torch.tensor([0., 1., 1.]))",
        "torch.tensor([1., 0.]).bernoulli()",
        "torch.poisson(torch.tensor([0., 0.]))", "torch.poisson(torch.zeros(2), torch.Generator())",
        "torch.poisson(torch.ones(2, 3, dtype=torch.float64)).dtype",
        "torch.randperm(5).sort().values", "torch.randperm(0)",
        "torch.randperm(3, dtype=torch.float32).sort().values",
        "torch.randperm(4, dtype=torch.float64, requires_grad=True).requires_grad",
        "torch.randperm(6, generator=torch.Generator()).sort().values",
        "torch.ones(3).uniform_(1, 1)", "torch.ones(3).normal_(0, 0)",
        "torch.ones(2, dtype=torch.float64).normal_(mean=3., std=0.)",
        "torch.ones(3, dtype=torch.int64).geometric_(0.5).dtype",
        "torch.ones(3).random_(1)", "torch.ones(3, dtype=torch.bool).random_(0, 1)",
        "torch.normal(torch.tensor([1., 2.]), 0.)",
        "torch.normal(torch.tensor([1., 2.]), torch.zeros(2))",
        "torch.normal(torch.ones(2, 1), torch.zeros(3))",
        "torch.normal(2., torch.zeros(3, dtype=torch.float64))",
        "torch.normal(2., 0., size=(2,))", "torch.normal(2., 0., (2,), dtype=torch.float64)",
        "torch.normal(0, 1, (2,)).dtype", "torch.normal(torch.zeros(0), torch.ones(0))",
        "torch.normal(torch.tensor(1.), torch.tensor(0.))",
        "torch.normal(torch.ones(3, dtype=torch.float64), torch.ones(3)).dtype",
        "torch.normal(0., 1., size=(2, 3), generator=torch.Generator()).shape",
        "torch.normal(0., 1., (2,), requires_grad=True).requires_grad",
        "torch.rand(2, 3, generator=torch.Generator()).shape",
        "torch.randint(0, 5, (3,), generator=torch.Generator()).dtype",
        "torch.rand_like(torch.ones(2), generator=torch.Generator()).shape",
        "torch.randn_like(torch.ones(2, dtype=torch.float64), generator=torch.Generator()).dtype",
        "torch.randint_like(torch.ones(2), 3, generator=torch.Generator()).dtype",
        "torch.randint_like(torch.ones(2), low=1, high=3).dtype",
        "torch.randint_like(torch.ones(2), 1, 2)",
    ]
    return [("random-values", c) for c in out]


def generators():
    out = [
        G + "g.manual_seed(5).initial_seed()", G + "g.manual_seed(-5).initial_seed()",
        G + "g.manual_seed(2**64 - 1).initial_seed()", G + "g.initial_seed()",
        G + "g.device", "torch.Generator(device='cpu').device",
        "torch.Generator(torch.device('cpu')).device",
        G + "type(g.manual_seed(3)).__name__", G + "g.seed() >= 0",
        G + "s = g.get_state()\n(s.dtype, s.dim())",
        G + "g.manual_seed(1)\ns = g.get_state()\na = torch.rand(4, generator=g)\n"
        "g.set_state(s)\nbool((torch.rand(4, generator=g) == a).all())",
        G + "g.manual_seed(1)\na = torch.randn(5, generator=g)\ng.manual_seed(1)\n"
        "bool((torch.randn(5, generator=g) == a).all())",
        G + "g.manual_seed(1)\na = torch.rand(5, generator=g)\n"
        "bool((torch.rand(5, generator=g) == a).all())",
        "torch.manual_seed(3)\na = torch.rand(4)\ntorch.manual_seed(3)\n"
        "bool((torch.rand(4) == a).all())",
        "s = torch.get_rng_state()\na = torch.randn(4)\ntorch.set_rng_state(s)\n"
        "bool((torch.randn(4) == a).all())",
        "torch.manual_seed(9) is torch.default_generator", "torch.manual_seed(9).initial_seed()",
        "torch.manual_seed(9)\ntorch.initial_seed()", "torch.default_generator.device",
        "torch.get_rng_state().dtype", "torch.seed() >= 0",
    ]
    return [("random-generator", c) for c in out]


def autograd():
    methods = ["y.uniform_()", "y.normal_()", "y.bernoulli_(0.5)",
               "y.bernoulli_(torch.full((3,), 0.5))", "y.random_()", "y.random_(5)",
               "y.random_(1, 5)", "y.exponential_()", "y.geometric_(0.5)", "y.cauchy_()",
               "y.log_normal_()"]
    out = [Y + f"{m}\n(type(y.grad_fn).__name__, y._version, y.requires_grad)" for m in methods]
    out += [Y + f"{m}\ntorch.autograd.grad(y.sum(), x)" for m in methods[:2]]
    out += [
        "m = torch.ones(3, requires_grad=True)\ns = torch.ones(3, requires_grad=True)\n"
        "o = torch.normal(m, s)\n(type(o.grad_fn).__name__, torch.autograd.grad(o.sum(), [m, s]))",
        "m = torch.ones(3, requires_grad=True)\no = torch.normal(m, 2.)\n"
        "(type(o.grad_fn).__name__, torch.autograd.grad(o.sum(), m))",
        "s = torch.ones(3, requires_grad=True, dtype=torch.float64)\no = torch.normal(0., s)\n"
        "(type(o.grad_fn).__name__, torch.autograd.grad(o.sum(), s))",
        "m = torch.ones(2, 1, requires_grad=True)\ns = torch.ones(3, requires_grad=True)\n"
        "torch.autograd.grad(torch.normal(m, s).sum(), [m, s])",
        "p = torch.full((3,), .5, requires_grad=True)\no = torch.bernoulli(p)\n"
        "(type(o.grad_fn).__name__, torch.autograd.grad(o.sum(), p))",
        "p = torch.full((3,), .5, requires_grad=True)\n"
        "torch.autograd.grad(torch.bernoulli(p, 0.3).sum(), p)",
        "p = torch.full((3,), .5, requires_grad=True)\ntorch.bernoulli(p, 0.3).requires_grad",
        "r = torch.ones(3, requires_grad=True)\no = torch.poisson(r)\n"
        "(type(o.grad_fn).__name__, torch.autograd.grad(o.sum(), r))",
        "x = torch.ones(3, requires_grad=True)\nx.uniform_()",
        "x = torch.ones(3, requires_grad=True)\nwith torch.no_grad():\n    x.normal_()\n"
        "(x.requires_grad, x.grad_fn, x._version)",
        "x = torch.ones(3)\nx.exponential_()\nx._version",
    ]
    return [("random-autograd", c) for c in out]


def all_cases():
    return errors() + values() + generators() + autograd()
