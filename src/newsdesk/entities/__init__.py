"""Entity pages: canonical people, organisations and places across the archive (:mod:`.canonical`),
editors' merges, splits and renames kept as feedback (:mod:`.corrections`), and the pages built from both
(:mod:`.pages`)."""

from newsdesk.entities.canonical import Cluster, Member, cluster, match_key, strip_titles
from newsdesk.entities.corrections import FEEDBACK_KIND, Correction, apply_corrections, corrections_from
from newsdesk.entities.pages import (
    EntityPage,
    EntityPages,
    build_entity_pages,
    entity_page,
    members_from,
    merge_entities,
    rename_entity,
    split_entity,
)

__all__ = [
    "FEEDBACK_KIND",
    "Cluster",
    "Correction",
    "EntityPage",
    "EntityPages",
    "Member",
    "apply_corrections",
    "build_entity_pages",
    "cluster",
    "corrections_from",
    "entity_page",
    "match_key",
    "members_from",
    "merge_entities",
    "rename_entity",
    "split_entity",
    "strip_titles",
]
