""":class:`~newsdesk.experiments.store.ExperimentStore` in SQL, on either backend's database.

The two engines share every statement; a :class:`~newsdesk.store.sql_dialect.SqlDialect` holds what
differs (the placeholder, how a connection is had, how times are stored). Counts are
kept per (experiment, hour, variant, metric) and added with ``INSERT ... ON CONFLICT DO UPDATE``, so
concurrent writers of the same hour add up instead of overwriting each other. A write of counts first reads
the experiment's status in the same transaction (``FOR UPDATE`` on PostgreSQL, SQLite's write lock), so a
stop and an event batch never interleave.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newsdesk.errors import Conflict, NotFound
from newsdesk.experiments.model import BucketCounts, Decision, Experiment, RawEvent, experiment_from_dict
from newsdesk.store.sql_dialect import SqlDialect, pg_dialect, read_time, sqlite_dialect

if TYPE_CHECKING:
    from newsdesk.store import Backend

__all__ = ["SqlExperiments", "pg_experiments", "sqlite_experiments"]

TRIALS, SUCCESSES = "trial", "success"


def sqlite_experiments(backend: Backend) -> SqlExperiments:
    """The experiment store on a :class:`~newsdesk.store.sqlite.SQLiteStore`'s connection."""
    return SqlExperiments(sqlite_dialect(backend))


def pg_experiments(backend: Backend) -> SqlExperiments:
    """The experiment store on a :class:`~newsdesk.store.postgres.PostgresStore`'s pool."""
    return SqlExperiments(pg_dialect(backend))


class SqlExperiments:
    """Experiments, counts, raw events and decisions in four tables of the archive's database."""

    def __init__(self, dialect: SqlDialect) -> None:
        self._d = dialect

    def _insert_decision(self, conn: Any, d: Decision) -> None:
        conn.execute(
            self._d.sql(
                "INSERT INTO experiment_decisions "
                "(experiment_id, action, actor, at, variant, reason, details) VALUES (?, ?, ?, ?, ?, ?, ?)"
            ),
            (
                d.experiment_id,
                d.action,
                d.actor,
                self._d.time(d.at),
                d.variant,
                d.reason,
                json.dumps(dict(d.details)),
            ),
        )

    def _status(self, conn: Any, experiment_id: str) -> str:
        row = conn.execute(
            self._d.sql("SELECT status FROM experiments WHERE id = ?" + self._d.lock_row), (experiment_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no experiment {experiment_id!r}")
        return str(row[0])

    # -- experiments -----------------------------------------------------------------------------------------
    def create_experiment(self, experiment: Experiment, decision: Decision) -> Experiment:
        with self._d.writing() as conn:
            taken = conn.execute(
                self._d.sql("SELECT 1 FROM experiments WHERE id = ?"), (experiment.id,)
            ).fetchone()
            if taken is not None:
                raise Conflict(f"an experiment {experiment.id!r} already exists")
            conn.execute(
                self._d.sql(
                    "INSERT INTO experiments (id, kind, status, owner, created_at, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)"
                ),
                (
                    experiment.id,
                    experiment.kind,
                    experiment.status,
                    experiment.owner,
                    self._d.time(experiment.created_at),
                    json.dumps(experiment.to_dict()),
                ),
            )
            self._insert_decision(conn, decision)
        return experiment

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self._d.connection() as conn:
            row = conn.execute(
                self._d.sql(f"SELECT data{self._d.json_cast} FROM experiments WHERE id = ?"), (experiment_id,)
            ).fetchone()
        if row is None:
            raise NotFound(f"no experiment {experiment_id!r}")
        return experiment_from_dict(json.loads(row[0]))

    def list_experiments(
        self, *, status: str | None = None, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Experiment]:
        clauses, params = [], []
        for column, value in (("status", status), ("kind", kind)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = (
            f"SELECT data{self._d.json_cast} FROM experiments{where} "
            "ORDER BY created_at DESC, id LIMIT ? OFFSET ?"
        )
        with self._d.connection() as conn:
            rows = conn.execute(self._d.sql(sql), (*params, limit, offset)).fetchall()
        return [experiment_from_dict(json.loads(r[0])) for r in rows]

    def update_experiment(
        self, experiment: Experiment, decision: Decision, *, expect_status: str
    ) -> Experiment:
        with self._d.writing() as conn:
            current = self._status(conn, experiment.id)
            if current != expect_status:
                raise Conflict(
                    f"experiment {experiment.id!r} is {current}, not {expect_status}: "
                    "it was changed meanwhile"
                )
            conn.execute(
                self._d.sql("UPDATE experiments SET status = ?, data = ? WHERE id = ?"),
                (experiment.status, json.dumps(experiment.to_dict()), experiment.id),
            )
            self._insert_decision(conn, decision)
        return experiment

    # -- counts and events -----------------------------------------------------------------------------------
    def add_counts(
        self, experiment_id: str, counts: Sequence[BucketCounts], raw: Sequence[RawEvent] = ()
    ) -> None:
        rows: dict[tuple[Any, str, str], int] = defaultdict(int)
        for c in counts:
            bucket = self._d.time(c.bucket)
            for metric, n in ((TRIALS, c.trials), (SUCCESSES, c.successes), *c.guardrails.items()):
                if n:
                    rows[(bucket, c.variant, metric)] += int(n)
        with self._d.writing() as conn:
            status = self._status(conn, experiment_id)
            if status != "running":
                raise Conflict(
                    f"experiment {experiment_id!r} is {status}: it takes events only while running"
                )
            upsert = self._d.sql(
                "INSERT INTO experiment_counts (experiment_id, bucket, variant, metric, n) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (experiment_id, bucket, variant, metric) "
                "DO UPDATE SET n = experiment_counts.n + excluded.n"
            )
            for (bucket, variant, metric), n in sorted(
                rows.items(), key=lambda kv: (str(kv[0][0]), *kv[0][1:])
            ):
                conn.execute(upsert, (experiment_id, bucket, variant, metric, n))
            if raw:
                insert = self._d.sql(
                    "INSERT INTO experiment_events (experiment_id, variant, unit, event, at) "
                    "VALUES (?, ?, ?, ?, ?)"
                )
                for e in raw:
                    conn.execute(insert, (experiment_id, e.variant, e.unit, e.event, self._d.time(e.at)))

    def counts(self, experiment_id: str) -> list[BucketCounts]:
        with self._d.connection() as conn:
            rows = conn.execute(
                self._d.sql(
                    "SELECT bucket, variant, metric, n FROM experiment_counts WHERE experiment_id = ? "
                    "ORDER BY bucket, variant, metric"
                ),
                (experiment_id,),
            ).fetchall()
        grouped: dict[tuple[datetime, str], dict[str, int]] = {}
        for bucket, variant, metric, n in rows:
            grouped.setdefault((read_time(bucket), str(variant)), {})[str(metric)] = int(n)
        return [
            BucketCounts(
                experiment_id,
                variant,
                bucket,
                trials=m.pop(TRIALS, 0),
                successes=m.pop(SUCCESSES, 0),
                guardrails=m,
            )
            for (bucket, variant), m in grouped.items()
        ]

    def raw_events(self, experiment_id: str, *, limit: int = 1000) -> list[RawEvent]:
        with self._d.connection() as conn:
            rows = conn.execute(
                self._d.sql(
                    "SELECT variant, unit, event, at FROM experiment_events WHERE experiment_id = ? "
                    "ORDER BY id DESC LIMIT ?"
                ),
                (experiment_id, limit),
            ).fetchall()
        return [RawEvent(experiment_id, r[0], r[1], r[2], read_time(r[3])) for r in reversed(rows)]

    def decisions(self, experiment_id: str) -> list[Decision]:
        with self._d.connection() as conn:
            rows = conn.execute(
                self._d.sql(
                    f"SELECT action, actor, at, variant, reason, details{self._d.json_cast} "
                    "FROM experiment_decisions WHERE experiment_id = ? ORDER BY id"
                ),
                (experiment_id,),
            ).fetchall()
        return [
            Decision(experiment_id, r[0], r[1], read_time(r[2]), r[3], r[4], json.loads(r[5])) for r in rows
        ]
