"""``nb.compile(module)``: the module wrapped as ``torch.compile`` wraps one.

``model = torch.compile(model)`` is how research code compiles, and the code goes
on to call ``model.parameters()``, ``model.train()``, ``model.state_dict()`` and
its own attributes.  So compiling a module gives an `OptimizedModule`, as
PyTorch's: a module whose one child is the original (``_orig_mod``: parameters,
modes and state-dict keys, prefixed ``_orig_mod.`` as PyTorch's are, reach it),
whose other attributes are the original's, and whose calls go through the
compiled function of the original's calls.  ``model.compile()`` compiles in
place instead (`compiled_calls`): the module's own calls replay.
"""

from nbgrad.nn.modules.module import Module

__all__ = ["OptimizedModule", "compiled_calls"]


def compiled_calls(module, model=None, **kwargs):
    """The compiled function ``module.compile(**kwargs)`` keeps: the module's calls
    as `nb.compile` compiles a module (``disable=True``: None, calls stay eager)."""
    from nbgrad.compiler.api import compile as compile_fn
    if model is not None:
        raise TypeError("Module.compile() takes nb.compile's keyword arguments only")
    compiled = compile_fn(_Uncompiled(module), **kwargs)
    return None if isinstance(compiled, _Uncompiled) else compiled


class _Uncompiled:
    """A compiled module's own call, run eagerly (a recording, a fallback): through
    ``Module.__call__`` (hooks, the recorder's note of the training flag), with the
    compiled function set aside for the call."""

    def __init__(self, module):
        self.module = module
        self.__qualname__ = type(module).__name__

    def __call__(self, *args, **kwargs):
        module = self.module
        compiled = module.__dict__.pop("_compiled_call_impl", None)
        try:
            return module(*args, **kwargs)
        finally:
            if compiled is not None:
                module.__dict__["_compiled_call_impl"] = compiled


class OptimizedModule(Module):
    """A module with compiled calls (see the module docstring)."""

    def __init__(self, mod, compiled):
        super().__init__()
        self._orig_mod = mod
        self.__dict__["_compiled_call"] = compiled   # not a child: a plain attribute

    def forward(self, *args, **kwargs):
        return self._compiled_call(*args, **kwargs)

    @property
    def stats(self):
        """The compiled function's counts (`CompiledFunction.stats`)."""
        return self._compiled_call.stats

    @property
    def last_reason(self):
        return self._compiled_call.last_reason

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            modules = self.__dict__.get("_modules")
            if not modules or "_orig_mod" not in modules:
                raise
            return getattr(modules["_orig_mod"], name)
