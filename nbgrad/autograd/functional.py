"""``nb.autograd.functional``: vjp, jvp, jacobian, hessian, hvp and vhp.

The same functions, arguments, results and strict-mode errors as
``torch.autograd.functional``.  Everything is built on `autograd.grad`:
- jvp and hvp use the double-vjp trick (the backward is linear in the
  incoming gradient, so differentiating it again gives forward products);
- ``jacobian(..., vectorize=True)`` (and ``hessian``) runs ONE batched backward
  over the standard basis (``grad(..., is_grads_batched=True)``) instead of
  one backward per output element.
"""

from nbgrad.autograd import function, grad_mode
from nbgrad.autograd.buffers import zeros, zeros_like
from nbgrad.autograd.engine import grad
from nbgrad.backends import dispatch
from nbgrad.tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(inp, arg_name=None, fn_name=None):
    if arg_name is None:
        return inp if isinstance(inp, tuple) else \
            tuple(inp) if isinstance(inp, list) else (inp,)
    is_tuple = isinstance(inp, tuple)
    if not is_tuple:
        inp = (inp,)
    for i, el in enumerate(inp):
        if not isinstance(el, Tensor):
            where = f"the value at index {i} has type {type(el)}" if is_tuple else \
                f"the given {arg_name} has type {type(el)}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but {where}.")
    return is_tuple, inp


def _tuple_postprocess(res, to_unpack):
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph, need_graph):
    # always new Tensor objects: inputs captured by `func` from outside must not
    # be confused with the ones given as arguments
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view_as(inp))
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs, create_graph):
    if isinstance(inputs[0], Tensor):
        return inputs if create_graph else tuple(inp.detach() for inp in inputs)
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but "
                               f"got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.shape != el_other.shape:
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.shape} but "
                               f"got {el_v.shape}.")


_NOT_REQUIRING = {
    "hessian": ("The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should "
                "ensure that your function is thrice differentiable and that the hessian "
                "depends on the inputs."),
    "jacobian": ("While computing the hessian, found that the jacobian of the user-provided "
                 "function with respect to input {i} is independent of the input. This is not "
                 "allowed in strict mode. You should ensure that your function is twice "
                 "differentiable and that the jacobian depends on the inputs (this would be "
                 "violated by a linear function for example)."),
    "grad_inputs": ("The gradient with respect to input {i} is independent of the inputs of "
                    "the user-provided function. This is not allowed in strict mode."),
    "outputs": ("Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when "
                "running in strict mode."),
}


def _check_requires_grad(inputs, input_type, strict):
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not inp.requires_grad:
            raise RuntimeError(_NOT_REQUIRING[input_type].format(i=i))


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None,
                   is_grads_batched=False):
    # autograd.grad that skips outputs which are None or need no grad
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    new_outputs, new_grad_outputs = [], []
    for out, g in zip(outputs, grad_outputs):
        if out is not None and out.requires_grad:
            new_outputs.append(out)
            new_grad_outputs.append(g)
    if not new_outputs:
        return (None,) * len(inputs)
    return grad(new_outputs, inputs, new_grad_outputs, allow_unused=True,
                create_graph=create_graph, retain_graph=retain_graph,
                is_grads_batched=is_grads_batched)


_ZERO_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
            "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward "
                         "mode AD.",
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MESSAGES[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        res.append(g)
    return tuple(res)


def _prepare_v(v, refs, is_tuple, fn_name, create_graph, what):
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, refs, is_tuple)
    elif len(refs) != 1 or refs[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if {what} a single Tensor with a "
                           "single element.")
    return v


def _prepare_inputs(inputs, fn_name, create_graph):
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    return is_inputs_tuple, _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)


def _call(func, inputs, fn_name, strict):
    """`func(*inputs)` as a tuple of outputs, checked to require grad in strict mode."""
    is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                          fn_name)
    _check_requires_grad(outputs, "outputs", strict=strict)
    return is_outputs_tuple, outputs


def _last_backward(outputs, inputs, v, refs, strict, create_graph, stage):
    """The final backward (graph kept only when `create_graph`), None grads filled with zeros."""
    with grad_mode.set_grad_enabled(True if create_graph else grad_mode.is_grad_enabled()):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        return _fill_in_zeros(grad_res, refs, strict, create_graph, stage)


def _products(outputs, is_outputs_tuple, result, is_result_tuple, create_graph):
    """The ``(func(inputs), product)`` pair that vjp/jvp/vhp/hvp return."""
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(result, is_result_tuple))


def _jacobian_product(name, func, inputs, v, create_graph, strict):
    """vjp (``v^T J``: one backward of the outputs) or jvp (``J v``: the
    double-vjp trick, a backward of the outputs' vjp against zeros), with
    ``func(inputs)``; v is checked where PyTorch checks it (jvp: before the call)."""
    forward = name == "jvp"
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _prepare_inputs(inputs, name, create_graph)
        if forward:
            v = _prepare_v(v, inputs, is_inputs_tuple, name, create_graph,
                           "the input to the user-provided function is")
        is_outputs_tuple, outputs = _call(func, inputs, name, strict)
        if forward:
            # the backward is linear in these: their value never matters (zeros: no nan/inf)
            wrt = tuple(zeros_like(out, requires_grad=True) for out in outputs)
            last = _autograd_grad(outputs, inputs, wrt, create_graph=True)
            _check_requires_grad(last, "grad_inputs", strict=strict)
            refs, stage, is_result_tuple = outputs, "back_trick", is_outputs_tuple
        else:
            v = _prepare_v(v, outputs, is_outputs_tuple, name, create_graph,
                           "the user-provided function returns")
            last, wrt, refs, stage, is_result_tuple = outputs, inputs, inputs, "back", \
                is_inputs_tuple
    result = _last_backward(last, wrt, v, refs, strict, create_graph, stage)
    return _products(outputs, is_outputs_tuple, result, is_result_tuple, create_graph)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: a vector-Jacobian product.

    >>> x = nb.tensor([1.0, 2.0])
    >>> nb.autograd.functional.vjp(lambda t: t * t, x, nb.ones(2))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    return _jacobian_product("vjp", func, inputs, v, create_graph, strict)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: a Jacobian-vector product (by the double-vjp trick).

    >>> x = nb.tensor([1.0, 2.0])
    >>> nb.autograd.functional.jvp(lambda t: t * t, x, nb.ones(2))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    return _jacobian_product("jvp", func, inputs, v, create_graph, strict)


def _standard_basis(outputs):
    """Per output, a (N, *output.shape) tensor: its rows of the N x N identity,
    N the total number of output elements."""
    numels = [o.numel() for o in outputs]
    total = sum(numels)
    chunks, start = [], 0
    for o, n in zip(outputs, numels):
        # on the output's device: the batched backward must not mix devices
        b = dispatch.backend(o.device)
        buf = b.empty((total, n), o.dtype.np)
        if buf.size:
            b.fill(buf, 0)
            b.creation.eye(b.getitem(buf, slice(start, start + n)))
        chunks.append(Tensor._make(b.reshape(buf, (total,) + tuple(o.shape)), o.dtype,
                                   o.device))
        start += n
    return chunks, numels


def _jacobian_vectorized(outputs, inputs, create_graph):
    grad_outputs, numels = _standard_basis(outputs)
    total = sum(numels)
    vj = list(_autograd_grad(outputs, inputs, grad_outputs, create_graph=create_graph,
                             is_grads_batched=True))
    for k, g in enumerate(vj):
        if g is None:
            vj[k] = zeros((total,) + tuple(inputs[k].shape), inputs[k].dtype, inputs[k].device)
    jac = []   # jac[i][j]: output i, input j
    for i, out in enumerate(outputs):
        start = sum(numels[:i])
        row = []
        for j, inp in enumerate(inputs):
            block = vj[j] if len(outputs) == 1 else vj[j][start:start + numels[i]]
            row.append(block.reshape(tuple(out.shape) + tuple(inp.shape)))
        jac.append(tuple(row))
    return tuple(jac)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of `func` at `inputs`, shaped ``output.shape + input.shape``.

    ``vectorize=True`` computes it with one batched backward pass.

    >>> x = nb.tensor([1.0, 2.0])
    >>> nb.autograd.functional.jacobian(lambda t: t * t, x, vectorize=True)
    tensor([[2., 0.],
            [0., 4.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                         'Hint: If your function has more outputs than inputs, "forward-mode" '
                         'tends to be more performant. Otherwise, prefer to use '
                         '"reverse-mode".')
    if strategy == "forward-mode":
        raise NotImplementedError('jacobian: strategy="forward-mode" needs forward-mode AD, '
                                  'which nbgrad does not have; use strategy="reverse-mode"')
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _prepare_inputs(inputs, "jacobian", create_graph)
        is_outputs_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if vectorize:
            if strict:
                raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                                   "`vectorized=True` are not supported together. Please "
                                   "either set `strict=False` or `vectorize=False`.")
            jac = _jacobian_vectorized(outputs, inputs, create_graph)
            jac = _grad_postprocess(jac, create_graph)
            return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))
        jac = tuple(_jacobian_rows(i, out, inputs, create_graph, strict)
                    for i, out in enumerate(outputs))
        jac = _grad_postprocess(jac, create_graph)
        return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def _jacobian_rows(i, out, inputs, create_graph, strict):
    """Output `i`'s Jacobian blocks, one per input: a backward pass per element."""
    rows = tuple([] for _ in inputs)
    flat = out.reshape(-1)
    for j in range(out.numel()):
        vj = _autograd_grad((function.select(flat, j),), inputs, retain_graph=True,
                            create_graph=create_graph)
        for k, (g, inp) in enumerate(zip(vj, inputs)):
            if g is not None:
                if strict and create_graph and not g.requires_grad:
                    raise RuntimeError(
                        "The jacobian of the user-provided function is independent of "
                        f"input {i}. This is not allowed in strict mode when "
                        "create_graph=True.")
            else:
                if strict:
                    raise RuntimeError(
                        f"Output {i} of the user-provided function is independent of "
                        f"input {k}. This is not allowed in strict mode.")
                g = zeros_like(inp)
            rows[k].append(g)
    return tuple(
        (function.stack(r) if r else zeros((0,) + tuple(inputs[k].shape),
                                           inputs[k].dtype, inputs[k].device))
        .reshape(tuple(out.shape) + tuple(inputs[k].shape))
        for k, r in enumerate(rows))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function `func` at `inputs`.

    >>> x = nb.tensor([1.0, 2.0])
    >>> nb.autograd.functional.hessian(lambda t: (t ** 3).sum(), x)
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp):
        _, (out,) = _scalar_function_output(func, inp, "hessian", strict)
        return out.reshape(())

    def jac_func(*inp):
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _scalar_function_output(func, inputs, name, strict):
    is_outputs_tuple, outputs = _call(func, inputs, name, strict)
    if is_outputs_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {name} should "
                           f"contain a single element (got shape {list(outputs[0].shape)})")
    return is_outputs_tuple, outputs


def _hessian_product(name, func, inputs, v, create_graph, strict):
    """vhp (``v^T H``: one more backward of the gradient) or hvp (``H v``: the
    double-vjp trick, a backward of the gradient's vjp against zeros), with
    ``func(inputs)``."""
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _prepare_inputs(inputs, name, create_graph)
        v = _prepare_v(v, inputs, is_inputs_tuple, name, create_graph,
                       "the input to the user-provided function is")
        is_outputs_tuple, outputs = _scalar_function_output(func, inputs, name, strict)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        if name == "vhp":
            last, wrt, stage = jac, inputs, "double_back"
        else:
            wrt = tuple(zeros_like(inp, requires_grad=True) for inp in inputs)
            last = _autograd_grad(jac, inputs, wrt, create_graph=True)
            _check_requires_grad(jac, "hessian", strict=strict)
            stage = "double_back_trick"
    result = _last_backward(last, wrt, v, inputs, strict, create_graph, stage)
    return _products(outputs, is_outputs_tuple, result, is_inputs_tuple, create_graph)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar function `func`.

    >>> x = nb.tensor([1.0, 2.0])
    >>> nb.autograd.functional.vhp(lambda t: (t ** 3).sum(), x, nb.ones(2))
    (tensor(9.), tensor([ 6., 12.]))
    """
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar function `func` (double-vjp trick).

    >>> x = nb.tensor([1.0, 2.0])
    >>> nb.autograd.functional.hvp(lambda t: (t ** 3).sum(), x, nb.ones(2))
    (tensor(9.), tensor([ 6., 12.]))
    """
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)
