"""The story store protocol: stories, their change log (merges and splits) and the clusterer's state.

Every backend of :data:`newsdesk.store.stores` keeps stories in the archive's own database (SQLite
migration 8, PostgreSQL migration 5), through :class:`newsdesk.store.sql_stories.SqlStories`;
:func:`open_stories` finds the implementation by the store URL's scheme in :data:`story_stores`, so a
plug-in engine adds its own. Tests in ``tests/store/test_stories_store.py`` run over every backend.

A build (:func:`newsdesk.stories.build.build_stories`) writes everything it changed in one transaction
(:meth:`StoryStore.save_build`): the changed stories, the ids of stories merged away, the new events and the
clusterer's state, so a crash never leaves stories that disagree with the state they resume from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from newsdesk.registry import Registry
from newsdesk.stories.model import Story, StoryEvent

if TYPE_CHECKING:
    from newsdesk.store import Backend

__all__ = ["StoryStore", "open_stories", "story_stores"]


@runtime_checkable
class StoryStore(Protocol):
    """Stories as data, on the archive's database."""

    def save_build(
        self,
        stories: Sequence[Story],
        removed: Sequence[str],
        events: Sequence[StoryEvent],
        state: tuple[str, bytes] | None,
    ) -> None:
        """Upsert ``stories``, delete ``removed``, append ``events`` and replace the clusterer's ``state``
        (version, bytes), all or nothing."""
        ...

    def get_story(self, story_id: str) -> Story:
        """The story, or :class:`~newsdesk.errors.NotFound`."""
        ...

    def list_stories(
        self,
        *,
        since: datetime | None = None,
        section: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Story]:
        """Most recently seen first; ``since`` keeps stories seen at or after it."""
        ...

    def story_events(self, story_id: str | None = None) -> list[StoryEvent]:
        """The change log (of one story: events it is the subject or the other side of), oldest first."""
        ...

    def clusterer_state(self) -> tuple[str, bytes] | None:
        """The saved (version, state) of the clusterer, or None before the first build."""
        ...

    def clear_stories(self) -> None:
        """Forget every story, event and the state (a re-clustering from scratch)."""
        ...


#: store engine -> factory(backend) of its story store
story_stores: Registry[Callable[[Backend], StoryStore]] = Registry("story_stores")


@story_stores.register("sqlite")
def _sqlite(backend: Backend) -> StoryStore:
    from newsdesk.store.sql_stories import sqlite_stories

    return sqlite_stories(backend)


@story_stores.register("postgresql")
@story_stores.register("postgres")
def _postgres(backend: Backend) -> StoryStore:
    from newsdesk.store.sql_stories import pg_stories

    return pg_stories(backend)


def open_stories(backend: Backend, url: str) -> StoryStore:
    """The story store on ``backend`` (opened from the store URL ``url``)."""
    from newsdesk.store import engine_of

    return story_stores.get(engine_of(url))(backend)
