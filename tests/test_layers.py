"""Imports only point down the layers (README, "Architecture").

Every module under tracker/ (migrations aside) is read with ast, and each
import of another tracker module, wherever it sits (in a function, under
`if TYPE_CHECKING:`), must name a lower layer or its own app. Apps on the same
level do not import each other either. The only exceptions are the plug-in
modules an app contributes to a framework app, which may import the app they
plug into, as an admin.py imports Django's admin.
"""

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tracker"

# Lowest first; apps in one set are on the same level.
LAYERS: list[set[str]] = [
    {"lib"},
    {"accounts"},
    {"audit"},
    {"products"},
    # releases reads ci's reports; incidents reads releases (the version serving
    # when an incident started).
    {"ci"},
    {"releases"},
    {"incidents", "cards"},
    {"postmortems"},
    {"readiness", "reminders", "integrations"},
    # outcomes (feedback, cost and value, data contracts) opens incidents and
    # marks an ML Test Score test as evidenced; reports sum its costs and value.
    {"outcomes"},
    # search reads products, incidents, postmortems, action items and people,
    # and links to their lists; nothing below needs it.
    {"reports", "search"},
    # insights keep their figures with the reports' stored ones.
    {"insights"},
    {"porting"},
    {"pages"},
    {"demo"},
]
# The project's own modules sit above every app (tracker/__init__.py is "").
PROJECT = {"", "settings", "urls", "api_urls", "celery", "wsgi", "asgi"}
# Plug-in module → the framework app it plugs into and may import. (An admin.py
# plugs into django.contrib.admin, outside tracker/, so it needs no exception.)
PLUG_INS = {"reminder_rules": "reminders", "audit": "audit"}

RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}
TOP = len(LAYERS)


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(node: ast.AST, module: str, is_package: bool) -> Iterable[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        if node.level:  # relative: resolve against this module's package
            package = module.split(".")
            package = package if is_package else package[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, node.module] if node.module else package)
        else:
            base = node.module or ""
        yield base
        # "from tracker import celery" imports the module tracker.celery.
        yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Each tracker module (migrations aside) → the tracker modules it imports."""
    graph = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        graph[module] = {
            name
            for node in ast.walk(tree)
            for name in _imported(node, module, is_package)
            if name == PACKAGE or name.startswith(f"{PACKAGE}.")
        }
    return graph


def app_of(module: str) -> str:
    """The app (or project module) `module` belongs to: "tracker.products.api.x"
    → "products", "tracker.settings" → "settings", "tracker" → ""."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def rank_of(app: str) -> int:
    if app in RANK:
        return RANK[app]
    if app in PROJECT:
        return TOP
    raise KeyError(f"tracker.{app} is in no layer: add it to LAYERS in {__name__}")


def _allowed(module: str, target: str) -> bool:
    own, other = app_of(module), app_of(target)
    if own == other or (own in PROJECT and other in PROJECT):
        return True
    if PLUG_INS.get(module.rsplit(".", 1)[-1]) == other and own in RANK:
        return True
    return rank_of(other) < rank_of(own)


def imported_modules(graph: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Each module → the modules it imports: a name imported from a module
    counts as that module, and "from tracker.x import y" as the module y only
    (the package tracker.x says less)."""
    modules = set(graph)
    result = {}
    for module, imports in graph.items():
        targets = set()
        for target in imports:
            if target not in modules and target.rsplit(".", 1)[0] in modules:
                target = target.rsplit(".", 1)[0]  # a name, not a module
            targets.add(target)
        result[module] = {
            target
            for target in targets
            if not any(other.startswith(f"{target}.") for other in targets)
        }
    return result


def violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """ "module -> imported module" for each import that points up or sideways."""
    return sorted(
        f"{module} -> {target}"
        for module, targets in imported_modules(graph).items()
        for target in targets
        if not _allowed(module, target)
    )


def test_imports_point_down_the_layers():
    found = violations(import_graph())
    assert not found, "Imports that point up or sideways:\n" + "\n".join(found)


def test_every_app_has_a_layer():
    apps = {p.name for p in (ROOT / PACKAGE).iterdir() if (p / "__init__.py").exists()}
    for app in apps:
        rank_of(app)  # raises for an app in no layer


# Already clean: kept so while the test above is not strict.
CLEAN = [
    "tracker.lib.filters",
    "tracker.lib.services",
    "tracker.accounts",
    "tracker.audit",
]


@pytest.mark.parametrize("prefix", CLEAN)
def test_these_modules_import_nothing_above_them(prefix):
    found = [
        v
        for v in violations(import_graph())
        if v.split()[0] == prefix or v.startswith(f"{prefix}.")
    ]
    assert not found, "\n".join(found)


def import_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The groups of modules that import one another in a circle (a → b → a),
    lazy imports inside functions included."""
    edges = {
        module: {t for t in targets if t in graph and t != module}
        for module, targets in imported_modules(graph).items()
    }
    cycles = []
    for start in sorted(edges):
        reach = _reach(edges, start)
        if start in reach:
            group = sorted(m for m in reach if start in _reach(edges, m))
            if group not in cycles:
                cycles.append(group)
    return cycles


def _reach(edges: Mapping[str, set[str]], start: str) -> set[str]:
    reach, todo = set(), list(edges[start])
    while todo:
        node = todo.pop()
        if node not in reach:
            reach.add(node)
            todo.extend(edges[node])
    return reach


def test_no_modules_import_each_other_in_a_circle():
    cycles = import_cycles(import_graph())
    assert not cycles, "Modules in a circle:\n" + "\n".join(map(" ".join, cycles))


# --- The checker itself --------------------------------------------------------------


def test_an_import_of_a_higher_layer_is_reported():
    graph = {
        "tracker.lib.filters": {"tracker.products.models"},
        "tracker.products.models": {"tracker.lib.filters"},
        "tracker.products.selectors": {"tracker.products.models", "tracker.accounts"},
        "tracker.accounts": set(),
    }
    assert violations(graph) == ["tracker.lib.filters -> tracker.products.models"]


def test_an_import_between_apps_on_one_level_is_reported():
    graph = {
        "tracker.ci.selectors": {"tracker.incidents.models"},
        "tracker.incidents.models": set(),
    }
    assert violations(graph) == ["tracker.ci.selectors -> tracker.incidents.models"]


def test_a_name_imported_from_a_module_counts_as_that_module():
    graph = {
        "tracker.audit.recorder": {
            "tracker.products.models",
            "tracker.products.models.Product",
        },
        "tracker.audit.models": {"tracker.products"},
        "tracker.products": set(),
        "tracker.products.models": set(),
    }
    assert violations(graph) == [
        "tracker.audit.models -> tracker.products",
        "tracker.audit.recorder -> tracker.products.models",
    ]


def test_plug_ins_may_import_the_app_they_plug_into_only():
    graph = {
        "tracker.products.reminder_rules": {
            "tracker.reminders.registry",
            "tracker.reports.selectors",
        },
        "tracker.products.audit": {"tracker.audit.registry"},
        "tracker.products.admin": {"tracker.reminders.registry"},
        "tracker.reminders.registry": set(),
        "tracker.reports.selectors": set(),
        "tracker.audit.registry": set(),
    }
    assert violations(graph) == [
        "tracker.products.admin -> tracker.reminders.registry",
        "tracker.products.reminder_rules -> tracker.reports.selectors",
    ]


def test_the_project_modules_may_import_any_app_and_no_app_them():
    graph = {
        "tracker.urls": {"tracker.demo.views", "tracker.api_urls"},
        "tracker.api_urls": set(),
        "tracker.demo.views": {"tracker.settings"},
        "tracker.settings": set(),
    }
    assert violations(graph) == ["tracker.demo.views -> tracker.settings"]


def test_imports_in_functions_relative_ones_and_type_checking_ones_count(tmp_path):
    for module in ["accounts/models", "products/models", "reports/selectors"]:
        path = tmp_path / PACKAGE / f"{module}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").write_text("")
        path.write_text("")
    (tmp_path / PACKAGE / "__init__.py").write_text("")
    app = tmp_path / PACKAGE / "accounts"
    (app / "selectors.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import models\n"
        "if TYPE_CHECKING:\n"
        "    from tracker.products.models import Product\n"
        "def f():\n"
        "    from ..reports import selectors\n"
    )
    graph = import_graph(tmp_path)
    assert graph["tracker.accounts.selectors"] == {
        "tracker.accounts",
        "tracker.accounts.models",
        "tracker.products.models",
        "tracker.products.models.Product",
        "tracker.reports",
        "tracker.reports.selectors",
    }
    assert violations(graph) == [
        "tracker.accounts.selectors -> tracker.products.models",
        "tracker.accounts.selectors -> tracker.reports.selectors",
    ]


def test_a_circle_of_imports_is_reported():
    graph = {
        "tracker.audit.context": {"tracker.audit.models"},
        "tracker.audit.models": {"tracker.audit.registry"},
        "tracker.audit.registry": {"tracker.audit.context.person_label"},
        "tracker.audit.recorder": {"tracker.audit.registry"},
    }
    assert import_cycles(graph) == [
        ["tracker.audit.context", "tracker.audit.models", "tracker.audit.registry"]
    ]
