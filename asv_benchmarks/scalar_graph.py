"""The scalar-graph workload of issue 12: 9,998 ops on 0-d float64 tensors.

Written once against the PyTorch API, so the same function runs with ``torch``
bound to PyTorch, to nbgrad, or to the recording stand-in of `c_tape` (which
turns it into a tape for the C reference).  Each of the 1,428 rounds reads four
values -- ``a`` the newest, ``b, c, d`` spread over the history -- and appends
one new value:

    s  = softplus(a)                          1 op
    t  = stack([a, b, c, d]).sum()            2 ops
    p  = s * t                                1 op
    sm = softmax(stack([p, b, c, d]), 0)      2 ops
    vals.append(sm[0])                        1 op (select)

and the loss is ``stack(vals[-4:]).sum()`` (2 ops): 1,428 * 7 + 2 = 9,998 ops,
the many-tiny-ops graph where a Python autograd spends its time per op, not in
arithmetic.  Reading the newest value puts every round on the loss's graph (so
backward visits all 9,998 ops) and every input reaches the loss (so
``autograd.grad`` of all 100 inputs is defined).  Reading four spread-out values
instead, as a first draft did, left 1,339 of the 1,428 rounds off the loss's
graph and 6 inputs unused.  This module imports neither torch nor nbgrad.
"""

ROUNDS = 1428
N_INPUTS = 100
N_OPS = 9998  # 7 per round + 2 for the loss; tests count them with c_tape's recorder
# strides of the spread-out reads, one per variant; each reaches all 100 inputs from
# the loss (checked by tests/test_scalar_graph_bench.py)
STRIDES = (7, 9, 17)


def scalar_graph(torch, xs, rounds=ROUNDS, variant=0):
    """The loss of the graph over the 0-d leaves `xs` (``variant`` changes which
    earlier values each round reads: a different graph made of the same ops)."""
    F = torch.nn.functional
    vals = list(xs)
    stride = STRIDES[variant]
    for i in range(rounds):
        n = len(vals)
        a = vals[-1]
        b, c, d = (vals[(stride * i + 13 * k + 1) % n] for k in (1, 2, 3))
        s = F.softplus(a)
        t = torch.stack([a, b, c, d]).sum()
        p = s * t
        sm = torch.softmax(torch.stack([p, b, c, d]), 0)
        vals.append(sm[0])
    return torch.stack(vals[-4:]).sum()


def input_values(n=N_INPUTS, seed=0):
    """`n` deterministic floats in [-2, 2]: linspace, rotated by `seed` places."""
    base = [-2.0 + 4.0 * k / (n - 1) for k in range(n)] if n > 1 else [0.0]
    shift = seed % n
    return base[shift:] + base[:shift]


def make_inputs(torch, n=N_INPUTS, seed=0):
    """`n` 0-d float64 leaves (requires_grad=True) holding `input_values`."""
    return [torch.tensor(v, dtype=torch.float64, requires_grad=True)
            for v in input_values(n, seed)]


def step(torch, xs, rounds=ROUNDS, variant=0):
    """Forward and backward: (loss, gradients of the loss for every input).

    ``autograd.grad`` returns the gradients, so nothing accumulates in ``.grad``
    between calls and a benchmark needs no reset."""
    loss = scalar_graph(torch, xs, rounds, variant)
    grads = torch.autograd.grad(loss, xs)
    return loss, grads
