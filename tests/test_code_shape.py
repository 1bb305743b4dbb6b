"""The shape of the code (docs/architecture.md): no import cycle between
nbgrad's modules at module level, modules of at most 600 lines and functions of
at most 60, unless the module's docstring gives the reason."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "nbgrad"


def _modules():
    """{dotted name: path} of every module of nbgrad."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name, module, level, package):
    if level:
        base = package.split(".")[: len(package.split(".")) - level + 1]
        return ".".join(base + ([module] if module else []))
    return module


def module_level_imports(path, name, known):
    """The nbgrad modules that `name` imports by its top-level statements."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in tree.body:   # top level only: imports inside functions run later
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.level and package, node.module, node.level, package)
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in known:
                    found.add(sub)
                elif base in known:
                    found.add(base)
    found.discard(name)
    return found


def find_cycle(graph):
    """One cycle of `graph` ({node: set of nodes}) as a list, or None."""
    state = {}
    for start in graph:
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                return path[path.index(child):] + [child]
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def test_find_cycle_finds_a_cycle_and_no_false_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_module_level_import_cycle():
    known = _modules()
    graph = {name: module_level_imports(path, name, known) for name, path in known.items()}
    # a package imports its own children (re-exports); that is not a cycle of concern
    for name in graph:
        graph[name] = {m for m in graph[name] if not m.startswith(name + ".")}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_modules_and_functions_are_short_or_say_why():
    too_long = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        doc = ast.get_docstring(tree) or ""
        if text.count("\n") > 600 and "600 lines" not in doc:
            too_long.append(f"module {name}: {text.count(chr(10))} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > 60 and not ("60 lines" in doc and node.name in doc):
                    too_long.append(f"function {name}.{node.name}: {n} lines")
    assert not too_long, too_long
