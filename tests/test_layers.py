"""Layering, checked statically: which newsdesk packages may not import which.

Every import in a package's modules counts (module level, inside functions, under ``TYPE_CHECKING``), and so
does any string naming a forbidden module (what ``importlib.import_module`` would load). Rules:

- ``newsdesk.nlp`` never imports ``newsdesk.lifecycle``: components are handed their champion by the
  pipeline (``BaseComponent.use_champion``) instead of reaching into the lifecycle's cache;
- ``newsdesk.metrics`` imports neither ``newsdesk.evaluate`` nor ``newsdesk.lifecycle``: both lean on it.
"""

from __future__ import annotations

import ast
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
