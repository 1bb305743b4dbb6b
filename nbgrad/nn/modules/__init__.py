"""The module classes of ``torch.nn``: `Module`, the containers and the layers.

Each family module lists its classes in its own ``__all__``; this package
re-exports exactly those, and `Module`."""

from nbgrad.nn.modules import (
    activation,
    batchnorm,
    container,
    conv,
    dropout,
    flatten,
    linear,
    loss,
    normalization,
    pooling,
    rnn,
    sparse,
)
from nbgrad.nn.modules.activation import *  # noqa: F403
from nbgrad.nn.modules.batchnorm import *  # noqa: F403
from nbgrad.nn.modules.container import *  # noqa: F403
from nbgrad.nn.modules.conv import *  # noqa: F403
from nbgrad.nn.modules.dropout import *  # noqa: F403
from nbgrad.nn.modules.flatten import *  # noqa: F403
from nbgrad.nn.modules.linear import *  # noqa: F403
from nbgrad.nn.modules.loss import *  # noqa: F403
from nbgrad.nn.modules.module import Module as Module  # re-exported: no family lists it
from nbgrad.nn.modules.normalization import *  # noqa: F403
from nbgrad.nn.modules.pooling import *  # noqa: F403
from nbgrad.nn.modules.rnn import *  # noqa: F403
from nbgrad.nn.modules.sparse import *  # noqa: F403

_FAMILIES = (activation, batchnorm, container, conv, dropout, flatten, linear, loss,
             normalization, pooling, rnn, sparse)
# all-capital names (CELU, LSTM ...) first, as the list was written before
__all__ = sorted(["Module", *(name for family in _FAMILIES for name in family.__all__)],
                 key=lambda name: (not name.isupper(), name))
