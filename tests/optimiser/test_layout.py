"""The package's structure: no import circles between its modules, and no module reaching
into another's private (underscore) names, so each module's public names are its interface."""

from __future__ import annotations

import ast
from pathlib import Path

import optimiser

PACKAGE = Path(optimiser.__file__).parent
MODULES = {p.stem: ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.glob("*.py"))}


def imported_modules(name: str, tree: ast.Module) -> set[str]:
    """The package's modules ``name`` imports, at the top or inside a function."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:
                candidates = [module.split(".")[0]] if module else [a.name for a in node.names]
            elif module == "optimiser":
                candidates = [a.name for a in node.names]
            elif module.startswith("optimiser."):
                candidates = [module.split(".")[1]]
            else:
                candidates = []
        elif isinstance(node, ast.Import):
            candidates = [a.name.split(".")[1] for a in node.names if a.name.startswith("optimiser.")]
        else:
            continue
        out.update(c for c in candidates if c in MODULES and c != name)
    return out


def test_no_import_circles():
    graph = {name: imported_modules(name, tree) for name, tree in MODULES.items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        for other in sorted(graph[name]):
            assert other not in path, "import circle: " + " -> ".join([*path[path.index(other):], other])
            if other not in done:
                visit(other, [*path, other])
        done.add(name)

    for name in sorted(graph):
        visit(name, [name])


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_module_uses_another_modules_private_names():
    """``x._name`` only on ``self``/``cls`` (a module's own objects), and nothing private
    imported from elsewhere in the package."""
    found = []
    for name, tree in MODULES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and private(node.attr):
                if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                    found.append(f"{name}.py:{node.lineno}: {ast.unparse(node)}")
            elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("optimiser")):
                found += [f"{name}.py:{node.lineno}: imports {a.name}" for a in node.names if private(a.name)]
    assert not found, "\n".join(found)
