"""nn on a CUDA device (numba's simulator in a child process, as the other CUDA
tests): moving a model, forward and backward equal to the CPU's, state dicts
across devices, nn.init and nn.utils on device tensors.  Skipped without
numba-cuda; NBGRAD_CUDA_TESTS=device runs the same checks on a GPU."""

import os

import numpy as np
import pytest

from tests.test_cuda_harness import in_simulator_process, needs_numba_cuda, run_child


def _model(nb, nn):
    nb.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.LayerNorm(4), nn.Linear(4, 2)).double()


def _forward_backward(nb, m, x):
    out = m(x)
    (out * out).sum().backward()
    return out.detach().cpu().numpy(), [p.grad.cpu().numpy() for p in m.parameters()]


def check_model_moves_and_computes_as_on_the_cpu():
    import nbgrad as nb
    from nbgrad import nn
    cpu, dev = _model(nb, nn), _model(nb, nn)
    w = dev[0].weight
    assert dev.cuda() is dev and dev[0].weight is w
    assert all(p.device.type == "cuda" and isinstance(p, nn.Parameter) for p in dev.parameters())
    x = nb.randn(5, 3, dtype=nb.float64)
    want_out, want_grads = _forward_backward(nb, cpu, x)
    got_out, got_grads = _forward_backward(nb, dev, x.cuda())
    np.testing.assert_allclose(got_out, want_out, rtol=1e-10)
    for g, w_ in zip(got_grads, want_grads):
        np.testing.assert_allclose(g, w_, rtol=1e-10, atol=1e-12)
    dev.cpu()
    assert dev[0].weight.device.type == "cpu" and dev[0].weight.grad.device.type == "cpu"


def check_state_dict_crosses_devices():
    import nbgrad as nb
    from nbgrad import nn
    dev = nn.BatchNorm1d(3).to("cuda")
    dev(nb.randn(4, 3).cuda())
    assert all(b.device.type == "cuda" for b in dev.buffers())
    cpu = nn.BatchNorm1d(3)
    cpu.load_state_dict(dev.state_dict())
    np.testing.assert_allclose(cpu.running_mean.numpy(), dev.running_mean.cpu().numpy())
    assert int(cpu.num_batches_tracked) == 1


def check_init_and_clipping_on_device():
    import nbgrad as nb
    from nbgrad import nn
    m = nn.Linear(20, 10).cuda()
    nn.init.orthogonal_(m.weight)
    q = m.weight.detach().cpu().numpy().astype(np.float64)
    np.testing.assert_allclose(q @ q.T, np.eye(10), atol=1e-5)
    nn.init.kaiming_normal_(m.weight)
    assert m.weight.device.type == "cuda"
    m(nb.ones(2, 20).cuda()).sum().backward()
    total = nn.utils.clip_grad_norm_(m.parameters(), 0.1)
    assert total.device.type == "cuda"
    after = nn.utils.get_total_norm([p.grad for p in m.parameters()])
    assert abs(float(after) - 0.1) < 1e-4


CHECKS = [name for name in dir() if name.startswith("check_")]


def _run_checks():
    import traceback
    out = {}
    for name in CHECKS:
        try:
            globals()[name]()
            out[name] = None
        except BaseException:  # noqa: BLE001 - reported to the parent test
            out[name] = traceback.format_exc()
    return out


@pytest.fixture(scope="module")
def results():
    if in_simulator_process():
        from tests.test_cuda_harness import install
        install()
        return _run_checks()
    return run_child(os.path.abspath(__file__), ["--child"], timeout=900)


def _make_test(name):
    @needs_numba_cuda
    def test(results):
        if results[name] is not None:
            pytest.fail(results[name], pytrace=False)
    test.__name__ = "test_" + name[len("check_"):]
    test.__doc__ = globals()[name].__doc__
    return test


for _name in CHECKS:
    globals()["test_" + _name[len("check_"):]] = _make_test(_name)
del _name


if __name__ == "__main__":
    import json

    from tests.test_cuda_harness import install
    install()
    print(json.dumps(_run_checks()))
