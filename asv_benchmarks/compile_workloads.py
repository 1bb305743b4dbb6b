"""The workloads of issue 12 (``nb.compile``), each written once against the PyTorch API.

Every ``*_case(torch, ...)`` builds its inputs with the module given as
``torch`` (PyTorch or nbgrad) and returns a `Case`: the step function, its
arguments, and what to reset before each call.  `Case.runner` gives the
zero-argument callable a benchmark times, eagerly or through a compile
function (``nbgrad.compile``).  This module imports neither torch nor nbgrad.

- scalar graph: `scalar_graph.step` (9,998 ops on 0-d float64, forward plus
  ``autograd.grad`` of the 100 inputs);
- tutorial step: ``((x + 2) * (x + 2) * 3).mean().backward()`` on a float32
  leaf x made once (``x.grad = None`` before each call, as
  ``zero_grad(set_to_none=True)`` does), 2x2 and 10,000,000 elements;
- MLP training step: Linear(256, 512) -> ReLU -> Linear(512, 10) on a batch of
  256 float32 rows, cross_entropy, backward, then the SGD update
  ``p -= lr * p.grad`` and ``p.grad = None`` under ``no_grad``.
  Data and weights come from NumPy's generator, so both libraries start from
  the same numbers;
- makemore step (Karpathy's character-level MLP): a minibatch of 32 drawn with
  ``randint`` from 10,000 examples, ``C[X[ix]]`` embedding (27 x 10, 3
  characters), tanh layer of 200, cross_entropy over 27 classes, backward, the
  SGD update by hand (each library draws its minibatches from its own generator).
"""

import numpy as np

from . import scalar_graph

TUTORIAL_SHAPES = {"2x2": (2, 2), "10M": (10_000_000,)}
BATCH, IN, HIDDEN, CLASSES = 256, 256, 512, 10
LR = 0.01


class Case:
    """A step function, its arguments, and a reset run before every call."""

    def __init__(self, fn, args, before=None, compiled=None):
        self.fn, self.args, self.before = fn, args, before
        self.compiled = compiled   # compile_fn -> step: what compiling means, if not fn

    def runner(self, compile_fn=None):
        """Zero-argument callable: one step, eager or through ``compile_fn(fn)``."""
        if compile_fn is None:
            fn = self.fn
        else:
            fn = compile_fn(self.fn) if self.compiled is None else self.compiled(compile_fn)
        args, before = self.args, self.before
        if before is None:
            return lambda: fn(*args)

        def run():
            before()
            return fn(*args)
        return run


def scalar_case(torch, variant=0):
    """The scalar graph: returns (loss, gradients of the 100 inputs)."""
    def scalar_step(xs):
        return scalar_graph.step(torch, xs, variant=variant)
    return Case(scalar_step, (scalar_graph.make_inputs(torch),))


def tutorial_step(torch, x):
    """The seed notebook's step on the leaf x; returns the mean (x.grad is filled)."""
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    return out


def tutorial_case(torch, shape):
    x = torch.ones(*shape, requires_grad=True)

    def reset():
        x.grad = None

    def step(x):
        return tutorial_step(torch, x)
    return Case(step, (x,), reset)


def mlp_model(torch, seed=0):
    """(model, x, target) with weights and data drawn by NumPy (same in both libraries)."""
    rng = np.random.default_rng(seed)
    nn = torch.nn
    model = nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES))
    with torch.no_grad():
        for p in model.parameters():
            bound = 1 / np.sqrt(p.shape[-1] if p.dim() > 1 else HIDDEN)
            p.copy_(torch.tensor(rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))
    x = torch.tensor(rng.standard_normal((BATCH, IN)).astype(np.float32))
    target = torch.tensor(rng.integers(0, CLASSES, BATCH))
    return model, x, target


def mlp_step(torch, model, x, target, lr=LR):
    """Forward, cross_entropy, backward, SGD update; returns the loss."""
    loss = torch.nn.functional.cross_entropy(model(x), target)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
            p.grad = None
    return loss


def mlp_optim_case(torch, seed=0, momentum=0.9):
    """The MLP step with ``torch.optim.SGD`` (momentum) doing the update and
    ``zero_grad()`` after it: a compiled replay calls the optimizer's step."""
    model, x, target = mlp_model(torch, seed)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=momentum)

    def step(x, target):
        loss = torch.nn.functional.cross_entropy(model(x), target)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss
    case = Case(step, (x, target))
    case.model = model
    return case


def mlp_module_case(torch, seed=0):
    """The MLP step as ``torch.compile(model)`` code runs it: the model's forward is
    what is compiled; the loss, ``backward()`` and ``optim.SGD`` run outside."""
    model, x, target = mlp_model(torch, seed)
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def step_of(m):
        def step(x, target):
            loss = torch.nn.functional.cross_entropy(m(x), target)
            loss.backward()
            opt.step()
            opt.zero_grad()
            return loss
        return step
    case = Case(step_of(model), (x, target), compiled=lambda compile_fn: step_of(
        compile_fn(model)))
    case.model = model
    return case


MM_N, MM_VOCAB, MM_BLOCK, MM_EMB, MM_HIDDEN, MM_BATCH = 10_000, 27, 3, 10, 200, 32


def makemore_case(torch, seed=0, lr=0.1):
    """The makemore MLP step; returns the loss."""
    rng = np.random.default_rng(seed)
    X = torch.tensor(rng.integers(0, MM_VOCAB, (MM_N, MM_BLOCK)))
    Y = torch.tensor(rng.integers(0, MM_VOCAB, (MM_N,)))

    def param(shape, scale):
        values = (rng.standard_normal(shape) * scale).astype(np.float32)
        return torch.tensor(values, requires_grad=True)
    C = param((MM_VOCAB, MM_EMB), 1.0)
    W1, b1 = param((MM_BLOCK * MM_EMB, MM_HIDDEN), 0.2), param((MM_HIDDEN,), 0.01)
    W2, b2 = param((MM_HIDDEN, MM_VOCAB), 0.01), param((MM_VOCAB,), 0.0)
    return Case(makemore_step(torch, X, Y, [C, W1, b1, W2, b2], MM_BATCH), (lr,))


def makemore_step(torch, X, Y, params, batch):
    """``step(lr)``: one makemore step (a minibatch of `batch` rows of X drawn with
    randint, their embeddings through the tanh layer, cross_entropy against Y's rows,
    backward, SGD by hand) on `params` = [C, W1, b1, W2, b2]; returns the loss.
    tests/test_compile_random.py runs it too."""
    C, W1, b1, W2, b2 = params
    width = X.shape[1] * C.shape[1]

    def step(lr):
        ix = torch.randint(0, X.shape[0], (batch,))
        emb = C[X[ix]]
        h = torch.tanh(emb.view(-1, width) @ W1 + b1)
        loss = torch.nn.functional.cross_entropy(h @ W2 + b2, Y[ix])
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return loss
    return step


def mlp_case(torch, seed=0):
    model, x, target = mlp_model(torch, seed)

    def step(x, target):
        return mlp_step(torch, model, x, target)
    case = Case(step, (x, target))
    case.model = model
    return case
