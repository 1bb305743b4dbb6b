"""nb.compile's lazy stacks (compiler/gathers.py): a stack read by sum or softmax is
fused into that row; any other reader, a returned stack, an in-place update of a
source or a host op writes the gather first.  Compiled and eager agree to 1e-12."""

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.compiler.interpreter import BUILTINS


def _leaves(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return [nb.tensor(v, dtype=nb.float64, requires_grad=True) for v in rng.normal(size=n)]


def _flat(v):
    if isinstance(v, nb.Tensor):
        return [v.detach().numpy().reshape(-1)]
    return [a for x in v for a in _flat(x)]


def _agree(fn, make_args, calls=3):
    """fn compiled vs eager on fresh arguments, `calls` times; returns the plan's opcodes."""
    compiled = nb.compile(fn)
    for _ in range(calls):
        want, got = fn(*make_args()), compiled(*make_args())
        for a, b in zip(_flat(want), _flat(got), strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
    assert compiled.stats["replays"] == calls - 1
    plan = next(iter(compiled._plans.values()))[0]
    return set((plan.code[:, 0] & 255).tolist())   # the opcode: a word's low 8 bits


def test_sum_and_softmax_of_a_stack_are_single_rows():
    def f(xs):
        a, b, c, d = xs
        t = nb.stack([a, b, c, d]).sum()
        loss = nb.softmax(nb.stack([t * a, b, c, d]), 0)[0]
        return loss, nb.autograd.grad(loss, xs)
    ops = _agree(f, lambda: (_leaves(),))
    assert {BUILTINS["gather_sum"], BUILTINS["gather_softmax"]} <= ops
    assert BUILTINS["gather"] not in ops


def test_a_stack_read_otherwise_is_gathered():
    def f(xs):
        s = nb.stack(xs)
        loss = s.sum() + (s * s).sum() + s[1] * 2   # fused sum, then an elementwise read
        return loss, nb.autograd.grad(loss, xs)
    ops = _agree(f, lambda: (_leaves(),))
    assert BUILTINS["gather"] in ops and BUILTINS["gather_sum"] in ops


def test_a_returned_stack_has_its_values():
    def f(xs):
        s = nb.stack(xs)
        return s.sum(), s
    _agree(f, lambda: (_leaves(),))


@pytest.mark.parametrize("rows", [(2, 3), (3, 1)])
def test_softmax_of_stacked_rows_and_sum_of_stacked_vectors(rows):
    def f(xs):
        s = nb.stack(xs)
        loss = (nb.softmax(s, -1) * nb.stack(xs).sum()).sum()
        return loss, nb.autograd.grad(loss, xs)
    values = np.random.default_rng(1).normal(size=rows)
    _agree(f, lambda: ([nb.tensor(v, requires_grad=True) for v in values],))


def test_in_place_update_of_a_source_after_the_stack():
    def f(x, y):
        s = nb.stack([x, y])
        with nb.no_grad():
            x.add_(1.0)      # the stack keeps the values before the update
        return s.sum(), s.softmax(0)
    def args():
        return nb.tensor(1.0, dtype=nb.float64), nb.tensor(2.0, dtype=nb.float64)
    _agree(f, args)


def test_more_elementwise_ops_than_opcodes_is_unsupported_not_an_error():
    from nbgrad.compiler.interpreter import FIRST_OP, Vocabulary
    from nbgrad.compiler.unsupported import Unsupported

    class Op:   # what a Vocabulary reads of an op before it builds its interpreter
        def __init__(self, name):
            self.name = name
    limit = (256 - FIRST_OP) // 2
    Vocabulary([Op(f"op{k}") for k in range(limit)])   # fits
    with pytest.raises(Unsupported, match="opcodes have 8 bits"):
        Vocabulary([Op(f"op{k}") for k in range(limit + 1)])
