"""asv: issue 12's workloads, eager and through ``nb.compile``, beside their references.

- the scalar graph (9,998 ops on 0-d float64, forward + ``autograd.grad``):
  nbgrad eager, nbgrad compiled, and the C tape interpreter (``c_tape``);
- the tutorial step on 2x2 and 10,000,000 float32: nbgrad eager, compiled, and
  the hand-fused Numba kernels (``fused_reference``);
- the MLP training step (256x256 batch -> 512 -> ReLU -> 10, cross_entropy, SGD):
  nbgrad eager and compiled;
- the first call of a compiled scalar graph (recording + compiling, warm
  kernel cache), in seconds.

The workloads are `compile_workloads`' (``compile_ratio.py`` times the same code
beside PyTorch).  Each timed call turns Python's cycle collector back on (asv
times through ``timeit``, which turns it off), as ``compile_ratio.py`` does: a
program runs with it, and nbgrad's graphs are Python objects it traverses.
A column that cannot run here (no ``nbgrad.compile`` yet, no C compiler) is
skipped: its setup raises NotImplementedError, asv's skip signal.
"""

import gc
import time
import warnings

import numpy as np

import nbgrad as nb

from . import compile_workloads as cw

EAGER, COMPILED, REFERENCE = "nbgrad eager", "nbgrad compiled", "reference"


def _runner(case, impl):
    """The zero-argument callable for column `impl`, called twice (warm) already."""
    if impl == EAGER:
        run = case.runner()
    else:
        if not hasattr(nb, "compile"):
            raise NotImplementedError("nbgrad has no compile")
        run = case.runner(nb.compile)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a fallback to eager is timed as it runs
        run()
        run()  # the first calls record and compile: kept out of the timing
    return run


ENGINE_ONLY = "nbgrad eager, engine only"


class ScalarGraph:
    """9,998 ops on 0-d float64 tensors, forward + gradients of the 100 inputs.

    "nbgrad eager" replays the backward of the graph seen before on the tape
    (`nbgrad.compiler.backward_replay`); "engine only" turns that off."""

    params = [EAGER, ENGINE_ONLY, COMPILED, "C tape"]  # noqa: RUF012 (asv reads them)
    param_names = ["implementation"]  # noqa: RUF012
    timeout = 180

    def setup(self, impl):
        if impl == ENGINE_ONLY:
            from nbgrad.compiler import backward_replay
            backward_replay.enabled[0] = False
            self.run = _runner(cw.scalar_case(nb), EAGER)
        elif impl == "C tape":
            from . import c_tape
            try:
                self.run = c_tape.CTape().run
            except c_tape.NoCompiler as e:
                raise NotImplementedError(str(e)) from e
            self.run()
        else:
            self.run = _runner(cw.scalar_case(nb), impl)

    def time_step(self, impl):
        gc.enable()
        self.run()

    def teardown(self, impl):
        from nbgrad.compiler import backward_replay
        backward_replay.enabled[0] = True


class TutorialStep:
    """((x + 2) * (x + 2) * 3).mean().backward() on a float32 leaf (x.grad reset)."""

    params = (list(cw.TUTORIAL_SHAPES), [EAGER, COMPILED, "fused reference"])
    param_names = ["size", "implementation"]  # noqa: RUF012
    timeout = 180

    def setup(self, size, impl):
        shape = cw.TUTORIAL_SHAPES[size]
        if impl == "fused reference":
            from . import fused_reference
            self.run = fused_reference.make_step(int(np.prod(shape)))
            self.run()
        else:
            self.run = _runner(cw.tutorial_case(nb, shape), impl)

    def time_step(self, size, impl):
        gc.enable()
        self.run()


class MLPTrainStep:
    """Forward, cross_entropy, backward and SGD update of the 256 -> 512 -> 10 MLP."""

    params = [EAGER, COMPILED]  # noqa: RUF012
    param_names = ["implementation"]  # noqa: RUF012
    timeout = 180

    def setup(self, impl):
        self.run = _runner(cw.mlp_case(nb), impl)

    def time_step(self, impl):
        gc.enable()
        self.run()


class MLPOptimStep:
    """The MLP step with ``optim.SGD(momentum=0.9)`` updating and ``zero_grad()`` after."""

    params = [EAGER, COMPILED]  # noqa: RUF012
    param_names = ["implementation"]  # noqa: RUF012
    timeout = 180

    def setup(self, impl):
        self.run = _runner(cw.mlp_optim_case(nb), impl)

    def time_step(self, impl):
        gc.enable()
        self.run()


class MLPCompiledModule:
    """The MLP step with only the model compiled (``nb.compile(model)``): loss,
    ``backward()`` and ``optim.SGD`` outside, the backward through the replay."""

    params = [EAGER, COMPILED]  # noqa: RUF012
    param_names = ["implementation"]  # noqa: RUF012
    timeout = 180

    def setup(self, impl):
        self.run = _runner(cw.mlp_module_case(nb), impl)

    def time_step(self, impl):
        gc.enable()
        self.run()


class CompileFirstCall:
    """Seconds of the first call of ``nb.compile(scalar graph step)``: recording and
    compiling 9,998 ops (kernels already in the on-disk cache)."""

    timeout = 300
    unit = "seconds"

    def setup(self):
        if not hasattr(nb, "compile"):
            raise NotImplementedError("nbgrad has no compile")
        cw.scalar_case(nb).runner(nb.compile)()  # fill the kernel caches once

    def track_first_call_seconds(self):
        run = cw.scalar_case(nb, variant=1).runner(nb.compile)
        t0 = time.perf_counter()
        run()
        return time.perf_counter() - t0


class MakemoreStep:
    """Karpathy's makemore MLP step: a ``randint`` minibatch, ``C[X[ix]]``, tanh,
    cross_entropy, the SGD update by hand."""

    params = [EAGER, COMPILED]  # noqa: RUF012
    param_names = ["implementation"]  # noqa: RUF012
    timeout = 180

    def setup(self, impl):
        self.run = _runner(cw.makemore_case(nb), impl)

    def time_step(self, impl):
        gc.enable()
        self.run()
