"""``Flatten`` and ``Unflatten``: reshape modules for use in ``Sequential``."""

from nbgrad.nn.modules._settings import SettingsModule
from nbgrad.ops.argcheck import check_sequence

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
        check_sequence(unflattened_size, int,
                       "unflattened_size must be a tuple of ints, but found type {type}",
                       "unflattened_size must be tuple of ints, but found element of type "
                       "{type} at pos {pos}")
        self._keep_settings(locals())

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)
