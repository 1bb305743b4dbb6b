"""The nested containers nb.func's transforms take and return (PyTorch's pytrees):
tuples, lists, dicts and namedtuples of leaves (tensors, numbers, None ...).

`flatten(tree)` gives the leaves in order and a spec; `unflatten(leaves, spec)`
rebuilds the same structure; `broadcast_prefix(prefix, tree, what)` spreads a
prefix of a tree (an ``in_dims`` or ``out_dims`` such as ``(None, 0)``) over
the leaves of the tree.
"""

__all__ = ["flatten", "unflatten", "broadcast_prefix", "tree_map"]

_LEAF = None   # a spec for a leaf


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _children(tree):
    """(kind, keys, children) of a container, or None for a leaf."""
    if isinstance(tree, dict):
        keys = list(tree)
        return dict, keys, [tree[k] for k in keys]
    if _is_namedtuple(tree):
        return type(tree), None, list(tree)
    if tree.__class__ in (tuple, list):
        return tree.__class__, None, list(tree)
    return None


def flatten(tree):
    """(leaves, spec): ``flatten({'a': (1, 2)})`` is ``([1, 2], spec)``."""
    leaves = []
    spec = _flatten_into(tree, leaves)
    return leaves, spec


def _flatten_into(tree, leaves):
    node = _children(tree)
    if node is None:
        leaves.append(tree)
        return _LEAF
    kind, keys, children = node
    return (kind, keys, [_flatten_into(c, leaves) for c in children])


def unflatten(leaves, spec):
    """The tree of structure `spec` with `leaves` in order (flatten's inverse)."""
    it = iter(leaves)
    return _build(it, spec)


def _build(it, spec):
    if spec is _LEAF:
        return next(it)
    kind, keys, specs = spec
    children = [_build(it, s) for s in specs]
    if kind is dict:
        return dict(zip(keys, children))
    if kind is tuple or kind is list:
        return kind(children)
    return kind(*children)   # a namedtuple


def tree_map(fn, tree):
    """`tree` with fn applied to each leaf."""
    leaves, spec = flatten(tree)
    return unflatten([fn(x) for x in leaves], spec)


def broadcast_prefix(prefix, tree, what):
    """One value per leaf of `tree`: a leaf of `prefix` applies to the whole subtree
    at its place (PyTorch's in_dims/out_dims rule); ValueError naming `what` when
    the structures differ."""
    out = []
    _spread(prefix, tree, out, what)
    return out


def _spread(prefix, tree, out, what):
    pnode = _children(prefix)
    if pnode is None:
        out.extend([prefix] * len(flatten(tree)[0]))
        return
    tnode = _children(tree)
    pkind, pkeys, pchildren = pnode
    if tnode is None or len(tnode[2]) != len(pchildren) or \
            (pkind is dict) != (tnode[0] is dict) or \
            (pkind is dict and sorted(pkeys) != sorted(tnode[1])):
        raise ValueError(f"{what} is not compatible with the structure of the inputs/outputs: "
                         f"{what} has structure {_describe(prefix)} but the value has "
                         f"structure {_describe(tree)}")
    if pkind is dict:
        for k in tnode[1]:
            _spread(prefix[k], tree[k], out, what)
    else:
        for p, t in zip(pchildren, tnode[2]):
            _spread(p, t, out, what)


def _describe(tree):
    node = _children(tree)
    if node is None:
        return "*"
    kind, keys, children = node
    inner = ", ".join(_describe(c) for c in children)
    if kind is dict:
        return "{" + ", ".join(f"{k!r}: {_describe(tree[k])}" for k in keys) + "}"
    return f"({inner},)" if kind is not list else f"[{inner}]"
