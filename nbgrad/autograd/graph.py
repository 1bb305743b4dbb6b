"""What the engine learns about a graph before running it (PyTorch's
``compute_dependencies`` and ``exec_info``): how many consumers each node
waits for, and, for ``autograd.grad``, which nodes' gradients are captured
and which nodes need to run at all.

Both walks are iterative (no recursion): a 100,000-op chain is fine.
"""

__all__ = ["compute_dependencies", "Capture"]


def compute_dependencies(roots, consumers=None):
    """deps[node]: how many edges from inside the graph reachable from the
    `roots` (nodes) point at `node`.  A node absent from `deps` is ready as soon
    as it has a gradient.  With a dict `consumers`, the same walk also fills
    consumers[node]: the nodes with an edge to it (what `Capture` walks back)."""
    deps = {}
    roots = set(roots)    # a root given twice is walked once
    stack = list(roots)
    while stack:
        node = stack.pop()
        it = iter(node._next)   # flat: node, output number of each input
        for nxt, _ in zip(it, it):
            if nxt is not None:
                count = deps.get(nxt)
                if count is None:   # first visit
                    deps[nxt] = 1
                    if consumers is not None:
                        consumers[nxt] = [node]
                    if nxt not in roots:
                        stack.append(nxt)
                else:
                    deps[nxt] = count + 1
                    if consumers is not None:
                        consumers[nxt].append(node)
    return deps


class Capture:
    """The gradients ``autograd.grad`` returns instead of accumulating them.

    `at[node]`: the (output_nr, slot) pairs read from that node's incoming
    gradients; `useful`: the nodes from which a captured node can be reached
    (no other node runs its backward rule); `grads`: the result, one per edge
    (None where nothing arrived).  `deps` and `consumers` come from
    `compute_dependencies` over the same `roots`."""

    __slots__ = ("at", "useful", "grads")

    def __init__(self, roots, edges, deps, consumers):
        self.grads = [None] * len(edges)
        self.at = {}
        for i, (node, nr) in enumerate(edges):
            if node is not None:
                self.at.setdefault(node, []).append((nr, i))
        roots = set(roots)
        reached = [n for n, _ in edges if n is not None and (n in deps or n in roots)]
        self.useful = _nodes_leading_to(reached, consumers)

    def take(self, node, grads_out):
        """Keep what `node` receives (called before it runs)."""
        for nr, i in self.at.get(node, ()):
            self.grads[i] = grads_out[nr]


def _nodes_leading_to(targets, consumers):
    """The nodes from which some node in `targets` (all reachable) can be reached,
    walking the `consumers` edges back."""
    found = set(targets)
    stack = list(found)
    while stack:
        for c in consumers.get(stack.pop(), ()):
            if c not in found:
                found.add(c)
                stack.append(c)
    return found
