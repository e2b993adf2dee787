"""The import graph: no module imports a layer above its own, and there is no cycle.

Only imports that run when a module is loaded count (those under ``if TYPE_CHECKING:`` and
inside functions are lazy by design: a face may build a client on demand).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

import ugsdk

PACKAGE = Path(ugsdk.__file__).parent

# Lower numbers are lower layers. A module may import its own layer or any layer below.
LAYERS: Dict[str, int] = {
    "errors": 0,
    "_version": 0,
    "_forksafe": 0,
    "transports": 1,
    "validation": 2,
    "models": 2,
    "serde": 3,
    "_fastdecode": 3,
    "routes": 3,
    "retry": 3,
    "auth": 3,
    "store": 3,
    "uploads": 3,
    "events": 3,
    "workpool": 3,
    "dispatch": 3,
    "live": 4,
    "hub": 5,
    "_requester": 4,
    "session": 5,
    "client": 6,
    "config": 7,
    "sandbox": 7,
    "demo": 8,
    "testing": 8,
    "cli": 8,
    "contrib": 8,
    "jsonform": 4,
    "stores": 3,
    "__main__": 9,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _top_level_imports(path: Path, name: str) -> Set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: Set[str] = set()

    def visit(nodes: List[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.startswith("ugsdk"):
                    found.add(target)
                    for alias in node.names:
                        found.add(f"{target}.{alias.name}")
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("ugsdk"))
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(node.orelse)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return found


def _graph() -> Dict[str, Set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: Dict[str, Set[str]] = {}
    for name, path in modules.items():
        graph[name] = {t for t in _top_level_imports(path, name) if t in modules and t != name}
    return graph


def _layer(module: str) -> int:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    return LAYERS.get(top, 10)


def test_the_graph_sees_imports() -> None:
    graph = _graph()
    assert {"ugsdk.session", "ugsdk._requester"} <= graph["ugsdk.client"]
    assert "ugsdk.dispatch" in graph["ugsdk.live"]


def test_every_module_has_a_layer() -> None:
    tops = {m.split(".")[1] for m in _graph() if "." in m}
    assert tops <= set(LAYERS), f"give these a layer: {sorted(tops - set(LAYERS))}"


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = [
        f"{module} -> {target}"
        for module, targets in _graph().items()
        if module != "ugsdk"
        for target in targets
        if target != "ugsdk" and _layer(target) > _layer(module)
    ]
    assert upward == []


def test_no_import_cycle() -> None:
    graph = _graph()
    state: Dict[str, int] = {}
    cycles: List[str] = []

    def walk(node: str, trail: List[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt == "ugsdk" or nxt == node:
                continue
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]) if nxt in trail else f"{node} -> {nxt}")
            elif nxt not in state:
                walk(nxt, trail + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert cycles == []
