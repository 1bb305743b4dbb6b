"""Node: one entry of the tape.

A node is created by a recorded op and is the ``grad_fn`` of the op's outputs.
It holds the edges to the nodes of its inputs (``_next``: flat, node and output
number of each input in turn; PyTorch's pairs as `next_functions`), what the op
saved for backward, and the op's parameters.  Each op
has its own Node subclass named as in PyTorch (``MulBackward0``), made by
`node_class`; leaves that require grad get an `AccumulateGrad` node.

Saved tensors are stored with their version so an in-place change after
recording is caught at backward; outputs are saved as bare buffers (a saved
output Tensor would make a reference cycle) and re-wrapped on use.

Tensor hooks live on the node of the tensor (``pre_hooks``, per output);
``retain_grad`` adds a `RetainGradHook`.  In anomaly mode `new_node` also
keeps the traceback of the recording call (``anomaly_trace``).
"""

import weakref

from nbgrad.autograd.anomaly_mode import FLAGS as _ANOMALY
from nbgrad.autograd.anomaly_mode import capture as _capture_trace

__all__ = ["Node", "AccumulateGrad", "made", "RetainGradHook", "node_class", "edge_of", "meta_of",
           "metas_of_one", "metas_of_flat", "shared_metas",
           "flat_edges", "edges_of",
           "SAVED_FREED_MESSAGE", "watch_input", "watch_output", "check_watched",
           "watches_of", "joined_watches", "changed_watch",
           "check_saved_version", "saved_version_error"]

SAVED_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


# -- what a node keeps of its inputs -------------------------------------------------
# Every object a node holds that can refer to others is tracked by Python's cycle
# collector, and a graph's nodes live until backward: each one is traversed by every
# collection until then, and a full collection also traverses every object Numba
# holds.  On a graph of 10,000 small ops the collector took a third of the forward and
# backward (33 us per op against 23 with it disabled).  What function-style nodes keep
# of their inputs, (shape, dtype) pairs and input_meta tuples, is therefore shared
# between nodes: one object per distinct value (elementwise nodes build theirs: see
# docs/architecture.md).
_METAS = {}
_METAS_OF_ONE = {}
_METAS_OF_MANY = {}
_METAS_FLAT = {}
_METAS_MAX = 4096   # distinct values kept per cache; past it a cache starts again


def _kept(cache, key, value):
    """`value`, stored in `cache` under `key` (emptied first when full)."""
    if len(cache) >= _METAS_MAX:
        cache.clear()
    cache[key] = value
    return value


def meta_of(shape, dtype):
    """The shared ``(shape, dtype)`` pair a node keeps for an input."""
    key = (shape, dtype)
    return _METAS.get(key) or _kept(_METAS, key, key)


def metas_of_one(shape, dtype):
    """The shared ``input_meta`` of a node with one input: ``((shape, dtype),)``."""
    key = (shape, dtype)
    return _METAS_OF_ONE.get(key) or _kept(_METAS_OF_ONE, key, (meta_of(shape, dtype),))


def metas_of_flat(flat):
    """The shared ``input_meta`` described by `flat`: each input's shape and dtype in
    turn, or None for a number (an elementwise node's inputs: one lookup for all)."""
    metas = _METAS_FLAT.get(flat)
    if metas is None:
        out, k = [], 0
        while k < len(flat):
            if flat[k] is None:
                out.append(None)
                k += 1
            else:
                out.append(meta_of(flat[k], flat[k + 1]))
                k += 2
        metas = _kept(_METAS_FLAT, flat, shared_metas(tuple(out)))
    return metas


def shared_metas(metas):
    """The shared tuple equal to `metas` (a node's ``input_meta``, built by the caller:
    never empty)."""
    return _METAS_OF_MANY.get(metas) or _kept(_METAS_OF_MANY, metas, metas)


# -- version checks of saved tensors ------------------------------------------------
# A node that needs a tensor's values at backward (an input, its own output,
# or an index or mask it keeps in derived form) records a watch: five fields
# (counter, expected version, what, producer, output number) laid end to end in
# the node's flat ``watched`` tuple, so that a node holds one object for all its
# watches (the cycle collector traverses each object a graph keeps: a list of
# 5-tuples and a version counter per saved input were a fifth of the scalar
# graph's).  A watch of an input keeps the tensor itself and no counter: its
# version is read from the tensor when checked, as a function-style node's
# ``saved_versions`` are.  A watch of an output holds the output's counter and a
# (dtype, shape) description, never the output tensor itself (that would make a
# reference cycle through grad_fn).
_THIS_NODE = "this node"


def watch_input(t):
    """The watch fields of input tensor `t` (checked by `check_watched`)."""
    return (None, t._version, t, t.grad_fn, t._output_nr)


def watch_output(t, node):
    """The watch fields of `t`, an output of `node` being recorded."""
    vc = t._shared_version_counter()
    return (vc, vc.value, (t.dtype, t._data.shape), _THIS_NODE, t._output_nr)


def watches_of(watched):
    """The watches of a node's flat ``watched`` tuple, as 5-tuples."""
    it = iter(watched)
    return zip(it, it, it, it, it)


def joined_watches(watches):
    """The flat ``watched`` tuple of `watches` (5-tuples)."""
    return tuple([field for w in watches for field in w])


def changed_watch(watched):
    """The first watch of a node's flat `watched` tuple whose tensor changed in place
    since it was saved, as (vc, expected, what, producer, output_nr, current); None if
    none did. An input's watch has no counter of its own (``vc`` None): it reads the
    tensor's. The engine raises for it (`check_watched`); the backward replay's walk
    only needs to know."""
    it = iter(watched)   # flat: five fields a watch
    for vc, expected, what, producer, output_nr in zip(it, it, it, it, it):
        if vc is None:
            counter = what._version_counter
            current = 0 if counter is None else counter.value
        else:
            current = vc.value
        if current != expected:
            return vc, expected, what, producer, output_nr, current
    return None


def check_watched(node, watches):
    """RuntimeError (PyTorch's message) if a watched tensor changed in place."""
    changed = changed_watch(watches)
    if changed is not None:
        _, expected, what, producer, output_nr, current = changed
        if producer is _THIS_NODE:
            dtype, shape = what
            producer = node
        else:
            dtype, shape = what.dtype, what._data.shape
        raise saved_version_error(dtype, shape, producer, output_nr, current, expected)


def check_saved_version(node, t, version, producer=None):
    """RuntimeError if `t` changed in place after `node` saved it; `producer`:
    (grad_fn, output_nr) of `t` when it was saved, named in the message."""
    if t._version != version:
        fn, nr = producer if producer is not None else (t.grad_fn, t._output_nr)
        raise saved_version_error(t.dtype, t._data.shape, fn, nr, t._version, version)


def saved_version_error(dtype, shape, producer, output_nr, current, expected):
    """The error for a saved tensor at version `current` instead of `expected`."""
    where = f", which is output {output_nr} of {producer.name()}," if producer is not None \
        else ""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{_legacy_type_name(dtype)} {list(shape)}]{where} is at version "
        f"{current}; expected version {expected} instead. Hint: enable anomaly detection to "
        "find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True).")


_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
           "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool"}


def _legacy_type_name(dtype):
    name = _LEGACY.get(getattr(dtype, "name", ""), None)
    return f"torch.{name}Tensor" if name else repr(dtype)


# PyTorch's nodes written by hand in C++ (not generated from derivatives.yaml), whose
# name() carries their namespace
_HAND_WRITTEN = frozenset({"AccumulateGrad", "CopySlices", "CopyBackwards", "GraphRoot"})


class Node:
    """Base of every tape entry; subclasses set `op` (the op declaration).

    `apply(grads)` runs the node's backward rule.  Classes bound to an op also
    set `vjp`, the same rule as a plain callable ``vjp(node, grads)``, which
    the engine calls directly (one Python frame less per node than `apply`).
    """

    __slots__ = ("_next", "input_meta", "saved", "saved_versions", "watched", "params",
                 "n_outputs", "pre_hooks", "post_hooks", "released", "metadata", "anomaly_trace",
                 "__weakref__")
    op = None
    vjp = None

    def name(self):
        n = type(self).__name__
        return "torch::autograd::" + n if n in _HAND_WRITTEN else n

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        """The (node, output_nr) edge of each input, as PyTorch's (None: no gradient);
        read-only, as PyTorch's (a recording op sets ``_next``)."""
        return tuple(edges_of(self))

    @property
    def needs_input_grad(self):
        return tuple(nxt is not None for nxt, _ in edges_of(self))

    def apply(self, grads):
        """Input gradients (a tuple aligned with next_functions) from output gradients."""
        return self.op.backward(self, grads)

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node; may return new grad_inputs."""
        if self.post_hooks is None:
            self.post_hooks = []
        self.post_hooks.append(fn)
        return _RemovableHandle(self.post_hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node; may return new grad_outputs.

        >>> y = x * 2
        >>> h = y.grad_fn.register_prehook(lambda gs: (gs[0] * 10,))
        """
        return self._add_tensor_hook(None, fn)

    def _add_tensor_hook(self, output_nr, fn):
        if self.pre_hooks is None:
            self.pre_hooks = []
        entry = (output_nr, fn)
        self.pre_hooks.append(entry)
        return _RemovableHandle(self.pre_hooks, entry)


class _RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` unregisters the hook."""

    __slots__ = ("_list", "_item")

    def __init__(self, lst, item):
        self._list, self._item = lst, item

    def remove(self):
        try:
            self._list.remove(self._item)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


# nodes made so far: what `nbgrad.compiler.backward_replay` reads to skip, without a walk,
# the backward of a graph too small to replay (fewer nodes made since the last backward)
made = [0]


def new_node(cls):
    """An empty node of class `cls` (fields filled by the recording op)."""
    made[0] += 1
    n = object.__new__(cls)
    n.saved = n.saved_versions = n.params = n.pre_hooks = n.post_hooks = n.metadata = None
    n.watched = ()
    n.n_outputs = 1
    n.released = False
    if _ANOMALY[0]:   # anomaly mode: remember where this op was recorded
        n.anomaly_trace = _capture_trace()
    return n


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the incoming gradient into ``leaf.grad``
    (made by `edge_of`, once per leaf)."""

    __slots__ = ("_variable",)

    @property
    def variable(self):
        return self._variable()


class RetainGradHook:
    """The pre-hook ``Tensor.retain_grad`` puts on the tensor's node: stores the
    gradient in ``.grad`` (weakly referencing the tensor, so no cycle)."""

    __slots__ = ("_ref", "_node")

    def __init__(self, tensor):
        self._ref = weakref.ref(tensor)
        self._node = weakref.ref(tensor.grad_fn)

    def __call__(self, g):
        t = self._ref()
        if t is None or not t._retains_grad or g._data.shape != t._data.shape:
            return   # gone, switched off, or a batched gradient (is_grads_batched)
        if t.grad_fn is not self._node():
            return   # an in-place op moved the tensor (and a new hook) onto another node
        # clone under the engine's grad mode: recorded only with create_graph
        t._grad = g.clone() if t._grad is None else t._grad + g


def node_class(name, op):
    """The Node subclass called `name` (e.g. 'MulBackward0') bound to `op`."""
    return type(name, (Node,), {"__slots__": (), "op": op, "vjp": staticmethod(op.backward)})


def edge_of(t):
    """The (node, output_nr) edge through which gradient reaches tensor `t`: a new
    tuple, which a consumer's node does not keep. A node keeps its inputs' edges
    flat, in one tuple (``_next``): an edge tuple per input would be one more object
    per op for the cycle collector to scan (see `meta_of`)."""
    fn = t.grad_fn
    if fn is not None:
        return fn, t._output_nr
    if not t._requires_grad:
        return _NO_EDGE
    fn = t._accumulator
    if fn is None:
        fn = t._accumulator = new_node(AccumulateGrad)
        fn._next = ()
        fn.input_meta = ()
        fn._variable = weakref.ref(t)
    return fn, 0


def flat_edges(tensors):
    """A node's ``_next`` for input `tensors`: each one's node and output number
    (None in `tensors`: an argument that is no tensor, no edge)."""
    flat = []
    for t in tensors:
        flat += _NO_EDGE if t is None else edge_of(t)
    return tuple(flat)


def edges_of(node):
    """The (node, output_nr) pairs of `node`'s inputs, read from its flat ``_next``."""
    it = iter(node._next)
    return zip(it, it)


_NO_EDGE = (None, 0)
