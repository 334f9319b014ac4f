"""core/ never imports Qt: the CLI, the GUI and the tests all drive the same core."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "core"


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
