"""The settings reference: one Markdown table per area of :class:`newsdesk.settings.Settings`.

The reference is generated from the settings object itself (names, types, defaults, limits and the fields'
descriptions), so it cannot drift from the code: ``docs/settings.md`` is its output, and a test checks that
the committed file matches. Regenerate it after changing a setting::

    python -m newsdesk.settings_reference > docs/settings.md

>>> text = settings_reference()
>>> "| `NEWSDESK_HOME` |" in text and "| `NEWSDESK_INGEST__BATCH_SIZE` |" in text
True
>>> env_name(("store", "url"))
'NEWSDESK_STORE__URL'
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal, TypeGuard, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from newsdesk.settings import Settings

__all__ = ["Row", "Section", "env_name", "missing_descriptions", "sections", "settings_reference"]

_REGENERATE = "python -m newsdesk.settings_reference > docs/settings.md"


@dataclass(frozen=True, slots=True)
class Row:
    """One setting: where it lives (``("store", "url")``), its type, default and description."""

    path: tuple[str, ...]
    type: str
    default: str
    description: str


@dataclass(frozen=True, slots=True)
class Section:
    """One table: an area of the settings (``store``) and its rows."""

    name: str
    title: str
    summary: str
    rows: tuple[Row, ...]


def env_name(path: tuple[str, ...], settings_class: type[Settings] = Settings) -> str:
    """The environment variable of the setting at ``path``: the prefix, then the path joined by the nested
    delimiter, upper-cased (``NEWSDESK_`` and ``__`` for newsdesk)."""
    prefix = str(settings_class.model_config.get("env_prefix") or "")
    delimiter = str(settings_class.model_config.get("env_nested_delimiter") or "__")
    return (prefix + delimiter.join(path)).upper()


def _is_model(annotation: Any) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _type_name(annotation: Any) -> str:
    """How a type reads in the reference: ``int``, ``str or none``, ``"auto" | "off"``, ``list of str``."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Literal:
        return " \\| ".join(f'"{a}"' if isinstance(a, str) else json.dumps(a) for a in args)
    if origin in (Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        text = " or ".join(_type_name(a) for a in kept)
        return f"{text} or none" if len(kept) < len(args) else text
    if origin in (list, tuple, set, frozenset):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"map of {_type_name(args[0])} to {_type_name(args[1])}" if args else "map"
    if annotation is SecretStr:
        return "secret"
    if annotation is Path:
        return "path"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " \\| ".join(f'"{m.value}"' for m in annotation)
    if _is_model(annotation):
        return f"`{annotation.__name__}`"
    return getattr(annotation, "__name__", str(annotation))


def _limits(info: FieldInfo) -> str:
    """The field's constraints as a reader checks them: ``>= 1, <= 100000``, ``matches ^...$``."""
    out: list[str] = []
    for meta in info.metadata:
        for attr, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(meta, attr, None)
            if value is not None:
                out.append(f"{symbol} {value}")
        pattern = getattr(meta, "pattern", None)
        if pattern is not None:
            out.append("matches `{}`".format(str(pattern).replace("|", "\\|")))
    return ", ".join(out)


def _plain(value: Any) -> Any:
    """A default as JSON can write it (what the environment variable would hold)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value: Any = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if value is None:
        return "none"
    if isinstance(value, SecretStr):
        return "a built-in development value (secret)"
    plain = _plain(value)
    if isinstance(plain, bool):
        return "`true`" if plain else "`false`"
    if isinstance(plain, str):
        return f"`{plain}`" if plain else '`""`'
    return f"`{json.dumps(plain, ensure_ascii=False)}`"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (no pipes, no line breaks, no raw HTML tags)."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _summary(model: type[BaseModel]) -> str:
    """The first paragraph of a settings class's docstring."""
    doc = model.__doc__ or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def _rows(model: type[BaseModel], path: tuple[str, ...]) -> Iterator[Row]:
    for name, info in model.model_fields.items():
        if _is_model(info.annotation):
            continue  # a nested area: its own section
        type_text = _type_name(info.annotation)
        limits = _limits(info)
        yield Row(
            path=(*path, name),
            type=f"{type_text}, {limits}" if limits else type_text,
            default=_default(info),
            description=_cell(info.description or ""),
        )


def _map_value_model(info: FieldInfo) -> type[BaseModel] | None:
    """The model of a ``dict[str, Model]`` field's values (``lifecycle.gates``), else None."""
    if get_origin(info.annotation) is dict:
        args = get_args(info.annotation)
        if len(args) == 2 and _is_model(args[1]):
            return args[1]
    return None


def sections(settings_class: type[Settings] = Settings) -> list[Section]:
    """The reference's tables: top-level settings first, then each nested area in declaration order; a map
    of models (``lifecycle.gates``) gets a table of its entries' fields, keyed by ``<KEY>``."""
    out = [
        Section(
            name="",
            title="General",
            summary=_summary(settings_class),
            rows=tuple(_rows(settings_class, ())),
        )
    ]
    for name, info in settings_class.model_fields.items():
        model = info.annotation
        if not _is_model(model):
            continue
        out.append(
            Section(name=name, title=f"`{name}`", summary=_summary(model), rows=tuple(_rows(model, (name,))))
        )
        for field_name, field_info in model.model_fields.items():
            entry = _map_value_model(field_info)
            if entry is not None:
                out.append(
                    Section(
                        name=f"{name}.{field_name}",
                        title=f"`{name}.{field_name}.<key>`",
                        summary=_summary(entry) + f" One entry per key of `{name}.{field_name}`.",
                        rows=tuple(_rows(entry, (name, field_name, "<key>"))),
                    )
                )
    return out


def missing_descriptions(settings_class: type[Settings] = Settings) -> list[str]:
    """Dotted names of the settings that have no ``Field(description=...)``."""
    return [".".join(row.path) for sec in sections(settings_class) for row in sec.rows if not row.description]


def _anchor(section: Section) -> str:
    return "general" if not section.name else section.name.replace(".", "")


def settings_reference(settings_class: type[Settings] = Settings) -> str:
    """The whole reference as Markdown (what ``docs/settings.md`` holds)."""
    prefix = str(settings_class.model_config.get("env_prefix") or "")
    delimiter = str(settings_class.model_config.get("env_nested_delimiter") or "__")
    tables = sections(settings_class)
    batch = env_name(("ingest", "batch_size"), settings_class)
    pins = env_name(("recommend", "pins"), settings_class)
    lines = [
        "# Settings reference",
        "",
        f"<!-- Generated from newsdesk.settings.Settings; do not edit by hand. Regenerate: {_REGENERATE} -->",
        "",
        "newsdesk has one settings object, `newsdesk.Settings` (pydantic-settings). Every field is read "
        f"from an environment variable: the prefix `{prefix}`, then the field's path joined by "
        f"`{delimiter}`, in any case (`{batch}=1000`). Lists and maps are written as JSON "
        f"(`{pins}='[\"bbc:tech/001\"]'`). In Python, pass the same fields as arguments: "
        '`Settings(home=Path("/srv/newsdesk"), ingest={"batch_size": 1000})`. '
        "The command line takes `--home` too.",
        "",
        "Secrets (type *secret*) are never printed or logged. `<home>` below stands for the workspace folder "
        f"(`{env_name(('home',), settings_class)}`).",
        "",
    ]
    for section in tables:
        lines.append(f"- [{section.title}](#{_anchor(section)})")
    lines.append("")
    for section in tables:
        heading = "General" if not section.name else section.name
        lines += [f"## {heading}", ""]
        if section.summary:
            lines += [_cell(section.summary), ""]
        lines += ["| variable | type | default | description |", "|---|---|---|---|"]
        for row in section.rows:
            variable = env_name(row.path, settings_class)
            lines.append(
                f"| `{variable}` | {row.type} | {row.default} | {row.description or '(no description)'} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(settings_reference(), end="")
