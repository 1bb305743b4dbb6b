"""Custom autograd.Function and kernel_op (a user's @njit kernel pair as an op)."""

import gc
import weakref

import numba
import numpy as np
import pytest

import nbgrad as nb
from nbgrad.ops.registry import REGISTRY


class Exp(nb.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)          # an output: saved without a reference cycle
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class MulConst(nb.autograd.Function):
    @staticmethod
    def forward(ctx, x, c, y):
        ctx.c = c
        ctx.save_for_backward(x, y)
        ctx.seen_needs = ctx.needs_input_grad
        return x * y * c

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g * y * ctx.c if ctx.needs_input_grad[0] else None, None,
                g * x * ctx.c if ctx.needs_input_grad[2] else None)


def t64(v, rg=True):
    return nb.tensor(v, dtype=nb.float64, requires_grad=rg)


def test_function_forward_backward_and_node_name():
    x = t64([0.0, 1.0])
    y = Exp.apply(x)
    assert type(y.grad_fn).__name__ == "ExpBackward" and y.grad_fn.name() == "ExpBackward"
    assert repr(y).endswith("grad_fn=<ExpBackward>)")
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.0, 1.0]))
    assert nb.autograd.gradcheck(Exp.apply, (t64([0.3, -0.2]),))
    assert nb.autograd.gradgradcheck(Exp.apply, (t64([0.3, -0.2]),))


def test_needs_input_grad_and_non_tensor_arguments():
    x, y = t64([1.0, 2.0]), t64([3.0, 4.0], rg=False)
    out = MulConst.apply(x, 2.0, y)
    assert out.grad_fn.needs_input_grad == (True, False, False)
    assert out.grad_fn.seen_needs == (True, False, False)
    out.sum().backward()
    assert x.grad.tolist() == [6.0, 8.0]
    with nb.no_grad():
        assert MulConst.apply(x, 2.0, y).grad_fn is None


def test_saved_tensors_are_version_checked_and_freed():
    x = t64([1.0, 2.0])
    a = x * 1
    out = MulConst.apply(a, 1.0, x)
    a.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: "
                                           r"\[torch.DoubleTensor \[2\]\].*is at version 1; "
                                           r"expected version 0"):
        out.sum().backward()
    out = MulConst.apply(x * 1, 1.0, x)
    out.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.sum().backward()


def test_saved_output_makes_no_reference_cycle():
    x = t64([1.0])
    y = Exp.apply(x)
    node = weakref.ref(y.grad_fn)
    gc.disable()
    try:
        del y
        assert node() is None
    finally:
        gc.enable()


def test_mark_non_differentiable_and_materialize_grads():
    class SortLike(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = nb.arange(x.shape[0])
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            assert g_idx is None or g_idx.tolist() == [0, 0]
            return g * 2

    x = t64([1.0, 2.0])
    y, idx = SortLike.apply(x)
    assert y.requires_grad and not idx.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]

    class Two(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, ga, gb):
            assert gb is None
            return ga

    x = t64([1.0])
    a, b = Two.apply(x)
    a.sum().backward()
    assert x.grad.tolist() == [1.0]


def test_mark_dirty_in_place_function():
    class AddOneInPlace(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = t64([1.0, 2.0])
    y = x * 1
    out = AddOneInPlace.apply(y)
    assert out is y and y.grad_fn.name() == "AddOneInPlaceBackward"
    (y * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and y.tolist() == [2.0, 3.0]
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        AddOneInPlace.apply(t64([1.0]))


def test_backward_errors_name_the_function():
    class WrongCount(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    class WrongShape(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return nb.ones(5, dtype=nb.float64)

    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"WrongCountBackward returned an incorrect number "
                                           r"of gradients \(expected 2, got 1\)"):
        WrongCount.apply(x, x).sum().backward()
    with pytest.raises(RuntimeError, match=r"WrongShapeBackward returned an invalid gradient at "
                                           r"index 0 - got \[5\] but expected shape compatible "
                                           r"with \[2\]"):
        WrongShape.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match="non-static forward"):
        Exp()(x)


def test_once_differentiable_refuses_double_backward():
    class Square(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @nb.autograd.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    x = t64([3.0])
    (g,) = nb.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [6.0] and not g.requires_grad   # as PyTorch: nothing to record
    y = Square.apply(x)
    (g,) = nb.autograd.grad((y * y).sum(), x, create_graph=True)   # incoming grad 2y
    assert g.tolist() == [4 * 27.0] and g.grad_fn.name() == "DelayedError"
    with pytest.raises(RuntimeError, match="differentiate twice a function that was marked "
                                           "with @once_differentiable"):
        g.sum().backward()


def test_setup_context_style():
    class Cube(nb.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * g * x * x

    x = t64([2.0])
    Cube.apply(x).sum().backward()
    assert x.grad.tolist() == [12.0]


# -- kernel_op -------------------------------------------------------------------

@numba.njit(cache=True)
def _cube_fwd(x, out):
    for i in range(x.size):
        out.flat[i] = x.flat[i] ** 3


@numba.njit(cache=True)
def _cube_bwd(g, x, out, gx):
    for i in range(x.size):
        gx.flat[i] = 3.0 * g.flat[i] * x.flat[i] ** 2


@numba.njit(cache=True)
def _axpy_fwd(a, x, y, out):
    for i in range(x.size):
        out.flat[i] = a * x.flat[i] + y.flat[i]


@numba.njit(cache=True)
def _axpy_bwd(g, a, x, y, out, gx, gy):
    for i in range(x.size):
        gx.flat[i] = a * g.flat[i]
        gy.flat[i] = g.flat[i]


@pytest.fixture
def kernel_ops():
    cube = nb.autograd.kernel_op("test_cube", _cube_fwd, _cube_bwd, node="CubeBackward0",
                                 differentiable_backward=lambda g, x, out: 3 * g * x * x)
    cube_once = nb.autograd.kernel_op("test_cube_once", _cube_fwd, _cube_bwd)
    axpy = nb.autograd.kernel_op("test_axpy", _axpy_fwd, _axpy_bwd)
    yield cube, cube_once, axpy
    for name in ("test_cube", "test_cube_once", "test_axpy"):
        REGISTRY.pop(name, None)


def test_kernel_op_is_registered_and_recorded(kernel_ops):
    cube, _, axpy = kernel_ops
    assert REGISTRY["test_cube"] is cube
    with pytest.raises(ValueError, match="declared twice"):
        nb.autograd.kernel_op("test_cube", _cube_fwd, _cube_bwd)
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = cube(x)
    assert y.dtype is nb.float32 and y.tolist() == [1.0, 8.0]
    assert type(y.grad_fn).__name__ == "CubeBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]
    a, b = nb.tensor([1.0, 2.0], dtype=nb.float64, requires_grad=True), nb.tensor([3.0, 4.0])
    out = axpy(2.0, a, b)
    assert out.dtype is nb.float64 and out.tolist() == [5.0, 8.0]
    assert type(out.grad_fn).__name__ == "Test_axpyBackward0"


def test_kernel_op_gradcheck_and_higher_order(kernel_ops):
    cube, cube_once, axpy = kernel_ops
    x = nb.tensor([0.5, -1.5, 2.0], dtype=nb.float64, requires_grad=True)
    y = nb.tensor([0.1, 0.2, 0.3], dtype=nb.float64, requires_grad=True)
    assert nb.autograd.gradcheck(cube, (x,))
    assert nb.autograd.gradgradcheck(cube, (x,))
    assert nb.autograd.gradcheck(lambda a, b: axpy(3.0, a, b), (x, y))
    (g,) = nb.autograd.grad(cube(x).sum(), x, create_graph=True)
    (h,) = nb.autograd.grad(g.sum(), x)
    assert h.tolist() == [3.0, -9.0, 12.0]
    (g,) = nb.autograd.grad(cube_once(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_kernel_op_version_checks_and_errors(kernel_ops):
    cube, _, axpy = kernel_ops
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = cube(a)
    a.add_(1)
    with pytest.raises(RuntimeError, match=r"\[torch.FloatTensor \[2\]\].*is at version 1"):
        y.sum().backward()
    y = cube(x * 1)
    y.mul_(2)    # the saved output changed
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match=r"test_axpy: expected all Tensor arguments to have "
                                           r"the same shape, got \[2\], \[3\]"):
        axpy(1.0, nb.ones(2), nb.ones(3))


def test_kernel_op_in_batched_jacobian(kernel_ops):
    cube = kernel_ops[0]
    x = nb.tensor([1.0, -2.0, 0.5], dtype=nb.float64)
    jac = nb.autograd.functional.jacobian(cube, x, vectorize=True)
    np.testing.assert_allclose(jac.numpy(), np.diag(3 * x.numpy() ** 2))
