"""The C reference of issue 12: the scalar graph as a tape run by C compiled with -O3.

`record` runs `scalar_graph.scalar_graph` with a tiny pure-Python stand-in for
``torch`` (`Recorder`: no nbgrad, no torch) whose values only remember which op
made them from which slots, giving the tape as int32 arrays.  The C side
(``scalar_tape.c``) interprets it: ``stack(...).sum()`` is one instruction
(SUM4) and ``softmax(stack(...), 0)[k]`` another (SOFTMAX4_SELECT), so 9,998
PyTorch-level ops become 5,713 instructions; per-op times divide by the 9,998
ops, as PyTorch's and nbgrad's do.

`CTape` compiles the C file with ``cc -O3 -shared -fPIC`` into a temporary
directory (`NoCompiler` when no C compiler is found), loads it with ctypes and
runs forward plus reverse pass.  ``python asv_benchmarks/c_tape.py`` prints the
ns per op (median of repeats).
"""

import atexit
import ctypes
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
if __package__:
    from . import scalar_graph
else:   # run as a script
    sys.path.insert(0, os.path.dirname(_HERE))
    from asv_benchmarks import scalar_graph

C_SOURCE = os.path.join(_HERE, "scalar_tape.c")
OPCODES = {"softplus": 0, "sum4": 1, "mul": 2, "softmax4_select": 3}  # scalar_tape.c's enum
WIDTH = 7  # opcode, in0..in3, aux (the selected softmax element), out


class NoCompiler(RuntimeError):
    """No C compiler on this machine: the C reference cannot be built."""


# -- the recording stand-in for torch ---------------------------------------------
class Recorder:
    """The part of the torch API that scalar_graph uses, recording instead of computing.

    Every call counts one op in ``n_ops``; ``rows`` collects the tape's
    instructions (opcode, four input slots, aux, output slot)."""

    float64 = "float64"

    def __init__(self):
        self.n_ops = 0
        self.n_slots = 0
        self.rows = []
        self.inputs = []
        ns = type("functional", (), {"softplus": staticmethod(self._softplus)})
        self.nn = type("nn", (), {"functional": ns})

    def _slot(self):
        self.n_slots += 1
        return self.n_slots - 1

    def emit(self, op, ins, aux=0):
        if len(ins) != 4:
            ins = list(ins) + [ins[0]] * (4 - len(ins))  # unused operands repeat a real slot
        out = _Value(self, self._slot())
        self.rows.append((OPCODES[op], *ins, aux, out.slot))
        return out

    def tensor(self, value, dtype=None, requires_grad=False):
        if self.rows:
            raise RuntimeError("Recorder: inputs must be made before the first op")
        v = _Value(self, self._slot())
        self.inputs.append(float(value))
        return v

    def stack(self, values):
        self.n_ops += 1
        if len(values) != 4:
            raise NotImplementedError(f"Recorder: stack of {len(values)} values (the tape "
                                      "has instructions for 4)")
        return _Stack(self, [v.slot for v in values])

    def softmax(self, stacked, dim):
        self.n_ops += 1
        if not isinstance(stacked, _Stack) or dim != 0:
            raise NotImplementedError("Recorder: softmax of a stack along dim 0 only")
        return _Softmax(self, stacked.slots)

    def _softplus(self, x):
        self.n_ops += 1
        return self.emit("softplus", [x.slot])


class _Value:
    __slots__ = ("rec", "slot")

    def __init__(self, rec, slot):
        self.rec, self.slot = rec, slot

    def __mul__(self, other):
        self.rec.n_ops += 1
        return self.rec.emit("mul", [self.slot, other.slot])


class _Stack:
    def __init__(self, rec, slots):
        self.rec, self.slots = rec, slots

    def sum(self):
        self.rec.n_ops += 1
        return self.rec.emit("sum4", self.slots)


class _Softmax:
    def __init__(self, rec, slots):
        self.rec, self.slots = rec, slots

    def __getitem__(self, k):
        self.rec.n_ops += 1
        return self.rec.emit("softmax4_select", self.slots, aux=k)


class Tape:
    """The recorded scalar graph: ``code`` (n_instr x WIDTH int32, C order),
    the inputs' values, and counts."""

    def __init__(self, rec, out):
        self.code = np.ascontiguousarray(np.array(rec.rows, dtype=np.int32).reshape(-1, WIDTH))
        self.opcode, self.ins = self.code[:, 0], self.code[:, 1:5]
        self.aux, self.out = self.code[:, 5], self.code[:, 6]
        self.n_ops, self.n_slots, self.out_slot = rec.n_ops, rec.n_slots, out.slot
        self.input_values = np.array(rec.inputs, dtype=np.float64)


def record(rounds=scalar_graph.ROUNDS, variant=0, n=scalar_graph.N_INPUTS, seed=0):
    """The scalar graph's `Tape`, recorded with `Recorder` standing in for torch."""
    rec = Recorder()
    xs = scalar_graph.make_inputs(rec, n, seed)
    out = scalar_graph.scalar_graph(rec, xs, rounds, variant)
    return Tape(rec, out)


# -- the compiled interpreter ----------------------------------------------------------
_LIB = {}


def find_compiler():
    """The C compiler's path ($CC, cc, gcc or clang), or None."""
    for name in filter(None, (os.environ.get("CC"), "cc", "gcc", "clang")):
        path = shutil.which(name)
        if path:
            return path
    return None


def load_library():
    """scalar_tape.c compiled with -O3 into a temporary directory, loaded once per process."""
    if "lib" in _LIB:
        return _LIB["lib"]
    cc = find_compiler()
    if cc is None:
        raise NoCompiler("no C compiler found ($CC, cc, gcc, clang): the C tape reference "
                         "of the scalar graph is skipped")
    tmp = tempfile.mkdtemp(prefix="nbgrad-ctape-")
    atexit.register(shutil.rmtree, tmp, True)
    so = os.path.join(tmp, "scalar_tape.so")
    proc = subprocess.run([cc, "-O3", "-shared", "-fPIC", "-o", so, C_SOURCE, "-lm"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise NoCompiler(f"{cc} could not build {C_SOURCE}:\n{proc.stderr}")
    lib = ctypes.CDLL(so)
    lib.run_tape.restype = ctypes.c_double
    lib.run_tape.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                             ctypes.c_int, ctypes.c_int]
    _LIB["lib"] = lib
    _LIB["compiler"] = cc
    return lib


class CTape:
    """The compiled interpreter bound to one tape: ``run()`` does forward plus
    reverse and returns the loss; ``input_grads`` then holds the inputs' gradients."""

    def __init__(self, tape=None):
        self.tape = record() if tape is None else tape
        self.lib = load_library()
        t = self.tape
        self.vals = np.zeros(t.n_slots, np.float64)
        self.vals[:t.input_values.size] = t.input_values
        self.grads = np.zeros(t.n_slots, np.float64)
        self.input_grads = self.grads[:t.input_values.size]
        self._args = (t.code.ctypes.data, t.code.shape[0], self.vals.ctypes.data,
                      self.grads.ctypes.data, t.n_slots, t.out_slot)

    def run(self):
        return self.lib.run_tape(*self._args)


def per_op_ns(ctape=None, repeat=200):
    """Median over `repeat` calls of one forward + reverse pass, in ns per op."""
    ctape = CTape() if ctape is None else ctape
    ctape.run()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        ctape.run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / ctape.tape.n_ops * 1e9


if __name__ == "__main__":
    try:
        c = CTape()
    except NoCompiler as e:
        sys.exit(str(e))
    print(f"C tape ({_LIB['compiler']} -O3): {c.tape.n_ops} ops, {c.tape.code.shape[0]} "
          f"instructions, {per_op_ns(c):.1f} ns per op (median), loss {c.run():.17g}")
