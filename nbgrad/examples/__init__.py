"""Runnable examples: ``python -m nbgrad.examples.mlp`` trains a small MLP on
data it makes itself."""
