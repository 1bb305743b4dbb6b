"""Anomaly mode: backward errors and NaNs name the node and where it was recorded."""

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.autograd import anomaly_mode


@pytest.fixture(autouse=True)
def anomaly_off_after():
    yield
    anomaly_mode.FLAGS[:] = [False, True]


class Fails(nb.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        raise ValueError("boom in backward")


def make_the_nan(x):   # a recognisable frame for the recorded traceback
    return x * x          # at x = inf with an incoming gradient of 0: 0 * inf is nan


def test_flags_and_context_managers():
    assert not nb.autograd.is_anomaly_enabled()
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with nb.autograd.detect_anomaly():
            assert nb.autograd.is_anomaly_enabled()
            assert nb.autograd.is_anomaly_check_nan_enabled()
    assert not nb.autograd.is_anomaly_enabled()
    nb.autograd.set_detect_anomaly(True)
    assert nb.autograd.is_anomaly_enabled()
    with nb.autograd.set_detect_anomaly(False):
        assert not nb.autograd.is_anomaly_enabled()
    assert nb.autograd.is_anomaly_enabled()
    nb.autograd.set_detect_anomaly(False)
    assert not nb.autograd.is_anomaly_enabled()

    @nb.autograd.detect_anomaly(check_nan=False)
    def inside():
        return nb.autograd.is_anomaly_enabled(), nb.autograd.is_anomaly_check_nan_enabled()
    with pytest.warns(UserWarning):
        assert inside() == (True, False)


def test_backward_error_names_the_node_and_the_forward_traceback():
    x = nb.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection"):
        with nb.autograd.detect_anomaly():
            y = Fails.apply(x)
            with pytest.warns(UserWarning, match=r"Error detected in FailsBackward\. Traceback "
                                                 r"of forward call that caused the error:"):
                with pytest.raises(ValueError, match="boom in backward") as info:
                    y.sum().backward()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "FailsBackward" in notes and "test_autograd_anomaly.py" in notes
    assert "y = Fails.apply(x)" in notes


def test_nan_in_backward_names_the_node_shape_and_where():
    x = nb.tensor([float("inf"), 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection"):
        with nb.autograd.detect_anomaly():
            y = make_the_nan(x) * 0.0
            with pytest.raises(RuntimeError, match=r"Function 'MulBackward0' returned nan "
                                                   r"values in its 0th output \(shape \[2\]\)"
                                                   r"(.|\n)*make_the_nan"):
                y.sum().backward()


def test_without_anomaly_mode_nothing_is_recorded_or_checked():
    x = nb.tensor([float("inf"), 1.0], requires_grad=True)
    y = make_the_nan(x) * 0.0
    assert getattr(y.grad_fn, "anomaly_trace", None) is None
    y.sum().backward()                     # nan flows silently, as in PyTorch
    assert np.isnan(x.grad.numpy()).tolist() == [True, False]


def test_forward_outside_anomaly_mode_gets_a_hint():
    x = nb.ones(2, requires_grad=True)
    y = Fails.apply(x)
    nb.autograd.set_detect_anomaly(True)
    with pytest.warns(UserWarning, match="No forward pass information available"):
        with pytest.raises(ValueError):
            y.sum().backward()
