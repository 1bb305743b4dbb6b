"""asv: the seed notebook's step, a chain of small ops, and a new process's start.

Each nbgrad case has its NumPy counterpart in the same class (see `cases`).
"""

import subprocess
import sys

from . import cases


class TutorialStep:
    """x = ones(n, requires_grad=True); y = x + 2; z = y * y * 3;
    out = z.mean(); out.backward() -- forward plus backward."""

    params = list(cases.TUTORIAL_SHAPES)
    param_names = ["size"]

    def setup(self, size):
        shape = cases.TUTORIAL_SHAPES[size]
        self.nbgrad_step = cases.nbgrad_tutorial_step(shape)
        self.numpy_step = cases.numpy_tutorial_step(shape)
        self.nbgrad_step()  # compile (or load) the kernels outside the timing

    def time_nbgrad(self, size):
        self.nbgrad_step()

    def time_numpy(self, size):
        self.numpy_step()


class Chain:
    """100 small (2x2) ops, alternating mul and add, then sum().backward()."""

    def setup(self):
        self.nbgrad_step = cases.nbgrad_chain()
        self.numpy_step = cases.numpy_chain()
        self.nbgrad_step()

    def time_nbgrad_100_ops(self):
        self.nbgrad_step()

    def time_numpy_100_ops(self):
        self.numpy_step()


class Startup:
    """A fresh interpreter imports nbgrad and runs the tutorial step, with a
    warm kernel cache (the interpreter's own start is not timed)."""

    timeout = 300
    repeat = (1, 5, 60.0)

    def setup(self):
        # fill the on-disk kernel cache once, so that every timed sample is warm
        subprocess.run([sys.executable, "-c", cases.STARTUP_CODE], check=True)

    def timeraw_import_and_tutorial_step(self):
        return cases.STARTUP_CODE
