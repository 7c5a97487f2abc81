""":class:`~newsdesk.stories.store.StoryStore` in SQL, on either backend's database.

The two engines share every statement; a :class:`~newsdesk.store.sql_dialect.SqlDialect` holds what
differs (the placeholder, how a connection is had, how times are stored, how a JSON column is read back). A
story is a row with the columns it is listed by (section, first and last seen, size) beside its whole record
as JSON; events are appended; the clusterer's state is one row of bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newsdesk.errors import NotFound
from newsdesk.store.sql_dialect import SqlDialect, pg_dialect, read_time, sqlite_dialect
from newsdesk.stories.model import Story, StoryEvent

if TYPE_CHECKING:
    from newsdesk.store import Backend

__all__ = ["SqlStories", "pg_stories", "sqlite_stories"]

_STATE = "clusterer"


def sqlite_stories(backend: Backend) -> SqlStories:
    """The story store on a :class:`~newsdesk.store.sqlite.SQLiteStore`'s connection."""
    return SqlStories(sqlite_dialect(backend))


def pg_stories(backend: Backend) -> SqlStories:
    """The story store on a :class:`~newsdesk.store.postgres.PostgresStore`'s pool."""
    return SqlStories(pg_dialect(backend))


def story_from_dict(d: dict[str, Any]) -> Story:
    return Story(
        id=d["id"],
        label=d["label"],
        first_seen=read_time(d["first_seen"]),
        last_seen=read_time(d["last_seen"]),
        articles=[(a["id"], read_time(a["at"])) for a in d.get("articles", [])],
        summary=d.get("summary", ""),
        entities=list(d.get("entities", [])),
        topics=list(d.get("topics", [])),
        section=d.get("section"),
        version=d.get("version", ""),
    )


def event_from_dict(d: dict[str, Any]) -> StoryEvent:
    return StoryEvent(
        d["action"], d["story_id"], tuple(d["others"]), tuple(d["articles"]), read_time(d["at"]), d["score"]
    )


class SqlStories:
    """Stories, story events and the clusterer's state in three tables of the archive's database."""

    def __init__(self, dialect: SqlDialect) -> None:
        self._d = dialect

    def save_build(
        self,
        stories: Sequence[Story],
        removed: Sequence[str],
        events: Sequence[StoryEvent],
        state: tuple[str, bytes] | None,
    ) -> None:
        upsert = self._d.sql(
            "INSERT INTO stories (id, section, first_seen, last_seen, size, version, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET section = excluded.section, "
            "first_seen = excluded.first_seen, last_seen = excluded.last_seen, size = excluded.size, "
            "version = excluded.version, data = excluded.data"
        )
        with self._d.writing() as conn:
            for story_id in removed:
                conn.execute(self._d.sql("DELETE FROM stories WHERE id = ?"), (story_id,))
            for s in stories:
                conn.execute(
                    upsert,
                    (
                        s.id,
                        s.section,
                        self._d.time(s.first_seen),
                        self._d.time(s.last_seen),
                        s.size,
                        s.version,
                        json.dumps(s.to_dict()),
                    ),
                )
            for e in events:
                conn.execute(
                    self._d.sql("INSERT INTO story_events (story_id, action, at, data) VALUES (?, ?, ?, ?)"),
                    (e.story_id, e.action, self._d.time(e.at), json.dumps(e.to_dict())),
                )
            if state is not None:
                conn.execute(
                    self._d.sql(
                        "INSERT INTO story_state (name, version, data) VALUES (?, ?, ?) ON CONFLICT (name) "
                        "DO UPDATE SET version = excluded.version, data = excluded.data"
                    ),
                    (_STATE, state[0], state[1]),
                )

    def get_story(self, story_id: str) -> Story:
        with self._d.connection() as conn:
            row = conn.execute(
                self._d.sql(f"SELECT data{self._d.json_cast} FROM stories WHERE id = ?"), (story_id,)
            ).fetchone()
        if row is None:
            raise NotFound(f"no story {story_id!r}")
        return story_from_dict(json.loads(row[0]))

    def list_stories(
        self,
        *,
        since: datetime | None = None,
        section: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Story]:
        clauses: list[str] = []
        params: list[Any] = []
        if since is not None:
            clauses.append("last_seen >= ?")
            params.append(self._d.time(since))
        if section is not None:
            clauses.append("section = ?")
            params.append(section)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = (
            f"SELECT data{self._d.json_cast} FROM stories{where} "
            "ORDER BY last_seen DESC, size DESC, id LIMIT ? OFFSET ?"
        )
        with self._d.connection() as conn:
            rows = conn.execute(self._d.sql(sql), (*params, limit, offset)).fetchall()
        return [story_from_dict(json.loads(r[0])) for r in rows]

    def story_events(self, story_id: str | None = None) -> list[StoryEvent]:
        with self._d.connection() as conn:
            rows = conn.execute(
                self._d.sql(f"SELECT data{self._d.json_cast} FROM story_events ORDER BY id")
            ).fetchall()
        events = [event_from_dict(json.loads(r[0])) for r in rows]
        if story_id is None:
            return events
        return [e for e in events if e.story_id == story_id or story_id in e.others]

    def clusterer_state(self) -> tuple[str, bytes] | None:
        with self._d.connection() as conn:
            row = conn.execute(
                self._d.sql("SELECT version, data FROM story_state WHERE name = ?"), (_STATE,)
            ).fetchone()
        return None if row is None else (str(row[0]), bytes(row[1]))

    def clear_stories(self) -> None:
        with self._d.writing() as conn:
            for table in ("stories", "story_events", "story_state"):
                conn.execute(f"DELETE FROM {table}")
