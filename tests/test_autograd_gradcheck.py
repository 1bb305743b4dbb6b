"""gradcheck / gradgradcheck: they pass on correct rules, catch wrong ones,
honour eps/atol/rtol/raise_exception, warn on float32, and stay fast."""

import time

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.autograd.gradcheck import GradcheckError


def t64(v):
    return nb.tensor(v, dtype=nb.float64, requires_grad=True)


class BadSquare(nb.autograd.Function):
    """x**2 with a backward that is off by 1% (2.02 x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2.02 * g * x


class BadSecondOrder(nb.autograd.Function):
    """x**3 whose backward is right in value but not differentiable correctly."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * g * x.detach() * x.detach()


def test_passes_on_correct_rules_with_several_inputs_and_outputs():
    x, y = t64([[0.5, -1.0], [2.0, 0.3]]), t64([1.5, -0.5])
    assert nb.autograd.gradcheck(lambda a, b: ((a * b).exp(), a / (b * b + 1)), (x, y))
    assert nb.autograd.gradgradcheck(lambda a, b: ((a * b).exp(), a / (b * b + 1)), (x, y))


def test_detects_a_wrong_first_derivative():
    x = t64([1.0, -2.0])
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to "
                                             "input 0,\nnumerical:tensor"):
        nb.autograd.gradcheck(BadSquare.apply, (x,))
    assert isinstance(GradcheckError("x"), RuntimeError)
    assert nb.autograd.gradcheck(BadSquare.apply, (x,), raise_exception=False) is False
    # a 1% error is within rtol=0.05
    assert nb.autograd.gradcheck(BadSquare.apply, (x,), rtol=0.05)


def test_detects_a_wrong_second_derivative():
    x = t64([1.0, -2.0])
    assert nb.autograd.gradcheck(BadSecondOrder.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        nb.autograd.gradgradcheck(BadSecondOrder.apply, (x,))
    assert nb.autograd.gradgradcheck(BadSecondOrder.apply, (x,), raise_exception=False) is False


def test_eps_and_atol_are_used():
    x = t64([1.0])
    # with a huge step the central difference of x**3 is off by eps**2 = 0.25
    assert not nb.autograd.gradcheck(lambda t: t ** 3, (x,), eps=0.5, raise_exception=False)
    assert nb.autograd.gradcheck(lambda t: t ** 3, (x,), eps=0.5, atol=0.3)


def test_float32_inputs_warn():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double "
                                         "precision floating point"):
        assert nb.autograd.gradcheck(lambda t: t * 2, (x,), eps=1e-2, atol=1e-3)


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        nb.autograd.gradcheck(lambda t: t * 2, (nb.ones(2, dtype=nb.float64),))


def test_non_contiguous_input_is_perturbed_in_place_and_restored():
    a = np.linspace(-1, 1, 6).reshape(3, 2)
    x = nb.tensor(a, dtype=nb.float64).t().requires_grad_()
    before = x.detach().numpy().copy()
    assert nb.autograd.gradcheck(lambda t: (t * t).sum(1), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before)


def test_check_batched_grad_compares_with_the_row_by_row_jacobian():
    x = t64(np.linspace(-1, 1, 6).reshape(2, 3))
    assert nb.autograd.gradcheck(lambda t: (t @ t.t()).exp().sum(0), (x,),
                                 check_batched_grad=True)


def test_is_fast_on_a_small_problem():
    x, y = t64(np.linspace(-1, 1, 12).reshape(3, 4)), t64(np.linspace(0.5, 1, 4))

    def f(a, b):
        return (a * b).exp() / (b + 2)
    nb.autograd.gradgradcheck(f, (x, y))   # warm the kernels
    start = time.perf_counter()
    assert nb.autograd.gradgradcheck(f, (x, y))
    assert time.perf_counter() - start < 2.0
