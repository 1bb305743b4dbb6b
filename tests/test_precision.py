"""Precision at extreme inputs: log_softmax, cross_entropy and logsumexp at huge logits,
and the gradient of norm(p) at tiny and huge inputs.

log_softmax is (x - max) - log(sum(exp(x - max))); x - (max + log sum) cancels for large
logits (cross_entropy([[1e20, 1e20]], [0]) gave 0 and gradient [0, 1], not ln 2 and
[-0.5, 0.5]).  Values and gradients must be within 1e-6 relative of an exact reference,
in float32 and float64, in every kernel variant (a class per row, the classes along an
inner axis, serial and parallel sizes) and on CUDA under Numba's simulator.

The reference is exact: a float is a dyadic rational, so Decimal holds it exactly and
evaluates exp and ln to 80 digits; the logits are shifted by their maximum first (the
shift invariance of softmax), so no huge exponential is ever formed.
"""

import json
import math
import os
from decimal import Decimal, localcontext

import numpy as np
import pytest

import nbgrad as nb
import nbgrad.nn.functional as F
from tests.test_cuda_harness import in_simulator_process, needs_numba_cuda, run_child

RTOL = 1e-6

# logit rows (one case: rows of one length) and the target class of each row
CASES = {
    "issue: two equal 1e20": ([[1e20, 1e20]], [0]),
    "three equal 1e20": ([[1e20, 1e20, 1e20], [1e20, 1e20, 1e20]], [1, 2]),
    "huge and its negative": ([[1e20, 1e20, -1e20], [-1e20, 1e20, 1e20]], [2, 1]),
    "all -1e20": ([[-1e20, -1e20, -1e20]], [0]),
    "mixed huge and small": ([[1e20, 1e-20, -1e20], [3.0, 1e20, -7.5]], [1, 0]),
    "1e14 with fractions (float64)": ([[1e14, 1e14 + 0.5, 1e14 + 1.0],
                                       [1e14 + 0.25, 1e14 - 2.0, 1e14 + 0.125]], [0, 2]),
    "2**22 grid (float32 ulp 0.5)": ([[2.0 ** 22, 2.0 ** 22 + 0.5, 2.0 ** 22 + 1.0],
                                      [2.0 ** 22 + 3.0, 2.0 ** 22, 2.0 ** 22 - 1.5]], [2, 0]),
    "1e7 integers": ([[1e7, 1e7 + 1.0, 1e7 + 3.0], [-1e7, -1e7 - 2.0, -1e7 + 1.0]], [1, 2]),
    "confident: -30 and -60 apart": ([[0.0, -30.0, -60.0], [-60.0, 5.0, -25.0]], [0, 1]),
    "confident and wrong": ([[40.0, 0.0, -40.0], [1e-3, 80.0, 2.0]], [2, 0]),
}
DTYPES = {"float32": (nb.float32, np.float32), "float64": (nb.float64, np.float64)}


def _exact(row):
    """(log_softmax, softmax) of the float row, as Decimals (80 digits)."""
    with localcontext() as ctx:
        ctx.prec = 80
        d = [Decimal(v) for v in row]
        m = max(d)
        e = [(v - m).exp() for v in d]
        s = sum(e)
        lse = s.ln()
        return [(v - m) - lse for v in d], [v / s for v in e]


def _reference(rows, targets):
    """Exact log_softmax, cross_entropy (mean) and its gradient for these float rows."""
    n = len(rows)
    logp, grad, loss = [], [], Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 80
        for row, t in zip(rows, targets):
            lp, p = _exact(row)
            logp.append([float(v) for v in lp])
            grad.append([float((pc - (1 if c == t else 0)) / n) for c, pc in enumerate(p)])
            loss -= lp[t]
        return np.array(logp), float(loss / n), np.array(grad)


def _close(got, want, dtype, what):
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    tiny = float(np.finfo(dtype).tiny)   # a reference below it is 0 in that dtype
    err = np.abs(got - want)
    bad = ~(err <= RTOL * np.abs(want) + tiny)
    assert not bad.any(), (f"{what}: got {got[bad].tolist()}, exact {want[bad].tolist()}, "
                           f"relative error {(err / np.abs(want))[bad].tolist()}")


def _check_cross_entropy(rows, targets, dtype_name, layout, reps, device="cpu"):
    dt, npdt = DTYPES[dtype_name]
    x_np = np.array(rows * reps, npdt)                       # (N, C), values exact in dt
    t_np = np.array(targets * reps, np.int64)
    logp_ref, loss_ref, grad_ref = _reference(x_np.astype(np.float64).tolist(), t_np.tolist())
    if layout == "rows":        # a class per row: the column kernels (B == 1)
        x = nb.tensor(x_np, requires_grad=True, device=device)
        t = nb.tensor(t_np, device=device)
        dim, back = 1, (lambda a: a)
    else:                       # classes along axis 1 of (1, C, N): the block kernels
        x = nb.tensor(x_np.T[None].copy(), requires_grad=True, device=device)
        t = nb.tensor(t_np[None], device=device)
        dim, back = 1, (lambda a: a[0].T)
    assert x.dtype is dt
    logp = F.log_softmax(x.detach(), dim=dim)
    loss = F.cross_entropy(x, t)
    loss.backward()
    what = f"{dtype_name} {layout} x{reps}"
    _close(back(logp.cpu().numpy()), logp_ref, npdt, f"log_softmax {what}")
    _close(loss.item(), loss_ref, npdt, f"cross_entropy {what}")
    _close(back(x.grad.cpu().numpy()), grad_ref, npdt, f"cross_entropy gradient {what}")


@pytest.mark.parametrize("layout", ["rows", "spatial"])
@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
@pytest.mark.parametrize("case", sorted(CASES))
def test_cross_entropy_and_log_softmax_at_extreme_logits(case, dtype_name, layout):
    rows, targets = CASES[case]
    if dtype_name == "float32" and "float64" in case:
        pytest.skip("1e14 + 0.125 is not a float32")
    _check_cross_entropy(rows, targets, dtype_name, layout, 1)


@pytest.mark.parametrize("layout", ["rows", "spatial"])
@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
def test_parallel_kernels_at_extreme_logits(dtype_name, layout):
    # above NBGRAD_PARALLEL_THRESHOLD (65536 elements): the prange kernels
    rows, targets = CASES["mixed huge and small"]
    _check_cross_entropy(rows + CASES["confident and wrong"][0],
                         targets + CASES["confident and wrong"][1], dtype_name, layout, 12000)


def test_the_issue_example_exactly():
    x = nb.tensor([[1e20, 1e20]], requires_grad=True)
    loss = F.cross_entropy(x, nb.tensor([0]))
    loss.backward()
    assert abs(loss.item() - math.log(2)) <= 1e-7 and x.grad.tolist() == [[-0.5, 0.5]]


@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
def test_log_softmax_gradient_of_a_confident_class(dtype_name):
    # d log_softmax(x)_0 / dx = onehot - softmax: 1 - p_0 = p_1 is ~9.4e-14 here, which
    # 1 - exp(log p_0) loses; the kernels take expm1 there
    dt, npdt = DTYPES[dtype_name]
    row = [0.0, -30.0, -45.0]
    x = nb.tensor([row], dtype=dt, requires_grad=True)
    F.log_softmax(x, dim=1)[0, 0].backward()
    _, p = _exact(row)
    _close(x.grad.numpy()[0], [float(1 - p[0]), float(-p[1]), float(-p[2])], npdt,
           "log_softmax gradient")


@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
@pytest.mark.parametrize("case", ["issue: two equal 1e20", "huge and its negative",
                                  "1e14 with fractions (float64)", "1e7 integers",
                                  "2**22 grid (float32 ulp 0.5)"])
def test_logsumexp_value_and_gradient(case, dtype_name):
    # (not a result near 0, such as log(1 + e^-30): it is max + log(sum), accurate to
    # the rounding of the inputs' scale, as PyTorch's, not relative to itself)
    if dtype_name == "float32" and "float64" in case:
        pytest.skip("not float32 values")
    npdt = DTYPES[dtype_name][1]
    rows = np.array(CASES[case][0], npdt)
    x = nb.tensor(rows, requires_grad=True)
    out = nb.logsumexp(x, 1)
    out.sum().backward()
    want_v, want_g = [], []
    with localcontext() as ctx:
        ctx.prec = 80
        for row in rows.astype(np.float64).tolist():
            d = [Decimal(v) for v in row]
            m = max(d)
            want_v.append(float(m + sum((v - m).exp() for v in d).ln()))
            want_g.append([float(p) for p in _exact(row)[1]])
    _close(out.detach().numpy(), want_v, npdt, "logsumexp")
    _close(x.grad.numpy(), want_g, npdt, "logsumexp gradient")


# -- norm(p) gradients --------------------------------------------------------------------
# PyTorch 2.13's gradient of x.norm(p) in float64 for x = [v, 2v, -3v, 0] rounded to
# float32 (recorded once; PyTorch's own float32 gradient is 0 below ~1e-15: its norm
# underflows).  nbgrad's float32 gradient must be this, finite at every scale.
TORCH_NORM_GRAD_FLOAT64 = {
    (3.0, 1.0): [0.0917202013581841, 0.3668808054327364, -0.8254818122236569, 0.0],
    (3.0, 1e-15): [0.0917202062138109, 0.3668808248552436, -0.8254817976567719, 0.0],
    (3.0, 1e-20): [0.09172020135818362, 0.3668808054327345, -0.8254818122236526, 0.0],
    (3.0, 1e-30): [0.09172020135818339, 0.36688080543273355, -0.8254818122236505, 0.0],
    (3.0, 1e-38): [0.09172018564928248, 0.3668807940080772, -0.8254818250763859, 0.0],
    (3.0, 1e+30): [0.0917202082883675, 0.36688083315347, -0.8254817914331147, 0.0],
    (1.5, 1.0): [0.4803129995498851, 0.6792651581475497, -0.8319265187562083, 0.0],
    (1.5, 1e-15): [0.48031300443009245, 0.6792651650492053, -0.8319265125283675, 0.0],
    (1.5, 1e-20): [0.4803129995498845, 0.679265158147549, -0.8319265187562072, 0.0],
    (1.5, 1e-30): [0.48031299954988427, 0.6792651581475486, -0.8319265187562067, 0.0],
    (1.5, 1e-38): [0.48031298135841066, 0.6792651562172508, -0.8319265261068955, 0.0],
    (1.5, 1e+30): [0.4803130065151513, 0.6792651679979237, -0.8319265098675394, 0.0],
    (2.5, 1.0): [0.15547368952744225, 0.43974600064378533, -0.8078649885051578, 0.0],
    (2.5, 1e-15): [0.1554736952951323, 0.43974601695727633, -0.807864975706937, 0.0],
    (2.5, 1e-20): [0.15547368952744287, 0.43974600064378705, -0.8078649885051609, 0.0],
    (2.5, 1e-30): [0.15547368952744317, 0.43974600064378794, -0.8078649885051625, 0.0],
    (2.5, 1e-38): [0.1554736701053605, 0.4397459919259952, -0.8078650007910534, 0.0],
    (2.5, 1e+30): [0.15547369775936304, 0.43974602392717344, -0.8078649702389187, 0.0],
    (4.0, 1.0): [0.03210557432291621, 0.2568445945833297, -0.8668505067187378, 0.0],
    (4.0, 1e-15): [0.03210557713255004, 0.2568446170604003, -0.8668504907974792, 0.0],
    (4.0, 1e-20): [0.03210557432291621, 0.2568445945833297, -0.8668505067187376, 0.0],
    (4.0, 1e-30): [0.03210557432291621, 0.2568445945833297, -0.8668505067187379, 0.0],
    (4.0, 1e-38): [0.03210556578409521, 0.25684458026014495, -0.8668505191138012, 0.0],
    (4.0, 1e+30): [0.032105578332959656, 0.25684462666367724, -0.8668504839951579, 0.0],
}
TORCH_NORM3_GRAD_FLOAT32 = [0.09172019362449646, 0.36688077449798584, -0.8254817724227905, 0.0]


@pytest.mark.parametrize("key", sorted(TORCH_NORM_GRAD_FLOAT64), ids=str)
@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
def test_norm_gradient_at_tiny_and_huge_inputs(key, dtype_name):
    p, v = key
    dt = DTYPES[dtype_name][0]
    x = nb.tensor(np.array([v, 2 * v, -3 * v, 0.0], np.float32), dtype=dt, requires_grad=True)
    x.norm(p=p).backward()
    g = x.grad.numpy()
    assert np.isfinite(g).all(), g
    # float32 keeps ~7 digits of x / norm; 1e-38 is partly subnormal (fewer bits)
    rtol = 1e-12 if dtype_name == "float64" else (1e-4 if v == 1e-38 else 2e-6)
    np.testing.assert_allclose(g, TORCH_NORM_GRAD_FLOAT64[key], rtol=rtol, atol=0)


def test_norm3_float32_gradient_matches_pytorch_float32():
    x = nb.tensor([1.0, 2.0, -3.0, 0.0], requires_grad=True)
    x.norm(p=3).backward()
    np.testing.assert_allclose(x.grad.numpy(), TORCH_NORM3_GRAD_FLOAT32, rtol=1e-6)


# ---------------------------------------------------------------- CUDA (simulator)
def check_cuda_extreme_logits():
    for case in ("issue: two equal 1e20", "mixed huge and small", "2**22 grid (float32 ulp 0.5)",
                 "confident: -30 and -60 apart", "confident and wrong"):
        rows, targets = CASES[case]
        for dtype_name in sorted(DTYPES):
            for layout in ("rows", "spatial"):
                _check_cross_entropy(rows, targets, dtype_name, layout, 1, device="cuda")


def check_cuda_logsumexp_gradient():
    x = nb.tensor([[1e20, 1e20], [1e7, 1e7 + 1.0]], device="cuda", requires_grad=True)
    nb.logsumexp(x, 1).sum().backward()
    e = 1.0 / (1.0 + math.e)
    _close(x.grad.cpu().numpy(), [[0.5, 0.5], [e, 1.0 - e]], np.float32, "logsumexp gradient")


CHECKS = [name for name in dir() if name.startswith("check_")]


def _run_checks():
    import traceback
    out = {}
    for name in CHECKS:
        try:
            globals()[name]()
            out[name] = None
        except BaseException:  # noqa: BLE001 - reported to the parent process
            out[name] = traceback.format_exc()
    return out


@pytest.fixture(scope="module")
def cuda_results():
    if in_simulator_process():
        from tests.test_cuda_harness import install
        install()
        return _run_checks()
    return run_child(os.path.abspath(__file__), ["--child"], timeout=900)


@needs_numba_cuda
@pytest.mark.parametrize("name", CHECKS)
def test_cuda(cuda_results, name):
    """The CUDA kernels (simulator) give the same precision."""
    if cuda_results[name] is not None:
        pytest.fail(cuda_results[name], pytrace=False)


if __name__ == "__main__":
    from tests.test_cuda_harness import install
    install()
    print(json.dumps(_run_checks()))
