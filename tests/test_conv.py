"""Convolutions and pools beyond the op database (tests/opdb/conv.py holds the values,
float64 gradients and second-order gradients; tests/nn_data the modules against
PyTorch): PyTorch's argument errors, the parallel kernels agreeing with the serial
ones, NaN through max pooling, saved-tensor versions, float32, a small CNN on the
CUDA simulator equal to the CPU's (double backward included), and the CNN example."""

import os

import numpy as np
import pytest

import nbgrad as nb
import nbgrad.nn.functional as F
from nbgrad import nn
from tests.test_cuda_harness import in_simulator_process, needs_numba_cuda, run_child


def _t(*shape, seed=0, grad=False):
    return nb.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=grad)


X, W = _t(2, 3, 8, 8), _t(4, 3, 3, 3)

CONV_ERRORS = [
    (lambda: F.conv2d(_t(2, 3), W), RuntimeError,
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: "
     r"\[2, 3\]"),
    (lambda: F.conv2d(_t(2, 5, 8, 8), W), RuntimeError,
     r"Given groups=1, weight of size \[4, 3, 3, 3\], expected input\[2, 5, 8, 8\] to have 3 "
     r"channels, but got 5 channels instead"),
    (lambda: F.conv2d(_t(2, 6, 8, 8), _t(3, 3, 3, 3), groups=2), RuntimeError,
     "expected weight to be divisible by 2 at dimension 0"),
    (lambda: F.conv2d(X, W, _t(5)), RuntimeError,
     r"expected bias to be 1-dimensional with 4 elements, but got bias of size \[5\]"),
    (lambda: F.conv2d(_t(2, 3, 2, 2), W), RuntimeError,
     r"Calculated padded input size per channel: \(2 x 2\). Kernel size: \(3 x 3\). Kernel "
     "size can't be greater than actual input size"),
    (lambda: F.conv2d(X, W, stride=0), RuntimeError, "non-positive stride is not supported"),
    (lambda: F.conv2d(X, W, padding=-1), RuntimeError, "negative padding is not supported"),
    (lambda: F.conv2d(X, W, dilation=0), RuntimeError, "non-positive dilation is not supported"),
    (lambda: F.conv2d(X, W, groups=0), RuntimeError, "non-positive groups is not supported"),
    (lambda: F.conv2d(X, W, stride=2, padding="same"), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(X, W, padding="full"), RuntimeError, "Invalid padding string: 'full'"),
    (lambda: F.conv2d(X.double(), W.float()), RuntimeError,
     "expected scalar type Double but found Float"),
    (lambda: F.conv2d(X, W, _t(4).float()), RuntimeError,
     r"Input type \(double\) and bias type \(float\) should be the same"),
    (lambda: F.conv2d(X.long(), W.long()), NotImplementedError, "conv2d.*'Long'"),
    (lambda: F.conv2d(X, W, stride=(1, 2, 3)), RuntimeError,
     "expected stride to be a single integer value or a list of 2 values"),
    (lambda: F.conv1d(_t(2, 3, 8), W), RuntimeError, "conv1d: expected a 3-dimensional weight"),
    (lambda: F.conv2d(X, 1.0), TypeError, "argument 'weight' must be Tensor, not float"),
]

POOL_ERRORS = [
    (lambda: F.max_pool2d(X, 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and "
     "dilation=1"),
    (lambda: F.max_pool2d(X, 3, stride=0), RuntimeError, "stride should not be zero"),
    (lambda: F.max_pool2d(X, 0), RuntimeError, "kernel size should be greater than zero"),
    (lambda: F.max_pool2d(X, 2, dilation=0), RuntimeError, "dilation should be greater than zero"),
    (lambda: F.max_pool2d(_t(2, 3), 2), RuntimeError, "Expected 3D or 4D"),
    (lambda: F.max_pool2d(_t(1, 1, 1, 1), 3), RuntimeError, "Output size is too small"),
    (lambda: F.avg_pool2d(X, 2, divisor_override=0), RuntimeError, "divisor must be not zero"),
    (lambda: F.avg_pool1d(_t(8), 2), RuntimeError, "Expected 2D or 3D"),
    (lambda: F.adaptive_avg_pool2d(X, (2,)), RuntimeError, "output_size must be 2"),
    (lambda: F.adaptive_avg_pool2d(X, -1), RuntimeError,
     "elements of output_size must be greater than or equal to 0"),
    (lambda: F.adaptive_avg_pool1d(_t(2, 3, 8), (2, 3)), RuntimeError,
     "should contain one int"),
    (lambda: F.adaptive_avg_pool2d(_t(2, 3, 0, 4), 2), RuntimeError,
     "non-zero size for non-batch dimensions"),
    (lambda: F.max_pool2d(X.long(), 2), NotImplementedError, "'Long'"),
]


@pytest.mark.parametrize("call, exc, match", CONV_ERRORS + POOL_ERRORS)
def test_errors_are_pytorchs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_module_errors_and_padding_modes():
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(2, 2, 3, stride=2, padding="same")
    with pytest.raises(NotImplementedError, match="reflect"):   # F.pad's other modes
        nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect")(nb.ones(1, 2, 5, 5))


@pytest.fixture
def parallel(monkeypatch):
    from nbgrad.backends.cpu import elementwise
    monkeypatch.setattr(elementwise, "PARALLEL_THRESHOLD", 0)


def _conv_and_pools(x, w, b):
    y = F.conv2d(x, w, b, stride=(1, 2), padding=1, groups=2)
    return (y, F.max_pool2d(y, 2, 1, 1), F.avg_pool2d(y, 3, 2, 1, ceil_mode=True),
            F.adaptive_avg_pool2d(y, (3, 2)))


def test_parallel_kernels_give_the_serial_results(request):
    def run():
        x, w, b = _t(3, 4, 9, 8, grad=True), _t(6, 2, 3, 3, seed=1, grad=True), _t(6, seed=2,
                                                                                     grad=True)
        outs = _conv_and_pools(x, w, b)
        sum((o * o).sum() for o in outs).backward()
        return [o.detach().numpy() for o in outs] + [x.grad.numpy(), w.grad.numpy(),
                                                      b.grad.numpy()]
    serial = run()
    request.getfixturevalue("parallel")
    for s, p in zip(serial, run()):
        np.testing.assert_array_equal(p, s)


def test_max_pool_propagates_nan_and_picks_the_first_maximum():
    x = nb.tensor([[[1.0, float("nan"), 3.0, 3.0], [-np.inf, -np.inf, 2.0, 2.0]]])
    out, idx = F.max_pool1d(x, 2, return_indices=True)
    assert np.isnan(out.numpy()[0, 0, 0]) and idx.tolist() == [[[1, 2], [0, 2]]]
    assert out.numpy()[0, 1, 0] == -np.inf


def test_in_place_change_of_a_saved_input_is_caught():
    x, w = _t(1, 2, 5, 5), _t(3, 2, 3, 3, grad=True)
    y = F.conv2d(x, w)
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_float32_model_trains_in_float32():
    nb.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.AvgPool2d(2), nn.Flatten(), nn.Linear(12, 2))
    out = m(nb.randn(4, 1, 8, 8))
    assert out.dtype is nb.float32 and tuple(out.shape) == (4, 2)
    out.sum().backward()
    assert all(p.grad.dtype is nb.float32 for p in m.parameters())


def test_gradient_penalty_needs_second_order_through_conv_and_pools():
    """d/dw of |d out / d x|^2: the recorded backward of conv and pools, differentiated."""
    x, w = _t(1, 2, 6, 6, grad=True), _t(3, 2, 3, 3, seed=1, grad=True)

    def penalty(w):
        y = F.avg_pool2d(F.max_pool2d(F.conv2d(x, w, padding=1), 2), 3, padding=1)
        (gx,) = nb.autograd.grad(y.sum(), x, create_graph=True)
        return (gx * gx).sum()
    (gw,) = nb.autograd.grad(penalty(w), w)
    eps, k = 1e-6, (1, 0, 2, 1)
    wp, wm = w.detach().clone(), w.detach().clone()
    wp[k] += eps
    wm[k] -= eps
    fd = (penalty(wp).item() - penalty(wm).item()) / (2 * eps)
    assert abs(gw[k].item() - fd) < 1e-5 * max(1.0, abs(fd))
    assert abs(gw[k].item()) > 1e-3   # a real second-order term, not a zero


def test_cnn_example_reaches_its_stated_accuracy(capsys):
    from nbgrad.examples import cnn
    cnn.main(["--steps", "200"])    # raises SystemExit below the stated accuracy
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("step") for line in lines) == 11   # the loss curve
    loss, acc = cnn.train(steps=200, seed=1, quiet=True)
    assert acc >= cnn.TARGET_ACCURACY and loss < 0.1


def test_cnn_example_check_can_fail():
    from nbgrad.examples import cnn
    with pytest.raises(SystemExit, match="below the stated"):
        cnn.main(["--steps", "1", "--quiet"])


# -- the CUDA simulator --------------------------------------------------------------------
def check_cnn_on_cuda_equals_cpu():
    """Conv2d (groups, 'same') - ReLU - MaxPool2d - AvgPool1d - AdaptiveAvgPool1d:
    output, parameter and input gradients, and a double backward (an input-gradient
    penalty), on cuda as on the CPU.  Small: the simulator's matmul is slow."""
    def model():
        nb.manual_seed(0)
        return nn.Sequential(nn.Conv2d(2, 2, 3, padding="same", groups=2), nn.ReLU(),
                             nn.MaxPool2d(2, ceil_mode=True), nn.Flatten(2),
                             nn.AvgPool1d(2, padding=1),
                             nn.AdaptiveAvgPool1d(2)).double()

    def run(device):
        m = model().to(device)
        x = _t(1, 2, 4, 5).to(device).requires_grad_(True)
        out = m(x)
        (gx,) = nb.autograd.grad((out * out).sum(), x, create_graph=True)
        ((gx * gx).sum() + (out * out).sum()).backward()
        return [out.detach().cpu().numpy(), x.grad.cpu().numpy()] + \
            [p.grad.cpu().numpy() for p in m.parameters()]
    for got, want in zip(run("cuda"), run("cpu")):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def cuda_results():
    if in_simulator_process():
        from tests.test_cuda_harness import install
        install()
        return _run_cuda_checks()
    return run_child(os.path.abspath(__file__), ["--child"], timeout=900)


def _run_cuda_checks():
    import traceback
    try:
        check_cnn_on_cuda_equals_cpu()
        return {"cnn": None}
    except BaseException:  # noqa: BLE001 - reported to the parent test
        return {"cnn": traceback.format_exc()}


@needs_numba_cuda
def test_cnn_on_cuda_equals_cpu(cuda_results):
    if cuda_results["cnn"] is not None:
        pytest.fail(cuda_results["cnn"], pytrace=False)


if __name__ == "__main__":
    import json

    from tests.test_cuda_harness import install
    install()
    print(json.dumps(_run_cuda_checks()))
