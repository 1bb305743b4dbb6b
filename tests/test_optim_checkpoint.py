"""Checkpoints of a training run: ``nb.save`` of the parameters, the optimizer's and the
scheduler's state_dict mid-run, ``nb.load`` in a NEW process (a subprocess), and the
resumed run ends on exactly the parameters of the uninterrupted run (bit for bit).
Also: ``nb.save`` / ``nb.load`` round trips of every optimizer's state_dict."""

import os
import subprocess
import sys

import numpy as np
import pytest

import nbgrad as nb
from tests.optim_data import problems
from tests.optim_data.resume import CASES, build, checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOTAL, SPLIT = 8, 3


def _values(params):
    return [p.detach().numpy().copy() for p in params]


@pytest.mark.parametrize("case", sorted(CASES))
def test_checkpoint_resumed_in_a_new_process(tmp_path, case):
    params, _, _, step = build(case)
    for _ in range(TOTAL):
        step()
    uninterrupted = _values(params)

    params, opt, sched, step = build(case)
    for _ in range(SPLIT):
        step()
    path, out = str(tmp_path / "ck.nbg"), str(tmp_path / "out.nbg")
    nb.save(checkpoint(params, opt, sched), path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [ROOT] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = subprocess.run([sys.executable, "-m", "tests.optim_data.resume", path, out, case,
                           str(TOTAL - SPLIT)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    resumed = [t.numpy() for t in nb.load(out)]
    for a, b in zip(resumed, uninterrupted):
        assert np.array_equal(a, b)
    # the checkpoint was taken mid-run: the resumed part moved the parameters
    assert any(not np.array_equal(a, b) for a, b in zip(resumed, _values(params)))


@pytest.mark.parametrize("name,kw", [("SGD", {"momentum": 0.9}), ("Adam", {"amsgrad": True}),
                                     ("AdamW", {}), ("RMSprop", {"centered": True}),
                                     ("Adagrad", {}), ("LBFGS", {"history_size": 3})])
def test_state_dict_save_load_round_trip(tmp_path, name, kw):
    problem = "rosen" if name == "LBFGS" else "mlp"
    _, _, opt = problems.run_steps(nb, name, kw, problem=problem, steps=3)
    sd = opt.state_dict()
    nb.save(sd, str(tmp_path / "sd.nbg"))
    back = nb.load(str(tmp_path / "sd.nbg"))
    assert problems.describe(back) == problems.describe(sd)
    state = back["state"][0]
    assert all(k in state for k in sd["state"][0])
    assert isinstance(back["param_groups"][0]["params"], list)
