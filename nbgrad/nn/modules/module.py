"""``nn.Module``: the base class of every layer and model.

It owns the registration of parameters, buffers and submodules (through
``__setattr__`` and ``register_*``), their iteration (``parameters``,
``named_modules`` ...), ``__call__`` with forward pre-hooks and hooks, mode
(``train``/``eval``), conversion (``to``, ``double``, ``cuda`` ...) and
``print(model)``, all as PyTorch's ``torch.nn.Module`` does them, with its
error types and messages.  ``state_dict`` / ``load_state_dict`` live in
`nbgrad.nn.modules._state_dict`.
"""

from collections import OrderedDict

from nbgrad import _dtypes
from nbgrad._device import device as _device_cls
from nbgrad.autograd.grad_mode import no_grad
from nbgrad.nn.modules import _hooks, _state_dict
from nbgrad.nn.modules._hooks import typename
from nbgrad.nn.parameter import Buffer, Parameter
from nbgrad.tensor import Tensor

__all__ = ["Module", "register_module_forward_hook", "register_module_forward_pre_hook"]

register_module_forward_pre_hook = _hooks.register_module_forward_pre_hook
register_module_forward_hook = _hooks.register_module_forward_hook

# the stores of a module's members: a name assigned to one leaves the others
_STORES = ("_parameters", "_buffers", "_modules", "_non_persistent_buffers_set")


def _addindent(s, n):
    """Indent every line of `s` but the first by `n` spaces (blank lines stay empty)."""
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    rest = [(n * " ") + line if line.strip() else "" for line in lines[1:]]
    return lines[0] + "\n" + "\n".join(rest)


def _check_name(kind, name, module):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {typename(name)}")
    if "." in name:
        raise KeyError(f"{kind} name can't contain \".\"")
    if name == "":
        raise KeyError(f"{kind} name can't be empty string \"\"")


def _values(named):
    """The values of (name, value) pairs: parameters() of named_parameters() and the like."""
    for _, value in named:
        yield value


def non_default_settings(module, defaults):
    """", name=value" for each (name, default) the module's value differs from, as
    PyTorch's extra_repr tests them (``is not`` for True/False/None, else ``!=``)."""
    s = ""
    for name, default in defaults:
        v = getattr(module, name)
        if (v is not default) if default is None or isinstance(default, bool) else v != default:
            s += f", {name}={v}"
    return s


class Module:
    """Base class for all neural network modules: subclass it, create layers in
    ``__init__`` (after ``super().__init__()``) and compute in ``forward``.

    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(2, 1)
    ...     def forward(self, x):
    ...         return self.fc(x).relu()
    """

    _version = 1
    training: bool
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument "
                            f"but {len(args) + 1} were given")
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", {})
        setattr_(self, "_buffers", {})
        setattr_(self, "_non_persistent_buffers_set", set())
        for name in ("_forward_hooks", "_forward_hooks_with_kwargs",
                     "_forward_hooks_always_called", "_forward_pre_hooks",
                     "_forward_pre_hooks_with_kwargs", "_state_dict_hooks",
                     "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                     "_load_state_dict_post_hooks", "_backward_hooks", "_backward_pre_hooks"):
            setattr_(self, name, OrderedDict())
        setattr_(self, "_modules", {})

    def forward(self, *input):
        """The computation of this module: every subclass defines it."""
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required "
                                  "\"forward\" function")

    # -- registration --------------------------------------------------------------
    def _check_new_member(self, kind, table, name, value, cls, required):
        """register_buffer's and register_parameter's checks, with PyTorch's errors: the
        module initialised, a valid new `name`, `value` a `cls` (`required`) or None."""
        if table not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        _check_name(kind, name, self)
        if hasattr(self, name) and name not in self.__dict__[table]:
            raise KeyError(f"attribute '{name}' already exists")
        if value is not None and not isinstance(value, cls):
            raise TypeError(f"cannot assign '{typename(value)}' object to {kind} '{name}' "
                            f"({required} or None required)")

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer (state that is not a parameter, e.g. running statistics);
        ``persistent=False`` keeps it out of ``state_dict``."""
        self._check_new_member("buffer", "_buffers", name, tensor, Tensor, "torch Tensor")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        """Add a parameter (an ``nn.Parameter`` or None), reachable as an attribute."""
        self._check_new_member("parameter", "_parameters", name, param, Parameter,
                               "torch.nn.Parameter")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             f"parameters must be created explicitly. To express '{name}' as a "
                             "function of another Tensor, compute the value in the forward() "
                             "method.")
        self._parameters[name] = param

    def add_module(self, name, module):
        """Add a child module, reachable as the attribute `name`."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f"module name can't contain \".\", got: {name}")
        if name == "":
            raise KeyError("module name can't be empty string \"\"")
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias of `add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target):
        """The submodule at dotted path `target` (``"encoder.0"``); '' is self."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")  # noqa: TRY004
        return mod

    def _get_member(self, target, kind):
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        value = getattr(mod, name)
        if kind == "parameter" and not isinstance(value, Parameter):
            raise AttributeError("`" + name + "` is not an nn.Parameter")
        if kind == "buffer" and name not in mod._buffers:
            raise AttributeError("`" + name + "` is not a buffer")
        return value

    def get_parameter(self, target):
        """The parameter at dotted path `target` (``"fc.weight"``)."""
        return self._get_member(target, "parameter")

    def get_buffer(self, target):
        """The buffer at dotted path `target` (``"bn.running_mean"``)."""
        return self._get_member(target, "buffer")

    # -- attributes ------------------------------------------------------------------
    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        d = self.__dict__
        if self._assign_member(name, value, d, Parameter, "_parameters", "parameters",
                               "parameter", self.register_parameter):
            return
        modules = d.get("_modules")
        if self._assign_member(name, value, d, Module, "_modules", "module", "child module",
                               modules.__setitem__ if modules is not None else None):
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            if isinstance(value, Buffer):
                persistent = value.persistent
            else:
                persistent = name not in self._non_persistent_buffers_set
            self.register_buffer(name, value, persistent)
        else:
            object.__setattr__(self, name, value)

    def _assign_member(self, name, value, d, cls, store, plural, kind, put):
        """`__setattr__` of a parameter (`cls` Parameter) or child module (Module):
        where `value` is a `cls`, `name` leaves the other stores and `put(name, value)`
        stores it; where `name` already is one, only None may replace it.  False when
        neither holds (PyTorch's errors, its order of checks: parameters first)."""
        members = d.get(store)
        if isinstance(value, cls):
            if members is None:
                raise AttributeError(f"cannot assign {plural} before Module.__init__() call")
            self._remove_from(name, d, *(getattr(self, s) for s in _STORES if s != store))
        elif members is not None and name in members:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as {kind} '{name}' "
                                f"(torch.nn.{cls.__name__} or None expected)")
        else:
            return False
        put(name, value)
        return True

    @staticmethod
    def _remove_from(name, *stores):
        for s in stores:
            if name in s:
                if isinstance(s, dict):
                    del s[name]
                else:
                    s.discard(name)

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = (dir(self.__class__) + list(self.__dict__) + list(self._parameters)
                + list(self._modules) + list(self._buffers))
        return sorted(k for k in keys if not k[0].isdigit())

    def __getstate__(self):   # a copy or pickle is not compiled (as PyTorch's)
        state = self.__dict__.copy()
        state.pop("_compiled_call_impl", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    # -- iteration -------------------------------------------------------------------
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for k, v in get_members(module):
                if v is None or id(v) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(v))
                yield module_prefix + ("." if module_prefix else "") + k, v

    def parameters(self, recurse=True):
        """The parameters of this module (and its submodules, with `recurse`), each once."""
        yield from _values(self.named_parameters(recurse=recurse))

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, parameter) pairs: ``('0.weight', Parameter ...)``."""
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                       remove_duplicate)

    def buffers(self, recurse=True):
        """The buffers of this module (and its submodules, with `recurse`)."""
        yield from _values(self.named_buffers(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, buffer) pairs: ``('bn.running_mean', tensor ...)``."""
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                       remove_duplicate)

    def children(self):
        """The immediate submodules."""
        yield from _values(self.named_children())

    def named_children(self):
        """(name, immediate submodule) pairs, each module once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def modules(self, remove_duplicate=True):
        """Self and every submodule, depth first."""
        yield from _values(self.named_modules(remove_duplicate=remove_duplicate))

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) pairs of self ('') and every submodule, depth first."""
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    # -- mode and gradients ----------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (dropout active, batch statistics) here and below."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")  # noqa: TRY004
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` of every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (to None by default, else to zeros)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                g.zero_()

    def apply(self, fn):
        """Call ``fn(m)`` on every submodule (children first) and on self; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- conversion ------------------------------------------------------------------
    def _apply(self, fn, recurse=True):
        """Replace every parameter's and buffer's data by ``fn`` of it (parameters
        stay the same objects, as PyTorch's default ``param.data = fn(param)``)."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with no_grad():
                param.data = fn(param)
                if param._grad is not None:
                    param._grad.data = fn(param._grad)
        for key, buf in self._buffers.items():
            if buf is not None:
                self._buffers[key] = fn(buf)
        return self

    def cuda(self, device=None):
        """Move parameters and buffers to a CUDA device."""
        return self._apply(lambda t: t.cuda(device))

    def cpu(self):
        """Move parameters and buffers to the CPU."""
        return self._apply(lambda t: t.cpu())

    def type(self, dst_type):
        """Cast parameters and buffers to `dst_type`."""
        return self._apply(lambda t: t.type(dst_type))

    def float(self):
        """Cast floating point parameters and buffers to float32."""
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        """Cast floating point parameters and buffers to float64."""
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        """Cast floating point parameters and buffers to float16."""
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def to(self, *args, **kwargs):
        """Move and/or cast: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``,
        ``to(tensor)``; only floating point tensors change dtype."""
        device, dtype = _parse_to(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype!r}")

        def convert(t):
            return t.to(device, dtype if t.is_floating_point() else None)
        return self._apply(convert)

    def share_memory(self):
        """A no-op on nbgrad's tensors (no inter-process sharing); returns self."""
        return self

    # -- calling ---------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        compiled = self.__dict__.get("_compiled_call_impl")   # set by compile()
        if compiled is not None:
            return compiled(*args, **kwargs)
        if not (self._forward_pre_hooks or self._forward_hooks
                or _hooks.global_forward_pre_hooks or _hooks.global_forward_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    _call_impl = __call__
    _compiled_call_impl = None   # compile()'s compiled calls, in the instance's __dict__

    def compile(self, *args, **kwargs):
        """Compile this module's calls in place (PyTorch's ``Module.compile``): later
        calls replay through ``nb.compile``; the module, its parameters and its
        state-dict keys stay as they are.  Takes `nb.compile`'s keywords."""
        from nbgrad.compiler.modules import compiled_calls   # the compiler is above nn
        self.__dict__["_compiled_call_impl"] = compiled_calls(self, *args, **kwargs)

    def _run_pre_hooks(self, args, kwargs):
        for hook_id, hook in (*_hooks.global_forward_pre_hooks.items(),
                              *self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {res}.")
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        return args, kwargs

    def _call_with_hooks(self, args, kwargs):
        called = set()
        result = None
        try:
            args, kwargs = self._run_pre_hooks(args, kwargs)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in (*_hooks.global_forward_hooks.items(),
                                  *self._forward_hooks.items()):
                called.add(hook_id)
                if hook_id in self._forward_hooks_with_kwargs:
                    res = hook(self, args, kwargs, result)
                else:
                    res = hook(self, args, result)
                if res is not None:
                    result = res
            return result
        except Exception:
            self._run_always_called(called, args, kwargs, result)
            raise

    def _run_always_called(self, called, args, kwargs, result):
        import warnings
        always = {**_hooks.global_forward_hooks_always_called,
                  **self._forward_hooks_always_called}
        for hook_id, hook in (*_hooks.global_forward_hooks.items(),
                              *self._forward_hooks.items()):
            if hook_id not in always or hook_id in called:
                continue
            try:
                if hook_id in self._forward_hooks_with_kwargs:
                    hook(self, args, kwargs, result)
                else:
                    hook(self, args, result)
            except Exception as e:  # noqa: BLE001 - PyTorch silences it with a warning
                warnings.warn("module forward hook with ``always_call=True`` raised an "
                              f"exception that was silenced as another error was raised in "
                              f"forward: {e}", stacklevel=3)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before ``forward`` (``hook(module, args, kwargs)``
        with `with_kwargs`); a returned value replaces the input.  Returns a handle."""
        return _hooks.add_hook(self._forward_pre_hooks, hook, prepend,
                               [(self._forward_pre_hooks_with_kwargs, with_kwargs)])

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """Call ``hook(module, args, output)`` after ``forward``; a returned value
        replaces the output.  Returns a handle."""
        return _hooks.add_hook(self._forward_hooks, hook, prepend,
                               [(self._forward_hooks_with_kwargs, with_kwargs),
                                (self._forward_hooks_always_called, always_call)])

    def register_full_backward_hook(self, hook, prepend=False):
        raise NotImplementedError("nn.Module.register_full_backward_hook is not implemented in "
                                  "nbgrad: register a tensor hook on the module's output "
                                  "(output.register_hook) instead")

    register_backward_hook = register_full_backward_hook
    register_full_backward_pre_hook = register_full_backward_hook

    # -- state dict (nbgrad.nn.modules._state_dict) -----------------------------------
    state_dict = _state_dict.state_dict
    load_state_dict = _state_dict.load_state_dict
    _save_to_state_dict = _state_dict.save_to_state_dict
    _load_from_state_dict = _state_dict.load_from_state_dict
    register_state_dict_pre_hook = _state_dict.register_state_dict_pre_hook
    register_state_dict_post_hook = _state_dict.register_state_dict_post_hook
    register_load_state_dict_pre_hook = _state_dict.register_load_state_dict_pre_hook
    register_load_state_dict_post_hook = _state_dict.register_load_state_dict_post_hook

    def get_extra_state(self):
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called.")

    def set_extra_state(self, state):
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called.")

    # -- printing --------------------------------------------------------------------
    def _get_name(self):
        return self.__class__.__name__

    def extra_repr(self):
        """The module's own settings for its repr (a subclass returns e.g.
        ``'in_features=2, out_features=1, bias=True'``)."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = ["(" + key + "): " + _addindent(repr(module), 2)
                       for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


def _parse_to(args, kwargs):
    """(device, dtype) from Module.to's arguments (Tensor.to's forms)."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got an "
                        f"unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, _dtypes.dtype):
            dtype = a
        elif isinstance(a, (str, int, _device_cls)) and not isinstance(a, bool):
            device = a
        elif a is not None and not isinstance(a, bool):
            raise TypeError(f"to() received an invalid combination of arguments - got "
                            f"({type(a).__name__})")
    return device, dtype
