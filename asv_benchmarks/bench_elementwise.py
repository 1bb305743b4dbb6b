"""asv: every registered elementwise op, forward plus backward, on 1,000,000
float32 elements, against the same computation in NumPy.

`time_nbgrad` uses ``nb.autograd.grad`` (returns the gradients, as the NumPy
reference does); `time_nbgrad_backward` uses ``out.backward(g)``, which also
gives each leaf its own ``.grad`` (see `cases.elementwise_case`).

The op list is read from ``nbgrad._REGISTRY`` when asv discovers the suite, so
new ops appear by themselves; an op without a NumPy reference in
`cases.NUMPY_REFS` is skipped (its setup raises NotImplementedError).
"""

from . import cases


class Elementwise:
    params = cases.elementwise_op_names()
    param_names = ["op"]

    def setup(self, op):
        # NoReference (a NotImplementedError) makes asv skip this op
        self.nbgrad_step, self.numpy_step = cases.elementwise_case(op)
        self.nbgrad_backward_step = cases.elementwise_case(op, api="backward")[0]
        self.nbgrad_step()  # compile (or load) the kernels outside the timing
        self.nbgrad_backward_step()

    def time_nbgrad(self, op):
        self.nbgrad_step()

    def time_nbgrad_backward(self, op):
        self.nbgrad_backward_step()

    def time_numpy(self, op):
        self.numpy_step()
