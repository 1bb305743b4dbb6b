"""Lowering the ops the tape does not run itself to host rows (see `hostops`).

A mixin of the lowering (`nbgrad.compiler.lowering`): `_host` makes an op's
`HostCall` and its rows.  What the float arena cannot hold stays outside it: an
integer or bool tensor the function is given or captures is read from the call's
arguments or the captured tensor, and one a host op computes (``randint``,
``X[ix]``, ``x > 0``) is a host value, the tensor that op returns on each replay.
"""

from nbgrad._device import cpu_device
from nbgrad.compiler.hostops import HostCall, tensor_at, tensor_positions
from nbgrad.compiler.unsupported import Unsupported
from nbgrad.tensor import Tensor

__all__ = ["HostRows"]

# ops whose result's shape depends on their inputs' values (`HostCall.forward` checks
# every host op's result shape too)
_VALUE_SHAPED = frozenset({"bincount", "unique", "unique_consecutive", "unique_dim"})


class HostRows:
    """Host rows of a `_Lowering` (which gives `p`, `slot`, `result`, `keep`, `made`,
    `input_index`, `values`, `copied_views` and `flush_pending`)."""

    def _host(self, op, args, kwargs, result, why):
        """`op` run by Python between rows with its eager kernels (`hostops`)."""
        if not isinstance(result, Tensor) or any(isinstance(v, Tensor)
                                                 for v in kwargs.values()):
            raise Unsupported(f"{why}, and it returns several values or takes a tensor "
                              f"keyword")
        if op.name in _VALUE_SHAPED:
            raise Unsupported(f"{why}, and its result's shape depends on its input's values")
        self.flush_pending()   # the op may write a stack's source
        positions = tensor_positions(args)
        for p in positions:
            if len(p) == 3 and tensor_at(args, p).dtype.name not in ("int64", "int32"):
                raise Unsupported(f"{why}, and it indexes with a mask (its result's shape "
                                  f"depends on the mask's values)")
        slots = [self._host_input(tensor_at(args, p)) for p in positions]
        index = len(self.p.hosts)
        out = self._host_result(result, index)
        call = HostCall(index, op, args, kwargs, positions, slots, out, result._data.shape)
        self.p.hosts.append(call)
        if getattr(op, "view", False):   # its result is a copy here, not a view
            if out.__class__ is tuple and any(s.__class__ is not tuple for s in slots):
                raise Unsupported(f"{why}, and it is a view of floats as another dtype")
            self.copied_views += [(s.off, s.end, out) for s in slots
                                  if s.__class__ is not tuple]
        self.p.emit(("x", "host"), 0, call.index)
        if out.__class__ is not tuple and out.rg:
            self.p.forward.append([("b", "host"), 0, call.index, 0, 0, 0, 0, 0, 0, 0])

    def _host_result(self, result, index):
        """The arena slot of a host op's result, or for a result the arena cannot hold
        (integers, bools: ``randint``, an index ``X[ix]``, a mask ``x > 0``) a host
        value, ``("val", index)``: the tensor each replay's call returns, kept in the
        replay's state for the host ops that read it."""
        try:
            return self.result(result)
        except Unsupported:
            if result.dtype.is_floating_point or result._requires_grad or \
                    result.device is not cpu_device:
                raise
            value = self.values[id(result)] = ("val", index)
            self.keep.append(result)
            return value

    def _host_input(self, t):
        """A host op's input: its slot, or for a tensor the arena cannot hold (int64
        class targets, bool masks): a host value computed by the function, or one the
        function did not compute, ("arg", flat index) read per call or ("obj", tensor)
        captured."""
        value = self.values.get(id(t))
        if value is not None:
            return value
        try:
            return self.slot(t)
        except Unsupported:
            if t.grad_fn is not None or t._requires_grad or t.device is not cpu_device:
                raise
            if id(t) in self.input_index:
                return ("arg", self.input_index[id(t)])
            if id(t) not in self.made:
                self.p.side_captured.append((t, t._data.shape, t.dtype))
            self.keep.append(t)
            return ("obj", t)
