"""The layering contract: which part of lambdalab may import which, checked on the source itself.

Every module is parsed with ``ast``; every ``import`` counts, at module level or inside a function (a
function-level import is a dependency all the same, only a later one). The layers, bottom up:

- ``lambdalab.aws_facts``: AWS's vocabulary (limits, reasons, ARNs). Imports nothing from lambdalab.
- ``runtime`` and ``sim``: execution environments and the simulator. Import only themselves and the vocabulary.
- ``service`` and ``controlplane``: Lambda in front of moto. Import no trigger: a trigger registers what it
  answers on the sandbox's gateway when the sandbox starts it.
- and no cycles between lambdalab's packages (each top-level module counts as a package of its own).
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lambdalab"
VOCABULARY = "lambdalab.aws_facts"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """Every lambdalab module ``name`` imports (relative imports resolved), with the line that does it."""
    found: list[tuple[str, int]] = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((module, node.lineno))
            # ``from lambdalab.service import gateway`` imports the module lambdalab.service.lambda_api
            submodules = (f"{module}.{alias.name}" for alias in node.names)
            found += [(submodule, node.lineno) for submodule in submodules if submodule in MODULES]
    return [(module, line) for module, line in found if module == "lambdalab" or module.startswith("lambdalab.")]


@functools.cache
def all_imports() -> dict[str, list[tuple[str, int]]]:
    """Parsed on first use, not at collection: every test worker collects this file, one runs it."""
    return {name: _imports(name, path) for name, path in MODULES.items()}


def _package(module: str) -> str:
    """The unit the no-cycles rule is about: ``lambdalab.service.lambda_api`` → ``lambdalab.service``."""
    return ".".join(module.split(".")[:2])


def _within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _violations(importer_packages: tuple[str, ...], allowed: tuple[str, ...]) -> list[str]:
    return [
        f"{MODULES[name].relative_to(PACKAGE.parent)}:{line} imports {module}"
        for name, imported in all_imports().items()
        if _within(name, *importer_packages)
        for module, line in imported
        if not _within(module, *allowed)
    ]


def test_the_vocabulary_module_imports_nothing_from_lambdalab() -> None:
    assert VOCABULARY in MODULES, "lambdalab/aws_facts.py holds AWS's vocabulary for every layer"
    assert _violations((VOCABULARY,), (VOCABULARY,)) == []


@pytest.mark.parametrize("package", ["lambdalab.runtime", "lambdalab.sim"])
def test_runtime_and_sim_import_nothing_above_them(package: str) -> None:
    assert _violations((package,), (package, VOCABULARY)) == []


def test_service_and_controlplane_import_no_trigger() -> None:
    forbidden = ("lambdalab.triggers", "lambdalab.aws_sandbox", "lambdalab.cloudformation", "lambdalab.databases")
    offending = [
        f"{MODULES[name].relative_to(PACKAGE.parent)}:{line} imports {module}"
        for name, imported in all_imports().items()
        if _within(name, "lambdalab.service", "lambdalab.controlplane")
        for module, line in imported
        if _within(module, *forbidden)
    ]
    assert offending == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_there_are_no_import_cycles_between_packages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, imported in all_imports().items():
        for module, line in imported:
            source, target = _package(name), _package(module)
            if source != target:
                graph[source].add(target)
                edges[source, target].append(f"{MODULES[name].relative_to(PACKAGE.parent)}:{line}")
    cycles = _cycles(graph)
    explained = [{f"{a} -> {b}": edges[a, b] for a in cycle for b in cycle if (a, b) in edges} for cycle in cycles]
    assert cycles == [], explained


def test_the_contract_sees_function_level_imports(tmp_path: Path) -> None:
    """The checker itself: an import inside a function body is found, so a lazy import cannot hide a cycle."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    x = 1\n    from lambdalab.aws_sandbox import sandbox\n", encoding="utf-8")
    assert ("lambdalab.aws_sandbox", 3) in _imports("lambdalab.service.probe", probe)
