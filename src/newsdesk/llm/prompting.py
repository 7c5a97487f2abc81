"""Versioned prompts: one TOML file per product in ``newsdesk/llm/prompts/``, and the article envelope.

A prompt has a ``product``, a ``version``, a ``system`` text and a ``user`` template. Every output records
``product@version`` (:attr:`Prompt.ref`), so a change of wording is traceable like a change of model. The file
``prompts/lock.json`` holds each version's content hash: editing a prompt without bumping its version fails
the test suite (``tests/llm/test_prompts.py``), and :func:`lock_entries` writes the new lock.

Articles are data, never instructions: :func:`article_block` puts each one inside ``<article>`` tags with
``<`` and ``>`` escaped, so no article text can close its tag or open a new one, and every instruction sits
in the system message, outside the data. A small task line (``<task name="brief" .../>``) tells the
``extractive`` provider what shape to write; a language model reads it as context.

>>> p = load_prompt("brief")
>>> p.ref
'brief@1'
>>> article_block("a1", "Rates </article> rise", "Body <b>text</b>.").splitlines()[1]
'<headline>Rates &lt;/article&gt; rise</headline>'
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from newsdesk.errors import InvalidInput, NotFound

__all__ = [
    "PRODUCTS",
    "Prompt",
    "article_block",
    "escape",
    "load_prompt",
    "lock_entries",
    "parse_task",
    "passage_block",
    "task_line",
    "unescape",
]

PRODUCTS: tuple[str, ...] = ("brief", "headlines", "ask")
_SLOT = re.compile(r"\{([a-z_]+)\}")
_TASK = re.compile(r"<task\s+([^>]*)/>")
_ATTR = re.compile(r'([a-z_]+)="([^"]*)"')


@dataclass(frozen=True)
class Prompt:
    product: str
    version: str
    description: str
    system: str
    user: str
    system_plain: str | None = None  # for models that cannot be held to JSON: the same task in prose
    user_plain: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.product}@{self.version}"

    @property
    def digest(self) -> str:
        """SHA-256 of the texts that reach the model (the lock's content hash)."""
        payload = json.dumps([self.system, self.user, self.system_plain, self.user_plain], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def render(self, *, plain: bool = False, **values: Any) -> tuple[str, str]:
        """(system, user) with each ``{name}`` (a lower-case identifier) replaced by ``values[name]``; other
        braces (a JSON example) stay as written. ``plain``: the prose variant, when the prompt has one (for
        providers that cannot constrain their output to JSON: small local models copy a JSON template
        instead of filling it)."""

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise InvalidInput("prompt", self.ref, f"a value for {name!r}")
            return str(values[name])

        if plain and self.system_plain is not None and self.user_plain is not None:
            return _SLOT.sub(fill, self.system_plain), _SLOT.sub(fill, self.user_plain)
        return _SLOT.sub(fill, self.system), _SLOT.sub(fill, self.user)


@functools.cache
def load_prompt(product: str) -> Prompt:
    """The packaged prompt of ``product`` (one of :data:`PRODUCTS`)."""
    if product not in PRODUCTS:
        raise NotFound(f"no prompt for product '{product}'; known: {', '.join(PRODUCTS)}")
    text = resources.files("newsdesk.llm").joinpath("prompts", f"{product}.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return Prompt(
        product=str(data["product"]),
        version=str(data["version"]),
        description=str(data.get("description", "")),
        system=str(data["system"]),
        user=str(data["user"]),
        system_plain=data.get("system_plain"),
        user_plain=data.get("user_plain"),
    )


def lock_entries() -> dict[str, dict[str, str]]:
    """What ``prompts/lock.json`` should hold for the packaged prompts: product -> version and digest."""
    return {p: {"version": load_prompt(p).version, "sha256": load_prompt(p).digest} for p in PRODUCTS}


def escape(text: str) -> str:
    """Article text made inert inside the envelope: ``&``, ``<`` and ``>`` escaped."""
    return html.escape(text, quote=False)


def unescape(text: str) -> str:
    return html.unescape(text)


def task_line(name: str, **attrs: Any) -> str:
    """``<task name="..." key="value" .../>``: the product and its parameters.

    >>> task_line("headlines", n=3, kind="subject")
    '<task name="headlines" n="3" kind="subject"/>'
    """
    parts = [f'name="{name}"'] + [f'{k}="{html.escape(str(v))}"' for k, v in attrs.items()]
    return f"<task {' '.join(parts)}/>"


def parse_task(text: str) -> dict[str, str] | None:
    """The attributes of the first task line in ``text``, or None."""
    match = _TASK.search(text)
    if match is None:
        return None
    return {k: html.unescape(v) for k, v in _ATTR.findall(match.group(1))}


def article_block(article_id: str, headline: str, body: str, meta: Mapping[str, str] | None = None) -> str:
    """One article inside the envelope, its text escaped."""
    attrs = "".join(f' {k}="{html.escape(v)}"' for k, v in (meta or {}).items() if v)
    return (
        f'<article id="{html.escape(article_id)}"{attrs}>\n'
        f"<headline>{escape(headline)}</headline>\n"
        f"<body>\n{escape(body)}\n</body>\n</article>"
    )


def passage_block(number: int, article_id: str, text: str) -> str:
    """One numbered passage for ``ask``, its text escaped."""
    return f'<passage n="{number}" article="{html.escape(article_id)}">{escape(text)}</passage>'
