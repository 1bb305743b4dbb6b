"""``Module.state_dict`` / ``load_state_dict`` and their hooks (bound as
methods of `nbgrad.nn.Module`): the keys, their order, the ``_metadata``
versions and PyTorch's error text naming missing and unexpected keys."""

import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from nbgrad.autograd.grad_mode import no_grad
from nbgrad.nn.modules._hooks import add_hook
from nbgrad.tensor import Tensor

__all__ = ["load_state_dict", "state_dict"]

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns (PyTorch's repr)."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _overrides(module, name):
    from nbgrad.nn.modules.module import Module
    return getattr(type(module), name, None) is not getattr(Module, name)


def save_to_state_dict(self, destination, prefix, keep_vars):
    """Put this module's own parameters and persistent buffers into `destination`."""
    for name, param in self._parameters.items():
        if param is not None:
            destination[prefix + name] = param if keep_vars else param.detach()
    for name, buf in self._buffers.items():
        if buf is not None and name not in self._non_persistent_buffers_set:
            destination[prefix + name] = buf if keep_vars else buf.detach()
    if _overrides(self, "get_extra_state"):
        destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()


def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
    """An ordered dict of every parameter and persistent buffer by dotted name
    (detached tensors sharing the module's storage unless `keep_vars`).

    >>> list(nn.Linear(2, 1).state_dict())
    ['weight', 'bias']
    """
    if args:
        warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                      "https://pytorch.org/docs/main/generated/torch.nn.Module.html"
                      "#torch.nn.Module.state_dict for details.", FutureWarning, stacklevel=2)
        destination = args[0] if destination is None else destination
        prefix = args[1] if len(args) > 1 and prefix == "" else prefix
        keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
    if destination is None:
        destination = OrderedDict()
        destination._metadata = OrderedDict()
    local_metadata = {"version": self._version}
    if hasattr(destination, "_metadata"):
        destination._metadata[prefix[:-1]] = local_metadata
    for hook in self._state_dict_pre_hooks.values():
        hook(self, prefix, keep_vars)
    self._save_to_state_dict(destination, prefix, keep_vars)
    for name, module in self._modules.items():
        if module is not None:
            module.state_dict(destination=destination, prefix=prefix + name + ".",
                              keep_vars=keep_vars)
    for hook in self._state_dict_hooks.values():
        if hook(self, destination, prefix, local_metadata) is not None:
            raise RuntimeError("state_dict post-hook must return None")
    return destination


def _load_one(self, key, name, param, input_param, assign, error_msgs):
    if not isinstance(input_param, Tensor):
        error_msgs.append(f"While copying the parameter named \"{key}\", expected torch.Tensor "
                          "or Tensor-like object from checkpoint but received "
                          f"{type(input_param)}")
        return
    if param.dim() == 0 and input_param.dim() == 1 and input_param.shape[0] == 1:
        input_param = input_param[0]
    if input_param.shape != param.shape:
        error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                          f"{input_param.shape} from checkpoint, the shape in current model "
                          f"is {param.shape}.")
        return
    from nbgrad.nn.parameter import Parameter
    try:
        with no_grad():
            if assign:
                if isinstance(param, Parameter) and not isinstance(input_param, Parameter):
                    input_param = Parameter(input_param, requires_grad=param.requires_grad)
                elif isinstance(param, Parameter):
                    input_param.requires_grad_(param.requires_grad)
                setattr(self, name, input_param)
            else:
                param.copy_(input_param)
    except Exception as ex:  # noqa: BLE001 - reported with the others, as PyTorch
        error_msgs.append(f"While copying the parameter named \"{key}\", whose dimensions in "
                          f"the model are {param.size()} and whose dimensions in the "
                          f"checkpoint are {input_param.size()}, an exception occurred : "
                          f"{ex.args}.")


def load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                         unexpected_keys, error_msgs):
    """Copy this module's own entries of `state_dict` (keys with `prefix`) into
    its parameters and persistent buffers; note missing and unexpected keys."""
    for hook in self._load_state_dict_pre_hooks.values():
        hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
             error_msgs)
    local_state = {k: v for k, v in self._parameters.items() if v is not None}
    local_state.update((k, v) for k, v in self._buffers.items()
                       if v is not None and k not in self._non_persistent_buffers_set)
    assign = local_metadata.get("assign_to_params_buffers", False)
    for name, param in local_state.items():
        key = prefix + name
        if key in state_dict:
            _load_one(self, key, name, param, state_dict[key], assign, error_msgs)
        elif strict:
            missing_keys.append(key)
    extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
    if _overrides(self, "set_extra_state"):
        if extra_key in state_dict:
            self.set_extra_state(state_dict[extra_key])
        elif strict:
            missing_keys.append(extra_key)
    elif strict and extra_key in state_dict:
        unexpected_keys.append(extra_key)
    if strict:
        for key in state_dict:
            if key.startswith(prefix) and key != extra_key:
                head = key[len(prefix):].split(".", 1)
                known = self._modules if len(head) > 1 else local_state
                if head[0] not in known:
                    unexpected_keys.append(key)


def _load_tree(module, local, prefix, metadata, assign, found):
    """Load `module` from `local` (its keys start with `prefix`), then its children;
    its post-hooks run after its children, as PyTorch's."""
    missing, unexpected, errors = found
    meta = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
    if assign:
        meta["assign_to_params_buffers"] = assign
    module._load_from_state_dict(local, prefix, meta, True, missing, unexpected, errors)
    for name, child in module._modules.items():
        if child is not None:
            cp = prefix + name + "."
            _load_tree(child, {k: v for k, v in local.items() if k.startswith(cp)}, cp,
                       metadata, assign, found)
    keys = _IncompatibleKeys(missing, unexpected)
    for hook in module._load_state_dict_post_hooks.values():
        if hook(module, keys) is not None:
            raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` "
                                 "are not expected to return new values, if incompatible_keys "
                                 "need to be modified, it should be done inplace.")


def load_state_dict(self, state_dict, strict=True, assign=False):
    """Copy parameters and buffers from `state_dict` into this module and its
    submodules.  With `strict` (the default) missing and unexpected keys are a
    RuntimeError naming them; returns ``(missing_keys, unexpected_keys)``.

    >>> m = nn.Linear(2, 1); m.load_state_dict(m.state_dict())
    <All keys matched successfully>
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    missing, unexpected, errors = [], [], []
    metadata = getattr(state_dict, "_metadata", None)
    state = OrderedDict(state_dict)
    _load_tree(self, state, "", metadata, assign, (missing, unexpected, errors))
    if strict:
        if unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                ", ".join(f"\"{k}\"" for k in unexpected)))
        if missing:
            errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                ", ".join(f"\"{k}\"" for k in missing)))
    if errors:
        raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
            self.__class__.__name__, "\n\t".join(errors)))
    return _IncompatibleKeys(missing, unexpected)


def register_state_dict_pre_hook(self, hook):
    """Call ``hook(module, prefix, keep_vars)`` before ``state_dict`` runs."""
    return add_hook(self._state_dict_pre_hooks, hook)


def register_state_dict_post_hook(self, hook):
    """Call ``hook(module, state_dict, prefix, local_metadata)`` after ``state_dict``."""
    return add_hook(self._state_dict_hooks, hook)


def register_load_state_dict_pre_hook(self, hook):
    """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
    unexpected_keys, error_msgs)`` before this module's entries are loaded."""
    def with_module(*args):
        return hook(self, *args)
    return add_hook(self._load_state_dict_pre_hooks, with_module)


def register_load_state_dict_post_hook(self, hook):
    """Call ``hook(module, incompatible_keys)`` after ``load_state_dict``."""
    return add_hook(self._load_state_dict_post_hooks, hook)
