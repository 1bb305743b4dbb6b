"""nbgrad.optim: PyTorch's optimizers and learning-rate schedulers.

``from nbgrad import optim`` (or ``import nbgrad as torch; torch.optim``) gives
`Optimizer`, `SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad`, `LBFGS` and the
`lr_scheduler` module, with PyTorch's names, signatures, defaults, state-dict
layout, printing and errors.  Each optimizer's update of a parameter group is
one fused Numba kernel call (`nbgrad.backends.cpu.optim_kernels`, or one
launch of `nbgrad.backends.cuda.optim_kernels` on a GPU); see docs/optim.md.
"""

from nbgrad.optim import lr_scheduler
from nbgrad.optim.adagrad import Adagrad
from nbgrad.optim.adam import Adam, AdamW
from nbgrad.optim.lbfgs import LBFGS
from nbgrad.optim.optimizer import Optimizer
from nbgrad.optim.rmsprop import RMSprop
from nbgrad.optim.sgd import SGD

__all__ = ["LBFGS", "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
