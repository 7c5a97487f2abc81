"""Shared by the generative products' tests: real BBC articles, and one verifier per test session."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from newsdesk.articles.model import Article
from newsdesk.llm.grounding import Verifier
from newsdesk.settings import Settings

BBC = Path(__file__).parents[1] / "data" / "bbc"


def bbc_articles() -> list[Article]:
    """The committed BBC articles (tests/data/bbc), one per distinct text, as stored articles would be."""
    out: list[Article] = []
    seen: set[str] = set()
    for path in sorted(BBC.glob("*/*.txt")):
        text = path.read_bytes().decode("utf-8", "replace")
        headline, _, body = text.partition("\n")
        if body.strip() in seen:
            continue
        seen.add(body.strip())
        section = path.parent.name
        out.append(
            Article.create(
                source="bbc",
                source_id=f"{section}/{path.stem}",
                headline=headline.strip(),
                body=body.strip(),
                section=section,
            )
        )
    return out


@functools.cache
def shared_verifier() -> Verifier:
    """The verifier with the project's embedding model, built once (the model load is ~10 s)."""
    home = Path(tempfile.mkdtemp(prefix="newsdesk-verifier-"))
    return Verifier.from_settings(Settings(home=home))
