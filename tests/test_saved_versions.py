"""No silently wrong gradient after an in-place change, for every op.

For every op-database sample, every tensor the op touches (each tensor
argument, differentiable or not, and each output) is changed in place after
the forward; backward must then either raise PyTorch's "modified by an inplace
operation" RuntimeError (the op saved that tensor) or give exactly the
gradient of the unchanged graph (the op did not need it).  A backward that
reads the changed values and returns another gradient fails the test.
"""

import numpy as np
import pytest

import nbgrad as nb
from tests.opdb import ALL_OPS
from tests.test_ops import _sample, _to_tensors

CASES = [(info, i) for info in ALL_OPS if info.grad
         for i in range(len(info.samples(np.random.default_rng(0))))]


def _ids(case):
    info, i = case
    return f"{info.id}-{i}"


def _run(info, sample):
    """Fresh tensors, the forward, and (args, differentiable inputs, outputs)."""
    args = _to_tensors(sample, np.float64, True)
    out = info.call(*args, **sample.kwargs)
    outs = list(out) if isinstance(out, tuple) else [out]
    inputs = [a for a in args if isinstance(a, nb.Tensor) and a.requires_grad]
    return args, inputs, outs


def _targets(args, outs):
    """Where each candidate for an in-place change sits: ('arg', k) or ('out', k)."""
    found = [("arg", k) for k, a in enumerate(args) if isinstance(a, nb.Tensor)]
    found += [("out", k) for k, o in enumerate(outs) if isinstance(o, nb.Tensor)]
    return found


def _gradients(inputs, outs):
    root = outs[0]
    v = nb.tensor(np.random.default_rng(1).standard_normal(tuple(root.shape)))
    return nb.autograd.grad(root, inputs, v, allow_unused=True)


def _change_in_place(t):
    """Change every element of `t` in place (False where PyTorch would refuse)."""
    try:
        with nb.no_grad():
            if t.is_floating_point():
                t.mul_(1.5).add_(0.25)
            elif t.dtype is nb.bool:
                t[...] = t == False   # noqa: E712  (element-wise not)
            elif t.numel() > 1:
                t[...] = t.flip(-1)
            else:
                t.mul_(1)   # same value, but still a new version
    except RuntimeError:    # e.g. an expanded (overlapping) output: refused
        return False
    return True


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_inplace_change_after_forward_raises_or_is_harmless(case):
    info, i = case
    sample = _sample(info, i)
    args, inputs, outs = _run(info, sample)
    if not outs[0].requires_grad:
        pytest.skip("output does not require grad")
    want = _gradients(inputs, outs)
    for where, k in _targets(args, outs):
        args, inputs, outs = _run(info, sample)
        target = args[k] if where == "arg" else outs[k]
        if not _change_in_place(target):
            continue
        try:
            got = _gradients(inputs, outs)
        except RuntimeError as e:
            assert "modified by an inplace operation" in str(e), str(e)
            continue
        for w, g in zip(want, got):
            assert (w is None) == (g is None), (where, k)
            if w is not None:
                np.testing.assert_array_equal(g.numpy(), w.numpy(),
                                              err_msg=f"{where} {k} changed in place: the "
                                              "gradient read the new values")


# -- the cases of the issue, each by name: saved outputs and saved index/mask arguments --------
def _output_changed(f):
    def case():
        x = nb.rand(3, 4, requires_grad=True, dtype=nb.float64)
        y = f(x)
        y.add_(1)
        y.sum().backward()
    return case


def _argument_changed(f, arg, change):
    def case():
        w = nb.rand(5, requires_grad=True)
        a = arg()
        y = f(w, a)
        change(a)
        y.sum().backward()
    return case


def _index():
    return nb.tensor([0, 1])


def _mask():
    return nb.tensor([True, False, True, False, True])


def _flip_first(m):
    m[0] = False


def _max_dim_indices_changed():
    """max(dim) saves its indices (not its values, as PyTorch)."""
    x = nb.rand(3, 4, requires_grad=True)
    values, indices = x.max(1)
    indices.zero_()
    values.sum().backward()


ISSUE_CASES = {
    "exp": _output_changed(lambda x: x.exp()),
    "sigmoid": _output_changed(lambda x: x.sigmoid()),
    "tanh": _output_changed(lambda x: x.tanh()),
    "sqrt": _output_changed(lambda x: x.sqrt()),
    "rsqrt": _output_changed(lambda x: x.rsqrt()),
    "reciprocal": _output_changed(lambda x: x.reciprocal()),
    "expm1": _output_changed(lambda x: x.expm1()),
    "relu": _output_changed(lambda x: x.relu()),
    "softmax": _output_changed(lambda x: x.softmax(1)),
    "log_softmax": _output_changed(lambda x: x.log_softmax(1)),
    "logsumexp": _output_changed(lambda x: x.logsumexp(1)),
    "norm": _output_changed(lambda x: x.norm()),
    "prod": _output_changed(lambda x: x.prod()),
    "cumprod": _output_changed(lambda x: x.cumprod(1)),
    "amax": _output_changed(lambda x: x.amax(1)),
    "max": _output_changed(lambda x: x.max()),
    "max_dim_indices": lambda: _max_dim_indices_changed(),
    "std": _output_changed(lambda x: x.std()),
    "pow_scalar_base": _output_changed(lambda x: nb.pow(2.0, x)),
    "w[i]": _argument_changed(lambda w, i: w[i], _index, lambda i: i.add_(1)),
    "index_select": _argument_changed(lambda w, i: w.index_select(0, i), _index,
                                      lambda i: i.add_(1)),
    "index_put": _argument_changed(lambda w, i: (w * 1).index_put((i,), nb.ones(2)), _index,
                                   lambda i: i.add_(1)),
    "masked_fill": _argument_changed(lambda w, m: w.masked_fill(m, 0.0), _mask, _flip_first),
    "w[m]": _argument_changed(lambda w, m: w[m], _mask, _flip_first),
}


@pytest.mark.parametrize("name", list(ISSUE_CASES))
def test_saved_tensor_changed_in_place_raises_pytorch_error(name):
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[torch\.\w+Tensor "
                                           r"\[[0-9, ]*\]\].* is at version \d+; expected "
                                           r"version 0 instead"):
        ISSUE_CASES[name]()


def test_unchanged_saved_tensors_still_backward():
    x = nb.rand(3, requires_grad=True)
    y = x.exp()
    z = y * 1
    z.add_(1)                 # a tensor nobody saved: changing it is fine
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()), rtol=1e-6)


def test_changes_through_data_are_hidden_and_through_detach_are_checked():
    """PyTorch: ``.data`` has its own version counter, ``detach()`` shares it."""
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.data.mul_(2)            # hidden from autograd: backward uses the new values
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)
    y = x.exp()
    y.detach().mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("through", ["itself", "view", "detach", "data"])
def test_a_saved_input_is_checked_through_aliases_made_after_the_forward(through):
    """An elementwise node keeps no version counter for the inputs it saves (it reads
    the tensor's version at backward): a view or detach() made later shares the
    counter they then get, so a change through them raises as in PyTorch; ``.data``
    stays hidden.  `x` has no counter before the forward."""
    x = nb.tensor([1.0, 2.0], dtype=nb.float64, requires_grad=True).clone()
    w = nb.tensor([3.0, 4.0], dtype=nb.float64, requires_grad=True)
    assert x._version_counter is None
    y = x * w                 # saves x (w's gradient reads it) and w
    assert x._version_counter is None and w._version_counter is None
    alias = {"itself": lambda: x, "view": lambda: x[:1], "detach": lambda: x.detach(),
             "data": lambda: x.data}[through]()
    with nb.no_grad():
        alias.mul_(2)
    if through == "data":     # hidden from autograd: w's gradient reads the new values
        np.testing.assert_allclose(nb.autograd.grad(y.sum(), w)[0].numpy(), [2.0, 4.0])
        return
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: "
                                           r"\[torch\.DoubleTensor \[2\]\], which is output 0 "
                                           r"of \w+, is at version 1; expected "
                                           r"version 0 instead"):
        y.sum().backward()


def test_outputs_that_no_backward_reads_may_change():
    """As in PyTorch: max(dim)'s values and var's result are not saved."""
    x = nb.rand(3, 4, requires_grad=True, dtype=nb.float64)
    values, _ = x.max(1)
    values.add_(1)
    values.sum().backward()
    v = x.var()
    v.add_(1)
    v.backward()
