"""``nb.compile``: record a function once, replay it as one compiled tape call.

`api` (signatures, the plan cache, fallbacks) uses `recorder` (logging a run's
ops), `lowering` (the run as a flat program over one arena), `interpreter`
(the Numba function that runs programs, generated from the op declarations)
and `replay` (copy in, run, build the result).  See docs/compile.md.
"""

from nbgrad.autograd import engine as _engine
from nbgrad.compiler import backward_replay as _backward_replay
from nbgrad.compiler.api import CompiledFunction, CompileWarning, compile

_engine.graph_replay.append(_backward_replay.replay)   # eager backward of a seen structure

__all__ = ["compile", "CompiledFunction", "CompileWarning"]
