"""``Flatten`` and ``Unflatten``: reshape modules for use in ``Sequential``."""

from nbgrad.nn.modules._settings import SettingsModule

__all__ = ["Flatten", "Unflatten"]


class Flatten(SettingsModule):
    """Flatten dims start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    _settings = ("start_dim", "end_dim")

    def __init__(self, start_dim=1, end_dim=-1):
        self._keep_settings(locals())

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)


class Unflatten(SettingsModule):
    """Split dim `dim` into `unflattened_size`: ``nn.Unflatten(1, (2, 5))``."""

    _settings = ("dim", "unflattened_size")

    def __init__(self, dim, unflattened_size):
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for idx, elem in enumerate(unflattened_size):
            if not isinstance(elem, int):
                raise TypeError(f"unflattened_size must be tuple of ints, but found element "
                                f"of type {type(elem).__name__} at pos {idx}")
        self._keep_settings(locals())

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)
