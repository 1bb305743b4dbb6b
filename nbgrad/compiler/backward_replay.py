"""Eager backward of a graph whose structure was seen before: one tape call.

A training loop builds the same graph at every step: the same ops on the same
shapes, only the values differ.  The engine visits each node in Python (about
10 us a node on the scalar graph); this module, called by the engine
(`nbgrad.autograd.engine.graph_replay`) before it starts, walks the graph once
(`graph_walk`: its structure as a key, the values its nodes saved, the engine's
checks) and, from the second backward of a structure on, runs its reverse pass
as one call of the tape interpreter of `nb.compile`, generated from the same op
declarations as the eager kernels.

What it runs: graphs of float64 CPU tensors of up to `TAPE_MAX_ELEMENTS`
elements (past that the eager kernels are faster) made of elementwise ops,
full sums and means, stacks, softmax over the last dimension, ``x[i]`` and
leaves; no hooks, ``create_graph``, anomaly mode, ``is_grads_batched``,
profiler, vmap or nb.compile recording.  Anything else, and any check that
fails, is the engine's (with its errors): never a replay that could differ
from it beyond rounding.

What it walks: a backward with at least `MIN_NODES` nodes made since the
previous one (`node.made` counts them as they are made: a small graph, or a
second backward of one graph, costs no walk); and after `_PATIENCE` walks in a
row that did not replay (graphs that change at every step), one backward in
`_SAMPLE`.  `stats` counts walks, builds and replays.
"""

import numpy as np

from nbgrad import _dtypes
from nbgrad.autograd import node as _node
from nbgrad.autograd.accumulate_grad import accumulate_leaf
from nbgrad.compiler.backward_program import BackwardProgram
from nbgrad.compiler.graph_walk import walk
from nbgrad.compiler.unsupported import Unsupported
from nbgrad.ops.registry import intercepted
from nbgrad.tensor import Tensor

__all__ = ["replay", "stats", "MIN_NODES", "MAX_NODES", "CACHE_SIZE", "enabled", "clear"]

MIN_NODES = 64     # smaller graphs: the engine is as fast, and no interpreter is built
MAX_NODES = 200_000   # larger ones: their keys would take much memory
CACHE_SIZE = 8     # programs kept (least recently built first out)
enabled = [True]   # [False]: the engine runs every backward (tests compare the two)
stats = {"walks": 0, "builds": 0, "replays": 0}
_SEEN, _NOT_RUNNABLE = "seen once", "not runnable"
_programs = {}     # key -> BackwardProgram
_verdicts = {}     # hash of a key without a program -> _SEEN or _NOT_RUNNABLE
_VERDICTS_SIZE = 64
# After `_PATIENCE` backwards in a row that did not replay (graphs that change at every
# step, or that the tape cannot run), only one in `_SAMPLE` is walked: the walk costs
# about a quarter of the engine's time, and is wasted on such graphs.
_PATIENCE, _SAMPLE = 8, 16
_streak = [0, 0]   # backwards in a row without a replay; backwards since the last walk
_made = _node.made   # nodes made so far (a list, counted in place)
_made_before = [0]   # its count at the last backward


def clear():
    """Forget every structure seen (tests; the next backward of each is the engine's)."""
    _programs.clear()
    _verdicts.clear()
    _streak[:] = [0, 0]


def replay(edges, grads, retain_graph, capture):
    """The engine's hook: None (the engine runs the graph), or a 1-tuple holding what
    `run_backward` returns (the captured gradients, or None)."""
    made = _made[0]
    before = _made_before[0]
    _made_before[0] = made
    if made - before < MIN_NODES or not enabled[0] or intercepted():
        return None   # few nodes made since the last backward: not worth a walk
    streak = _streak
    if streak[0] >= _PATIENCE:
        streak[1] += 1
        if streak[1] < _SAMPLE:
            return None
        streak[1] = 0
    done = _replay(edges, grads, retain_graph, capture)
    streak[0] = 0 if done is not None else streak[0] + 1
    return done


def _replay(edges, grads, retain_graph, capture):
    stats["walks"] += 1
    walked = walk([e[0] for e in edges if e[0] is not None])
    if walked is None or not MIN_NODES <= len(walked[0]) <= MAX_NODES:
        return None
    order, index, key, values = walked
    if not _roots_key(index, edges, grads, capture, key, values):
        return None
    key = tuple(key)
    program = _programs.get(key)
    if program is None:
        program = _second_sight(key, order, edges, grads, capture)
        if program is None:
            return None
    captured = _run(program, order, values, capture is not None)
    if captured is False:
        return None
    if not retain_graph:
        for i in program.ran:
            node = order[i]
            if node.saved is not None:   # freed, as the engine frees what a node ran on
                node.saved = None
                node.released = True
    stats["replays"] += 1
    return (captured,)


def _roots_key(index, edges, grads, capture, key, values):
    """Add the roots, their gradients and the captured edges to `key` and the root
    gradients to `values`; False where they are not float64 CPU tensors."""
    key.append("roots")
    for (node, nr), g in zip(edges, grads):
        if node is None:
            key.append(-1)
            continue
        d = g._data
        if d.__class__ is not np.ndarray or g.dtype is not _dtypes.float64:
            return False
        key += (index[node], nr, d.shape)
        values.append(d)
    if capture is not None:
        key.append("capture")
        for node, nr in capture:
            key += (index.get(node, -1), nr)
    return True


def _second_sight(key, order, edges, grads, capture):
    """The program of `key` if this is its second sight and the tape can run it (built
    now and kept), else None (its first sight is remembered, by the key's hash: a
    collision only keeps a graph on the engine)."""
    h = hash(key)
    verdict = _verdicts.pop(h, None)
    if verdict is None:
        _keep(_verdicts, h, _SEEN, _VERDICTS_SIZE)
        return None
    if verdict is _NOT_RUNNABLE:
        _keep(_verdicts, h, verdict, _VERDICTS_SIZE)
        return None
    try:
        program = BackwardProgram(order, edges, grads, capture)
    except Unsupported:
        _keep(_verdicts, h, _NOT_RUNNABLE, _VERDICTS_SIZE)
        return None
    stats["builds"] += 1
    _keep(_programs, key, program, CACHE_SIZE)
    return program


def _keep(cache, key, value, size):
    if len(cache) >= size:
        cache.pop(next(iter(cache)))   # the oldest
    cache[key] = value


def _run(program, order, values, capturing):
    """Copy the values in, run the reverse pass, hand the gradients out: the captured
    ones (a list) or, accumulated into the leaves' ``.grad``, None.  False (nothing
    changed) if the values do not fill the program's slots."""
    flat = np.concatenate(values, axis=None, dtype=np.float64)
    if flat.shape[0] != program.dest.shape[0]:
        return False
    A = np.empty(program.size)
    G = np.empty(program.size)
    A[program.dest] = flat
    program.run(program.code, A, G, 0, program.aux)
    if capturing:
        return [None if s is None else _grad_tensor(G, s) for s in program.captured]
    holders = {}
    for i, slot in program.leaves:
        accumulate_leaf(order[i], _grad_tensor(G, slot), False, holders)
    return None


def _grad_tensor(G, slot):
    """A new tensor holding the gradient at `slot` ((offset, size, shape))."""
    off, n, shape = slot
    return Tensor._make(G[off:off + n].reshape(shape).copy(), _dtypes.float64)
