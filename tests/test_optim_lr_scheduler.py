"""nbgrad.optim.lr_scheduler against sequences recorded from PyTorch 2.13: each
scheduler's learning rates (and cycled momentum / beta1) over 30 steps with two
parameter groups, its state_dict keys, ``get_last_lr``; plus state_dict round
trips, the closed form of ``step(epoch)`` and PyTorch's ordering warning."""

import json
import os
import warnings

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.optim import lr_scheduler
from tests.optim_data.problems import scheduler_sequence

with open(os.path.join(os.path.dirname(__file__), "optim_data", "torch_optim.json")) as _f:
    DATA = json.load(_f)


@pytest.mark.parametrize("case", DATA["schedulers"],
                         ids=lambda c: f"{c['scheduler']}-{c['optimizer']}-{len(c['kwargs'])}")
def test_sequence_matches_pytorch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")    # PyTorch's order of calls: no warning
        seq, s = scheduler_sequence(nb, case["optimizer"], case["opt_kwargs"],
                                    case["scheduler"], case["kwargs"], case["metric"])
    np.testing.assert_allclose(seq, case["lrs"], rtol=1e-12, atol=1e-15)
    lrs = np.array(case["lrs"])[:, :2]
    assert np.abs(lrs - lrs[0]).max() > 0      # the recorded schedule changes the lr
    sd = s.state_dict()
    assert sorted(sd) == case["state_keys"]
    assert sd["last_epoch"] == case["last_epoch"]
    assert s.get_last_lr() == pytest.approx(case["last_lr"], rel=1e-12)


def _opt(lr=0.1):
    return nb.optim.SGD([nb.zeros(2, requires_grad=True)], lr=lr, momentum=0.9)


def test_state_dict_round_trip_resumes_the_schedule():
    opt = _opt()
    s = lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=0.01)
    ref = []
    for _ in range(12):
        opt.step()
        s.step()
        ref.append(opt.param_groups[0]["lr"])
    opt2 = _opt()
    s2 = lr_scheduler.CosineAnnealingLR(opt2, T_max=7, eta_min=0.01)
    for _ in range(5):
        opt2.step()
        s2.step()
    saved_sched, saved_opt = s2.state_dict(), opt2.state_dict()
    opt3 = _opt(lr=99.0)
    s3 = lr_scheduler.CosineAnnealingLR(opt3, T_max=7)
    opt3.load_state_dict(saved_opt)
    s3.load_state_dict(saved_sched)
    rest = []
    for _ in range(7):
        opt3.step()
        s3.step()
        rest.append(opt3.param_groups[0]["lr"])
    assert rest == ref[5:]


def test_step_with_epoch_uses_the_closed_form_and_warns():
    opt = _opt()
    s = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        s.step(7)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 2)
    assert s.last_epoch == 7


def test_warns_when_stepped_before_the_optimizer():
    s = lr_scheduler.ExponentialLR(_opt(), gamma=0.5)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()


def test_lambda_lr_state_dict_keeps_callable_objects_state():
    class Warmup:
        def __init__(self):
            self.factor = 2.0

        def __call__(self, epoch):
            return self.factor * epoch

    opt = _opt()
    fn = Warmup()
    s = lr_scheduler.LambdaLR(opt, [fn])
    fn.factor = 3.0
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"factor": 3.0}]
    fn2 = Warmup()
    s2 = lr_scheduler.LambdaLR(_opt(), [fn2])
    s2.load_state_dict(sd)
    assert fn2.factor == 3.0


def test_reduce_on_plateau_state_dict_round_trip():
    opt = _opt()
    s = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    for m in (3.0, 3.0, 3.0):
        s.step(m)
    sd = s.state_dict()
    s2 = lr_scheduler.ReduceLROnPlateau(_opt(), mode="max")
    s2.load_state_dict(sd)
    assert (s2.mode, s2.best, s2.num_bad_epochs, s2.last_epoch) == ("min", 3.0, 0, 3)
    assert s2._is_better(2.0, 3.0) and s.get_last_lr() == [0.025]
