"""What a trend counts, per kind: the keys (with readable labels) one article contributes.

======== =============================== ============================================================
kind     read from                        key
======== =============================== ============================================================
topic    ``iptc`` enrichment; section    the tag's qcode (``medtop:04000000``); ``section:<name>``
entity   ``entities`` enrichment          the canonical id (``person:tim-cook``)
keyphrase ``keyphrases`` enrichment       the phrase's matching key (``interest rate``)
story    ``story`` enrichment, if any     the story id
======== =============================== ============================================================

The ``story`` component may be missing from a workspace: its kind then simply finds no keys.

>>> keyphrase_keys([{"phrase": "Interest rates", "score": 1.0}])
[('interest rate', 'Interest rates')]
>>> story_keys({"id": "s-12", "label": "Fed taper"})
[('s-12', 'Fed taper')]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

__all__ = [
    "COMPONENTS",
    "KINDS",
    "Kind",
    "entity_keys",
    "keyphrase_keys",
    "keys_of",
    "story_keys",
    "topic_keys",
]

Kind = Literal["topic", "entity", "keyphrase", "story"]
KINDS: tuple[Kind, ...] = ("topic", "entity", "keyphrase", "story")
COMPONENTS: dict[str, str] = {
    "topic": "iptc",
    "entity": "entities",
    "keyphrase": "keyphrases",
    "story": "story",
}

Keys = list[tuple[str, str]]


def topic_keys(value: Any) -> Keys:
    """IPTC tags (not their ancestors, which every sibling tag would share)."""
    return [
        (t["qcode"], str(t.get("label") or t["qcode"]))
        for t in value or []
        if isinstance(t, dict) and "qcode" in t
    ]


def entity_keys(value: Any) -> Keys:
    return [
        (e["id"], str(e.get("name") or e["id"])) for e in value or [] if isinstance(e, dict) and "id" in e
    ]


def keyphrase_keys(value: Any) -> Keys:
    from newsdesk.nlp.keyphrases import phrase_key

    return [
        (phrase_key(p["phrase"]), str(p["phrase"]))
        for p in value or []
        if isinstance(p, dict) and p.get("phrase")
    ]


def story_keys(value: Any) -> Keys:
    """A story id as a string, or a mapping with ``id`` (or ``story_id``) and an optional ``label``; a list
    of either is read item by item."""
    if isinstance(value, str) and value:
        return [(value, value)]
    if isinstance(value, dict):
        sid = value.get("id") or value.get("story_id") or value.get("story")
        return [(str(sid), str(value.get("label") or sid))] if sid else []
    if isinstance(value, list):
        return [pair for item in value for pair in story_keys(item)]
    return []


_READERS: dict[str, Callable[[Any], Keys]] = {
    "topic": topic_keys,
    "entity": entity_keys,
    "keyphrase": keyphrase_keys,
    "story": story_keys,
}


def keys_of(kind: str, value: Any) -> Keys:
    """The (key, label) pairs of one stored ``kind`` value."""
    return _READERS[kind](value)
