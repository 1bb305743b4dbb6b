"""Tensor: a buffer with shape, dtype and device, plus the autograd fields
(`requires_grad`, `grad`, `grad_fn`).

No math happens here: operators and methods are attached by the op modules
(`nbgrad.ops.*`), which run Numba kernels.  The buffer is a NumPy array on the
CPU (NumPy only allocates it and makes views of it) and a numba device array
on a CUDA device (`nbgrad.backends.cuda`); `_host()` gives the values on the
host either way.

This module imports only the core and the backends.  What a tensor needs from
the layers above is registered here when they are imported (`install`): the
factories give the legacy constructor ``Tensor(...)`` and unpickling, the
autograd package the engine's ``backward`` and the hooks' node lookup.
"""

import numpy as np

from nbgrad import _dtypes
from nbgrad._device import cpu_device
from nbgrad.backends import dispatch

__all__ = ["Tensor", "Size", "install"]


def _missing(name):
    def not_installed(*args, **kwargs):
        raise RuntimeError(f"Tensor needs {name!r} from a higher layer of nbgrad, which "
                           "installs it when imported: import nbgrad first")
    return not_installed


# set by `install`; module globals, so that the hot calls (backward) cost one lookup
_constructor = _missing("constructor")   # nbgrad._factories.legacy_constructor
_rebuild = _missing("rebuild")           # nbgrad._factories._rebuild (unpickling)
_backward = _missing("backward")         # nbgrad.autograd.engine.backward
_edge_of = _missing("edge_of")           # nbgrad.autograd.node.edge_of
_retain_grad_hook = _missing("retain_grad_hook")   # nbgrad.autograd.node.RetainGradHook
_PARTS = ("constructor", "rebuild", "backward", "edge_of", "retain_grad_hook")


def install(**parts):
    """Register what Tensor needs from the layers above, by name (one of `_PARTS`).

    >>> install(backward=engine.backward)   # done by nbgrad.autograd at import
    """
    space = globals()
    for name, fn in parts.items():
        if name not in _PARTS:
            raise ValueError(f"install(): Tensor needs no {name!r} (it takes {_PARTS})")
        space["_" + name] = fn


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self):
        return f"torch.Size({list(self)!r})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


class _VersionCounter:
    """Shared by a tensor and its views; bumped by every in-place change."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Tensor:
    """A multi-dimensional array that can record operations for autograd.

    >>> x = nb.ones(2, 2, requires_grad=True)
    >>> (x * 3).sum().backward(); x.grad
    tensor([[3., 3.],
            [3., 3.]])
    """

    __slots__ = ("_data", "dtype", "_requires_grad", "_grad", "grad_fn", "_output_nr",
                 "_accumulator", "_version_counter", "_base", "_backward_hooks",
                 "_retains_grad", "device", "__weakref__")

    # -- construction -----------------------------------------------------
    def __init__(self, *args, **kwargs):
        t = _constructor(*args, **kwargs)
        fresh = Tensor._make(t._data, t.dtype)   # the state of a new tensor, set in one place
        for name in Tensor.__slots__:
            if name != "__weakref__":
                setattr(self, name, getattr(fresh, name))

    @classmethod
    def _make(cls, data, dtype=None, device=cpu_device):
        """Wrap a buffer (no copy).  The fast constructor used by ops."""
        t = object.__new__(cls)
        t._data = data
        t.dtype = dtype if dtype is not None else _dtypes.from_numpy_dtype(data.dtype)
        t._requires_grad = t._retains_grad = False
        t._grad = t.grad_fn = t._accumulator = t._version_counter = t._base = None
        t._backward_hooks = None
        t._output_nr = 0
        t.device = device
        return t

    # -- shape and type ---------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self.dtype.itemsize

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_contiguous(self):
        return dispatch.backend(self.device).is_contiguous(self._data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    # -- autograd fields --------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if flag.__class__ is not bool:   # PyTorch: not 1, not 'yes', not numpy.bool_
            raise RuntimeError(f"requires_grad must be a bool (got {flag!r})")
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad in place (leaves only); returns self."""
        if requires_grad.__class__ is not bool:
            raise TypeError("requires_grad_(): argument 'requires_grad' (position 1) must be "
                            f"bool, not {type(requires_grad).__name__}")
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().")
            return self
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients "
                f"(got dtype {self.dtype!r} for a tensor of shape {list(self._data.shape)})")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by "
                "mistake, make sure you access the leaf Tensor instead.", UserWarning,
                stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"grad of type {type(value).__name__}")
            if value.dtype is not self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: "
                                   f"{value.dtype!r} vs {self.dtype!r}")
            if value.device != self.device:   # PyTorch's order: dtype, device, size
                if value.device.type != self.device.type:
                    raise RuntimeError(
                        f"attempting to assign a gradient with device type "
                        f"'{value.device.type}' to a tensor with device type "
                        f"'{self.device.type}'. Please ensure that the gradient and the "
                        f"tensor are on the same device")
                raise RuntimeError(f"assigned grad has data located on a different device: "
                                   f"{value.device} vs {self.device}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: "
                                   f"{list(value._data.shape)} vs {list(self._data.shape)}")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    # -- hooks ------------------------------------------------------------
    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned
        Tensor replaces the gradient.  Returns a handle with ``.remove()``.

        >>> x = nb.ones(2, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 2)
        >>> (x * 3).sum().backward(); x.grad
        tensor([6., 6.])
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node, nr = _edge_of(self)   # a leaf: its AccumulateGrad (hooks run before .grad)
        return node._add_tensor_hook(nr, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after the gradient is accumulated into this leaf's ``.grad``.

        >>> w = nb.ones(2, requires_grad=True)
        >>> h = w.register_post_accumulate_grad_hook(lambda t: print(t.grad))
        """
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        return _edge_of(self)[0].register_hook(hook)

    def retain_grad(self):
        """Keep the gradient of this non-leaf tensor in ``.grad`` at backward.

        >>> x = nb.ones(2, requires_grad=True); y = x * 2; y.retain_grad()
        >>> y.sum().backward(); y.grad
        tensor([1., 1.])
        """
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return   # a leaf's .grad is kept anyway
        self._retains_grad = True
        self.grad_fn._add_tensor_hook(self._output_nr, _retain_grad_hook(self))

    @property
    def retains_grad(self):
        """True for a non-leaf tensor on which ``retain_grad()`` was called."""
        return self._retains_grad and self.grad_fn is not None

    @property
    def _version(self):
        vc = self._version_counter
        return 0 if vc is None else vc.value

    def _bump_version(self):
        vc = self._version_counter
        if vc is None:
            vc = self._version_counter = _VersionCounter()
        vc.value += 1

    @property
    def data(self):
        """The same storage, detached from the graph.  As in PyTorch, changes made
        through it are hidden from autograd: it has a version counter of its own
        (use `detach()` to have them checked)."""
        return Tensor._make(self._data, self.dtype, self.device)

    @data.setter
    def data(self, value):
        # PyTorch allows any shape and dtype here; so do we
        self._data = value._data
        self.dtype = value.dtype
        self.device = value.device

    def _view_of(self, base):
        """Make this tensor a view of `base`'s storage: it shares base's version counter
        and has base's own base (or base) as its ``_base``."""
        self._version_counter = base._shared_version_counter()
        self._base = base if base._base is None else base._base

    def _unrecorded_view(self, key):
        """``self[key]`` of a host tensor for a basic `key` already checked (a tuple
        ending in Ellipsis), when nothing records it: the view the `getitem` op makes,
        sharing the version counter, without the op's dispatch and checks."""
        t = Tensor._make(self._data[key], self.dtype, self.device)
        t._view_of(self)
        return t

    def _shared_version_counter(self):
        vc = self._version_counter
        if vc is None:
            vc = self._version_counter = _VersionCounter()
        return vc

    def detach(self):
        """A new tensor on the same storage that is not part of the graph; it
        shares the version counter, so an in-place change through it is seen by
        the backward of any op that saved this tensor."""
        t = Tensor._make(self._data, self.dtype, self.device)
        t._version_counter = self._shared_version_counter()
        return t

    def detach_(self):
        """Detach self from the graph in place (not a view: RuntimeError, as in PyTorch)."""
        if self._base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead (this "
                               f"tensor of shape {list(self._data.shape)} is a view).")
        self.grad_fn = None
        self._requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into each leaf's ``.grad``.

        >>> x = nb.ones(3, requires_grad=True); (x * x).sum().backward(); x.grad
        tensor([2., 2., 2.])
        """
        # `gradient` as PyTorch passes it on: a Tensor, None, or a sequence of them
        _backward((self,), gradient, retain_graph, create_graph, inputs)

    # -- conversion -------------------------------------------------------
    def _host(self):
        """The values as a NumPy array on the host (no copy on the CPU, a copy
        from a CUDA device)."""
        if self.device is cpu_device:
            return self._data
        return dispatch.backend(self.device).to_host(self._data)

    def _host_for(self, reader):
        """`_host` for library code outside the ops whose result depends on the values
        (`reader` names it: ``nonzero``, whose result's shape does): nb.compile's
        recorder sees it as a value read, as ``item()``."""
        return self._host()

    def numpy(self, *, force=False):
        """The values as a NumPy array sharing memory (CPU tensors only, as PyTorch)."""
        if self.device is not cpu_device and not force:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._host()

    @property
    def __cuda_array_interface__(self):
        """The CUDA Array Interface of a CUDA tensor's buffer (zero-copy export to
        CuPy, PyTorch, Numba...); AttributeError on the CPU, as PyTorch."""
        if self.device.type != "cuda":
            raise AttributeError(
                "Can't get __cuda_array_interface__ on non-CUDA tensor type: "
                f"{self.dtype!r} on {self.device}. If CUDA data is required use "
                "tensor.cuda() to copy tensor to device memory.")
        if self._requires_grad:
            raise RuntimeError("Can't get __cuda_array_interface__ on Variable that requires "
                               "grad. If gradients aren't required, use var.detach() to get "
                               "Variable that doesn't require grad.")
        return dispatch.cuda().interop.cuda_array_interface(self._data)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be "
                               "converted to Scalar")
        return self._host().reshape(-1)[0].item()

    def tolist(self):
        return self._host().tolist()

    def __float__(self):
        if self._data.size != 1:   # PyTorch's type here is ValueError (item() raises RuntimeError)
            raise ValueError(f"only one element tensors can be converted to Python scalars "
                             f"(got a tensor of shape {list(self._data.shape)})")
        return float(self.item())

    def __int__(self):
        if self._data.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars "
                             f"(got a tensor of shape {list(self._data.shape)})")
        return int(self.item())

    def __contains__(self, element):
        """``v in t``: whether any element equals `v` (a number or a tensor), as PyTorch."""
        if not isinstance(element, (Tensor, int, float, np.generic)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you "
                               f"passed in a {type(element)}.")
        return bool((self == element).any())

    def __deepcopy__(self, memo):
        """A copy with its own memory (a base and its views, copied together, stay
        aliased), ``requires_grad`` and a deep copy of ``.grad``; leaves only, as PyTorch."""
        from nbgrad._storage import deepcopy_tensor
        return deepcopy_tensor(self, memo)

    def __index__(self):
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted "
                            "to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is "
                               "ambiguous")
        return bool(self.item())

    def __repr__(self, *, tensor_contents=None):
        from nbgrad._printing import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __hash__(self):
        return id(self)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._host().copy(), self.dtype.name, self._requires_grad,
                           str(self.device)))


def _wrap_dim(dim, ndim, op):
    """Normalise a possibly negative `dim`; IndexError as PyTorch words it."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim
