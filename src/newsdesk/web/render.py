"""The one Jinja2 environment of newsdesk's HTML: the console's pages, model cards, monitoring reports.

Templates live in ``newsdesk/web/templates`` (``reports/`` holds the standalone documents). Autoescaping is
on for every template, so a headline or a model description can never inject markup.

>>> render_string("<b>{{ x }}</b>", x="<script>")
'<b>&lt;script&gt;</b>'
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["environment", "render", "render_string"]


def _number(value: Any, digits: int = 3) -> str:
    """A figure as people read it: ints with thousands separators, floats to ``digits`` significant places."""
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return "\u2013"
        return f"{value:.{digits}g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _when(value: Any) -> str:
    """A timestamp (datetime or ISO string) as ``YYYY-MM-DD HH:MM UTC``; anything else as it is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") + (" UTC" if value.tzinfo is not None else "")
    return "\u2013" if value is None else str(value)


@lru_cache(maxsize=1)
def environment() -> Any:
    """The shared :class:`jinja2.Environment` (built once; templates are cached by Jinja2)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["number"] = _number
    env.filters["when"] = _when
    return env


def render(template: str, /, **context: Any) -> str:
    """``template`` (a path under ``newsdesk/web/templates``) rendered with ``context``."""
    return str(environment().get_template(template).render(**context))


def render_string(source: str, /, **context: Any) -> str:
    """A template given as text, rendered in the same environment (filters, autoescaping)."""
    return str(environment().from_string(source).render(**context))
