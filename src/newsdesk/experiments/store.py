"""The experiment store protocol: experiments, their hourly counts, raw events and decisions.

Every backend of :data:`newsdesk.store.stores` keeps experiments in the archive's own database (SQLite
migration 7, PostgreSQL migration 4), through :class:`newsdesk.store.sql_experiments.SqlExperiments`;
:func:`open_experiments` finds the implementation by the store URL's scheme in :data:`experiment_stores`, so
a plug-in engine adds its own. Tests in ``tests/store/test_experiments_store.py`` run over every backend.

Writes are transactional: a batch of counts is kept whole or not at all, and a batch for an experiment
that is not running is refused (:class:`~newsdesk.errors.Conflict`) in the same transaction that would
write it, so no event lands after a stop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from newsdesk.registry import Registry

from .model import BucketCounts, Decision, Experiment, RawEvent

if TYPE_CHECKING:
    from newsdesk.store import Backend

__all__ = ["ExperimentStore", "experiment_stores", "open_experiments"]


@runtime_checkable
class ExperimentStore(Protocol):
    """Experiments as data, on the archive's database."""

    def create_experiment(self, experiment: Experiment, decision: Decision) -> Experiment:
        """Store a new experiment and its ``create`` decision together; :class:`Conflict` if the id exists."""
        ...

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment, or :class:`~newsdesk.errors.NotFound`."""
        ...

    def list_experiments(
        self, *, status: str | None = None, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Experiment]:
        """Newest first."""
        ...

    def update_experiment(
        self, experiment: Experiment, decision: Decision, *, expect_status: str
    ) -> Experiment:
        """Replace the stored experiment with ``experiment`` and record ``decision``, both or neither, only
        if its stored status is still ``expect_status`` (else :class:`Conflict`: someone else moved it)."""
        ...

    def add_counts(
        self, experiment_id: str, counts: Sequence[BucketCounts], raw: Sequence[RawEvent] = ()
    ) -> None:
        """Add ``counts`` to the stored hourly counts (and keep ``raw`` events) in one transaction, only
        while the experiment is running (else :class:`Conflict`, nothing written)."""
        ...

    def counts(self, experiment_id: str) -> list[BucketCounts]:
        """The hourly counts, by bucket then variant."""
        ...

    def raw_events(self, experiment_id: str, *, limit: int = 1000) -> list[RawEvent]:
        """The newest ``limit`` raw events, oldest first."""
        ...

    def decisions(self, experiment_id: str) -> list[Decision]:
        """The experiment's history, oldest first."""
        ...


#: store engine -> factory(backend) of its experiment store
experiment_stores: Registry[Callable[[Backend], ExperimentStore]] = Registry("experiment_stores")


@experiment_stores.register("sqlite")
def _sqlite(backend: Backend) -> ExperimentStore:
    from newsdesk.store.sql_experiments import sqlite_experiments

    return sqlite_experiments(backend)


@experiment_stores.register("postgresql")
@experiment_stores.register("postgres")
def _postgres(backend: Backend) -> ExperimentStore:
    from newsdesk.store.sql_experiments import pg_experiments

    return pg_experiments(backend)


def open_experiments(backend: Backend, url: str) -> ExperimentStore:
    """The experiment store on ``backend`` (opened from the store URL ``url``)."""
    from newsdesk.store import engine_of

    return experiment_stores.get(engine_of(url))(backend)
