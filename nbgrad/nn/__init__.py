"""nbgrad.nn: ``nbgrad.nn.functional`` (as ``torch.nn.functional``)."""

from nbgrad.nn import functional  # noqa: F401
