"""Entity pages: one page per canonical person, organisation and place of the archive, built from the
stored ``entities`` outputs and the editors' corrections (:mod:`newsdesk.entities.corrections`).

A page carries the entity's type, name, aliases (the forms it was written in), members (the ``entities``
ids it groups), article and mention counts, first and last seen (its articles' ``published_at``), the
entities it co-occurs with most, and a timeline of its articles per month (or week).

>>> import tempfile, pathlib
>>> from newsdesk.settings import Settings
>>> from newsdesk.store import open_store
>>> settings = Settings(home=pathlib.Path(tempfile.mkdtemp()))
>>> store = open_store(settings)
>>> build_entity_pages(settings, store).list()
[]
>>> store.close()
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newsdesk.entities.canonical import Cluster, Member
from newsdesk.entities.corrections import (
    FEEDBACK_KIND,
    Correction,
    apply_corrections,
    corrections_from,
)
from newsdesk.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from newsdesk.monitor.feedback import Feedback
    from newsdesk.settings import Settings

__all__ = [
    "EntityPage",
    "EntityPages",
    "build_entity_pages",
    "entity_page",
    "members_from",
    "merge_entities",
    "rename_entity",
    "split_entity",
]

COMPONENT = "entities"
TYPES = ("person", "organisation", "place")


@dataclass
class EntityPage:
    """One canonical entity across the archive."""

    id: str
    name: str
    type: str
    aliases: list[str]  # forms it was written in, most used first
    members: list[str]  # the ``entities`` component's ids it groups
    articles: int
    mentions: int
    first_seen: str | None  # ISO timestamps of its first and last articles' published_at
    last_seen: str | None
    cooccurring: list[dict[str, Any]] = field(default_factory=list)  # {"id", "name", "articles"}
    timeline: dict[str, int] = field(default_factory=dict)  # "2005-01" (or "2005-W03") -> articles

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def members_from(values: Iterable[tuple[str, Any]]) -> list[Member]:
    """Members (one per ``entities`` id) from (article id, ``entities`` value) pairs."""
    members: dict[str, Member] = {}
    for article_id, value in values:
        for item in value or []:
            m = members.setdefault(item["id"], Member(item["id"], item["type"]))
            m.names[item["name"]] += 1
            m.per_article[article_id] = m.per_article.get(article_id, 0) + int(item.get("mentions", 1))
            for form in item.get("surface_forms", [item["name"]]):
                m.surface_forms[form] = None
    return list(members.values())


def _bucket(when: datetime, period: str) -> str:
    if period == "week":
        year, week, _ = when.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{when.year:04d}-{when.month:02d}"


class EntityPages:
    """The archive's entity pages: :meth:`list`, :meth:`get` and :meth:`articles`.

    Built in memory from ``members`` (:func:`members_from`), the articles' publication times and the
    replayed corrections; memory grows with the number of (article, entity) pairs. Without ``context``, a
    surname several people share always stays its own entity (see :mod:`newsdesk.entities.canonical`)."""

    def __init__(
        self,
        members: Iterable[Member],
        published: dict[str, datetime | None],
        corrections: Iterable[Correction] = (),
        *,
        period: str = "month",
        top: int = 10,
        context: bool = True,
    ) -> None:
        if period not in ("month", "week"):
            raise InvalidInput("period", period, "month or week")
        self.members = {m.id: m for m in members}
        self.published = published
        self.period = period
        self.top = top
        self.clusters = apply_corrections(list(self.members.values()), list(corrections), context=context)
        self._of_member = {mid: cl.id for cl in self.clusters for mid in cl.members}
        self._by_id = {cl.id: cl for cl in self.clusters}
        self._pages: dict[str, EntityPage] = {}

    def resolve(self, entity_id: str) -> str:
        """The canonical id of ``entity_id`` (a canonical or member id), or
        :class:`~newsdesk.errors.NotFound`."""
        if entity_id in self._by_id:
            return entity_id
        if entity_id in self._of_member:
            return self._of_member[entity_id]
        raise NotFound(f"no entity '{entity_id}' in the archive's entity pages")

    def entity_of(self, member_id: str) -> str | None:
        """The canonical id a member id belongs to (None: unknown)."""
        return self._of_member.get(member_id)

    def _counts(self, cl: Cluster) -> dict[str, int]:
        counts: dict[str, int] = {}
        for mid in cl.members:
            for article_id, n in self.members[mid].per_article.items():
                counts[article_id] = counts.get(article_id, 0) + n
        return counts

    def article_ids(self, entity_id: str) -> list[str]:
        """Ids of the articles mentioning the entity, newest first (undated last)."""
        counts = self._counts(self._by_id[self.resolve(entity_id)])
        floor = datetime.min.isoformat()
        return sorted(
            counts,
            key=lambda a: (
                (d.isoformat() if (d := self.published.get(a)) is not None else floor),
                counts[a],
                a,
            ),
            reverse=True,
        )

    def get(self, entity_id: str) -> EntityPage:
        """The page of ``entity_id`` (canonical, or a member id it groups)."""
        cid = self.resolve(entity_id)
        if cid not in self._pages:
            self._pages[cid] = self._page(self._by_id[cid], cooccurring=True)
        return self._pages[cid]

    def _page(self, cl: Cluster, *, cooccurring: bool) -> EntityPage:
        counts = self._counts(cl)
        dates = sorted(d for a in counts if (d := self.published.get(a)) is not None)
        forms: Counter[str] = Counter()
        for mid in cl.members:
            for form in self.members[mid].surface_forms:
                forms[form] += len(self.members[mid].per_article)
        timeline = Counter(_bucket(d, self.period) for d in dates)
        page = EntityPage(
            id=cl.id,
            name=cl.name,
            type=cl.type,
            aliases=[f for f, _ in forms.most_common() if f != cl.name],
            members=list(cl.members),
            articles=len(counts),
            mentions=sum(counts.values()),
            first_seen=dates[0].isoformat() if dates else None,
            last_seen=dates[-1].isoformat() if dates else None,
            timeline=dict(sorted(timeline.items())),
        )
        if cooccurring:
            page.cooccurring = self._cooccurring(cl, set(counts))
        return page

    def _cooccurring(self, cl: Cluster, articles: set[str]) -> list[dict[str, Any]]:
        shared: dict[str, set[str]] = {}
        for mid, m in self.members.items():
            cid = self._of_member[mid]
            if cid == cl.id:
                continue
            hits = articles.intersection(m.per_article)
            if hits:
                shared.setdefault(cid, set()).update(hits)
        best = sorted(shared, key=lambda c: (-len(shared[c]), c))[: self.top]
        return [{"id": c, "name": self._by_id[c].name, "articles": len(shared[c])} for c in best]

    def list(
        self,
        *,
        type: str | None = None,
        min_articles: int = 1,
        limit: int | None = None,
        query: str | None = None,
    ) -> list[EntityPage]:
        """Pages by article count (most first), without co-occurrences; optionally of one type, or whose
        name or aliases contain ``query``."""
        if type is not None and type not in TYPES:
            raise InvalidInput("type", type, f"one of {', '.join(TYPES)}")
        wanted = query.casefold() if query else None
        ranked = []
        for cl in self.clusters:
            if type is not None and cl.type != type:
                continue
            counts = self._counts(cl)
            if len(counts) < min_articles:
                continue
            if wanted is not None and not any(
                wanted in form.casefold()
                for form in [cl.name, *(f for m in cl.members for f in self.members[m].surface_forms)]
            ):
                continue
            ranked.append((-len(counts), -sum(counts.values()), cl.id, cl))
        ranked.sort(key=lambda row: row[:3])
        chosen = ranked[:limit] if limit is not None else ranked
        return [self._page(row[3], cooccurring=False) for row in chosen]


def build_entity_pages(settings: Settings | None, store: Any, *, period: str = "month") -> EntityPages:
    """The entity pages of everything in ``store`` (its ``entities`` outputs, articles' dates and the
    ``entity-page`` feedback). ``settings`` is accepted for the shells' symmetry and unused today."""
    members = members_from(store.enrichment_values(COMPONENT))
    ids = sorted({a for m in members for a in m.per_article})
    published: dict[str, datetime | None] = {}
    for start in range(0, len(ids), 500):
        for brief in store.briefs(ids[start : start + 500]):
            published[brief.id] = brief.published_at
    corrections = corrections_from(store.list_feedback(kind=FEEDBACK_KIND))
    return EntityPages(members, published, corrections, period=period)


def entity_page(settings: Settings | None, store: Any, entity_id: str) -> EntityPage:
    """One entity's page (:func:`build_entity_pages` then :meth:`EntityPages.get`)."""
    return build_entity_pages(settings, store).get(entity_id)


def _anchor(pages: EntityPages, entity: str) -> str:
    """A member id standing for ``entity`` in a stored correction (member ids are stable, canonical ids
    follow names): itself when it is one, else the entity's member in most articles."""
    if entity in pages.members:
        return entity
    members = pages.get(entity).members
    return max(members, key=lambda m: (len(pages.members[m].per_article), m))


def _record(store: Any, pages: EntityPages, entity: str, correction: str, actor: str) -> Feedback:
    from newsdesk.monitor.feedback import record_feedback

    shown = _anchor(pages, entity)
    article_id = pages.article_ids(shown)[-1]  # an article that mentions it: its first-seen one
    return record_feedback(
        store,
        article_id,
        kind=FEEDBACK_KIND,
        action="correct",
        value=shown,
        correction=correction,
        actor=actor,
    )


def merge_entities(
    settings: Settings | None, store: Any, entity: str, into: str, *, actor: str
) -> EntityPage:
    """Record that ``entity`` and ``into`` are one entity; returns the merged page."""
    pages = build_entity_pages(settings, store)
    if pages.resolve(entity) == pages.resolve(into):
        raise InvalidInput("into", into, f"another entity than '{entity}' (they are one already)")
    _record(store, pages, entity, f"merge:{_anchor(pages, into)}", actor)
    return build_entity_pages(settings, store).get(into)


def split_entity(
    settings: Settings | None, store: Any, entity: str, member: str, *, actor: str
) -> EntityPage:
    """Record that ``member`` (an id the entity groups) is not ``entity``; returns the member's new page."""
    pages = build_entity_pages(settings, store)
    cid = pages.resolve(entity)
    if member not in pages.members or pages.entity_of(member) != cid:
        raise InvalidInput("member", member, f"one of {', '.join(pages.get(cid).members)}")
    if len(pages.get(cid).members) == 1:
        raise InvalidInput("member", member, "a member of an entity that groups more than one")
    _record(store, pages, cid, f"split:{member}", actor)
    return build_entity_pages(settings, store).get(member)


def rename_entity(settings: Settings | None, store: Any, entity: str, name: str, *, actor: str) -> EntityPage:
    """Record ``name`` as the entity's name; returns its page (its id does not change)."""
    name = " ".join(str(name).split())
    if not name or len(name) > 200:
        raise InvalidInput("name", name, "a non-empty name of at most 200 characters")
    pages = build_entity_pages(settings, store)
    cid = pages.resolve(entity)
    _record(store, pages, cid, f"rename:{name}", actor)
    return build_entity_pages(settings, store).get(cid)
