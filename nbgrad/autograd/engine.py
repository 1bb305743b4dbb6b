"""The backward engine: walks the tape from the outputs to the leaves.

`run_backward` orders the nodes reachable from the roots with an iterative
walk (no recursion, so a 100,000-op chain is fine), then replays each node's
backward rule once all its consumers have delivered their gradients.  It
owns, in one place:
- accumulation of gradients from several consumers;
- reduction of a gradient to its input's shape and dtype (rules never undo
  broadcasting: `Tensor.sum_to_size` does, here);
- tensor hooks, ``retain_grad`` and the final accumulation into leaf ``.grad``;
- freeing saved values after use unless ``retain_graph``;
- batched gradients (``autograd.grad(..., is_grads_batched=True)``): every
  gradient carries a leading batch dimension through ONE traversal.
  Elementwise rules broadcast over it as they are; other rules run once per
  sample inside that traversal (`_apply_batched`), and the results are stacked;
- anomaly mode (`nbgrad.autograd.anomaly_mode`): rules are wrapped to name the
  failing node and where it was recorded.

Batching and anomaly mode cost nothing when unused: the flags are read once
per backward call and the per-node hot path is unchanged.

With ``create_graph=False`` the rules run with grad mode off, on the raw
kernels; with ``create_graph=True`` grad mode stays on and the backward pass
is itself recorded, which gives higher-order gradients.
"""

from nbgrad.autograd import anomaly_mode, grad_mode
from nbgrad.backends.dispatch import run_for
from nbgrad.autograd.node import AccumulateGrad, RetainGradHook, edge_of

__all__ = ["backward", "run_backward"]


def _tensor_class():
    if not _TENSOR:
        from nbgrad.tensor import Tensor
        _TENSOR.append(Tensor)
    return _TENSOR[0]


_TENSOR = []
_FACTORIES = []


def _load_factories():
    from nbgrad import _factories
    _FACTORIES.append(_factories)
    return _factories


def _check_grad_types(grads):
    """TypeError, as PyTorch, for a gradient that is neither a Tensor nor None
    (a number or a list of numbers is not converted)."""
    Tensor = _tensor_class()
    for g in grads:
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")


def _make_grads(outputs, grad_outputs, create_graph, batched=False):
    Tensor = _tensor_class()
    _factories = _FACTORIES[0] if _FACTORIES else _load_factories()
    if grad_outputs is not None and len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one grad_output per output: got "
                           f"{len(grad_outputs)} grad_outputs and {len(outputs)} outputs")
    if batched:
        return _make_batched_grads(outputs, grad_outputs, create_graph)
    grads = []
    for i, t in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if g is None:
            if t._requires_grad and t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = _factories.ones_like(t)
        elif not isinstance(g, Tensor):
            _check_grad_types((g,))
        elif g._data.shape != t._data.shape:
            if g._data.size == t._data.size == 1:
                g = g.reshape(t._data.shape)
            else:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {t.shape}.")
        if g.dtype is not t.dtype:   # PyTorch converts it to the output's dtype
            g = g.to(t.dtype)
        if g.device != t.device:
            g = _grad_on_device(g, t, i)
        if not create_graph and g.grad_fn is not None:
            g = g.detach()
        grads.append(g)
    return grads


def _make_batched_grads(outputs, grad_outputs, create_graph):
    from nbgrad.tensor import Tensor
    grads = []
    batch = None
    for i, t in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if not isinstance(g, Tensor):
            raise RuntimeError(
                f"is_grads_batched=True needs a Tensor grad_output for every output "
                f"(grad_outputs[{i}] is {type(g).__name__}); its first dimension is the batch")
        if g._data.shape[1:] != t._data.shape or g._data.ndim == 0:
            raise RuntimeError(
                f"If `is_grads_batched=True`, we interpret the first dimension of each "
                f"grad_output as the batch dimension. The sizes of the remaining dimensions "
                f"are expected to match the shape of corresponding output, but a mismatch "
                f"was detected: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {t.shape}.")
        if batch is None:
            batch = g._data.shape[0]
        elif g._data.shape[0] != batch:
            raise RuntimeError(f"is_grads_batched=True: every grad_output needs the same batch "
                               f"size; grad_outputs[0] has {batch} and grad_outputs[{i}] has "
                               f"{g._data.shape[0]}")
        if g.device != t.device:
            g = _grad_on_device(g, t, i)
        if g.dtype is not t.dtype:
            g = g.to(t.dtype)
        if not create_graph and g.grad_fn is not None:
            g = g.detach()
        grads.append(g)
    return grads


def _grad_on_device(g, t, i):
    """A gradient given on another device than its output `t`: moved there when
    `t` is 0-d (as PyTorch does; per sample when batched), else PyTorch's
    RuntimeError, raised before any kernel mixes the two devices."""
    if t._data.ndim == 0:
        return g.to(t.device)
    raise RuntimeError(f"invalid gradient at index {i} - expected device {t.device} but got "
                       f"{g.device}")


def _roots(outputs):
    edges = []
    for i, t in enumerate(outputs):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        edges.append(edge_of(t))
    return edges


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into the ``.grad`` of the leaves
    (or of `inputs` only, leaf or not).

    >>> x = nb.tensor([1.0, 2.0], requires_grad=True)
    >>> nb.autograd.backward([(x * x).sum()]); x.grad
    tensor([2., 4.])
    """
    Tensor = _tensor_class()
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    if isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,)
    tensors = tuple(tensors)
    if grad_tensors is not None:
        grad_tensors = tuple(grad_tensors)   # TypeError for a number, as PyTorch
        _check_grad_types(grad_tensors)
        if len(grad_tensors) != len(tensors):
            raise RuntimeError(f"grad_tensors has {len(grad_tensors)} entries but tensors has "
                               f"{len(tensors)}")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    edges = _roots(tensors)
    grads = _make_grads(tensors, grad_tensors, create_graph)
    if inputs is None:
        run_backward(edges, grads, retain_graph, create_graph)
        return
    # only `inputs` receive .grad: capture their gradients, then accumulate
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (inputs[{i}]) does not "
                               "require grad")
    captured = run_backward(edges, grads, retain_graph, create_graph,
                            capture=[edge_of(t) for t in inputs])
    for t, g in zip(inputs, captured):
        if g is None:
            continue
        if g._data.shape != t._data.shape:
            g = g.sum_to_size(t._data.shape)
        _accumulate_tensor(t, g, create_graph)
        acc = t._accumulator if t.grad_fn is None else None
        if acc is not None and acc.post_hooks:
            for hook in list(acc.post_hooks):
                hook(t)


def _add_into(old, g):
    """old += g with the declared add op's kernel (no allocation)."""
    if not _ADD:
        from nbgrad.ops.registry import REGISTRY
        _ADD.append(REGISTRY["add"])
    _ADD[0].into(old, old, g)


_ADD = []


def _accumulate_tensor(t, g, create_graph):
    old = t._grad
    if old is None:
        t._grad = g if create_graph else g.detach().clone()
    elif create_graph or old.grad_fn is not None:
        t._grad = old + g
    else:
        _add_into(old, g)


def run_backward(edges, grads, retain_graph, create_graph, capture=None, batched=False):
    """Propagate `grads` from the root `edges` ((node, output_nr) pairs).

    capture: optional list of edges whose incoming gradient is returned instead
    of accumulated (``autograd.grad``); then no leaf ``.grad`` changes.
    batched: every gradient has a leading batch dimension (``is_grads_batched``).
    Returns the captured gradients (None where nothing arrived).
    """
    apply = None   # None: the fast path, node.apply(grads)
    if batched or anomaly_mode.FLAGS[0]:
        apply = _slow_apply(batched, anomaly_mode.FLAGS[0])
    # dependencies: how many edges from inside the graph point at each node
    deps = {}
    roots = [e[0] for e in edges if e[0] is not None]
    stack = list(roots)
    roots = set(roots)
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None:
                count = deps.get(nxt)
                if count is None:   # first visit
                    deps[nxt] = 1
                    if nxt not in roots:
                        stack.append(nxt)
                else:
                    deps[nxt] = count + 1

    captured = None
    capture_at = None
    if capture is not None:
        captured = [None] * len(capture)
        capture_at = {}
        for i, (node, nr) in enumerate(capture):
            if node is not None:
                capture_at.setdefault(node, []).append((nr, i))
    useful = None  # with capture, only nodes leading to a captured edge run
    if capture is not None:
        useful = _nodes_leading_to([e[0] for e in edges if e[0] is not None],
                                   [n for n, _ in capture])

    buffers = {}
    # holders[id(g)]: how many places still receive gradient tensor g, for the
    # tensors that a rule passed through (add, reshape...) or the caller gave;
    # any other gradient has one holder.  A leaf may keep g itself as its .grad
    # only when it is the last holder (as PyTorch's AccumulateGrad steals it);
    # otherwise it gets a copy.  `alive` keeps those tensors, so ids stay unique.
    holders = {}
    alive = []
    for (node, nr), g in zip(edges, grads):
        holders[id(g)] = _CALLER_HOLDS
        alive.append(g)
        _accumulate(buffers, node, nr, g)
    ready = [n for n in buffers if n not in deps]

    state = grad_mode._state
    prev_mode = state.enabled
    state.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grads_out = buffers.pop(node, None)
            if grads_out is not None:
                if node.pre_hooks:
                    grads_out = _run_pre_hooks(node, grads_out)
                if capture_at is not None:
                    for nr, i in capture_at.get(node, ()):
                        captured[i] = grads_out[nr]
            if node.__class__ is AccumulateGrad:
                if grads_out is not None and capture is None:
                    _accumulate_leaf(node, grads_out[0], create_graph, holders)
                    if node.post_hooks:
                        for hook in list(node.post_hooks):
                            hook(node.variable)
                continue
            if grads_out is None or (useful is not None and node not in useful):
                grads_in = None    # nothing to run here
            else:
                grads_in = node.apply(grads_out) if apply is None else apply(node, grads_out)
                if not retain_graph and node.saved is not None:   # Node.release, inlined
                    node.saved = None
                    node.released = True
            if grads_in is None:   # no gradient flows on, but the inputs' nodes may get ready
                for nxt, nr in node.next_functions:
                    if nxt is not None:
                        left = deps[nxt] - 1
                        deps[nxt] = left
                        if left == 0:
                            ready.append(nxt)
                continue
            if node.post_hooks:
                for hook in node.post_hooks:
                    r = hook(grads_in, grads_out)
                    if r is not None:
                        grads_in = r
            if len(grads_in) != len(node.next_functions):
                raise RuntimeError(
                    f"function {type(node).__name__} returned an incorrect number of gradients "
                    f"(expected {len(node.next_functions)}, got {len(grads_in)})")
            # a rule that passes g through hands the same tensor on: count its new
            # holders (this node's own use of it ends here)
            for g_out in grads_out:
                if g_out is not None:
                    n_in = 0
                    for g_in in grads_in:
                        if g_in is g_out:
                            n_in += 1
                    if n_in:
                        key = id(g_out)
                        if key not in holders:
                            alive.append(g_out)
                        holders[key] = holders.get(key, 1) - 1 + n_in
            for (nxt, nr), g, meta in zip(node.next_functions, grads_in, node.input_meta):
                if nxt is None:
                    continue
                if g is not None:
                    shape, dtype = meta
                    if g._data.shape != shape:
                        g = _sum_to_batched(g, shape) if batched else g.sum_to_size(shape)
                    if g.dtype is not dtype:
                        g = g.to(dtype)
                    buf = buffers.get(nxt)   # _accumulate, inlined: the hot path
                    if buf is None:
                        buf = buffers[nxt] = [None] * nxt.n_outputs
                        buf[nr] = g
                    else:
                        old = buf[nr]
                        buf[nr] = g if old is None else \
                            (old + g if create_graph else _sum_of(old, g))
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    ready.append(nxt)
    finally:
        state.enabled = prev_mode
    return captured


def _slow_apply(batched, anomaly):
    base = _apply_batched if batched else _apply_plain
    if not anomaly:
        return base
    return lambda node, grads_out: anomaly_mode.run_checked(node, grads_out, base)


def _apply_plain(node, grads_out):
    return node.apply(grads_out)


_NATIVE = {}   # op class -> whether its rules broadcast over a leading batch dim


def _batch_native(node):
    op = node.op
    if op is None:
        return getattr(node, "batched", False)
    cls = op.__class__
    native = _NATIVE.get(cls)
    if native is None:
        from nbgrad.ops.elementwise import Elementwise
        native = _NATIVE[cls] = issubclass(cls, Elementwise)
    return native or getattr(op, "batched", False)


def _batched_view(node, g):
    return (g.reshape((g._data.shape[0],) + node.input_meta[0][0]),)


def _batched_identity(node, g):
    return (g,)   # the engine's reduction to (B,) + input shape does the rest (expand)


def _batched_reduction(node, g):
    """A sum or mean: g broadcast back over the reduced dims (divided by the
    count for a mean).  Which dims were reduced must follow from the shapes:
    one element left, or the dims kept as 1 (keepdim); else None."""
    shape = node.input_meta[0][0]
    batch, out = g._data.shape[0], g._data.shape[1:]
    n_in, n_out = _numel(shape), _numel(out)
    name = type(node).__name__
    if name == "SumToSizeBackward0":
        kept = (1,) * (len(shape) - len(out)) + out
    elif n_out == 1:
        kept = (1,) * len(shape)
    elif len(out) == len(shape) and all(o == d or o == 1 for o, d in zip(out, shape)):
        kept = out
    else:
        return None
    r = g.reshape((batch,) + kept).expand((batch,) + shape)
    if name.startswith("Mean") and n_out:
        r = r / (n_in // n_out)
    return (r,)


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


# Batch-native rules for the function-style ops that functional.jacobian and
# hessian meet most, keyed by the (PyTorch) node name; they use only the
# recorded input shape and the gradient's shape.  A rule returning None falls
# back to per-sample calls.  (A `batched` attribute on an op declaration would
# make its own rule batch-native: see `_batch_native`.)
_BATCHED_RULES = {"ViewBackward0": _batched_view, "UnsqueezeBackward0": _batched_view,
                  "SqueezeBackward0": _batched_view, "SqueezeBackward1": _batched_view,
                  "ExpandBackward0": _batched_identity, "CloneBackward0": _batched_identity,
                  "ToCopyBackward0": _batched_identity, "SumBackward0": _batched_reduction,
                  "SumBackward1": _batched_reduction, "MeanBackward0": _batched_reduction,
                  "MeanBackward1": _batched_reduction, "SumToSizeBackward0": _batched_reduction}


def _apply_batched(node, grads_out):
    """A node's input gradients when every gradient has a leading batch dim.

    Elementwise rules broadcast over the batch dim as written; a few others
    have batch-native rules above.  Any other rule is called once per sample
    (inside this single traversal) and the per-sample results are stacked."""
    if _batch_native(node):
        return node.apply(grads_out)
    rule = _BATCHED_RULES.get(type(node).__name__)
    if rule is not None and len(grads_out) == 1 and len(node.next_functions) == 1 and \
            grads_out[0] is not None:
        res = rule(node, grads_out[0])
        if res is not None:
            return res
    from nbgrad.autograd.function import select, select_array
    from nbgrad.tensor import Tensor
    recorded = grad_mode._state.enabled
    batch = next(g._data.shape[0] for g in grads_out if g is not None)
    rows = None
    for b in range(batch):
        gb = [None if g is None else
              (select(g, b) if recorded else
               Tensor._make(select_array(g._data, b), g.dtype, g.device))
              for g in grads_out]
        res = node.apply(gb)
        if res is None:
            return None
        if rows is None:
            rows = [[] for _ in res]
        for k, r in enumerate(res):
            rows[k].append(r)
    if rows is None:
        return None
    return tuple(_stack_rows(r, recorded) for r in rows)


def _stack_rows(rows, recorded):
    """Stack per-sample gradients (None: a zero row) along a new leading dim."""
    first = next((r for r in rows if r is not None), None)
    if first is None:
        return None
    shape = first._data.shape
    for r in rows:
        if r is not None and r._data.shape != shape:
            raise RuntimeError(f"batched gradient: per-sample gradients of different shapes "
                               f"{list(shape)} and {list(r._data.shape)}")
    if recorded:   # create_graph: the stack itself must be differentiable
        from nbgrad import _factories
        from nbgrad.autograd.function import stack
        return stack([r if r is not None else
                      _factories.zeros(shape, dtype=first.dtype, device=first.device)
                      for r in rows])
    from nbgrad.autograd.function import stack_arrays
    return stack_arrays([None if r is None else r._data for r in rows], first)


def _sum_to_batched(g, shape):
    """Reduce a batched gradient (B, ...) to (B,) + `shape` (keeping the batch dim)."""
    gs = g._data.shape
    if gs[1:] == shape:
        return g
    batch = gs[0]
    pad = len(gs) - 1 - len(shape)
    if pad < 0:   # a rule returned fewer dims than the input has: broadcast it up
        return g.reshape((batch,) + (1,) * -pad + gs[1:]).expand((batch,) + tuple(shape))
    target = (batch,) + (1,) * pad + tuple(shape)
    if gs != target:
        g = g.sum_to_size(target)
    return g.reshape((batch,) + tuple(shape)) if pad else g


def _nodes_leading_to(roots, targets):
    """The nodes from which some node in `targets` can be reached."""
    consumers = {}
    stack = list(roots)
    seen = set(stack)
    while stack:
        n = stack.pop()
        for nxt, _ in n.next_functions:
            if nxt is None:
                continue
            consumers.setdefault(nxt, []).append(n)
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    found = set(t for t in targets if t in seen)
    stack = list(found)
    while stack:
        for c in consumers.get(stack.pop(), ()):
            if c not in found:
                found.add(c)
                stack.append(c)
    return found


def _copy(g):
    """A detached copy of gradient `g` (the identity kernel; no node)."""
    from nbgrad.ops.elementwise import cast_array
    return g.__class__._make(cast_array(g._data, g.dtype), g.dtype, g.device)


def _sum_of(a, b):
    """a + b for two gradients of the same shape and dtype, when nothing is
    recorded: the add kernel directly, without the op's checks."""
    if a._data.shape != b._data.shape or a.dtype is not b.dtype or a.device is not b.device:
        return a + b
    run = run_for(a.device)
    if not _ADD:
        from nbgrad.ops.registry import REGISTRY
        _ADD.append(REGISTRY["add"])
    out = run(_ADD[0].forward_family, [a._data, b._data], [a.dtype.np], a._data.shape)[0]
    return a.__class__._make(out, a.dtype, a.device)


def _accumulate(buffers, node, nr, g):
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node.n_outputs
    old = buf[nr]
    buf[nr] = g if old is None else old + g


def _run_pre_hooks(node, grads_out):
    """Tensor hooks (in registration order), then retain_grad, then node pre-hooks:
    PyTorch's order.  A tensor hook may return a replacement gradient."""
    grads_out = list(grads_out)
    later = None
    for entry in list(node.pre_hooks):
        nr, hook = entry
        if nr is None or hook.__class__ is RetainGradHook:
            later = [entry] if later is None else later + [entry]
            continue
        g = grads_out[nr]
        if g is None:
            continue
        r = hook(g)
        if r is not None:
            _check_hook_result(hook, g, r)
            grads_out[nr] = r
    if later is not None:
        later.sort(key=lambda e: e[0] is None)   # retain_grad before node pre-hooks
        for nr, hook in later:
            if nr is not None:
                if grads_out[nr] is not None:
                    hook(grads_out[nr])
                continue
            r = hook(tuple(grads_out))
            if r is not None:
                grads_out = list(r)
    return grads_out


def _check_hook_result(hook, g, r):
    from nbgrad.tensor import Tensor
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(r, Tensor):
        raise TypeError(f"hook '{name}' returned {type(r).__name__}; a tensor hook must return "
                        "a Tensor or None")
    if r._data.shape != g._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value (from "
                           f"{list(g._data.shape)} to {list(r._data.shape)})")
    if r.dtype is not g.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {g.dtype!r} got "
                           f"{r.dtype!r})")


_CALLER_HOLDS = 1 << 30   # the caller keeps its gradient tensors: never steal them


def _accumulate_leaf(node, g, create_graph, holders):
    leaf = node.variable
    if leaf is None:
        return
    old = leaf._grad
    if old is None:
        if create_graph:
            leaf._grad = g
        elif holders.get(id(g), 1) > 1 or g._data.base is not None or g.grad_fn is not None:
            leaf._grad = _copy(g)
            if id(g) in holders:
                holders[id(g)] -= 1
        else:
            leaf._grad = g
    elif create_graph or old.grad_fn is not None:
        leaf._grad = old + g
    else:
        _add_into(old, g)
