"""The layout is the architecture: every app imports only the apps below it, no module imports
another in a cycle, and no import hides inside a function to dodge one.

    crm_billing ──▶ contracts ──▶ backoffice ──▶ core
         │      └─▶ tickets   ──▶ backoffice
         │             └──────▶ contracts (a ticket under a contract)
         └────────────────────────▶ backoffice

devtools may use anything; nothing uses it (production does not install it).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What each app may import (itself included).
ALLOWED = {
    "core": {"core"},
    "backoffice": {"core", "backoffice"},
    "contracts": {"core", "backoffice", "contracts"},
    "tickets": {"core", "backoffice", "contracts", "tickets"},
    "crm_billing": {"core", "backoffice", "contracts", "tickets", "crm_billing"},
    "devtools": {"core", "backoffice", "contracts", "tickets", "crm_billing", "devtools"},
}
APPS = set(ALLOWED)

# Imports Django expects inside AppConfig.ready(): registering system checks is not a cycle dodge.
READY_IMPORTS = {("backoffice.apps", "backoffice.checks")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    }


def imports_of(module: str, path: Path, known: set[str]):
    """(imported module, top level?) for every import of a project module in `path`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            # `from pkg import submodule` imports the submodule; `from mod import name`, mod.
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            if name.split(".")[0] in APPS:
                yield name, id(node) in top_level


@pytest.fixture(scope="module")
def graph():
    modules = project_modules()
    known = set(modules)
    return {
        module: list(imports_of(module, path, known)) for module, path in sorted(modules.items())
    }


def test_the_graph_sees_every_app(graph):
    assert {module.split(".")[0] for module in graph} == APPS
    assert len(graph) > 50


def test_every_app_imports_only_the_apps_below_it(graph):
    upward = [
        f"{module} imports {imported}"
        for module, imports in graph.items()
        for imported, _top in imports
        if imported.split(".")[0] not in ALLOWED[module.split(".")[0]]
    ]
    assert upward == []


def test_nothing_imports_devtools(graph):
    users = [
        module
        for module, imports in graph.items()
        if not module.startswith("devtools")
        for imported, _top in imports
        if imported.startswith("devtools")
    ]
    assert users == []


def test_no_import_hides_inside_a_function(graph):
    hidden = [
        f"{module} imports {imported} inside a function"
        for module, imports in graph.items()
        for imported, top in imports
        if not top and (module, imported) not in READY_IMPORTS
    ]
    assert hidden == []


def test_no_module_imports_itself_through_others(graph):
    edges = {
        module: {imported for imported, _top in imports if imported in graph}
        for module, imports in graph.items()
    }
    cycles, state = [], {}

    def visit(module, path):
        state[module] = "open"
        for imported in sorted(edges[module]):
            if state.get(imported) == "open":
                cycles.append(" → ".join([*path[path.index(imported) :], imported]))
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    # A package's __init__ re-exporting its submodules is not a cycle.
    real = [cycle for cycle in cycles if not _is_reexport(cycle)]
    assert real == []


def _is_reexport(cycle: str) -> bool:
    first, *rest = cycle.split(" → ")
    return all(module.startswith(first + ".") or module == first for module in rest)
