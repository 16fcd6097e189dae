"""The package's shape: no import cycles between modules of ``src/relgraph``,
and no module importing another module's private names.

Imports anywhere in a file count (a function-level import that closes a cycle
still ties the two modules together). The models package still has one cycle
and one private import, listed below until its refactor (issue 18) removes
them; a listed one that is gone fails too, so the lists only shrink.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "relgraph"

KNOWN_CYCLES = [
    {
        "relgraph.models.core.base",
        "relgraph.models.baseline",
        "relgraph.models.gbdt",
        "relgraph.models.gnn.model",
        "relgraph.models.gnn.explain",
        "relgraph.models.hybrid",
        "relgraph.models.icl.model",
        "relgraph.models.icl.links",
        "relgraph.models.registry",
    }
]
KNOWN_PRIVATE = {("relgraph.models.gnn.explain", "relgraph.models.gnn.model", "_PREDICT_BATCH")}


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(modules: dict[str, Path]) -> tuple[dict[str, set[str]], set[tuple[str, str, str]]]:
    """Module -> the modules it imports; and (importer, module, name) of private names."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    private = set()
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                if not base.startswith("relgraph"):
                    continue
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    target = full if full in modules else base
                    if target in modules and target != name:
                        graph[name].add(target)
                    private_name = alias.name.startswith("_") and not alias.name.startswith("__")
                    if private_name and target != name:
                        private.add((name, base, alias.name))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules and alias.name != name:
                        graph[name].add(alias.name)
    return graph, private


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_beyond_the_known_ones() -> None:
    graph, _ = _imports(_modules())
    cycles = _cycles(graph)
    new = [sorted(c) for c in cycles if c not in KNOWN_CYCLES]
    assert not new, f"import cycles: {new}"
    gone = [sorted(c) for c in KNOWN_CYCLES if c not in cycles]
    assert not gone, f"known cycles no longer there (remove them from KNOWN_CYCLES): {gone}"


def test_no_private_names_imported_across_modules() -> None:
    _, private = _imports(_modules())
    assert private - KNOWN_PRIVATE == set(), sorted(private - KNOWN_PRIVATE)
    assert private >= KNOWN_PRIVATE, f"gone (remove from KNOWN_PRIVATE): {KNOWN_PRIVATE - private}"
