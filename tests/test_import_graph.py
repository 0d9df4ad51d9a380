"""The product packages import each other without cycles (issue 13 §3).

An ast walk over every module of the packages: each ``import`` and ``from … import``
that runs at run time (at module level or inside a function) is an edge; imports under
``if TYPE_CHECKING:`` are for the type checker only and do not count. A cycle fails the
test with the modules on it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import helpers

PACKAGES = ("speechqa", "ingest", "rag", "ui", "eval")
EXCLUDED = ("eval/corpus/",)  # data, incl. the corpus writers' generator script


def module_name(path: Path) -> str:
    parts = list(path.relative_to(helpers.ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((helpers.ROOT / package).rglob("*.py")):
            rel = path.relative_to(helpers.ROOT).as_posix()
            if not rel.startswith(EXCLUDED):
                modules[module_name(path)] = path
    return modules


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement except those under ``if TYPE_CHECKING:`` (its else
    branch runs and counts)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def imported(
    module: str, path: Path, node: ast.Import | ast.ImportFrom, known: set[str]
) -> set[str]:
    """The product modules one import statement loads."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    base = node.module or ""
    if node.level:
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    targets = {base} if base in known else set()
    targets |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known}
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = product_modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for node in runtime_imports(tree):
            edges |= imported(name, path, node, known)
        graph[name] = edges - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_the_walk_sees_runtime_imports_and_skips_type_checking_ones() -> None:
    graph = import_graph()
    assert "speechqa.errors" in graph["rag.service"]  # a module-level import
    assert "rag.followup" in graph["rag.service"]  # `from . import followup`
    assert "rag.service" in graph["speechqa.factory"]  # inside build_assistant
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import rag.service\nelse:\n    import rag.cite\n"
        "def f():\n    import json\n"
    )
    names = [
        n.module if isinstance(n, ast.ImportFrom) else n.names[0].name
        for n in runtime_imports(ast.parse(source))
    ]
    assert names == ["typing", "rag.cite", "json"]


def test_cycles_are_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_the_packages() -> None:
    found = cycles(import_graph())
    assert not found, (
        "import cycles (break each with an import under TYPE_CHECKING or a module both "
        "can import): " + "; ".join(" ↔ ".join(c) for c in found)
    )


def test_answering_reads_the_index_through_its_interface_only() -> None:
    """rag/ imports no Chroma client and no code reaches into a private ``_collection``
    (ingest.store.SearchStore is what rag/ reads; Index implements it over the public
    chromadb API)."""
    problems = []
    for name, path in product_modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "_collection":
                problems.append(f"{name}:{node.lineno}: ._collection")
            if name.startswith("rag.") and isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                modules.append(getattr(node, "module", None) or "")
                if any(m.split(".")[0] in ("chromadb", "langchain_chroma") for m in modules):
                    problems.append(f"{name}:{node.lineno}: imports Chroma")
    assert not problems, problems
