"""``nn.Parameter`` and ``nn.Buffer``: tensors that a `Module` registers when
they are assigned as its attributes.

Both are subclasses of `nbgrad.Tensor` (the tensor's ``__slots__`` leave no room
for a flag) that share the storage of the tensor they are made from, as
PyTorch's ``Tensor._make_subclass`` does.  Ops on them return plain tensors.
"""

from nbgrad._factories import empty
from nbgrad.ops.elementwise import plain_subclasses
from nbgrad.tensor import Tensor

__all__ = ["Buffer", "Parameter"]


def _alias(cls, data):
    """A `cls` instance on `data`'s storage, detached, sharing its version counter."""
    if data is None:
        data = empty(0)
    if not isinstance(data, Tensor):
        raise TypeError(f"{cls.__name__}(): argument 'data' (position 1) must be Tensor, not "
                        f"{type(data).__name__}")
    t = cls._make(data._data, data.dtype, data.device)
    t._version_counter = data._shared_version_counter()
    return t


class Parameter(Tensor):
    """A tensor that is a module parameter: assigned as a `Module` attribute it is
    registered and listed by ``parameters()``.  ``requires_grad`` defaults to True
    (also under ``no_grad``).

    >>> p = nn.Parameter(nb.zeros(2)); p
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    def __new__(cls, data=None, requires_grad=True):
        t = _alias(cls, data)
        if requires_grad and not t.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t.requires_grad_(requires_grad)
        return t

    def __init__(self, data=None, requires_grad=True):
        pass   # Tensor.__init__ is the legacy constructor: everything happened in __new__

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __deepcopy__(self, memo):
        # PyTorch: a new parameter on a copy of the data; .grad is not copied
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.data, self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """A tensor that a `Module` registers as a buffer when it is assigned as an
    attribute (``persistent=False`` keeps it out of ``state_dict``).

    >>> m = nn.Module(); m.steps = nn.Buffer(nb.zeros(1)); list(m.buffers())
    [tensor([0.])]
    """

    def __new__(cls, data=None, *, persistent=True):
        t = _alias(cls, data)
        if data is not None and data.requires_grad:
            t.requires_grad_(True)
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass


plain_subclasses.update((Parameter, Buffer))   # ops treat them as plain tensors (fast path)
