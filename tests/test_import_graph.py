"""The import graph of hybridinv: no cycles within rl/ and within sim/ (docs/architecture.md).

The graph is built from the source with :mod:`ast`, not by importing anything. What counts
as an edge ``A -> B`` (B a module of hybridinv):

- every ``import B`` / ``from B import name`` / ``from P import B`` (B a submodule of P) in
  A: at module level (also inside module-level ``if`` / ``try``) **and inside functions,
  methods and classes**. A lazy import inside a function is still a dependency: it runs
  the first time the function does, and a cycle closed by it is still a cycle;
- relative imports resolved against A's package;
- the edge goes to the module named, not to its parent packages (importing
  ``hybridinv.rl.hybrid`` runs ``hybridinv/rl/__init__.py`` first, but a package's
  ``__init__`` is its public surface, not a layer of it).

Not counted: imports under ``if TYPE_CHECKING:`` (never executed; a second check counts
them too within rl/ and sim/, so not even the annotations go in circles there) and
``importlib.import_module`` with a computed name (the lazy ``__getattr__`` of packages).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hybridinv"

#: Modules still on an import cycle of the whole package (function-level imports across
#: packages: the scenario registry builds real-data backtests, ``simulate`` accepts a
#: registry name, backtest builders train the adaptive hybrid). The test fails if any other
#: module joins a cycle; shrink this set when one is broken.
KNOWN_CYCLE: frozenset[str] = frozenset({
    "hybridinv.backtest.engine",
    "hybridinv.backtest.result",
    "hybridinv.backtest.suites",
    "hybridinv.bench.benchmark",
    "hybridinv.bench.report",
    "hybridinv.bench.runner",
    "hybridinv.bench.suites",
    "hybridinv.rl.adaptive",
    "hybridinv.rl.es",
    "hybridinv.rl.history",
    "hybridinv.scenarios",
    "hybridinv.sim.runner",
    "hybridinv.twin.realdata",
})


def modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package ``__init__``) of every module of hybridinv."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, type_checking: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node`` (at any depth), skipping TYPE_CHECKING blocks unless asked."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child) and not type_checking:
            for other in child.orelse:
                yield from _imports_of(other, type_checking)
            continue
        yield from _imports_of(child, type_checking)


def _imports_of(node: ast.AST, type_checking: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _imports(node, type_checking)


def import_graph(type_checking: bool = False) -> dict[str, set[str]]:
    """Module -> the hybridinv modules it imports (see the module notes for what counts)."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in known.items():
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8")), type_checking):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                targets.add(submodule if submodule in known else source)
        graph[name] = {target for target in targets if target in known and target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


def within(graph: dict[str, set[str]], prefix: str) -> dict[str, set[str]]:
    """The subgraph of the modules under ``prefix`` (e.g. ``hybridinv.rl.``)."""
    return {name: {t for t in targets if t.startswith(prefix)} for name, targets in graph.items()
            if name.startswith(prefix)}


def test_the_graph_sees_lazy_imports_and_skips_type_checking_ones() -> None:
    """Known edges of the source: a function-level import counts, a TYPE_CHECKING-only one does not."""
    runtime, typed = import_graph(), import_graph(type_checking=True)
    assert "hybridinv.rl.es" in runtime["hybridinv.rl.adaptive"]  # module level
    assert "hybridinv.repair" in runtime["hybridinv.policies.base"]  # inside TargetPolicy.finalize
    assert "hybridinv.sim.view" not in runtime["hybridinv.sim.ledger"]  # annotations only
    assert "hybridinv.sim.view" in typed["hybridinv.sim.ledger"]


def test_cycles_finds_a_cycle_closed_by_a_lazy_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("package", ["hybridinv.rl.", "hybridinv.sim."])
@pytest.mark.parametrize("type_checking", [False, True])
def test_no_import_cycle_within_rl_and_sim(package: str, type_checking: bool) -> None:
    assert cycles(within(import_graph(type_checking), package)) == []


def test_no_new_module_joins_an_import_cycle_of_the_package() -> None:
    """Whole package, runtime imports: what remains on a cycle is :data:`KNOWN_CYCLE`, nothing more."""
    on_cycles = {name for component in cycles(import_graph()) for name in component}
    assert on_cycles <= KNOWN_CYCLE, sorted(on_cycles - KNOWN_CYCLE)
