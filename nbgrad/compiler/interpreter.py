"""The tape interpreter: one compiled Numba function that runs a flat program.

A program is an int32 array of instructions, one row each (see `encode_row`):
``(word, n, out, a, b, c)`` -- the opcode, each operand's step (1: it has n
elements; 0: one element, broadcast) and an extra field ``e`` (need bits of a
backward row, the row length of a softmax) packed in one word, then the element
count and the arena offsets of the result and of up to three operands.  Six
int32 a row, because a replay between other work starts with cold caches: the
scalar graph's program is the largest thing it reads (24 bytes a row; ten
unpacked fields took 40).  ``aux`` holds the source offsets
of gather rows (a stack of slots spread over the arena, in one row).  ``A`` holds every value of the
graph (inputs, constants, intermediates), ``G`` the gradients, at the same
offsets.  A view of a contiguous block is the same arena region, so views cost
no instruction and their gradients land where the base's are.

The interpreter is generated for a *set* of elementwise ops (from their
declarations: the forward and each input's derivative are the same scalar
functions the eager kernels inline) plus the fixed builtins below; another
graph using the same ops reuses it without compiling (the disk cache keys it
by the text of everything it inlines, as every generated kernel).
"""

from nbgrad.backends import codegen
from nbgrad.backends.cpu import elementwise as cpu_elementwise
from nbgrad.backends.family import KernelFamily
from nbgrad.compiler.unsupported import Unsupported

__all__ = ["WIDTH", "BUILTINS", "Vocabulary", "vocabulary", "encode_row"]

WIDTH = 6
_E_SHIFT = 11   # word = opcode (8 bits) | sa << 8 | sb << 9 | sc << 10 | e << 11
E_LIMIT = 1 << (31 - _E_SHIFT)

# builtin opcodes: (forward, backward) pairs; elementwise ops follow from FIRST_OP
# "host" (and its backward): an op the interpreter cannot run; `run` returns the
# row's index so that Python runs it (`nbgrad.compiler.hostops`) and resumes
# "gather_sum" and "gather_softmax" read a stack's sources through aux without
# the stack's own row (see `gathers`): the scalar graph's rows per round 12 -> 8
BUILTINS = {"copy": 0, "sum": 2, "mean": 4, "softmax": 6, "zero_grad": 8, "seed": 9,
            "seed_from": 10, "grad_out": 11, "add_prev": 12, "host": 14, "gather": 16,
            "gather_sum": 18, "gather_softmax": 20}
FIRST_OP = 22

_BUILTIN_SOURCE = """
        if op == 0:      # copy: out = a
            for i in range(n):
                A[o + i] = A[a + i]
        elif op == 1:
            for i in range(n):
                G[a + i] += G[o + i]
        elif op == 2:    # sum of n elements
            acc = 0.0
            for i in range(n):
                acc += A[a + i]
            A[o] = acc
        elif op == 3:
            for i in range(n):
                G[a + i] += G[o]
        elif op == 4:    # mean of n elements
            acc = 0.0
            for i in range(n):
                acc += A[a + i]
            A[o] = acc / n
        elif op == 5:
            for i in range(n):
                G[a + i] += G[o] / n
        elif op == 6:    # softmax over rows of e elements
            for r in range(0, n, e):
                m = A[a + r]
                for i in range(r, r + e):
                    m = max(m, A[a + i])
                acc = 0.0
                for i in range(r, r + e):
                    v = np.exp(A[a + i] - m)
                    A[o + i] = v
                    acc += v
                for i in range(r, r + e):
                    A[o + i] = A[o + i] / acc
        elif op == 7:
            for r in range(0, n, e):
                acc = 0.0
                for i in range(r, r + e):
                    acc += G[o + i] * A[o + i]
                for i in range(r, r + e):
                    G[a + i] += A[o + i] * (G[o + i] - acc)
        elif op == 8:    # zero the gradients
            for i in range(n):
                G[i] = 0.0
        elif op == 9:    # seed: d root / d root = 1
            for i in range(n):
                G[o + i] += 1.0
        elif op == 10:   # seed from a given gradient
            for i in range(n):
                G[o + i] += A[a + i]
        elif op == 11:   # expose a gradient as a value: out = G[a]
            for i in range(n):
                A[o + i] = G[a + i]
        elif op == 12:   # a leaf's accumulated gradient: out = A[a] + G[b]
            for i in range(n):
                A[o + i] = A[a + i] + G[b + i]
        elif op == 14 or op == 15:   # a host op: Python runs it, then resumes at k + 1
            return k
        elif op == 16:   # gather (stack): b blocks of e elements from aux[a:a + b]
            for q in range(b):
                src = aux[a + q]
                for i in range(e):
                    A[o + q * e + i] = A[src + i]
        elif op == 17:
            for q in range(b):
                src = aux[a + q]
                for i in range(e):
                    G[src + i] += G[o + q * e + i]
        elif op == 18:   # gather_sum: the sum of b blocks of e elements from aux[a:a + b]
            acc = 0.0
            if e == 1:
                for q in range(b):
                    acc += A[aux[a + q]]
            else:
                for q in range(b):
                    src = aux[a + q]
                    for i in range(e):
                        acc += A[src + i]
            A[o] = acc
        elif op == 19:
            if e == 1:
                for q in range(b):
                    G[aux[a + q]] += G[o]
            else:
                for q in range(b):
                    src = aux[a + q]
                    for i in range(e):
                        G[src + i] += G[o]
        elif op == 20:   # gather_softmax: softmax of the b single values at aux[a:a + b]
            m = A[aux[a]]
            for q in range(1, b):
                m = max(m, A[aux[a + q]])
            acc = 0.0
            for q in range(b):
                v = np.exp(A[aux[a + q]] - m)
                A[o + q] = v
                acc += v
            for q in range(b):
                A[o + q] = A[o + q] / acc
        elif op == 21:
            acc = 0.0
            for q in range(b):
                acc += G[o + q] * A[o + q]
            for q in range(b):
                G[aux[a + q]] += A[o + q] * (G[o + q] - acc)
"""

_OPERAND_FIELDS = (("a", "sa"), ("b", "sb"), ("c", "sc"))


def encode_row(op, n, o, a=0, sa=0, b=0, sb=0, c=0, sc=0, e=0):
    """The int32 fields of one row (callers check ``0 <= e < E_LIMIT``, steps 0/1)."""
    return [op | sa << 8 | sb << 9 | sc << 10 | e << _E_SHIFT, n, o, a, b, c]


class Vocabulary:
    """The elementwise ops one interpreter knows, in a fixed order (by name)."""

    def __init__(self, ops):
        self.ops = sorted(set(ops), key=lambda o: o.name)
        if FIRST_OP + 2 * len(self.ops) > 256:
            # the function then runs eagerly, with the reason (api catches Unsupported)
            raise Unsupported(f"{len(self.ops)} different elementwise ops (the tape's "
                              f"opcodes have 8 bits: at most {(256 - FIRST_OP) // 2})")
        self.opcode = {op.name: FIRST_OP + 2 * k for k, op in enumerate(self.ops)}
        self._run = None

    @property
    def run(self):
        """The compiled ``run(code, A, G, start, aux)``: runs rows from `start` until a host
        row (returns its index) or the end (returns -1); built on first use."""
        if self._run is None:
            self._run = _build(self.ops)
        return self._run


_vocabularies = {}   # frozenset of op names -> Vocabulary (one interpreter per op set)


def vocabulary(ops):
    """The one `Vocabulary` of this set of elementwise ops."""
    names = {op.name: op for op in ops}
    key = frozenset(names)
    vocab = _vocabularies.get(key)
    if vocab is None:
        vocab = _vocabularies[key] = Vocabulary(names.values())
    return vocab


def _register(stem, fn):
    fam = KernelFamily(stem, [fn])
    token = f"{fam.stem}.{fam.fp}.0"
    if (fam.stem, fam.fp) not in cpu_elementwise._registered:
        cpu_elementwise._registered.add((fam.stem, fam.fp))
        import numba
        codegen.register_object(token, numba.njit(fn, forceinline=True, error_model="numpy"))
    return token


def _forward_lines(k, op):
    """The forward branch of elementwise op `k`.  Operands of n elements are read as
    slices indexed from 0 (LLVM then drops the negative-index checks and
    vectorises); a broadcast operand takes the general loop; one element, neither."""
    fields = list(zip(op.inputs, _OPERAND_FIELDS))
    steps = " and ".join(f"{s} == 1" for _, (_, s) in fields)
    general = ", ".join(f"A[{a} + i * {s}]" for _, (a, s) in fields)
    sliced = ", ".join(f"v{j}[i]" for j in range(len(fields)))
    single = ", ".join(f"A[{a}]" for _, (a, _) in fields)
    lines = [f"        elif op == {FIRST_OP + 2 * k}:   # {op.name}",
             "            if n == 1:   # a 0-d value (the scalar graph's every row): no slices",
             f"                A[o] = f{k}({single})",
             f"            elif {steps}:",
             "                dst = A[o:o + n]"]
    lines += [f"                v{j} = A[{a}:{a} + n]" for j, (_, (a, _)) in enumerate(fields)]
    lines += ["                for i in range(n):",
              f"                    dst[i] = f{k}({sliced})",
              "            else:",
              "                for i in range(n):",
              f"                    A[o + i] = f{k}({general})"]
    return lines


def _backward_lines(k, op, head):
    """The backward branch of elementwise op `k`: each input whose need bit is set in
    ``e`` gets its derivative rule times g added into its gradient."""
    operand = {name: f"A[{a} + i * {s}]" for name, (a, s) in zip(op.inputs, _OPERAND_FIELDS)}
    lines = [f"        elif op == {FIRST_OP + 2 * k + 1}:",
             "            for i in range(n):",
             "                g = G[o + i]"]
    for j, (name, (a, s)) in enumerate(zip(op.inputs, _OPERAND_FIELDS)):
        rule = op.grads.get(name)
        if rule is None:
            continue
        head.append(f"g{k}_{j} = _objects[{_register(f'{op.name}_tape_d{name}', rule)!r}]")
        args = [{"g": "g", "out": "A[o + i]"}.get(p, operand.get(p))
                for p in op._grad_params[name]]
        lines += [f"                if e & {1 << j}:",
                  f"                    G[{a} + i * {s}] += g{k}_{j}({', '.join(args)})"]
    return lines


_PROLOGUE = ['@njit(cache=CACHE, error_model="numpy")', "def run(code, A, G, start, aux):",
             "    for k in range(start, code.shape[0]):",
             "        word = code[k, 0]",
             "        op = word & 255",
             "        sa = (word >> 8) & 1",
             "        sb = (word >> 9) & 1",
             "        sc = (word >> 10) & 1",
             f"        e = word >> {_E_SHIFT}"] + [
    f"        {name} = code[k, {j}]" for j, name in enumerate(("n", "o", "a", "b", "c"), 1)]


def _build(ops):
    head = ["import numpy as np", "from numba import njit"]
    body = []
    for k, op in enumerate(ops):
        head.append(f"f{k} = _objects[{_register(op.name + '_tape', op.forward_fn)!r}]")
        body += _forward_lines(k, op) + _backward_lines(k, op, head)
    lines = head + _PROLOGUE + [_BUILTIN_SOURCE.rstrip("\n")] + body + ["    return -1"]
    stem = "tape_" + "_".join(op.name for op in ops)[:60]
    return codegen.load_module(stem, "\n".join(lines) + "\n").run
