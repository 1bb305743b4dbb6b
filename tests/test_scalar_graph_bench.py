"""The scalar-graph benchmark of issue 12 (asv_benchmarks/): the workload runs in
nbgrad, the recording stand-in sees its 9,998 ops, every round and input reaches
the loss, and the C tape reference computes nbgrad eager's loss and gradients.
The other references of issue 12 (fused tutorial step, kernel-level MLP step)
compute what nbgrad eager computes too."""

import numpy as np
import pytest

import nbgrad as nb
from asv_benchmarks import c_tape, fused_reference, mlp_kernels_reference, scalar_graph


def _live(tape):
    """(inputs reaching the loss, instructions on the loss's graph), walking the tape back."""
    live = {tape.out_slot}
    used = 0
    for row in reversed(tape.code):
        if row[6] in live:
            used += 1
            live.update(int(s) for s in row[1:5])
    return {s for s in live if s < tape.input_values.size}, used


@pytest.fixture(scope="module")
def eager():
    xs = scalar_graph.make_inputs(nb)
    loss, grads = scalar_graph.step(nb, xs)
    return loss, grads


def test_nbgrad_runs_the_scalar_graph(eager):
    loss, grads = eager
    assert loss.dtype == nb.float64 and loss.shape == ()
    assert len(grads) == scalar_graph.N_INPUTS
    assert all(g.shape == () and g.dtype == nb.float64 for g in grads)
    values = np.array([loss.item()] + [g.item() for g in grads])
    assert np.isfinite(values).all()
    # the loss sums four softmax probabilities of different stacks
    assert 0 < loss.item() < 4


@pytest.mark.parametrize("variant", range(len(scalar_graph.STRIDES)))
def test_recorder_counts_the_ops_and_every_input_reaches_the_loss(variant):
    tape = c_tape.record(variant=variant)
    assert tape.n_ops == scalar_graph.N_OPS == 7 * scalar_graph.ROUNDS + 2
    # stack+sum and stack+softmax+select are one instruction each
    assert tape.code.shape == (4 * scalar_graph.ROUNDS + 1, c_tape.WIDTH)
    assert tape.code.dtype == np.int32
    inputs, used = _live(tape)
    assert inputs == set(range(scalar_graph.N_INPUTS))
    assert used == tape.code.shape[0]  # no round is off the loss's graph


@pytest.mark.parametrize("rounds", [1, 2, 10])
def test_recorder_counts_seven_ops_a_round(rounds):
    assert c_tape.record(rounds=rounds).n_ops == 7 * rounds + 2


def test_recorder_refuses_what_the_tape_cannot_run():
    rec = c_tape.Recorder()
    a, b = rec.tensor(1.0), rec.tensor(2.0)
    with pytest.raises(NotImplementedError, match="stack of 2"):
        rec.stack([a, b])


def _ctape(**kwargs):
    try:
        return c_tape.CTape(c_tape.record(**kwargs))
    except c_tape.NoCompiler as e:
        pytest.skip(str(e))


def _assert_matches(ctape, loss, grads):
    got = np.concatenate([[ctape.run()], ctape.input_grads])
    want = np.array([loss.item()] + [g.item() for g in grads])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_c_tape_gives_nbgrad_eagers_loss_and_gradients(eager):
    _assert_matches(_ctape(), *eager)


def test_c_tape_on_another_graph_and_a_short_one():
    for kwargs in ({"variant": 1, "rounds": 300}, {"rounds": 3, "seed": 5}):
        xs = scalar_graph.make_inputs(nb, seed=kwargs.get("seed", 0))
        loss = scalar_graph.scalar_graph(nb, xs, kwargs["rounds"], kwargs.get("variant", 0))
        # 3 rounds read few inputs: the others' gradients are zeros, in C as here
        grads = nb.autograd.grad(loss, xs, allow_unused=True, materialize_grads=True)
        _assert_matches(_ctape(**kwargs), loss, grads)


def test_c_tape_runs_again_with_the_same_results():
    ct = _ctape(rounds=50)
    first = (ct.run(), ct.input_grads.copy())
    assert ct.run() == first[0]
    np.testing.assert_array_equal(ct.input_grads, first[1])  # grads reset, not accumulated
    assert c_tape.per_op_ns(ct, repeat=3) > 0


def test_fused_reference_matches_the_closed_form():
    x = np.linspace(-3, 3, 1000, dtype=np.float32)
    out, g = fused_reference.step(x)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(out, np.mean(3 * (x64 + 2) ** 2), rtol=1e-6)
    np.testing.assert_allclose(g, 6 * (x64 + 2) / x.size, rtol=1e-6, atol=1e-9)
    with pytest.raises(TypeError, match="float32"):
        fused_reference.step(x64)


def test_kernel_level_mlp_step_matches_the_eager_step():
    loss, params = mlp_kernels_reference.check(steps=2)
    assert params == 0.0      # the same kernels on the same values: the same parameters
    assert loss < 1e-6        # the eager loss is float32, the reference's float64
