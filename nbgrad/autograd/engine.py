"""The backward engine: `backward`, `grad`, and the loop that runs a graph.

`run_backward` replays each node's backward rule once all its consumers have
delivered their gradients, iteratively (no recursion: a 100,000-op chain is
fine).  Its parts, as in PyTorch's engine, are short functions in their own
modules:
- `graph`: dependencies (how many consumers each node waits for) and, for
  ``autograd.grad``, capture and pruning (`Capture`);
- `roots`: the gradients the caller gives, or the implicit ones;
- `input_buffer`: gradients from several consumers summed, one way;
- validate outputs (here, `arity_error` and `conform`): a rule's results
  checked (arity) and reduced to each input's shape and dtype (rules never
  undo broadcasting);
- `accumulate_grad`: leaf ``.grad``, keeping a gradient nobody else holds;
- `hooks`: tensor hooks, ``retain_grad``, node pre- and post-hooks;
- `batching` (``is_grads_batched``) and `anomaly_mode`: the rule is called
  through them; both cost nothing when unused (the flags are read once per
  backward call).
Saved values are freed after a node runs unless ``retain_graph``.

With ``create_graph=False`` the rules run with grad mode off, on the raw
kernels; with ``create_graph=True`` grad mode stays on and the backward pass
is itself recorded, which gives higher-order gradients.
"""

from nbgrad.autograd import anomaly_mode, grad_mode
from nbgrad.autograd.accumulate_grad import (accumulate_into, accumulate_leaf, handed_on,
                                             new_holders, pass_through)
from nbgrad.autograd.batching import apply_batched, sum_to_batched
from nbgrad.autograd.buffers import zeros
from nbgrad.autograd.graph import Capture, compute_dependencies
from nbgrad.autograd.hooks import run_leaf_post_hooks, run_post_hooks, run_pre_hooks
from nbgrad.autograd.input_buffer import add_input, add_to_slot
from nbgrad.autograd.node import AccumulateGrad, edge_of, edges_of
from nbgrad.autograd.roots import as_tensors, check_grad_types, make_grads, root_edges
from nbgrad.tensor import Tensor

__all__ = ["backward", "grad", "run_backward", "conform", "arity_error", "graph_replay"]

# nb.compile's replay of a backward whose graph structure was seen before
# (`nbgrad.compiler.backward_replay`, a layer above: it registers itself here).  Called
# as (edges, grads, retain_graph, capture); returns None (this engine runs the graph)
# or a 1-tuple of what `run_backward` returns.
graph_replay = []


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into the ``.grad`` of the leaves
    (or of `inputs` only, leaf or not).

    >>> x = nb.tensor([1.0, 2.0], requires_grad=True)
    >>> nb.autograd.backward([(x * x).sum()]); x.grad
    tensor([2., 4.])
    """
    tensors = as_tensors(tensors)
    if grad_tensors is not None:
        grad_tensors = as_tensors(grad_tensors)   # TypeError for a number, as PyTorch
        check_grad_types(grad_tensors)
        if len(grad_tensors) != len(tensors):
            raise RuntimeError(f"grad_tensors has {len(grad_tensors)} entries but tensors has "
                               f"{len(tensors)}")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = as_tensors(inputs)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    edges = root_edges(tensors)
    grads = make_grads(tensors, grad_tensors, create_graph)
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
        accumulate_into(t, g, create_graph)
        if t.grad_fn is None and t._accumulator is not None:
            run_leaf_post_hooks(t._accumulator, t)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, returned (not accumulated).

    With ``is_grads_batched=True`` the first dimension of every grad_output is
    a batch: one backward pass computes a vector-Jacobian product per row.

    >>> x = nb.tensor(2.0, requires_grad=True)
    >>> nb.autograd.grad(x ** 3, x)
    (tensor(12.),)
    """
    outputs, inputs = as_tensors(outputs), as_tensors(inputs)
    if grad_outputs is not None:
        grad_outputs = as_tensors(grad_outputs)   # TypeError for a number, as PyTorch
        check_grad_types(grad_outputs)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    _check_inputs(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    edges = root_edges(outputs)
    grads = make_grads(outputs, grad_outputs, create_graph, is_grads_batched)
    result = run_backward(edges, grads, retain_graph, create_graph,
                          capture=[edge_of(t) for t in inputs], batched=is_grads_batched)
    batch = grads[0]._data.shape[0] if is_grads_batched else None
    # a list first: tuple(generator) over-allocates and shrinks, which leaves freed
    # tuples of one size behind at every call (allocated blocks grow for a while)
    return tuple([_grad_result(i, t, g, batch, create_graph, allow_unused, materialize_grads)
                  for i, (t, g) in enumerate(zip(inputs, result))])


def _check_inputs(inputs):
    if not inputs:
        raise RuntimeError("grad requires non-empty inputs.")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs[{i}] is a {type(t).__name__}, expected a Tensor")
        if not t._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}, of shape "
                               f"{list(t._data.shape)}) does not require grad")


def _grad_result(i, t, g, batch, create_graph, allow_unused, materialize):
    """What ``grad`` returns for input `t` from its captured gradient `g`."""
    if g is None:
        if materialize:
            shape = t._data.shape if batch is None else (batch,) + t._data.shape
            return zeros(shape, t.dtype, t.device)
        if not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) appears to not have been "
                "used in the graph. Set allow_unused=True if this is the desired behavior.")
        return None
    if batch is None:
        if g._data.shape != t._data.shape:
            g = g.sum_to_size(t._data.shape)
    else:
        g = sum_to_batched(g, t._data.shape)
    if not create_graph and g.grad_fn is not None:
        g = g.detach()
    return g


def run_backward(edges, grads, retain_graph, create_graph, capture=None, batched=False):
    """Propagate `grads` from the root `edges` ((node, output_nr) pairs).

    capture: optional list of edges whose incoming gradient is returned instead
    of accumulated (``autograd.grad``); then no leaf ``.grad`` changes.
    batched: every gradient has a leading batch dimension (``is_grads_batched``).
    Returns the captured gradients (None where nothing arrived).
    """
    if graph_replay and not (create_graph or batched or anomaly_mode.FLAGS[0]):
        done = graph_replay[0](edges, grads, retain_graph, capture)
        if done is not None:
            return done[0]
    call = None   # None: the fast path, node.apply(grads)
    if batched or anomaly_mode.FLAGS[0]:
        call = _slow_call(batched, anomaly_mode.FLAGS[0])
    roots = [e[0] for e in edges if e[0] is not None]
    if capture is None:
        deps, cap = compute_dependencies(roots), None
    else:
        consumers = {}
        deps = compute_dependencies(roots, consumers)
        cap = Capture(roots, capture, deps, consumers)
    state = grad_mode._state
    prev_mode = state.enabled
    state.enabled = create_graph
    try:
        buffers = {}
        for (node, nr), g in zip(edges, grads):
            add_input(buffers, node, nr, g, create_graph)
        ready = [n for n in buffers if n not in deps]
        _execute(ready, buffers, deps, new_holders(grads), cap, call, retain_graph,
                 create_graph, batched)
    finally:
        state.enabled = prev_mode
    return None if cap is None else cap.grads


def _execute(ready, buffers, deps, holders, cap, call, retain_graph, create_graph, batched):
    """The loop: run each ready node, hand its results to its inputs' nodes."""
    captured, useful = _capture_lookups(cap)
    while ready:
        node = ready.pop()
        grads_out = buffers.pop(node, None)
        if grads_out is not None:
            if node.pre_hooks:
                grads_out = run_pre_hooks(node, grads_out)
            if node in captured:
                cap.take(node, grads_out)
        if node.__class__ is AccumulateGrad:
            if grads_out is not None and cap is None:
                g0 = None   # the last node's incoming gradient: may be the leaf's buffer
                accumulate_leaf(node, grads_out[0], create_graph, holders)
                if node.post_hooks:
                    run_leaf_post_hooks(node, node.variable)
            continue
        if grads_out is None or (useful is not None and node not in useful):
            grads_in = None    # nothing to run here
        else:
            if call is not None:
                grads_in = call(node, grads_out)
            else:
                vjp = node.vjp   # the rule without Node.apply's frame
                grads_in = node.apply(grads_out) if vjp is None else vjp(node, grads_out)
            if not retain_graph and node.saved is not None:   # free what it saved
                node.saved = None
                node.released = True
        if grads_in is None:
            _pass_nothing(node, deps, ready)
            continue
        if node.post_hooks:
            grads_in = run_post_hooks(node, grads_in, grads_out)
        if len(grads_in) * 2 != len(node._next):   # flat: node, output number of each input
            raise arity_error(node, grads_in)
        # a gradient a rule hands on as is (add, reshape...) gets new holders: count them
        g0, n0 = (grads_out[0], 0) if len(grads_out) == 1 else (None, -1)
        it = iter(node._next)
        for nxt, nr, g, meta in zip(it, it, grads_in, node.input_meta):
            if nxt is not None:
                if g is not None:
                    if g._data.shape != meta[0] or g.dtype is not meta[1]:
                        g = conform(g, meta, batched)
                    elif g is g0:
                        n0 += 1
                    buf = buffers.get(nxt)   # add_input, its first case inlined
                    if buf is None:
                        buf = buffers[nxt] = [None] * nxt.n_outputs
                        buf[nr] = g
                    else:
                        add_to_slot(buf, nr, g, create_graph)
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    ready.append(nxt)
        if n0 > 0:
            handed_on(holders, g0, n0)
        elif n0 < 0:
            pass_through(holders, node, grads_out, grads_in)


def _capture_lookups(cap):
    """What the loop reads of autograd.grad's capture, once per backward rather than
    per node: the nodes whose incoming gradient it keeps, and those worth running
    (None: every node that receives a gradient runs, as without a capture)."""
    return ((), None) if cap is None else (cap.at, cap.useful)


def _pass_nothing(node, deps, ready):
    """No gradient flows on from `node`, but its inputs' nodes may get ready."""
    for nxt, _ in edges_of(node):
        if nxt is not None:
            left = deps[nxt] - 1
            deps[nxt] = left
            if left == 0:
                ready.append(nxt)


# -- validate outputs: what a rule returned, checked and put on its inputs' metadata ---
# The loop above tests the count and each gradient's shape and dtype inline (the hot
# path: a call per node would cost more than the checks) and calls these only when
# something is off.  Devices are checked where user code returns gradients
# (`nbgrad.autograd.function`); the built-in rules keep them.

def arity_error(node, grads_in):
    """The error for a rule that returned a wrong number of gradients."""
    return RuntimeError(f"function {type(node).__name__} returned an incorrect number of "
                        f"gradients (expected {len(node._next) // 2}, got {len(grads_in)})")


def conform(g, meta, batched):
    """Gradient `g` reduced to its input's shape (``sum_to_size``: rules never undo
    broadcasting; the batch dim kept when `batched`) and converted to its dtype;
    `meta` is the input's (shape, dtype)."""
    shape, dtype = meta
    if g._data.shape != shape:
        g = sum_to_batched(g, shape) if batched else g.sum_to_size(shape)
    if g.dtype is not dtype:
        g = g.to(dtype)
    return g


def _slow_call(batched, anomaly):
    """How rules are called in a batched or anomaly-checked pass."""
    base = apply_batched if batched else _apply_plain
    if not anomaly:
        return base
    return lambda node, grads_out: anomaly_mode.run_checked(node, grads_out, base)


def _apply_plain(node, grads_out):
    return node.apply(grads_out)
