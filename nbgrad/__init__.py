"""nbgrad: a JIT-compiled reverse-mode autograd with PyTorch's Tensor interface.

Every forward and backward kernel is a Numba function.  Use it like PyTorch::

    import nbgrad as nb            # or: import nbgrad as torch
    x = nb.ones(2, 2, requires_grad=True)
    out = ((x + 2) * (x + 2) * 3).mean()
    out.backward()
    x.grad                         # tensor([[4.5000, 4.5000], [4.5000, 4.5000]])

This module holds public names only: each op family module lists its public
functions in ``__all__`` and they are re-exported here.  See
docs/architecture.md for the layout.
"""

from nbgrad import _dtypes
from nbgrad._device import device, get_default_device, set_default_device
from nbgrad._finfo import (channels_last, channels_last_3d, contiguous_format, e, finfo,  # noqa: F401
                           iinfo, inf, memory_format, nan, newaxis, pi, preserve_format)
from nbgrad._dtypes import (bool, double, dtype, float, float16, float32, float64,  # noqa: A004
                            get_default_dtype, half, int, int8, int16, int32, int64, long,
                            set_default_dtype, short, uint8)
from nbgrad._printing import get_printoptions, printoptions, set_printoptions  # noqa: F401
from nbgrad.tensor import Size, Tensor

from nbgrad import ops as _ops
from nbgrad import autograd, nn  # noqa: F401
from nbgrad import cuda  # noqa: F401  (imports no numba.cuda until used)
from nbgrad._factories import (arange, as_tensor, empty, empty_like, eye, from_dlpack,
                               from_numpy, full, full_like, linspace, ones, ones_like, tensor,
                               zeros, zeros_like)
from nbgrad._random import (Generator, default_generator, get_rng_state, initial_seed,
                            manual_seed, rand, rand_like, randint, randint_like, randn,
                            randn_like, randperm, seed, set_rng_state)
from nbgrad._random_ops import bernoulli, multinomial, normal, poisson
from nbgrad import _random_fill  # noqa: F401,I001  (the in-place random Tensor methods)
from nbgrad.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from nbgrad.ops import REGISTRY as _REGISTRY
from nbgrad.serialization import load, save
from nbgrad import optim  # noqa: E402,F401,I001
from nbgrad.compiler import compile  # noqa: E402,I001  (shadows the builtin: torch.compile's name)
from nbgrad import func  # noqa: E402,F401,I001  (torch.func)
from nbgrad import accelerator  # noqa: E402,F401,I001  (torch.accelerator)
from nbgrad import testing  # noqa: E402,F401,I001  (torch.testing)
from nbgrad import linalg  # noqa: E402,F401,I001  (torch.linalg)
from nbgrad.ops.linalg_solve import (cholesky, cholesky_solve, det, inverse,  # noqa: E402,I001
                                     logdet, slogdet)
from nbgrad.ops.linalg_decomp import qr, svd  # noqa: E402,I001
from nbgrad.ops.linalg_lstsq import matrix_exp, pinverse  # noqa: E402,I001

for _family in _ops.FAMILIES:
    for _name in _family.__all__:
        globals()[_name] = getattr(_family, _name)
del _family, _name
from nbgrad.ops.linalg_norm import torch_norm as norm  # noqa: E402,I001  (p='nuc' too)

__version__ = "0.1.0"
# out= and NumPy's keepdims=/axis= on the public functions (nbgrad.ops.out): last, over all names
__import__("nbgrad.ops.out", fromlist=["install"]).install(globals())


def is_tensor(obj):
    """True if `obj` is an nbgrad Tensor."""
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()


def is_floating_point(t):
    return t.dtype.is_floating_point


def result_type(a, b):
    """The dtype PyTorch's promotion gives for an op on `a` and `b`."""
    return _dtypes.result_type(a, b)
