"""Generative products with a verifier: providers, prompts, briefs, headline ideas and ask-the-archive.

- :mod:`newsdesk.llm.base`: the provider protocol and registry;
- :mod:`newsdesk.llm.providers`: ``local``, ``openai``, ``bedrock``, ``extractive``;
- :mod:`newsdesk.llm.grounding`: the verifier that stands between the model and the reader;
- :mod:`newsdesk.llm.writer`, :mod:`~newsdesk.llm.brief`, :mod:`~newsdesk.llm.headlines`,
  :mod:`~newsdesk.llm.ask`: the products (``Writer``, ``write_brief`` and ``write_headlines`` are importable
  from here, loaded on first use; ``ask`` from :mod:`newsdesk.llm.ask`, whose name it shares).
"""

from __future__ import annotations

import importlib
from typing import Any

from newsdesk.llm.base import (
    Completion,
    GenerationOptions,
    Message,
    Provider,
    Usage,
    open_provider,
    providers,
)

__all__ = [
    "Completion",
    "GenerationOptions",
    "Message",
    "Provider",
    "Usage",
    "Writer",
    "open_provider",
    "providers",
    "write_brief",
    "write_headlines",
]

_LAZY = {
    "Writer": "newsdesk.llm.writer",
    "write_brief": "newsdesk.llm.brief",
    "write_headlines": "newsdesk.llm.headlines",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'newsdesk.llm' has no attribute {name!r}")
