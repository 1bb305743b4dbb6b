"""torch.nn.functional names (filled in by issue 3)."""
