"""The house: every import inside the package points down, none makes a circle, and spec/ and
render/ are pure (no disk, git, network, clock or environment).

Read with `ast` from the source folder, so lazy imports inside functions count too: a circle
closed by a function-level import is still a circle in the design.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "generator"
# Floors, lowest first: a module may import its own floor or below, never above.
FLOORS = {"base": 0, "spec": 1, "render": 2, "files": 3, "release": 4, "commands": 5, "top": 6}
TOP = {"cli", "__main__"}
PURE = ("spec", "render")
# What a pure room must not import: the disk, processes, the network, the clock, randomness.
IMPURE_MODULES = {"os", "subprocess", "socket", "shutil", "tempfile", "time", "datetime", "random",
                  "urllib", "http", "requests", "glob", "io"}
PURE_SUBMODULES = {"urllib.parse"}  # string functions only
# Calls that touch the disk (pathlib's and the builtin open); pure rooms may use Path as a value only.
IMPURE_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "exists", "is_file", "is_dir",
                "iterdir", "glob", "rglob", "stat", "lstat", "resolve", "mkdir", "unlink", "rmdir", "touch",
                "cwd", "home", "getenv", "symlink_to", "samefile", "absolute"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor(module: str) -> int:
    room = module.split(".")[0]
    if room in TOP:
        return FLOORS["top"]
    return FLOORS.get(room, FLOORS["base"]) if "." in module or room in FLOORS else FLOORS["base"]


def imports(path: Path, root: Path, modules: set[str]) -> Iterator[tuple[str, int]]:
    """(package module imported, line) for every import of `path`, relative ones resolved."""
    here = module_name(path, root)
    package = here.split(".") if path.name == "__init__.py" else here.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        base = package[: len(package) - node.level + 1]
        source = ".".join([*base, *([node.module] if node.module else [])])
        for alias in node.names:
            candidate = f"{source}.{alias.name}" if source else alias.name
            yield (candidate if candidate in modules else source), node.lineno


def impurities(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in IMPURE_CALLS:
                yield f"{path.name}:{node.lineno}: calls {name}()"
            continue
        else:
            continue
        for name in names:
            if name.split(".")[0] in IMPURE_MODULES and name not in PURE_SUBMODULES:
                yield f"{path.name}:{node.lineno}: imports {name}"


def graph(root: Path) -> dict[str, set[tuple[str, int]]]:
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    return {module: set(imports(path, root, set(files))) for module, path in files.items()}


def upward(edges: dict[str, set[tuple[str, int]]]) -> list[str]:
    found = []
    for module, targets in edges.items():
        for target, line in sorted(targets):
            if target and target != module and floor(target) > floor(module):
                found.append(f"{module}:{line} imports {target} (floor {floor(target)} > {floor(module)})")
            if module.startswith("commands.") and target.startswith("commands.") and target != module:
                found.append(f"{module}:{line} imports another command, {target}")
    return found


def circles(edges: dict[str, set[tuple[str, int]]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target, _ in edges.get(node, ()):
            if target not in edges or target == node:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_every_import_points_down() -> None:
    assert upward(graph(PACKAGE)) == []


def test_no_import_circle() -> None:
    assert circles(graph(PACKAGE)) == []


@pytest.mark.parametrize("room", PURE)
def test_spec_and_render_touch_nothing_outside(room: str) -> None:
    found = [issue for path in sorted((PACKAGE / room).rglob("*.py")) for issue in impurities(path)]
    assert found == []


def test_a_few_modules_stay_at_the_top_level() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 10, top


# The checks themselves, on a house built to break each rule.
def _house(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in {"__init__.py": "", **files}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_checks_see_an_upward_import_a_circle_and_an_impurity(tmp_path: Path) -> None:
    root = _house(tmp_path, {
        "spec/__init__.py": "", "spec/model.py": "def f():\n    from ..files import writer\n",
        "files/__init__.py": "", "files/writer.py": "from ..spec import model\n",
        "commands/__init__.py": "", "commands/a.py": "from . import b\n", "commands/b.py": "",
        "render/__init__.py": "", "render/core.py": "import time\nfrom pathlib import Path\nPath('x').read_text()\n",
    })
    edges = graph(root)
    assert upward(edges) == ["commands.a:1 imports another command, commands.b",
                             "spec.model:2 imports files.writer (floor 3 > 1)"]
    assert circles(edges) == [["files.writer", "spec.model"]]
    assert list(impurities(root / "render/core.py")) == ["core.py:1: imports time", "core.py:3: calls read_text()"]
