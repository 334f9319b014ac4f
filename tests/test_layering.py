"""The layers of the code: core/ never imports Qt (the CLI, the GUI and the tests all
drive the same core), gui/ reaches the core through its facade (core/app.py), and
core's packages and modules import each other without a cycle, so each can be
changed and tested from the bottom up."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "core"


def _imports(py: Path):
    """(line, absolute module name) of every import in ``py``, at the top or inside a function."""
    package = py.relative_to(CORE.parent).with_suffix("").parts[:-1]   # ("core", "queue")
    for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield node.lineno, node.module or ""
                continue
            base = list(package[: len(package) - (node.level - 1)])
            if node.module:
                yield node.lineno, ".".join(base + [node.module])
            else:                       # from . import x: x is a module or a name of the package
                for a in node.names:
                    yield node.lineno, ".".join(base + [a.name])


def _unit(module: str) -> str | None:
    """The top-level package or module of core that ``module`` belongs to (None: not core,
    or core's own __init__)."""
    parts = module.split(".")
    if parts[0] != "core" or len(parts) < 2:
        return None
    name = parts[1]
    if (CORE / name).is_dir() or (CORE / f"{name}.py").is_file():
        return name
    return None                         # a name defined in core/__init__.py (__version__)


def core_import_graph() -> dict[str, dict[str, str]]:
    """{unit: {imported unit: "file:line" of one such import}} between core's units."""
    graph: dict[str, dict[str, str]] = {}
    for py in sorted(CORE.rglob("*.py")):
        src = py.relative_to(CORE).parts[0].removesuffix(".py")
        if src == "__init__":
            continue
        graph.setdefault(src, {})
        for line, mod in _imports(py):
            dst = _unit(mod)
            if dst and dst != src:
                graph[src].setdefault(dst, f"{py.relative_to(CORE.parent)}:{line}")
    return graph


def cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The strongly connected components with more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_core_never_imports_qt_or_gui():
    offenders = []
    for py in CORE.rglob("*.py"):
        tree = ast.parse(py.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for n in names:
                top = n.split(".")[0]
                if top in ("PySide6", "PyQt5", "PyQt6", "qasync", "gui", "shiboken6"):
                    offenders.append(f"{py.relative_to(CORE.parent)}: {n}")
    assert not offenders, offenders


GUI = CORE.parent / "gui"

#: what gui/ may import from core: the facade and value types (tasks, states, error kinds)
GUI_ALLOWED = {"core.app", "core.models", "core.errors", "core.queue.events", "core.paths", "core.invocation",
               "core.redact", "core.logsetup", "core"}

#: imports the GUI still makes around the facade, by file: each must move behind core.app;
#: the list may only shrink (an entry no longer true fails the test, so it is removed)
GUI_DEBT: set[tuple[str, str]] = set()    # none left: every import of gui/ from core is allowed


def _gui_core_imports() -> set[tuple[str, str]]:
    found = set()
    for py in sorted(GUI.glob("*.py")):
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for n in names:
                if n == "core" or n.startswith("core."):
                    found.add((f"gui/{py.name}", n))
    return found


def test_gui_imports_only_the_facade_and_value_types_from_core():
    found = _gui_core_imports()
    outside = {(f, m) for f, m in found if m not in GUI_ALLOWED}
    assert not outside - GUI_DEBT, f"gui/ reaches into core around core.app: {sorted(outside - GUI_DEBT)}"
    assert not GUI_DEBT - outside, f"no longer imported: remove from GUI_DEBT: {sorted(GUI_DEBT - outside)}"


def test_core_packages_import_each_other_without_a_cycle():
    """Imports inside functions count too: a cycle through a lazy import is still two
    packages that cannot be understood, moved or tested one without the other."""
    graph = core_import_graph()
    found = cycles(graph)
    detail = [" -> ".join(c) + ": " + "; ".join(f"{a}->{b} at {graph[a][b]}" for a in c for b in c
                                                   if b in graph.get(a, {}))
              for c in found]
    assert not found, detail


def test_the_cycle_check_finds_cycles():
    g = {"queue": {"heygem": "core/queue/x.py:1", "store": "core/queue/x.py:2"},
         "heygem": {"queue": "core/heygem/y.py:9"}, "store": {}, "a": {"b": ""}, "b": {"c": ""},
         "c": {"a": ""}}
    assert sorted(cycles(g)) == [["a", "b", "c"], ["heygem", "queue"]]
    assert cycles({"a": {"b": ""}, "b": {}}) == []
    # the graph sees imports inside functions and relative imports of sub-packages
    graph = core_import_graph()
    assert "resolvers" in graph["resolve"] and "engine" in graph["queue"] and "heygem" in graph["queue"]
    assert "settings" in graph["heygem"] and "queue" not in graph["heygem"]


def engine_import_graph() -> dict[str, dict[str, str]]:
    """{module: {imported module: "file:line"}} between the modules of core/engine
    (``__init__`` for a name taken from the package itself)."""
    pkg = CORE / "engine"
    graph: dict[str, dict[str, str]] = {}
    for py in sorted(pkg.glob("*.py")):
        src = py.stem
        graph.setdefault(src, {})
        for line, mod in _imports(py):
            parts = mod.split(".")
            if parts[:2] != ["core", "engine"]:
                continue
            dst = parts[2] if len(parts) > 2 and (pkg / f"{parts[2]}.py").is_file() else "__init__"
            if dst != src:
                graph[src].setdefault(dst, f"{py.relative_to(CORE.parent)}:{line}")
    return graph


def test_engine_modules_import_each_other_without_a_cycle():
    graph = engine_import_graph()
    assert {"planner", "mirrors", "probe", "target", "partfile", "connection", "download", "engine"} <= set(graph)
    assert "planner" in graph["download"] and "partfile" in graph["connection"]   # the graph sees them
    found = cycles(graph)
    assert not found, [" -> ".join(c) for c in found]


def test_the_planner_is_pure():
    """core/engine/planner.py decides with the numbers it is given: no event loop, no I/O,
    no clock, nothing else of the engine."""
    mods = {m for _, m in _imports(CORE / "engine" / "planner.py")}
    assert mods <= {"__future__", "dataclasses", "typing"}, mods
