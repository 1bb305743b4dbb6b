"""nb.func: vmap against a loop over samples (one op call per batch, not per sample),
grad/vjp/jvp/jacrev/jacfwd/hessian against loops of autograd.grad, per-sample
gradients of an MLP, functional_call, errors, and docs/func.md's examples."""

import pathlib
import re

import numpy as np
import pytest

import nbgrad as nb
import nbgrad.nn as nn
import nbgrad.nn.functional as F
from nbgrad import autograd
from nbgrad.func import (functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp,
                         vjp, vmap)
from nbgrad.func.rules import RULES
from nbgrad.ops import REGISTRY
from nbgrad.ops.registry import batch_hook

B = 4


def rand(*shape, seed=0):
    return nb.tensor(np.random.default_rng(seed).standard_normal(shape))


def close(a, b, tol=1e-12):
    a, b = np.asarray(a.detach().numpy()), np.asarray(b.detach().numpy())
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def loop(fn, args, in_dims):
    """fn over each sample, stacked (the reference vmap must equal)."""
    size = next(a.shape[d] for a, d in zip(args, in_dims) if d is not None)
    outs = [fn(*[a if d is None else a[(slice(None),) * d + (i,)] for a, d in zip(args, in_dims)])
            for i in range(size)]
    if isinstance(outs[0], tuple):
        return tuple(nb.stack(list(o)) for o in zip(*outs))
    return nb.stack(outs)


IDX = nb.tensor([2, 0, 1])
# (name, function of one sample, logical shapes of its arguments, in_dims)
CASES = [
    ("sin", lambda x: x.sin(), [(3, 2)], (0,)),
    ("add-unbatched", lambda x, y: x + y, [(3,), (2, 3)], (0, None)),
    ("mul-rank", lambda x, y: x * y, [(3,), (2, 3)], (0, 0)),
    ("scalar-ops", lambda x: 2 * x ** 2 - 1 / (x.abs() + 1), [(3,)], (0,)),
    ("where", lambda x, y: nb.where(x > 0, x, y), [(2, 3), (3,)], (0, 0)),
    ("clamp", lambda x: x.clamp(-0.5, 0.5), [(5,)], (0,)),
    ("sum-all", lambda x: x.sum(), [(2, 3)], (0,)),
    ("sum-dim", lambda x: x.sum(-1, keepdim=True), [(2, 3)], (0,)),
    ("mean-dims", lambda x: x.mean((0, 2)), [(2, 3, 4)], (0,)),
    ("amax", lambda x: x.amax(), [(2, 3)], (0,)),
    ("max-all", lambda x: x.max(), [(2, 3)], (0,)),
    ("max-dim", lambda x: x.max(1), [(2, 3)], (0,)),
    ("argmax-all", lambda x: x.argmax(), [(2, 3)], (0,)),
    ("var-std", lambda x: x.var() + x.std(0).sum(), [(3, 4)], (0,)),
    ("norm", lambda x: x.norm() + x.norm(dim=1).sum(), [(3, 4)], (0,)),
    ("logsumexp", lambda x: x.logsumexp(1), [(3, 4)], (0,)),
    ("cumsum", lambda x: x.cumsum(-1) + x.cumprod(0), [(3, 4)], (0,)),
    ("softmax", lambda x: F.softmax(x, -1) + F.log_softmax(x, 0), [(3, 4)], (0,)),
    ("reshape", lambda x: x.reshape(-1, 2).view(2, 6), [(3, 4)], (0,)),
    ("flatten", lambda x: x.flatten(), [(3, 4)], (0,)),
    ("permute", lambda x: x.permute(2, 0, 1) + x.transpose(0, -1).transpose(1, 2), [(2, 3, 4)],
     (0,)),
    ("t-T", lambda x: x.t() @ x.T.t(), [(3, 4)], (0,)),
    ("unsqueeze", lambda x: x.unsqueeze(-1).unsqueeze(0), [(3,)], (0,)),
    ("squeeze", lambda x: x.squeeze() + x.squeeze(1).sum(), [(3, 1, 1)], (0,)),
    ("expand", lambda x: x.expand(2, 3, 4), [(3, 1)], (0,)),
    ("repeat", lambda x: x.repeat(2, 1, 2), [(3, 2)], (0,)),
    ("flip-roll", lambda x: x.flip(0) + x.roll(1) + x.roll(1, 1), [(3, 4)], (0,)),
    ("tril", lambda x: x.tril() + x.triu(1), [(3, 3)], (0,)),
    ("diagonal-trace", lambda x: x.diagonal().sum() + nb.trace(x), [(3, 3)], (0,)),
    ("getitem", lambda x: x[1] + x[..., 0:1].sum() + x[None, :, ::2].sum(), [(3, 4)], (0,)),
    ("getitem-adv", lambda x: x[IDX] + x[:, IDX].sum(), [(3, 3)], (0,)),
    ("cat", lambda x, y: nb.cat([x, y, x], 0), [(2, 3), (1, 3)], (0, None)),
    ("stack", lambda x, y: nb.stack([x, y], -1), [(2, 3), (2, 3)], (None, 0)),
    ("split", lambda x: x.split(2, 1)[1] * 2, [(3, 5)], (0,)),
    ("unbind", lambda x: x.unbind(1)[2], [(3, 4)], (0,)),
    ("gather", lambda x: x.gather(1, nb.tensor([[0, 0], [1, 0]])), [(2, 3)], (0,)),
    ("index_select", lambda x: x.index_select(1, IDX), [(2, 3)], (0,)),
    ("masked_fill", lambda x, m: x.masked_fill(m > 0, 0.), [(2, 3), (3,)], (None, 0)),
    ("matmul-vm", lambda x, w: x @ w, [(3,), (3, 2)], (0, None)),
    ("matmul-mv", lambda w, x: w @ x, [(2, 3), (3,)], (None, 0)),
    ("matmul-both", lambda a, b: a @ b, [(2, 3), (3, 4)], (0, 0)),
    ("matmul-3d", lambda a, b: a @ b, [(5, 2, 3), (3,)], (0, 0)),
    ("matmul-bcast", lambda a, b: a @ b, [(2, 3), (5, 3, 4)], (0, None)),
    ("mm", lambda a, b: nb.mm(a, b), [(2, 3), (3, 4)], (None, 0)),
    ("mv-dot", lambda a, b: nb.mv(a, b).sum() + nb.dot(b, b), [(2, 3), (3,)], (0, 0)),
    ("bmm", lambda a, b: nb.bmm(a, b), [(2, 2, 3), (2, 3, 4)], (0, 0)),
    ("linear", lambda x, w, b: F.linear(x, w, b), [(5, 3), (2, 3), (2,)], (0, None, 0)),
    ("mse", lambda x, y: F.mse_loss(x, y) + F.mse_loss(x, y, reduction="sum"),
     [(2, 3), (2, 3)], (0, 0)),
    ("bce", lambda x, y: F.binary_cross_entropy_with_logits(x, y) +
     F.binary_cross_entropy(x.sigmoid(), y.sigmoid()), [(2, 3), (2, 3)], (0, None)),
    ("cross_entropy", lambda x: F.cross_entropy(x, nb.tensor([2, 0])), [(2, 3)], (0,)),
    ("nll-1d", lambda x: F.nll_loss(x, nb.tensor(1)), [(3,)], (0,)),
    ("layer_norm", lambda x: F.layer_norm(x, (4,)), [(3, 4)], (0,)),
    ("conv2d", lambda x, w: F.conv2d(x, w, padding=1), [(1, 2, 5, 5), (3, 2, 3, 3)], (0, None)),
    ("pools", lambda x: F.max_pool2d(x, 2) + F.avg_pool2d(x, 2), [(1, 2, 4, 4)], (0,)),
    ("addmm", lambda b, x, w: nb.addmm(b, x, w, beta=0.5, alpha=2) + nb.addmm(b, x, w, beta=0),
     [(2,), (5, 3), (3, 2)], (0, None, 0)),
    ("addmv-addr", lambda b, m, v: nb.addmv(b, m, v) + nb.addr(m, b, v, alpha=3).sum(1),
     [(2,), (2, 3), (3,)], (None, 0, 0)),
    ("baddbmm-addbmm", lambda x, a, b: nb.baddbmm(x, a, b, beta=2) + nb.addbmm(x, a, b),
     [(2, 4), (3, 2, 5), (3, 5, 4)], (0, 0, None)),
]


@pytest.mark.parametrize("name, fn, shapes, in_dims", CASES, ids=[c[0] for c in CASES])
def test_vmap_equals_a_loop(name, fn, shapes, in_dims):
    args = [rand(*((B,) + s if d == 0 else s), seed=i) for i, (s, d) in enumerate(
        zip(shapes, in_dims))]
    got, want = vmap(fn, in_dims=in_dims)(*args), loop(fn, args, in_dims)
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        close(g, w)
    assert not batch_hook   # the hook is gone once vmap returns


@pytest.mark.parametrize("name, fn, shapes, in_dims", CASES[:6] + CASES[38:46],
                         ids=[c[0] for c in CASES[:6] + CASES[38:46]])
def test_vmap_gradients_flow_to_the_batched_inputs(name, fn, shapes, in_dims):
    args = [rand(*((B,) + s if d == 0 else s), seed=i).requires_grad_() for i, (s, d) in
            enumerate(zip(shapes, in_dims))]
    got = autograd.grad(vmap(fn, in_dims=in_dims)(*args).sin().sum(), args)
    want = autograd.grad(loop(fn, args, in_dims).sin().sum(), args)
    for g, w in zip(got, want):
        close(g, w)


def test_vmap_runs_each_op_once_for_the_whole_batch():
    calls = []
    op = REGISTRY["matmul"]
    forward = op.forward

    def counting(ctx, *a, **k):
        calls.append(a[0].shape)
        return forward(ctx, *a, **k)
    op.forward = counting
    try:
        vmap(lambda a, b: a @ b)(rand(64, 2, 3), rand(64, 3, 4))
    finally:
        op.forward = forward
    assert calls == [nb.Size([64, 2, 3])]


def test_in_dims_out_dims_and_pytrees():
    x, y = rand(3, B, 2), rand(2)
    out = vmap(lambda d: {"s": d["a"] * d["b"], "t": d["a"].sum()},
               in_dims=({"a": 1, "b": None},), out_dims={"s": 1, "t": 0})({"a": x, "b": y})
    close(out["s"], x * y)
    close(out["t"], x.sum((0, 2)))
    a, b = vmap(lambda v: (v * 2, v.sum()), in_dims=-1, out_dims=(1, 0))(x)
    close(a, (x * 2).permute(0, 2, 1))
    close(b, x.sum((0, 1)))
    # an output that does not depend on the batch is expanded to it
    close(vmap(lambda v: nb.ones(2, dtype=nb.float64))(x[0]), nb.ones(B, 2, dtype=nb.float64))


def test_nested_vmap_equals_a_double_loop():
    x, y = rand(B, 3, 5), rand(3, 5, seed=1)

    def f(a, b):
        return (a * b).sum() + a @ b

    got = vmap(vmap(f, in_dims=(1, 1)), in_dims=(0, None))(x, y)
    want = nb.stack([nb.stack([f(x[i, :, j], y[:, j]) for j in range(5)]) for i in range(B)])
    close(got, want)
    close(vmap(vmap(lambda a: a.cumsum(0), in_dims=1, out_dims=1))(x), x.cumsum(1))


def test_chunk_size_gives_the_same_result():
    x = rand(10, 3)
    close(vmap(lambda v: v.softmax(0), chunk_size=3)(x), vmap(lambda v: v.softmax(0))(x))


def test_vmap_errors():
    x = rand(B, 3)
    with pytest.raises(ValueError, match="same size"):
        vmap(lambda a, b: a + b)(x, rand(B + 1, 3))
    with pytest.raises(ValueError, match="non-Tensor"):
        vmap(lambda a, n: a * n)(x, 2)
    with pytest.raises(ValueError, match="out_dim is None"):
        vmap(lambda a: a, out_dims=None)(x)
    with pytest.raises(RuntimeError, match="data-dependent"):
        vmap(lambda a: a * 2 if a.sum() > 0 else a)(x)
    with pytest.raises(RuntimeError, match="randomness"):
        vmap(lambda a: F.dropout(a, 0.5))(x)
    with pytest.raises(RuntimeError, match="randomness"):
        vmap(lambda a: a, randomness="other")
    assert not batch_hook


def test_an_op_without_a_rule_raises_naming_it(monkeypatch):
    monkeypatch.delitem(RULES, REGISTRY["cumsum"])
    with pytest.raises(NotImplementedError, match="'cumsum'"):
        vmap(lambda a: a.cumsum(0))(rand(B, 3))
    assert not batch_hook


def test_dropout_randomness_same_and_different():
    x = nb.ones(8, 200, dtype=nb.float64)
    nb.manual_seed(0)
    diff = vmap(lambda a: F.dropout(a, 0.5), randomness="different")(x)
    same = vmap(lambda a: F.dropout(a, 0.5), randomness="same")(x)
    assert not bool((diff[0] == diff[1]).all())
    assert bool((same == same[0]).all())
    assert set(np.unique(same.numpy())) <= {0.0, 2.0}


# -- grad, vjp, jvp, jacobians ---------------------------------------------------------
def f_vec(x):
    return (x[:-1] * x[1:]).sin() + x.sum() * x[:-1]


def f_scalar(x, w):
    return ((x @ w).tanh() ** 2).sum() + (x ** 3).sum()


def loop_grad(fn, x):
    x = x.detach().requires_grad_()
    return autograd.grad(fn(x), x)[0]


def loop_jac(fn, x, create_graph=False):
    x = x.detach().requires_grad_()
    y = fn(x)
    return nb.stack([autograd.grad(y[i], x, retain_graph=True, create_graph=create_graph)[0]
                     for i in range(y.shape[0])])


def test_grad_and_argnums_and_aux():
    x, w = rand(5), rand(5, 3, seed=1)
    close(grad(f_scalar)(x, w), loop_grad(lambda v: f_scalar(v, w), x))
    gx, gw = grad(f_scalar, argnums=(0, 1))(x, w)
    close(gw, loop_grad(lambda v: f_scalar(x, v), w))
    g, aux = grad(lambda v: (f_scalar(v, w), v * 2), has_aux=True)(x)
    close(aux, x * 2)
    g2, value = grad_and_value(f_scalar)(x, w)
    close(g2, gx)
    close(value, f_scalar(x, w))
    assert not g2.requires_grad and not value.requires_grad
    d = grad(lambda p: (p["a"] * p["b"]).sum())({"a": x, "b": x * 3})
    close(d["a"], x * 3)
    with pytest.raises(RuntimeError, match="scalar"):
        grad(lambda v: v * 2)(x)


def test_nested_grad_is_the_second_derivative():
    x = rand(4)
    close(grad(lambda v: grad(lambda u: (u ** 3).sum())(v).sum())(x), 6 * x)
    # an outer variable inside the inner function: d/dx (d/dy x*y) = 1
    close(grad(lambda a: grad(lambda b: (a * b).sum())(x).sum())(x), nb.ones_like(x) * 1)


def test_vjp_and_batched_cotangents():
    x = rand(6)
    out, fn = vjp(f_vec, x)
    close(out, f_vec(x))
    ct = rand(5, seed=2)
    (g,) = fn(ct)
    xx = x.detach().requires_grad_()
    close(g, autograd.grad(f_vec(xx), xx, ct)[0])
    close(fn(ct)[0], g)   # may be called again
    close(vmap(fn)(nb.eye(5, dtype=nb.float64))[0], loop_jac(f_vec, x))


def test_jvp_is_the_jacobian_times_the_tangent():
    x, t = rand(6), rand(6, seed=3)
    out, tangent = jvp(f_vec, (x,), (t,))
    close(out, f_vec(x))
    close(tangent, loop_jac(f_vec, x) @ t)
    outs = vmap(lambda tt: jvp(f_vec, (x,), (tt,))[1])(nb.eye(6, dtype=nb.float64))
    close(outs.t(), loop_jac(f_vec, x))


def test_jacrev_jacfwd_hessian_equal_loops():
    x, w = rand(6), rand(6, 3, seed=1)
    close(jacrev(f_vec)(x), loop_jac(f_vec, x))
    close(jacfwd(f_vec)(x), loop_jac(f_vec, x))
    jx, jw = jacrev(lambda a, b: (a @ b).sin(), argnums=(0, 1))(x, w)
    assert jw.shape == (3, 6, 3)
    close(jx, loop_jac(lambda a: (a @ w).sin(), x))
    close(jw.reshape(3, 18), loop_jac(lambda b: (x @ b.reshape(6, 3)).sin(), w.reshape(18)))
    g = lambda v: grad(lambda u: f_scalar(u, w))(v)   # noqa: E731
    close(hessian(lambda v: f_scalar(v, w))(x), loop_jac(g, x))


def test_per_sample_jacobians_under_vmap():
    xs = rand(B, 6)
    close(vmap(jacrev(f_vec))(xs), nb.stack([loop_jac(f_vec, xs[i]) for i in range(B)]))
    close(vmap(hessian(lambda v: (v.sin() * v).sum()))(xs),
          nb.stack([nb.eye(6, dtype=nb.float64) * (2 * xs[i].cos() - xs[i] * xs[i].sin())
                    for i in range(B)]))


# -- per-sample gradients -----------------------------------------------------------------
def _mlp():
    nb.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1)).double()


def test_per_sample_gradients_of_an_mlp_equal_a_loop_of_autograd_grad():
    model = _mlp()
    params = {k: v.detach() for k, v in model.named_parameters()}
    xs, ys = rand(64, 5), rand(64, 1, seed=1)

    def loss(p, x, y):
        return F.mse_loss(functional_call(model, p, (x,)), y)
    got = vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)
    for i in range(64):
        want = autograd.grad(F.mse_loss(model(xs[i]), ys[i]), list(model.parameters()))
        for (name, g), w in zip(got.items(), want):
            close(g[i], w)
    assert float((got["0.weight"][0] - got["0.weight"][1]).abs().max()) > 1e-3


def test_nested_vmap_of_grad_gives_per_sample_per_group_gradients():
    w = rand(3)
    xs = rand(2, B, 3)

    def loss(p, x):
        return (p * x).sin().sum()
    got = vmap(vmap(grad(loss), in_dims=(None, 0)), in_dims=(None, 0))(w, xs)
    want = nb.stack([nb.stack([loop_grad(lambda p: loss(p, xs[i, j]), w) for j in range(B)])
                     for i in range(2)])
    close(got, want)


# -- functional_call --------------------------------------------------------------------
def test_functional_call_swaps_and_restores():
    model = _mlp()
    x = rand(3, 5)
    zeros = {k: nb.zeros_like(v) for k, v in model.named_parameters()}
    close(functional_call(model, zeros, x), nb.zeros(3, 1, dtype=nb.float64))
    assert isinstance(model[0].weight, nn.Parameter) and float(model[0].weight.abs().sum()) > 0
    partial = {"2.bias": nb.ones(1, dtype=nb.float64)}
    close(functional_call(model, partial, (x,)), model(x) - model[2].bias + 1)
    with pytest.raises(RuntimeError, match="Missing key"):
        functional_call(model, partial, (x,), strict=True)
    with pytest.raises(ValueError, match="multiple dictionaries"):
        functional_call(model, (partial, partial), (x,))
    with pytest.raises(TypeError):
        functional_call(model, zeros, (x, x))   # the call raises; the parameters come back
    assert isinstance(model[0].weight, nn.Parameter) and float(model[0].weight.abs().sum()) > 0


def test_functional_call_ties_weights_and_swaps_buffers():
    lin = nn.Linear(3, 3, bias=False).double()
    model = nn.Sequential(lin, nn.Tanh(), lin)
    eye = nb.eye(3, dtype=nb.float64)
    x = rand(2, 3)
    close(functional_call(model, {"0.weight": eye}, (x,)), x.tanh())
    bn = nn.BatchNorm1d(3).double().eval()
    out = functional_call(bn, {"running_mean": nb.ones(3, dtype=nb.float64)}, (x,))
    close(out, (x - 1) / (1 + 1e-5) ** 0.5)
    assert float(bn.running_mean.abs().sum()) == 0


# -- docs -----------------------------------------------------------------------------------
def test_docs_examples_run(capsys):
    page = pathlib.Path(__file__).resolve().parent.parent / "docs" / "func.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    assert blocks
    ns = {"__name__": "docs_func"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"func.md[block {i}]", "exec"), ns)
    assert capsys.readouterr().out
