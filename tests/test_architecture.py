"""The package's shape: no import cycles between modules of ``src/relgraph``,
and no module importing another module's private names.

Imports anywhere in a file count (a function-level import that closes a cycle
still ties the two modules together, and so does one under ``TYPE_CHECKING``).
Inside ``relgraph.models`` each family talks only to the shared core and to
itself (docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "relgraph"

#: What each part of ``relgraph.models`` may import from ``relgraph.models``
#: (besides itself): the core nothing, a family the core; the hybrid family is
#: by definition gbdt on gnn outputs; the registry and ``train`` know every family.
MODEL_LAYERS = {
    "relgraph.models.core": {"relgraph.models.core"},
    "relgraph.models.gnn": {"relgraph.models.core"},
    "relgraph.models.icl": {"relgraph.models.core"},
    "relgraph.models.baseline": {"relgraph.models.core"},
    "relgraph.models.gbdt": {"relgraph.models.core"},
    "relgraph.models.hybrid": {
        "relgraph.models.core",
        "relgraph.models.gbdt",
        "relgraph.models.gnn",
    },
}


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


def test_no_import_cycles() -> None:
    graph, _ = _imports(_modules())
    assert _cycles(graph) == [], "import cycles"


def test_no_private_names_imported_across_modules() -> None:
    _, private = _imports(_modules())
    assert private == set(), sorted(private)


def _part(module: str) -> str | None:
    """The ``MODEL_LAYERS`` part a module belongs to."""
    for part in MODEL_LAYERS:
        if module == part or module.startswith(part + "."):
            return part
    return None


def test_model_families_talk_only_to_the_core_and_themselves() -> None:
    graph, _ = _imports(_modules())
    wrong = []
    for module, targets in graph.items():
        part = _part(module)
        if part is None:
            continue
        for target in targets:
            other = _part(target)
            inside = target.startswith("relgraph.models") and other != part
            if inside and other not in MODEL_LAYERS[part]:
                wrong.append(f"{module} -> {target}")
    assert wrong == [], wrong


def test_the_layer_check_sees_a_family_reaching_into_another() -> None:
    assert _part("relgraph.models.icl.links") == "relgraph.models.icl"
    assert "relgraph.models.gnn" not in MODEL_LAYERS["relgraph.models.icl"]
    assert _part("relgraph.models.registry") is None


def test_the_architecture_page_names_every_package() -> None:
    page = (ROOT.parents[1] / "docs" / "architecture.md").read_text()
    missing = []
    for path in sorted(ROOT.rglob("__init__.py")):
        package = path.parent.relative_to(ROOT).as_posix()
        if package != "." and f"{package}/" not in page:
            missing.append(f"{package}/")
    for path in sorted(ROOT.glob("*.py")):
        if path.name != "__init__.py" and path.name not in page:
            missing.append(path.name)
    assert missing == [], f"docs/architecture.md does not name {missing}"
