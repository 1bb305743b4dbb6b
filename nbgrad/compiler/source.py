"""Python functions generated at record time: straight-line text with the recorded
values as constants of its globals (`copies`' copy-in and copy-out, `guards`' plan
guards), so a replay runs no loop over the plan's lists."""

__all__ = ["SourceWriter"]


class SourceWriter:
    """The body lines of one generated function and the globals its text names."""

    def __init__(self, env=None):
        self.env = dict(env or {})
        self.lines = []   # the body, unindented

    def const(self, value):
        """A global name for `value` in the generated text."""
        name = f"K{len(self.env)}"
        self.env[name] = value
        return name

    def function(self, header, filename):
        """The function ``def <header>:`` with ``lines`` as its body."""
        body = "\n".join("    " + line for line in self.lines)
        exec(compile(f"def {header}:\n{body}\n", filename, "exec"), self.env)
        return self.env[header.partition("(")[0]]
