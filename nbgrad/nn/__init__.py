"""nbgrad.nn: ``torch.nn`` for nbgrad: `Module` and `Parameter`, containers,
layers, losses, ``nn.init``, ``nn.utils`` and ``nn.functional``.

    import nbgrad.nn as nn            # or: from nbgrad import nn
    import nbgrad.nn.functional as F
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))

Everything here is built on nbgrad's public ops; see docs/nn.md for what
exists and what is missing.
"""

from nbgrad.nn import (
    functional,
    init,
    modules,
    utils,
)
from nbgrad.nn.modules import *
from nbgrad.nn.parameter import Buffer, Parameter

__all__ = ["Buffer", "Parameter", "functional", "init", "modules", "utils"]
__all__ += modules.__all__
