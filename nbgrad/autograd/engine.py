"""The backward engine: walks the tape from the outputs to the leaves.

`run_backward` orders the nodes reachable from the roots with an iterative
walk (no recursion, so a 100,000-op chain is fine), then replays each node's
backward rule once all its consumers have delivered their gradients.  It
owns, in one place:
- accumulation of gradients from several consumers;
- reduction of a gradient to its input's shape and dtype (rules never undo
  broadcasting: `Tensor.sum_to_size` does, here);
- tensor hooks, ``retain_grad`` and the final accumulation into leaf ``.grad``;
- freeing saved values after use unless ``retain_graph``.

With ``create_graph=False`` the rules run with grad mode off, on the raw
kernels; with ``create_graph=True`` grad mode stays on and the backward pass
is itself recorded, which gives higher-order gradients.
"""

from nbgrad.autograd import grad_mode
from nbgrad.autograd.node import AccumulateGrad, edge_of

__all__ = ["backward", "run_backward"]


def _make_grads(outputs, grad_outputs, create_graph):
    from nbgrad import _factories
    from nbgrad.tensor import Tensor
    grads = []
    for i, t in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if g is None:
            if t._requires_grad and t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = _factories.ones_like(t)
        elif not isinstance(g, Tensor):
            g = _factories.tensor(g, dtype=t.dtype)
        elif g._data.shape != t._data.shape:
            if g._data.size == t._data.size == 1:
                g = g.reshape(t._data.shape)
            else:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {t.shape}.")
        if g.dtype is not t.dtype and g.dtype.is_floating_point != t.dtype.is_floating_point:
            raise RuntimeError(
                f"For complex Tensors, both grad_output and output are required to have the "
                f"same dtype. Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype!r} "
                f"and output[{i}] has a dtype of {t.dtype!r}.")
        if not create_graph and g.grad_fn is not None:
            g = g.detach()
        grads.append(g)
    return grads


def _roots(outputs):
    edges = []
    for i, t in enumerate(outputs):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        edges.append(edge_of(t))
    return edges


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into the ``.grad`` of the leaves.

    ``nb.autograd.backward([y], [v])`` is ``y.backward(v)``.
    """
    from nbgrad.tensor import Tensor
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    if isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,)
    tensors = tuple(tensors)
    if grad_tensors is not None and len(grad_tensors) != len(tensors):
        raise RuntimeError(f"grad_tensors has {len(grad_tensors)} entries but tensors has "
                           f"{len(tensors)}")
    if retain_graph is None:
        retain_graph = create_graph
    edges = _roots(tensors)
    grads = _make_grads(tensors, grad_tensors, create_graph)
    only = None
    if inputs is not None:
        if isinstance(inputs, Tensor):
            inputs = (inputs,)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        only = inputs
    run_backward(edges, grads, retain_graph, create_graph, accumulate_into=only)


def run_backward(edges, grads, retain_graph, create_graph, capture=None, accumulate_into=None):
    """Propagate `grads` from the root `edges` ((node, output_nr) pairs).

    capture: optional list of edges whose incoming gradient is returned instead
    of accumulated (``autograd.grad``); then no leaf ``.grad`` changes.
    accumulate_into: optional tensors; only their ``.grad`` is accumulated.
    Returns the captured gradients (None where nothing arrived).
    """
    # dependencies: how many edges from inside the graph point at each node
    deps = {}
    stack = [e[0] for e in edges if e[0] is not None]
    seen = set(stack)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)

    captured = None
    capture_at = None
    if capture is not None:
        captured = [None] * len(capture)
        capture_at = {}
        for i, (node, nr) in enumerate(capture):
            if node is not None:
                capture_at.setdefault(node, []).append((nr, i))
    allowed = None
    if accumulate_into is not None:
        allowed = {id(edge_of(t)[0]) for t in accumulate_into}
    useful = None  # with capture or accumulate_into, only nodes leading there run
    if capture is not None or accumulate_into is not None:
        targets = [n for n, _ in capture] if capture is not None else \
            [edge_of(t)[0] for t in accumulate_into]
        useful = _nodes_leading_to([e[0] for e in edges if e[0] is not None], targets)

    buffers = {}
    shared = set()  # ids of gradient tensors that another place may also hold
    for (node, nr), g in zip(edges, grads):
        shared.add(id(g))
        _accumulate(buffers, node, nr, g)
    ready = [n for n in buffers if n not in deps]

    prev_mode = grad_mode.is_grad_enabled()
    grad_mode._state.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grads_out = buffers.pop(node, None)
            if grads_out is not None and node.pre_hooks:
                grads_out = _run_pre_hooks(node, grads_out)
            if capture_at is not None and grads_out is not None:
                for nr, i in capture_at.get(node, ()):
                    captured[i] = grads_out[nr]
            if node.__class__ is AccumulateGrad:
                if grads_out is not None and capture is None and \
                        (allowed is None or id(node) in allowed):
                    _accumulate_leaf(node, grads_out[0], create_graph, shared)
                continue
            if grads_out is not None and (useful is None or node in useful):
                grads_in = node.apply(grads_out)
                if grads_in is not None:
                    if node.post_hooks:
                        for hook in node.post_hooks:
                            r = hook(grads_in, grads_out)
                            if r is not None:
                                grads_in = r
                    for g_in, g_out in zip(grads_in, grads_out):
                        if g_in is g_out and g_in is not None:
                            shared.add(id(g_in))
                if not retain_graph:
                    node.release()
            else:
                grads_in = None
            metas = node.input_meta
            for k, (nxt, nr) in enumerate(node.next_functions):
                if nxt is None:
                    continue
                if grads_in is not None:
                    g = grads_in[k]
                    if g is not None:
                        shape, dtype = metas[k]
                        if g._data.shape != shape:
                            g = g.sum_to_size(shape)
                        if g.dtype is not dtype:
                            g = g.to(dtype)
                        _accumulate(buffers, nxt, nr, g)
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    ready.append(nxt)
    finally:
        grad_mode._state.enabled = prev_mode
    return captured


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


def _accumulate(buffers, node, nr, g):
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node.n_outputs
    old = buf[nr]
    buf[nr] = g if old is None else old + g


def _run_pre_hooks(node, grads_out):
    grads_out = list(grads_out)
    for nr, hook in list(node.pre_hooks):
        if nr is None:
            r = hook(tuple(grads_out))
            if r is not None:
                grads_out = list(r)
            continue
        g = grads_out[nr]
        if g is None:
            continue
        r = hook(g)
        if r is not None:
            grads_out[nr] = r
    return grads_out


def _accumulate_leaf(node, g, create_graph, shared):
    leaf = node.variable
    if leaf is None:
        return
    old = leaf._grad
    if old is None:
        if create_graph:
            leaf._grad = g
        elif id(g) in shared or g._data.base is not None or g.grad_fn is not None:
            leaf._grad = g.detach().clone()
        else:
            leaf._grad = g
    elif create_graph or old.grad_fn is not None:
        leaf._grad = old + g
    else:
        from nbgrad.ops.binary import add
        add.into(old, old, g)
