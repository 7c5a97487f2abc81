"""Canonical entities across the archive: the per-article entities of the ``entities`` component (its ids,
such as ``person:tony-blair`` or ``person:blair``, are *members* here) grouped into one entity per real
person, organisation or place.

Rules, applied to members of the same type:

- a member's *key* is its name with titles ("Prime Minister", "President", "Mr"), a leading "the",
  company suffixes ("Inc", "plc"), stops ("U.S.") and case removed; members with the same key are one
  entity ("Prime Minister Tony Blair" and "Tony Blair");
- a place's key also goes through a short table of common variants ("US", "United States", "America");
- a one-word person ("Blair", "Mr Blair") joins the only multi-word person whose surname it is; with two
  ("Tony Blair" and "Cherie Blair") it stays its own, ambiguous, entity, unless its articles' other
  entities point to one of them in at least 80% of its articles (the lone "Blair" of Labour stories, beside
  Gordon Brown and Michael Howard, is Tony Blair; a "Brown" in both politics and football stays ambiguous);
- a one-word organisation or place that is the surname of the one person named beside it in most of its
  articles joins that person (NER often mistypes a lone surname: "Beckham" as ORG);
- a shorter multi-word person ("George Bush") joins the only longer one with the same first and last words
  that contains it ("George W Bush");
- a one-word organisation in capitals ("BBC") joins the only organisation with those initials.

The entity's id is ``<type>:<slug of its name>``, its name the most used of its longest forms.

>>> members = [Member("person:tony-blair", "person", Counter({"Tony Blair": 3}), {"a1": 2, "a2": 1}),
...            Member("person:blair", "person", Counter({"Blair": 1}), {"a3": 1}),
...            Member("person:pm-blair", "person", Counter({"Prime Minister Tony Blair": 1}), {"a4": 1})]
>>> [(c.id, c.name, sorted(c.members)) for c in cluster(members)]
[('person:tony-blair', 'Tony Blair', ['person:blair', 'person:pm-blair', 'person:tony-blair'])]
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from newsdesk.nlp.entities import entity_id

__all__ = ["Cluster", "Member", "cluster", "match_key", "strip_titles"]

# words that open a person's name as a title, not as part of it ("Prime Minister Tony Blair"); royal and
# religious styles ("Prince Charles", "Pope John Paul") are kept, they are how those people are named
_TITLES = frozenset(
    """mr mrs ms miss mx dr prof professor sir dame lord lady rev reverend mister madam president vice
    prime minister chancellor secretary foreign home shadow deputy general attorney chief executive senator
    sen governor gov mayor judge justice chairman chairwoman chair boss coach manager captain striker
    midfielder defender goalkeeper keeper player singer actor actress director leader former the""".split()  # noqa: SIM905
)
_SUFFIXES = frozenset("inc ltd plc llc llp co corp sa ag nv gmbh party".split())  # noqa: SIM905
CONTEXT_SHARE = (
    0.8  # a shared surname joins a person only if its context points to them in 80% of its articles
)
_PLACE_VARIANTS = {
    "united states": "us",
    "usa": "us",
    "united states of america": "us",
    "america": "us",
    "united kingdom": "uk",
    "britain": "uk",
    "great britain": "uk",
}
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")


def strip_titles(name: str) -> str:
    """``name`` without the titles before a person's name (when a name is left).

    >>> strip_titles("Prime Minister Tony Blair"), strip_titles("Mr Blair"), strip_titles("President")
    ('Tony Blair', 'Blair', 'President')
    """
    words = name.split()
    while len(words) > 1 and words[0].casefold().rstrip(".") in _TITLES:
        words = words[1:]
    return " ".join(words)


@lru_cache(maxsize=1 << 16)
def match_key(name: str, type_: str) -> tuple[str, ...]:
    """The words two names of the same type must share to be one entity.

    >>> match_key("Mr Tony Blair's", "person"), match_key("the U.S.", "place")
    (('tony', 'blair'), ('us',))
    >>> match_key("Apple Inc", "organisation"), match_key("The Labour Party", "organisation")
    (('apple',), ('labour',))
    """
    text = name.replace("\u2019s", "").replace("'s", "").replace(".", "")
    if type_ == "person":
        text = strip_titles(text)
    words = [w.casefold() for w in _WORD.findall(text)]
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    if type_ == "organisation":
        while len(words) > 1 and words[-1] in _SUFFIXES:
            words = words[:-1]
    if type_ == "place":
        words = _PLACE_VARIANTS.get(" ".join(words), " ".join(words)).split()
    return tuple(words)


@dataclass
class Member:
    """One id of the ``entities`` component across the archive: its type, the names it was shown with
    (and how often), and its mentions per article."""

    id: str
    type: str
    names: Counter[str] = field(default_factory=Counter)
    per_article: dict[str, int] = field(default_factory=dict)
    surface_forms: dict[str, None] = field(default_factory=dict)  # ordered set

    # computed on first read, once every name is counted
    @cached_property
    def name(self) -> str:
        return max(self.names, key=lambda n: (self.names[n], n)) if self.names else self.id.split(":", 1)[-1]

    @cached_property
    def key(self) -> tuple[str, ...]:
        return match_key(self.name, self.type) or (self.id,)


@dataclass
class Cluster:
    """A canonical entity: its id, name, type and the member ids it groups."""

    id: str
    name: str
    type: str
    members: list[str]


class _Union:
    def __init__(self, items: Iterable[str]) -> None:
        self.parent = {i: i for i in items}

    def find(self, item: str) -> str:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[str]]:
        out: dict[str, list[str]] = {}
        for item in self.parent:
            out.setdefault(self.find(item), []).append(item)
        return [sorted(g) for g in out.values()]


def _initials(key: Sequence[str]) -> str:
    skip = {"of", "and", "the", "for", "de", "la", "in", "on", "at", "&"}
    return "".join(w[0] for w in key if w not in skip)


def _is_subsequence(short: Sequence[str], long: Sequence[str]) -> bool:
    it = iter(long)
    return all(word in it for word in short)


def auto_groups(members: Sequence[Member], *, context: bool = True) -> list[list[str]]:
    """The member ids grouped by the rules of the module docstring (no editors' corrections); without
    ``context``, a surname several people share always stays ambiguous."""
    union = _Union(m.id for m in members)
    by_key: dict[tuple[str, tuple[str, ...]], str] = {}
    for m in members:
        first = by_key.setdefault((m.type, m.key), m.id)
        union.union(first, m.id)
    full = [(t, k) for t, k in by_key if len(k) > 1]
    surnames: dict[str, list[tuple[str, ...]]] = {}
    initials: dict[str, list[tuple[str, ...]]] = {}
    for type_, key in full:
        if type_ == "person":
            surnames.setdefault(key[-1], []).append(key)
        elif type_ == "organisation":
            initials.setdefault(_initials(key), []).append(key)
    ambiguous: list[tuple[str, list[tuple[str, ...]]]] = []
    for (type_, key), mid in by_key.items():
        candidates: list[tuple[str, ...]] = []
        if type_ == "person" and len(key) == 1:
            candidates = surnames.get(key[0], [])
            if len(candidates) > 1:
                ambiguous.append((mid, candidates))
        elif type_ == "person":
            candidates = [
                k
                for k in surnames.get(key[-1], [])
                if len(k) > len(key) and k[0] == key[0] and _is_subsequence(key, k)
            ]
        elif type_ == "organisation" and len(key) == 1:
            candidates = initials.get(key[0], []) if len(key[0]) >= 2 else []
        if len(candidates) == 1:
            union.union(mid, by_key[(type_, candidates[0])])
    _join_mistyped_surnames(members, by_key, surnames, union)
    if context:
        _resolve_by_context(members, by_key, ambiguous, union)
    return union.groups()


def _resolve_by_context(
    members: Sequence[Member],
    by_key: dict[tuple[str, tuple[str, ...]], str],
    ambiguous: list[tuple[str, list[tuple[str, ...]]]],
    union: _Union,
    *,
    share: float = CONTEXT_SHARE,
) -> None:
    """A surname several people share ("Blair": Tony, Cherie, Ian) joins one of them when its articles'
    other entities say so: in each article of the lone surname, the candidate whose own articles name those
    entities most often (each entity weighted by its inverse document frequency, so "Britain" counts little)
    wins if it scores at least twice the next; the surname joins
    a candidate that wins in at least ``share`` of its articles, and stays ambiguous otherwise."""
    in_article: dict[str, list[str]] = {}
    for m in members:
        for article_id in m.per_article:
            in_article.setdefault(article_id, []).append(m.id)
    by_id = {m.id: m for m in members}
    groups: dict[str, list[str]] = {}
    for i in union.parent:
        groups.setdefault(union.find(i), []).append(i)

    df: Counter[str] = Counter()
    for root, ids in groups.items():
        df[root] = len({a for i in ids for a in by_id[i].per_article})
    idf = {root: math.log((len(in_article) + 1) / (n + 1)) for root, n in df.items()}

    def profile(mid: str) -> tuple[Counter[str], int]:
        root = union.find(mid)
        articles = {a for i in groups[root] for a in by_id[i].per_article}
        seen: Counter[str] = Counter()
        for a in articles:
            seen.update({union.find(i) for i in in_article[a]} - {root})
        return seen, len(articles)

    for mid, candidates in ambiguous:
        heads = [by_key[("person", k)] for k in candidates]
        profiles = [profile(h) for h in heads]
        votes: Counter[int] = Counter()
        for a in by_id[mid].per_article:
            context = {union.find(i) for i in in_article[a] if i != mid}
            scores = sorted(
                ((sum(seen[c] * idf[c] for c in context), k) for k, (seen, _) in enumerate(profiles)),
                reverse=True,
            )
            if scores[0][0] > 0 and scores[0][0] >= 2 * scores[1][0]:
                votes[scores[0][1]] += 1
        if votes:
            best, n = votes.most_common(1)[0]
            if n >= share * len(by_id[mid].per_article):
                union.union(mid, heads[best])


def _join_mistyped_surnames(
    members: Sequence[Member],
    by_key: dict[tuple[str, tuple[str, ...]], str],
    surnames: dict[str, list[tuple[str, ...]]],
    union: _Union,
) -> None:
    """A one-word organisation or place that is a person's surname ("Beckham" tagged ORG beside "David
    Beckham") joins that person when, in most of its articles, exactly that one person of the surname is
    named too: NER often mistypes a lone surname."""
    articles: dict[tuple[str, ...], set[str]] = {}
    for m in members:
        if m.type == "person":
            articles.setdefault(m.key, set()).update(m.per_article)
    for m in members:
        key = match_key(m.name, "person")  # "Ms Jamieson" tagged ORG is a person's surname too
        if m.type == "person" or len(key) != 1 or not key[0][:1].isalpha():
            continue
        seen = set(m.per_article)
        near = [k for k in surnames.get(key[0], []) if len(seen & articles.get(k, set())) * 2 > len(seen)]
        if len(near) == 1:
            union.union(m.id, by_key[("person", near[0])])


def name_of(members: Sequence[Member]) -> str:
    """The most used of the longest forms (titles stripped for people)."""
    names: Counter[str] = Counter()
    for m in members:
        for name, n in m.names.items():
            names[strip_titles(name) if m.type == "person" else name] += n
    longest = max(len(match_key(n, members[0].type)) for n in names)
    best = [n for n in names if len(match_key(n, members[0].type)) == longest]
    return max(best, key=lambda n: (not n.isupper(), names[n], n))


def to_clusters(groups: Iterable[Sequence[str]], members: dict[str, Member]) -> list[Cluster]:
    """Clusters of member-id groups, with unique ids (a second group with the same name keeps a member's
    id, or takes a numbered suffix), largest first."""
    weighted = sorted(groups, key=lambda g: (-sum(len(members[i].per_article) for i in g), sorted(g)))
    out: list[Cluster] = []
    taken: set[str] = set()
    for group in weighted:
        rows = [members[i] for i in group]
        type_ = max(rows, key=lambda m: (len(m.key), len(m.per_article), m.type == "person", m.id)).type
        name = name_of([m for m in rows if m.type == type_])
        cid = entity_id(type_, name)
        if cid in taken:
            cid = next((i for i in sorted(group) if i not in taken), cid)
            n = 2
            while cid in taken:
                cid, n = f"{entity_id(type_, name)}-{n}", n + 1
        taken.add(cid)
        out.append(Cluster(cid, name, type_, sorted(group)))
    return out


def cluster(members: Sequence[Member]) -> list[Cluster]:
    """The canonical entities of ``members`` by the module's rules, largest first."""
    return to_clusters(auto_groups(members), {m.id: m for m in members})
