"""Layering, checked statically: which newsdesk packages may not import which.

Every import in a package's modules counts (module level, inside functions, under ``TYPE_CHECKING``), and so
does any string naming a forbidden module (what ``importlib.import_module`` would load). Rules:

- ``newsdesk.nlp`` never imports ``newsdesk.lifecycle``: components are handed their champion by the
  pipeline (``BaseComponent.use_champion``) instead of reaching into the lifecycle's cache;
- ``newsdesk.metrics`` imports neither ``newsdesk.evaluate`` nor ``newsdesk.lifecycle``: both lean on it;
- a database driver is imported by its backend alone: ``sqlite3`` under ``newsdesk/store/sqlite*.py`` (and
  the SQLite migrations), ``psycopg`` (with its pool and pgvector's adapter) under
  ``newsdesk/store/postgres*.py``, ``pg_*.py`` and ``embedded_pg.py``;
- the store's protocols and row codecs (``store/base.py``, ``store/rows.py``) import nothing of newsdesk
  above :mod:`newsdesk.articles` (and :mod:`newsdesk.errors`), so any layer may lean on them;
- module-level imports among newsdesk modules form no cycle (imports inside functions and under
  ``TYPE_CHECKING`` do not count: they run after every module has loaded, or never).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest

import newsdesk

SRC = Path(newsdesk.__file__).parent
RULES = [
    ("newsdesk.nlp", ("newsdesk.lifecycle",)),
    ("newsdesk.metrics", ("newsdesk.evaluate", "newsdesk.lifecycle")),
]


def imported(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, module) of every import in ``path`` (relative ones resolved against ``package``), and of
    every string constant that looks like a newsdesk module name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_init = path.name == "__init__.py"
    here = package if is_init else package.rsplit(".", 1)[0] if "." in package else package
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = here.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Constant) and str(node.value).startswith("newsdesk."):
            found.append((node.lineno, str(node.value).split(":")[0].split()[0]))
    return found


def modules_of(package: str) -> list[tuple[Path, str]]:
    folder = SRC.joinpath(*package.split(".")[1:])
    out = []
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts)
        out.append((path, name.removesuffix(".__init__")))
    return out


@pytest.mark.parametrize(("package", "forbidden"), RULES, ids=[p for p, _ in RULES])
def test_package_does_not_import_the_layers_it_must_not(package: str, forbidden: tuple[str, ...]) -> None:
    modules = modules_of(package)
    assert modules, f"no modules found for {package}"
    bad = [
        f"{path.relative_to(SRC.parent)}:{line} imports {name}"
        for path, module in modules
        for line, name in imported(path, module)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]
    assert not bad, "\n".join(bad)


def test_the_check_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    sample = tmp_path / "mod.py"
    sample.write_text(
        "def f():\n    from newsdesk.lifecycle.serving import champion_model\n"
        "from ..lifecycle import registry\n"
        "NAME = 'newsdesk.lifecycle.sections:SectionsSpec'\n",
        encoding="utf-8",
    )
    names = [name for _, name in imported(sample, "newsdesk.nlp.mod")]
    assert "newsdesk.lifecycle.serving" in names
    assert "newsdesk.lifecycle.registry" in names
    assert "newsdesk.lifecycle.sections" in names


# -- drivers belong to their backends ------------------------------------------------------------------------
DRIVERS = [
    ("sqlite3", ("store/sqlite*.py", "store/migrations.py")),
    ("psycopg", ("store/postgres*.py", "store/pg_*.py", "store/embedded_pg.py")),
    ("psycopg_pool", ("store/postgres*.py", "store/pg_*.py", "store/embedded_pg.py")),
    ("pgvector", ("store/postgres*.py", "store/pg_*.py", "store/embedded_pg.py")),
]


def all_modules() -> list[tuple[Path, str]]:
    return modules_of("newsdesk")


@pytest.mark.parametrize(("driver", "allowed"), DRIVERS, ids=[d for d, _ in DRIVERS])
def test_a_driver_is_imported_by_its_backend_alone(driver: str, allowed: tuple[str, ...]) -> None:
    bad = [
        f"{path.relative_to(SRC.parent)}:{line} imports {name}"
        for path, module in all_modules()
        if not any(fnmatch(path.relative_to(SRC).as_posix(), pattern) for pattern in allowed)
        for line, name in imported(path, module)
        if name == driver or name.startswith(driver + ".")
    ]
    assert not bad, "\n".join(bad)


def test_the_backends_do_import_their_drivers() -> None:
    """The rule above is not vacuous: the modules it allows do import the driver."""
    names = {name for path, module in all_modules() for _, name in imported(path, module)}
    assert {"sqlite3", "psycopg", "psycopg_pool"} <= names


# -- the store's protocols sit low --------------------------------------------------------------------------
LOW = ("newsdesk.store.base", "newsdesk.store.rows")
LOW_MAY_IMPORT = ("newsdesk.articles", "newsdesk.errors", *LOW)


@pytest.mark.parametrize("module", LOW)
def test_store_protocols_import_nothing_above_articles(module: str) -> None:
    path = SRC.joinpath(*module.split(".")[1:]).with_suffix(".py")
    bad = [
        f"{path.relative_to(SRC.parent)}:{line} imports {name}"
        for line, name in imported(path, module)
        if (name == "newsdesk" or name.startswith("newsdesk."))
        and not any(name == ok or name.startswith(ok + ".") for ok in LOW_MAY_IMPORT)
    ]
    assert not bad, "\n".join(bad)


# -- no import cycles ---------------------------------------------------------------------------------------
#: cycles accepted for now, each as the sorted modules of one strongly connected component (none today)
KNOWN_CYCLES: list[list[str]] = []


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_time_nodes(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements run when the module is imported: at module level, in class bodies and in
    ``if``/``try``/``with`` blocks, but not in functions nor under ``if TYPE_CHECKING:``."""
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            yield stmt
            continue
        if isinstance(stmt, ast.If) and _is_type_checking(stmt.test):
            yield from _import_time_nodes(stmt.orelse)
            continue
        for field in ("body", "orelse", "finalbody"):
            block = getattr(stmt, field, None)
            if isinstance(block, list):
                yield from _import_time_nodes(block)
        for handler in getattr(stmt, "handlers", []):
            yield from _import_time_nodes(handler.body)


def import_graph() -> dict[str, set[str]]:
    """newsdesk module -> the newsdesk modules it imports at import time (``from package import name``
    counts as importing ``package.name`` when that is a module, else ``package``)."""
    paths = dict((name, path) for path, name in all_modules())
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        here = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in _import_time_nodes(ast.parse(path.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                parts = here.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base)
        graph[module] = {t for t in targets if t in paths and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
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
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def test_no_import_cycles_among_newsdesk_modules() -> None:
    graph = import_graph()
    assert "newsdesk.monitor.predictions" in graph["newsdesk.store.sqlite_predictions"]  # module level
    assert "newsdesk.store.sqlite_predictions" not in graph["newsdesk.monitor.predictions"]  # in a function
    found = cycles(graph)
    unexpected = [c for c in found if c not in KNOWN_CYCLES]
    explain = [
        " <-> ".join(c) + "\n    " + "\n    ".join(f"{m} -> {sorted(graph[m] & set(c))}" for m in c)
        for c in unexpected
    ]
    assert not unexpected, "import cycles (module-level imports):\n" + "\n".join(explain)
    gone = [c for c in KNOWN_CYCLES if c not in found]
    assert not gone, f"known cycles that are gone (remove them from KNOWN_CYCLES): {gone}"


def test_the_cycle_check_sees_a_cycle_and_ignores_lazy_imports(tmp_path: Path) -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    sample = tmp_path / "mod.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "import newsdesk.errors\n"
        "try:\n    from newsdesk import settings\nexcept ImportError:\n    pass\n"
        "if TYPE_CHECKING:\n    from newsdesk.store import Backend\n"
        "def f():\n    from newsdesk.lifecycle import registry\n",
        encoding="utf-8",
    )
    nodes = list(_import_time_nodes(ast.parse(sample.read_text(encoding="utf-8")).body))
    names = [n.module if isinstance(n, ast.ImportFrom) else n.names[0].name for n in nodes]
    assert names == ["typing", "newsdesk.errors", "newsdesk"]
