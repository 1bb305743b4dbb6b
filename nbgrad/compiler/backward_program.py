"""The reverse pass of one eager graph structure as tape rows (`backward_replay`).

Built from the nodes of one walked graph (`graph_walk`: nodes numbered in walk
order).  Each node's output gets an arena slot; a node's backward row reads its
saved values in ``A`` at the slots of the tensors they are (an input's slot is
the slot of the node that made it) and adds into ``G`` at its inputs' slots, as
the interpreter's rows of `nb.compile` do.  Rows run in the engine's order:
a node once all its consumers have added their gradients.  The saved values of
each call are copied to `dest` (their arena indices, in the walk's order).
Anything the rows cannot express raises `Unsupported`.
"""

import math

import numpy as np

from nbgrad import _dtypes
from nbgrad.autograd.graph import Capture, compute_dependencies
from nbgrad.autograd.node import edges_of
from nbgrad.compiler.api import TAPE_MAX_ELEMENTS
from nbgrad.compiler.graph_walk import ELEMENTWISE, LEAF, kind_of
from nbgrad.compiler.interpreter import BUILTINS, E_LIMIT, WIDTH, encode_row, vocabulary
from nbgrad.compiler.unsupported import Unsupported

__all__ = ["BackwardProgram"]

_F64 = _dtypes.float64


class BackwardProgram:
    """Rows, arena layout and results of one structure's reverse pass."""

    def __init__(self, order, edges, grads, capture):
        index = {n: i for i, n in enumerate(order)}
        self.links = [[None if nxt is None else (index[nxt], nr)
                       for nxt, nr in edges_of(n)] for n in order]
        self.kinds = [kind_of(n.__class__) for n in order]
        self.shapes = _output_shapes(order, self.links, index, edges, grads)
        self.off = []
        self.size = 0
        for shape in self.shapes:
            self.off.append(self._alloc(math.prod(shape)))
        self.rows, self.aux, self.ops, self.consts, dest = [], [], {}, {}, []
        self.rows.append(encode_row(BUILTINS["zero_grad"], 0, 0))   # n set below
        self._values(order, dest)
        received = self._seeds(index, edges, grads, dest)
        # the engine's own walk: how many consumers each node waits for and, for
        # autograd.grad, the nodes it runs (those leading to a captured one)
        roots = [n for n, _ in edges if n is not None]
        consumers = {}
        deps = compute_dependencies(roots, consumers)
        useful = None if capture is None else \
            {index[n] for n in Capture(roots, capture, deps, consumers).useful}
        self.ran = []
        for i in _consumers_first(self.links, [deps.get(n, 0) for n in order]):
            if received[i] and (useful is None or i in useful) and self.kinds[i] is not LEAF:
                self.ran.append(i)
                self._emit(order[i], i, received)
        self.rows[0][1] = self.size
        if capture is not None and any(nr for n, nr in capture if n in index):
            raise Unsupported("a node with several outputs")
        self.captured = None if capture is None else [
            self._slot(index[n]) if n in index and received[index[n]] else None
            for n, _ in capture]
        self.leaves = [(i, self._slot(i)) for i, k in enumerate(self.kinds)
                       if k is LEAF and received[i]]
        self._finish(dest)

    def _alloc(self, n):
        off = self.size
        self.size += max(n, 1)
        return off

    def _slot(self, i):
        shape = self.shapes[i]
        return self.off[i], math.prod(shape), shape

    def _finish(self, dest):
        if self.size >= 2 ** 31:   # rows hold int32 offsets
            raise Unsupported("an arena of 2**31 elements or more")
        vocab = vocabulary(self.ops.values())
        for row in self.rows:
            if row[0].__class__ is str:   # an elementwise op's backward: [name, ..., bits]
                row[0] = (vocab.opcode[row[0]] + 1) | row.pop()
        self.code = np.array(self.rows, dtype=np.int32).reshape(-1, WIDTH)
        self.aux = np.array(self.aux + [0], dtype=np.int32)
        self.dest = np.array(dest, dtype=np.int64)
        self.run = vocab.run
        del self.rows, self.links, self.kinds, self.shapes, self.off, self.ops, self.consts

    # -- where each call's values go --------------------------------------------------
    def _values(self, order, dest):
        """Arena indices of the values `graph_walk.walk` gathers, in its order."""
        for i, node in enumerate(order):
            kind = self.kinds[i]
            saved = node.saved
            if not saved:
                continue
            if kind is ELEMENTWISE:
                names = node.op.inputs
                for name in saved:
                    off, n = (self.off[i], self._numel(i)) if name == "out" else \
                        self._operand(node, i, names.index(name), True)
                    dest.extend(range(off, off + n))
            elif kind == "softmax":
                dest.extend(range(self.off[i], self.off[i] + self._numel(i)))
            else:
                raise Unsupported(f"{node.name()} saved values the tape does not read")

    def _numel(self, i):
        return math.prod(self.shapes[i])

    def _operand(self, node, i, p, saved):
        """(arena offset, size) of input `p` of elementwise node `i`: its producer's
        slot, a slot of its own if it is saved but has no producer (a number, a tensor
        that needs no gradient), else (0, 1): never read."""
        link = self.links[i][p]
        if link is not None:
            return self.off[link[0]], self._numel(link[0])
        if not saved:
            return 0, 1
        meta = node.input_meta[p]
        n = 1 if meta is None else math.prod(meta[0])
        off = self.consts.get((i, p))
        if off is None:
            off = self.consts[i, p] = self._alloc(n)
        return off, n

    def _seeds(self, index, edges, grads, dest):
        """Rows adding the roots' gradients (values after the nodes'); returns the
        per-node flags of having received a gradient."""
        received = [False] * len(self.shapes)
        for (node, nr), g in zip(edges, grads):
            if node is None:
                continue
            i = index[node]
            n = g._data.size
            c = self._alloc(n)
            dest.extend(range(c, c + n))
            self.rows.append(encode_row(BUILTINS["seed_from"], n, self.off[i], c, 1))
            received[i] = True
        return received

    # -- one row per node --------------------------------------------------------------
    def _emit(self, node, i, received):
        kind = self.kinds[i]
        d = getattr(node, "__dict__", None)
        if kind is ELEMENTWISE:
            self._elementwise(node, i, received)
        elif kind == "stack":
            self._stack(node, i, d, received)
        elif self.links[i][0] is not None:   # one input: sum, mean, softmax, select
            j = self.links[i][0][0]
            if kind == "softmax":
                self._softmax(i, j, d)
            elif kind == "select":
                self._select(i, j, d)
            elif self._numel(i) != 1:
                raise Unsupported("a sum or mean to more than one element")
            else:
                self._add(BUILTINS[kind] + 1, self._numel(j), self.off[i], self.off[j], 1)
            received[j] = True

    def _add(self, op, n, o, a=0, sa=0, b=0, e=0):
        if not 0 <= e < E_LIMIT:
            raise Unsupported("a row field out of range")
        self.rows.append(encode_row(op, n, o, a, sa, b, 0, 0, 0, e))

    def _elementwise(self, node, i, received):
        op = node.op
        compute, needs = node.params
        if compute is not _F64:
            raise Unsupported("not float64")
        n = self._numel(i)
        row = [op.name, n, self.off[i], 0, 0, 0]
        bits = 0
        word = 0
        saved = node.saved or ()
        for p, name in enumerate(op.inputs):
            off, size = self._operand(node, i, p, name in saved)
            if size not in (n, 1):
                raise Unsupported("broadcasting beyond a single element")
            row[3 + p] = off
            word |= (1 if size == n else 0) << (8 + p)
            link = self.links[i][p]
            if needs[p] and link is not None:
                bits |= 1 << p
                received[link[0]] = True
        if bits >= E_LIMIT:
            raise Unsupported("a row field out of range")
        self.ops[op.name] = op
        self.rows.append(row + [word | bits << 11])

    def _softmax(self, i, j, d):
        shape = self.shapes[i]
        if d["log"] or (shape and d["dim"] != len(shape) - 1) or not self._numel(i):
            raise Unsupported("softmax over another dimension than the last")
        self._add(BUILTINS["softmax"] + 1, self._numel(i), self.off[i], self.off[j], 1,
                  e=shape[-1] if shape else 1)

    def _select(self, i, j, d):
        shape, key = d["shape"], d["key"]
        if len(key) != 2 or key[0].__class__ is not int or key[1] is not Ellipsis:
            raise Unsupported("a select along another dimension than the first")
        inner = math.prod(shape[1:])
        self._add(BUILTINS["copy"] + 1, inner, self.off[i],
                  self.off[j] + key[0] % shape[0] * inner, 1)

    def _stack(self, node, i, d, received):
        metas = node.input_meta
        e = math.prod(metas[0][0])
        if any(m != metas[0] for m in metas) or (d["dim"] != 0 and e != 1):
            raise Unsupported("a stack along another dimension than the first")
        start = len(self.aux)
        for link in self.links[i]:
            if link is None:
                self.aux.append(self._alloc(e))   # a scratch block: nobody reads it
            else:
                self.aux.append(self.off[link[0]])
                received[link[0]] = True
        self._add(BUILTINS["gather"] + 1, len(metas) * e, self.off[i], start, 0,
                  len(metas), e)


def _output_shapes(order, links, index, edges, grads):
    """Each node's output shape, from its consumers' input metadata (the roots': from
    their gradients); Unsupported unless every tensor is float64 and small."""
    shapes = [None] * len(order)
    for node, node_links in zip(order, links):
        for link, meta in zip(node_links, node.input_meta):
            if meta is not None and meta[1] is not _F64:
                raise Unsupported("not float64")
            if link is not None:
                if link[1] != 0:
                    raise Unsupported("a node with several outputs")
                _set_shape(shapes, link[0], meta[0])
    for (node, nr), g in zip(edges, grads):
        if node is not None:
            if nr != 0:
                raise Unsupported("a node with several outputs")
            _set_shape(shapes, index[node], g._data.shape)
    for shape in shapes:
        if shape is None or not 0 < math.prod(shape) <= TAPE_MAX_ELEMENTS:
            raise Unsupported("an empty or large tensor")
    return shapes


def _set_shape(shapes, j, shape):
    if shapes[j] is None:
        shapes[j] = shape
    elif shapes[j] != shape:
        raise Unsupported("one output seen with two shapes")


def _consumers_first(links, deps):
    """Node numbers in an order where each comes after every node with an edge to it;
    `deps[i]`: how many edges point at node i."""
    ready = [i for i, d in enumerate(deps) if d == 0]
    out = []
    while ready:
        i = ready.pop()
        out.append(i)
        for link in links[i]:
            if link is not None:
                j = link[0]
                deps[j] -= 1
                if deps[j] == 0:
                    ready.append(j)
    return out
