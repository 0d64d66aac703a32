"""The rooms of the package and the rules between them, read from the source (ast), imports
inside functions included: imports run only downward, and no module takes part in a cycle.

    base (errors, expr, numbers, version) <- model <- solvers, io <- methods <- plugins | views
        <- app <- the package face (flowgraph, flowgraph.uncertainty) <- cli

Plugins never import views (they return Reports, which the views render) nor the other way;
the model imports no other room. No two modules share a name across rooms; no module is
over about 500 lines, no function over about 60.
"""

import ast
from collections import defaultdict
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "flowgraph"

RANK = {"base": 0, "model": 1, "solvers": 2, "io": 2, "methods": 3, "plugins": 4,
        "views": 4, "app": 5, "face": 6, "cli": 7}
#: same-rank rooms that must not import each other
APART = {("plugins", "views"), ("views", "plugins"), ("solvers", "io"), ("io", "solvers")}
BASE = {"flowgraph.errors", "flowgraph.expr", "flowgraph.numbers", "flowgraph.version"}
FACE = {"flowgraph", "flowgraph.uncertainty"}
MAX_LINES, MAX_FUNCTION = 520, 65


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def room(module: str) -> str:
    if module in BASE:
        return "base"
    if module in FACE:
        return "face"
    if module == "flowgraph.cli":
        return "cli"
    return module.split(".")[1]


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Every flowgraph module each module imports (at any depth of its code)."""
    edges = defaultdict(set)
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not target.startswith("flowgraph"):
                    continue
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    edges[mod].add(full if full in mods else target)
            elif isinstance(node, ast.Import):
                edges[mod].update(a.name for a in node.names if a.name.startswith("flowgraph"))
    return edges


def test_every_room_is_known():
    rooms = {room(m) for m in modules()}
    assert rooms <= set(RANK), rooms - set(RANK)


def test_imports_run_only_downward():
    mods = modules()
    wrong = []
    for mod, targets in imports(mods).items():
        a = room(mod)
        for t in targets:
            b = room(t)
            if a == b:
                continue
            if RANK[b] > RANK[a] or (a, b) in APART or (RANK[b] == RANK[a]):
                wrong.append(f"{mod} ({a}) imports {t} ({b})")
    assert not wrong, "imports against the layers:\n" + "\n".join(sorted(wrong))


def test_no_import_cycles():
    g = nx.DiGraph()
    for mod, targets in imports(modules()).items():
        for t in targets:
            if t != mod:
                g.add_edge(mod, t)
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_the_model_imports_no_other_room():
    for mod, targets in imports(modules()).items():
        if room(mod) == "model":
            assert {room(t) for t in targets} <= {"model", "base"}, (mod, targets)


def test_no_module_name_repeats_across_rooms():
    by_name = defaultdict(set)
    for mod in modules():
        leaf = mod.rsplit(".", 1)[-1]
        if mod not in FACE and mod.count(".") >= 1 and not (PACKAGE / "/".join(
                mod.split(".")[1:]) / "__init__.py").exists():
            by_name[leaf].add(room(mod))
    repeated = {name: rooms for name, rooms in by_name.items() if len(rooms) > 1}
    faces = {m.rsplit(".", 1)[-1] for m in FACE if "." in m}
    repeated.update({n: {"face", *by_name[n]} for n in faces if n in by_name})
    assert not repeated, repeated


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(
    p.relative_to(PACKAGE)))
def test_small_modules_and_functions(path):
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= MAX_LINES, f"{path.name}: {text.count(chr(10))} lines"
    long = [f"{n.name} ({n.end_lineno - n.lineno + 1} lines)"
            for n in ast.walk(ast.parse(text))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.end_lineno - n.lineno + 1 > MAX_FUNCTION]
    assert not long, long
