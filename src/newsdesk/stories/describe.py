"""What a story says about itself: a label, a summary, key entities and topics, from its articles.

- **label**: the headline of the story's most central article (the member closest to the story's mean
  vector): short, factual and written by a journalist;
- **summary**: that article's stored ``summary`` enrichment when it has one (:mod:`newsdesk.nlp.summarize`),
  else its lede's first sentence, followed by how many articles from how many sources the story holds;
- **entities** and **topics**: the most frequent ``entities`` and ``iptc`` (or ``keyphrases``) values over
  the story's latest articles, when those enrichments are stored;
- **section**: the most common section of its articles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from newsdesk.articles.model import Article
from newsdesk.nlp.text import paragraphs, split_sentences
from newsdesk.stories.model import Story

__all__ = ["describe_story", "lede", "names_in"]

TOP = 5


def lede(article: Article) -> str:
    """The first paragraph of the article's body ('' when it has none)."""
    found = paragraphs(article.body or "")
    return found[0] if found else ""


def names_in(value: Any) -> list[str]:
    """The readable names in an enrichment's value (a list of dicts with text, name, label or phrase)."""
    out: list[str] = []
    items = value if isinstance(value, list) else []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            for key in ("text", "name", "label", "phrase", "keyphrase"):
                if isinstance(item.get(key), str):
                    out.append(item[key])
                    break
    return out


def _summary_of(article: Article) -> str:
    stored = article.enrichments.get("summary")
    if stored is not None and isinstance(stored.value, dict) and stored.value.get("sentences"):
        return " ".join(stored.value["sentences"])
    sentences = split_sentences(lede(article))
    return sentences[0] if sentences else article.headline


def describe_story(
    story_id: str,
    members: Sequence[tuple[str, datetime]],
    central: Article,
    articles: Sequence[Article],
    version: str,
) -> Story:
    """The :class:`Story` of ``members`` (oldest first), ``central`` its most central article and
    ``articles`` those of its members read for entities, topics, sources and sections."""
    sources = {a.source for a in articles}
    sections = Counter(a.section for a in articles if a.section)
    entities: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    for a in articles:
        entities.update(set(names_in(_value(a, "entities"))))
        topics.update(set(names_in(_value(a, "iptc")) or names_in(_value(a, "keyphrases"))[:3]))
    n = len(members)
    summary = _summary_of(central)
    tail = f"{n} article{'s' if n != 1 else ''} from {len(sources)} source{'s' if len(sources) != 1 else ''}."
    return Story(
        id=story_id,
        label=central.headline.strip(),
        first_seen=members[0][1],
        last_seen=members[-1][1],
        articles=list(members),
        summary=f"{summary} ({tail})" if summary else tail,
        entities=[e for e, _ in entities.most_common(TOP)],
        topics=[t for t, _ in topics.most_common(TOP)],
        section=sections.most_common(1)[0][0] if sections else None,
        version=version,
    )


def _value(article: Article, component: str) -> Any:
    found = article.enrichments.get(component)
    return None if found is None else found.value
