"""``nb.compile``: record a function once, replay it as one compiled tape call.

`api` (signatures, the plan cache, fallbacks) uses `recorder` (logging a run's
ops), `lowering` (the run as a flat program over one arena), `interpreter`
(the Numba function that runs programs, generated from the op declarations)
and `replay` (copy in, run, build the result).  See docs/compile.md.
"""

from nbgrad.compiler.api import CompiledFunction, CompileWarning, compile

__all__ = ["compile", "CompiledFunction", "CompileWarning"]
