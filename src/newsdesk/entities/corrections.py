"""Editors' corrections of canonical entities: merge two entities, split a member out of one, rename one.

Corrections are editors' feedback (:mod:`newsdesk.monitor.feedback`) of kind ``entity-page``, action
``correct``, on an article that mentions the entity: ``value`` is the entity id the editor saw and
``correction`` says what to do::

    merge:<other entity id>     the two are one entity
    split:<member id>           this member (an ``entities`` id such as ``person:blair``) is not this entity
    rename:<name>               show this name

Every build replays them, oldest first, over the automatic grouping, so a merge stays merged, a split stays
split and a rename sticks, whatever new articles arrive. An id in a correction is looked up first as a
member id (these are stable: they are stored in the articles' outputs), then as a canonical id of the
grouping at that point of the replay.

>>> parse("merge:person:tony-blair"), parse("rename:Tony Blair")
(('merge', 'person:tony-blair'), ('rename', 'Tony Blair'))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from newsdesk.entities.canonical import Cluster, Member, auto_groups, to_clusters
from newsdesk.errors import InvalidInput, NotFound
from newsdesk.monitor.feedback import Feedback

__all__ = ["FEEDBACK_KIND", "OPERATIONS", "Correction", "apply_corrections", "corrections_from", "parse"]

FEEDBACK_KIND = "entity-page"
OPERATIONS = ("merge", "split", "rename")


@dataclass(frozen=True)
class Correction:
    """One replayed correction: the entity shown, the operation and its argument."""

    entity: str
    op: str
    arg: str
    actor: str = ""


def parse(correction: str) -> tuple[str, str]:
    """(operation, argument) of a stored correction string."""
    op, sep, arg = correction.partition(":")
    if not sep or op not in OPERATIONS or not arg.strip():
        raise InvalidInput("correction", correction, "merge:<entity id>, split:<member id> or rename:<name>")
    return op, arg.strip()


def corrections_from(feedback: Sequence[Feedback]) -> list[Correction]:
    """The entity corrections among ``feedback`` (oldest first); malformed ones are skipped."""
    out = []
    for item in feedback:
        if item.kind != FEEDBACK_KIND or item.action != "correct" or not item.correction:
            continue
        try:
            op, arg = parse(item.correction)
        except InvalidInput:
            continue
        out.append(Correction(item.value, op, arg, item.actor))
    return out


class _Partition:
    """Member ids in groups, editable by id (member or canonical)."""

    def __init__(self, groups: list[list[str]], members: dict[str, Member]) -> None:
        self.members = members
        self.group_of: dict[str, int] = {}
        self.groups: dict[int, set[str]] = {}
        for n, group in enumerate(groups):
            self.groups[n] = set(group)
            self.group_of.update((i, n) for i in group)
        self.next = len(groups)

    def lookup(self, entity: str) -> int:
        if entity in self.group_of:
            return self.group_of[entity]
        for cl in to_clusters([sorted(g) for g in self.groups.values()], self.members):
            if cl.id == entity:
                return self.group_of[cl.members[0]]
        raise NotFound(f"no entity '{entity}' in the archive's entity pages")

    def merge(self, a: str, b: str) -> None:
        ga, gb = self.lookup(a), self.lookup(b)
        if ga == gb:
            return
        for i in self.groups.pop(gb):
            self.groups[ga].add(i)
            self.group_of[i] = ga

    def split(self, entity: str, member: str) -> None:
        if member not in self.group_of:
            raise NotFound(f"no member '{member}' in the archive's entity pages")
        group = self.lookup(entity)
        if self.group_of[member] != group or len(self.groups[group]) == 1:
            return
        self.groups[group].discard(member)
        self.groups[self.next] = {member}
        self.group_of[member] = self.next
        self.next += 1


def apply_corrections(
    members: Sequence[Member],
    corrections: Sequence[Correction],
    *,
    strict: bool = False,
    context: bool = True,
) -> list[Cluster]:
    """The canonical entities of ``members`` after replaying ``corrections`` in order (names from renames).
    A correction naming an id that no longer exists is skipped, or raises
    :class:`~newsdesk.errors.NotFound` with ``strict``. ``context``: see
    :func:`~newsdesk.entities.canonical.auto_groups`."""
    by_id = {m.id: m for m in members}
    part = _Partition(auto_groups(members, context=context), by_id)
    renames: dict[str, str] = {}  # a member id of the renamed group -> name
    for c in corrections:
        try:
            if c.op == "merge":
                part.merge(c.entity, c.arg)
            elif c.op == "split":
                part.split(c.entity, c.arg)
            else:
                anchor = c.entity if c.entity in by_id else min(part.groups[part.lookup(c.entity)])
                for other in [m for m in renames if part.group_of[m] == part.group_of[anchor]]:
                    del renames[other]
                renames[anchor] = c.arg
        except NotFound:
            if strict:
                raise
    clusters = to_clusters([sorted(g) for g in part.groups.values()], by_id)
    for cl in clusters:
        names = [name for anchor, name in renames.items() if anchor in cl.members]
        if names:
            cl.name = names[-1]
    return clusters
