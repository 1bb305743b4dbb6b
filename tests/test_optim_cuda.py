"""nbgrad.optim on the CUDA device (numba's simulator in CI): each optimizer's steps on
cuda parameters equal the CPU's (1e-12 in float64, 1e-5 in float32), state buffers
stay on the device, and one launch updates a whole group.  Runs in a child process
(the simulator is chosen before Numba is imported)."""

import os

import pytest

from tests.test_cuda_harness import needs_numba_cuda, run_child

CHILD = os.path.join(os.path.dirname(__file__), "optim_data", "cuda_child.py")


@pytest.fixture(scope="module")
def results():
    return run_child(CHILD, timeout=900)


@needs_numba_cuda
def test_cuda_steps_equal_cpu(results):
    steps = {k: v for k, v in results.items() if not k.startswith("launches")}
    assert len(steps) == 10
    for case, (diff, dtype, on_device) in steps.items():
        assert diff <= (1e-5 if dtype == "float32" else 1e-12), case
        assert on_device, case


@needs_numba_cuda
def test_one_launch_per_group(results):
    launches = {k: v for k, v in results.items() if k.startswith("launches")}
    assert launches == {f"launches {n}": 2 for n in ("SGD", "Adam", "RMSprop", "Adagrad")}
