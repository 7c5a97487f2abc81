"""The README and the docs stay true to the code: the commands they name exist, their links resolve.

Cheap checks only (no command is run): every ``newsdesk ...`` command the README names is a command of the
Typer app, every relative link in README.md and docs/*.md points to an existing file, and every ``#anchor``
link points to a heading of its document. The screenshots (docs/screenshots/, made by
``benchmarks/console.py --screenshots``) are links too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from newsdesk.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
NOT_YET: tuple[str, ...] = ()  # links whose targets are made later (none now)

_FENCE = re.compile(r"^```")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_WORD = re.compile(r"[a-z][a-z0-9-]*")


def _prose(text: str) -> str:
    """The text outside fenced code blocks."""
    out, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return "\n".join(out)


def _invocations(text: str) -> list[str]:
    """Every ``newsdesk ...`` invocation: inline code spans, and command lines inside fenced blocks."""
    found = [m.group(1) for m in _CODE_SPAN.finditer(_prose(text)) if m.group(1).startswith("newsdesk ")]
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        stripped = line.strip().removeprefix("$ ")
        if fenced and stripped.startswith("newsdesk "):
            found.append(stripped)
    return found


def _check(root: Any, invocation: str) -> str | None:
    """Why ``invocation`` names no command of the app (None when it does)."""
    tokens = invocation.replace("\\|", "|").split()[1:]
    while tokens[:1] == ["--home"]:
        tokens = tokens[2:]
    node, path = root, ["newsdesk"]
    for token in tokens:
        commands = getattr(node, "commands", None)
        if commands is None:
            return None  # a leaf command: the rest are its arguments
        names = token.split("|")
        if not all(_WORD.fullmatch(name) for name in names):
            return None  # an option, an argument or a placeholder: stop here
        missing = [name for name in names if name not in commands]
        if missing:
            return f"{' '.join(path)} has no command {', '.join(missing)} (in `{invocation}`)"
        node = commands[names[0]]
        path.append(names[0])
    return None


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def test_readme_commands_exist() -> None:
    root = get_command(app)
    text = README.read_text(encoding="utf-8")
    invocations = [i for i in _invocations(text) if "{{" not in i]
    assert len(invocations) > 50, "the README's commands were not found"
    problems = [p for p in (_check(root, i) for i in invocations) if p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(doc: Path) -> None:
    broken = []
    for target in _LINK.findall(_prose(doc.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL or an anchor of this page
        path = (doc.parent / target.split("#")[0]).resolve()
        relative = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
        if relative.startswith(NOT_YET):
            continue
        if not path.exists():
            broken.append(target)
    assert not broken, f"{doc.name}: links to missing files: {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_anchors_resolve(doc: Path) -> None:
    prose = _prose(doc.read_text(encoding="utf-8"))
    headings = {_slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", prose, flags=re.MULTILINE)}
    missing = [a for a in re.findall(r"\]\(#([^)\s]+)\)", prose) if a not in headings]
    assert not missing, f"{doc.name}: anchors without a heading: {missing}"
