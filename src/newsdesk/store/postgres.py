"""The team store: PostgreSQL with pgvector, through psycopg 3 and a connection pool.

Same contract as the SQLite store, with these engine choices:

- **transactions**: :meth:`PostgresStore.transaction` holds one pooled connection for the thread's
  transaction; calls outside one run on any pooled connection in autocommit. Article writes (upserts,
  deletes) take a transaction-scoped advisory lock, so concurrent ingests see each other's rows as SQLite's
  single writer does: a re-run never stores an article twice, and a killed one leaves nothing half-written.
  Enrichment writes lock the articles they touch against deletion (``FOR KEY SHARE``) instead.
- **full text**: a generated ``tsvector`` (English stemming; headline weight A, body weight B) with a GIN
  index; :meth:`search_text` ranks the matches with ``ts_rank`` (term frequency with the length
  normalisation ``1 + log(length)``, headline counted double). Measured on summary-as-query retrieval
  (``benchmarks/pg_text_ranking.py``), MRR@10 on XSum 0.821 against ``ts_rank_cd``'s 0.575 (FTS5's BM25:
  0.907), on BBC extracts 0.997 against 0.952.
- **vectors**: pgvector ``vector`` columns; a per-model HNSW index (cosine) is created on the model's
  first write, and :meth:`nearest` answers a query vector from it with the filters in SQL.
- **change token**: the committed counter of article and vector writes, as on SQLite. It and API key
  look-ups are kept in memory for ``cache_ttl_ms``, so a request on the event loop rarely waits on the
  network; a write through this object clears both at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from newsdesk.articles.model import Article, Enrichment, utc_iso
from newsdesk.auth import ApiKey, key_from_row
from newsdesk.errors import MissingDependency, NotFound, StoreError
from newsdesk.monitor.feedback import Feedback, parse_feedback_rows
from newsdesk.store import redacted
from newsdesk.store.base import (
    ArticleBrief,
    ArticleFilter,
    EncodedArticle,
    EnrichmentWrite,
    Revision,
    UpsertOutcome,
)
from newsdesk.store.pg_schema import MIGRATION_LOCK, MIGRATIONS, WRITE_LOCK
from newsdesk.store.rows import (
    ARTICLE_COLUMNS,
    BRIEF_COLUMNS,
    KEY_COLUMNS,
    article,
    brief,
    encode,
    enrichment,
    enrichment_row,
    feedback_query,
    feedback_row,
    key_row,
    plan_upsert,
    runs_without_repeats,
    vector_array,
)
from newsdesk.store.rows import where as where_clause

__all__ = ["PostgresStore", "mlflow_tracking"]

_T = TypeVar("_T")

_SELECT = f"SELECT {', '.join(ARTICLE_COLUMNS)} FROM articles"
_SELECT_BRIEF = f"SELECT {', '.join(BRIEF_COLUMNS)} FROM articles"
_SELECT_KEY = f"SELECT {', '.join(KEY_COLUMNS)} FROM api_keys"
_BUMP = "UPDATE content_epoch SET n = n + 1"
_COPY = f"COPY articles ({', '.join(ARTICLE_COLUMNS)}) FROM STDIN"
_UPDATE = (
    "UPDATE articles SET "
    + ", ".join(f"{c} = %s" for c in ARTICLE_COLUMNS if c not in ("id", "ingested_at"))
    + " WHERE id = %s"
)
_PUT_ENRICHMENT = (
    "INSERT INTO enrichments (article_id, component, version, value, confidence, created_at, input_hash) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (article_id, component) DO UPDATE SET "
    "version = excluded.version, value = excluded.value, confidence = excluded.confidence, "
    "created_at = excluded.created_at, input_hash = excluded.input_hash"
)
_PUT_VECTOR = (
    "INSERT INTO vectors (article_id, model, dim, embedding, created_at) VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (model, article_id) DO UPDATE SET dim = excluded.dim, embedding = excluded.embedding, "
    "created_at = excluded.created_at"
)
#: ts_rank's weights for {D, C, B, A}: body (B) 0.5, headline (A) 1.0 -- the headline counts double
_WEIGHTS = "'{0.1, 0.2, 0.5, 1.0}'"


class PostgresStore:
    """:class:`~newsdesk.store.Backend` on a PostgreSQL database with the pgvector extension."""

    expected_schema_version = len(MIGRATIONS)
    #: the full-text ranking of :meth:`search_text`: ``ts_rank`` (measured better than ``ts_rank_cd`` on
    #: summary-as-query retrieval: ``benchmarks/pg_text_ranking.py``)
    text_ranking: Literal["ts_rank", "ts_rank_cd"] = "ts_rank"

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 8,
        cache_ttl_ms: int = 250,
        busy_timeout_ms: int = 30_000,
        bulk_index_rows: int = 5_000,
        bulk_index_memory: str = "1GB",
    ) -> None:
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise MissingDependency("psycopg", "postgres", "the PostgreSQL store") from exc
        self.url = url
        self._psycopg = psycopg
        self._ttl = cache_ttl_ms / 1000
        self._local = threading.local()
        self._token: tuple[float, str] | None = None
        self._keys: dict[str, tuple[float, tuple[ApiKey, str] | None]] = {}
        self._indexed: set[str] = set()
        self._bulk: set[str] = set()  # models being bulk-written: their index is built at the end
        self.bulk_index_rows = bulk_index_rows
        self.bulk_index_memory = bulk_index_memory
        self._options = f"-c timezone=UTC -c lock_timeout={int(busy_timeout_ms)}"
        self._migrate()
        self._pool = ConnectionPool(
            conninfo=url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "options": self._options},
            configure=_register_vector,
            open=False,
            name="newsdesk",
        )
        try:
            self._pool.open(wait=True, timeout=max(5.0, busy_timeout_ms / 1000))
        except Exception as exc:
            raise StoreError(f"cannot open a connection pool to {redacted(url)}: {exc}") from exc

    # -- schema -------------------------------------------------------------------------------------------
    def _migrate(self) -> None:
        psycopg = self._psycopg
        try:
            conn = psycopg.connect(self.url, autocommit=True, options=self._options)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to the database {redacted(self.url)}: {exc}") from exc
        with conn:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                conn.execute("CREATE TABLE IF NOT EXISTS newsdesk_schema (version INTEGER NOT NULL)")
                row = conn.execute("SELECT max(version) FROM newsdesk_schema").fetchone()
                current = int(row[0]) if row and row[0] is not None else 0
                if current > len(MIGRATIONS):
                    raise StoreError(
                        f"{redacted(self.url)} has schema version {current}, newer than this newsdesk "
                        f"({len(MIGRATIONS)}); upgrade newsdesk"
                    )
                for version in range(current + 1, len(MIGRATIONS) + 1):
                    conn.execute(MIGRATIONS[version - 1])
                    conn.execute("INSERT INTO newsdesk_schema (version) VALUES (%s)", (version,))
            self._indexed = {
                r[0]
                for r in conn.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'vectors' "
                    "AND indexname LIKE 'vectors_hnsw_%'"
                )
            }

    @property
    def schema_version(self) -> int:
        with self._conn() as conn:
            row = conn.execute("SELECT max(version) FROM newsdesk_schema").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    # -- connections and transactions ------------------------------------------------------------------
    @contextmanager
    def _conn(self) -> Iterator[Any]:
        """The thread's transaction connection, else a pooled one in autocommit."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        with self._pool.connection() as pooled:
            yield pooled

    @property
    def _depth(self) -> int:
        """How deep this thread is in nested :meth:`transaction` blocks (0: in none)."""
        return int(getattr(self._local, "depth", 0))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if getattr(self._local, "conn", None) is not None:
            self._local.depth += 1
            try:
                yield  # nested: joins the outer transaction
            finally:
                self._local.depth -= 1
            return
        try:
            with self._pool.connection() as conn:
                self._local.conn = conn
                self._local.depth = 1
                try:
                    with conn.transaction():
                        yield
                finally:
                    self._local.conn = None
                    self._local.depth = 0
        finally:
            self._forget()

    def _forget(self) -> None:
        """Drop the cached change token and keys: this process just wrote."""
        self._token = None
        self._keys.clear()

    # -- writes -------------------------------------------------------------------------------------------
    @staticmethod
    def encode(art: Article) -> EncodedArticle:
        """The article as this backend writes it; pure, so it can run in another process."""
        return encode(art)

    def upsert(self, articles: Sequence[Article], *, dedupe: bool = True) -> list[UpsertOutcome]:
        return self.upsert_encoded([encode(a) for a in articles], dedupe=dedupe)

    def upsert_encoded(
        self, articles: Sequence[EncodedArticle], *, dedupe: bool = True
    ) -> list[UpsertOutcome]:
        if not articles:
            return []
        if len({a.id for a in articles}) < len(articles):
            outcomes_all: list[UpsertOutcome] = []
            with self.transaction():
                for run in runs_without_repeats(articles):
                    outcomes_all.extend(self.upsert_encoded(run, dedupe=dedupe))
            return outcomes_all
        now = datetime.now(UTC).isoformat()
        with self.transaction(), self._conn() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            existing = {
                r[0]: (r[1], r[2])
                for r in conn.execute(
                    "SELECT id, content_hash, revision FROM articles WHERE id = ANY(%s)",
                    ([a.id for a in articles],),
                )
            }
            owners: dict[str, str] = {}
            if dedupe:
                fresh = list({a.fingerprint for a in articles if a.id not in existing})
                owners = {
                    r[0]: r[1]
                    for r in conn.execute(
                        'SELECT fingerprint, min(id COLLATE "C") FROM articles WHERE fingerprint = ANY(%s) '
                        "GROUP BY fingerprint",
                        (fresh,),
                    )
                }
            plan = plan_upsert(articles, existing, owners, dedupe=dedupe, now=now)
            for article_id in plan.revised:  # the current version is kept before it is replaced
                self._save_revision(conn, article_id, now)
            inserts, updates = plan.inserts, plan.updates
            if inserts:
                with conn.cursor() as cur, cur.copy(_COPY) as copy:
                    for row in inserts:
                        copy.write_row(row)
            if updates:
                with conn.cursor() as cur:
                    cur.executemany(_UPDATE, updates)
            if inserts or updates:
                conn.execute(_BUMP)
        return plan.outcomes

    def _save_revision(self, conn: Any, article_id: str, now: str) -> None:
        old = self.get(article_id, with_enrichments=False)
        conn.execute(
            "INSERT INTO article_revisions (article_id, revision, content_hash, data, replaced_at) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (article_id, revision) DO UPDATE SET "
            "content_hash = excluded.content_hash, data = excluded.data, replaced_at = excluded.replaced_at",
            (old.id, old.revision, old.content_hash, old.model_dump_json(), now),
        )

    def delete(self, article_id: str) -> None:
        with self.transaction(), self._conn() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            cur = conn.execute("DELETE FROM articles WHERE id = %s", (article_id,))
            if cur.rowcount == 0:
                raise NotFound(f"no article with id '{article_id}'")
            conn.execute("DELETE FROM article_revisions WHERE article_id = %s", (article_id,))
            conn.execute(_BUMP)

    def put_enrichments(self, article_id: str, enrichments: Sequence[Enrichment]) -> None:
        with self.transaction(), self._conn() as conn:
            if not conn.execute(
                "SELECT 1 FROM articles WHERE id = %s FOR KEY SHARE", (article_id,)
            ).fetchone():
                raise NotFound(f"no article with id '{article_id}'")
            with conn.cursor() as cur:
                cur.executemany(_PUT_ENRICHMENT, [enrichment_row(article_id, e) for e in enrichments])

    def write_enrichments(self, writes: Sequence[EnrichmentWrite]) -> int:
        if not writes:
            return 0
        now = datetime.now(UTC).isoformat()
        models: dict[str, int] = {}
        with self.transaction(), self._conn() as conn:
            present = {
                r[0]
                for r in conn.execute(
                    "SELECT id FROM articles WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE",
                    (sorted({w.article_id for w in writes}),),
                )
            }
            rows = [
                enrichment_row(w.article_id, e)
                for w in writes
                if w.article_id in present
                for e in w.enrichments
            ]
            vectors = []
            for w in writes:
                if w.article_id not in present:
                    continue
                for model, vec in (w.vectors or {}).items():
                    array = vector_array(vec)
                    vectors.append((w.article_id, model, int(array.shape[0]), array, now))
                    models[model] = int(array.shape[0])
            with conn.cursor() as cur:
                if rows:
                    cur.executemany(_PUT_ENRICHMENT, rows)
                if vectors:
                    cur.executemany(_PUT_VECTOR, vectors)
            if vectors:
                conn.execute(_BUMP)
        for model, dim in models.items():
            self._ensure_vector_index(model, dim)
        return len(present)

    @contextmanager
    def bulk_vectors(self, model: str, rows: int) -> Iterator[None]:
        """Write ``rows`` vectors of ``model`` with the HNSW index built once at the end instead of updated
        per row, when ``rows`` reaches ``store.bulk_index_rows``: a bulk build is several times faster than
        as many inserts (benchmarks/store_writes.py). Meanwhile ``nearest`` scans exactly (slower, still
        right). The index is rebuilt even when the writes fail half-way."""
        if rows < self.bulk_index_rows:
            yield
            return
        dropped = self._drop_vector_indexes(model)
        self._bulk.add(model)
        try:
            yield
        finally:
            self._bulk.discard(model)
            dims = {dim for _, dim in dropped}
            with self._conn() as conn:
                dims |= {
                    int(r[0])
                    for r in conn.execute("SELECT DISTINCT dim FROM vectors WHERE model = %s", (model,))
                }
            for dim in sorted(dims):
                self._ensure_vector_index(model, dim, bulk=True)

    def _drop_vector_indexes(self, model: str) -> list[tuple[str, int]]:
        from psycopg import sql

        with self._conn() as conn:
            dims = [
                int(r[0]) for r in conn.execute("SELECT DISTINCT dim FROM vectors WHERE model = %s", (model,))
            ]
            dropped = []
            for dim in dims:
                name = _index_name(model, dim)
                conn.execute(sql.SQL("DROP INDEX IF EXISTS {name}").format(name=sql.Identifier(name)))
                self._indexed.discard(name)
                dropped.append((name, dim))
        return dropped

    def _ensure_vector_index(self, model: str, dim: int, *, bulk: bool = False) -> None:
        """An HNSW index (cosine) over ``model``'s vectors, made on its first write (not during a
        :meth:`bulk_vectors` write of the model: at its end)."""
        from psycopg import sql

        name = _index_name(model, dim)
        if name in self._indexed or model in self._bulk:
            return
        statement = sql.SQL(
            "CREATE INDEX IF NOT EXISTS {name} ON vectors USING hnsw ((embedding::vector({dim})) "
            "vector_cosine_ops) WHERE model = {model} AND dim = {dim}"
        ).format(name=sql.Identifier(name), dim=sql.Literal(dim), model=sql.Literal(model))
        try:
            with self._conn() as conn:
                if bulk:  # memory for an in-memory graph build, and the cores for it
                    conn.execute(
                        sql.SQL("SET maintenance_work_mem = {}").format(sql.Literal(self.bulk_index_memory))
                    )
                    conn.execute("SET max_parallel_maintenance_workers = 4")
                conn.execute(statement)
                if bulk:
                    conn.execute("RESET maintenance_work_mem")
                    conn.execute("RESET max_parallel_maintenance_workers")
        except self._psycopg.errors.UniqueViolation:
            pass  # another process made it at the same moment
        self._indexed.add(name)

    # -- enrichments --------------------------------------------------------------------------------------
    def stale(
        self, component: str, version: str, *, since: datetime | None = None, limit: int | None = None
    ) -> list[str]:
        sql = (
            "SELECT a.id FROM articles a LEFT JOIN enrichments e ON e.article_id = a.id AND e.component = %s "
            "WHERE (e.article_id IS NULL OR e.version <> %s OR e.input_hash IS DISTINCT FROM a.content_hash)"
        )
        params: list[Any] = [component, version]
        if since is not None:
            sql += " AND a.published_at >= %s"
            params.append(utc_iso(since))
        sql += " ORDER BY a.id"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        with self._conn() as conn:
            return [r[0] for r in conn.execute(sql, params)]

    def enrichments_of(self, component: str, ids: Sequence[str]) -> dict[str, Any]:
        if not ids:
            return {}
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT article_id, value FROM enrichments WHERE component = %s AND article_id = ANY(%s)",
                (component, list(dict.fromkeys(ids))),
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def enrichment_values(self, component: str) -> Iterator[tuple[str, Any]]:
        last = ""
        while True:
            with self._conn() as conn:
                rows = conn.execute(
                    "SELECT article_id, value FROM enrichments WHERE component = %s AND article_id > %s "
                    "ORDER BY article_id LIMIT 1000",
                    (component, last),
                ).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]

    def tagged(self, component: str, key: str) -> set[str]:
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT article_id FROM enrichments WHERE component = %s AND "
                "jsonb_path_exists(value::jsonb, 'strict $.** ? (@ == $k)', "
                "jsonb_build_object('k', %s::text))",
                (component, key),
            ).fetchall()
        return {r[0] for r in rows}

    def enrichment_records(self, ids: Sequence[str]) -> list[tuple[str, Enrichment]]:
        if not ids:
            return []
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT article_id, component, version, value::text, confidence, created_at, input_hash "
                "FROM enrichments WHERE article_id = ANY(%s) ORDER BY article_id, component",
                (list(dict.fromkeys(ids)),),
            ).fetchall()
        return [(r[0], enrichment(r[1:])) for r in rows]

    # -- vectors ------------------------------------------------------------------------------------------
    def get_vectors(self, model: str, ids: Sequence[str] | None = None) -> tuple[list[str], Any]:
        import numpy as np

        with self._conn() as conn:
            if ids is None:
                rows = conn.execute(
                    "SELECT article_id, embedding FROM vectors WHERE model = %s ORDER BY article_id",
                    (model,),
                    binary=True,
                ).fetchall()
            else:
                rows = conn.execute(
                    "SELECT article_id, embedding FROM vectors WHERE model = %s AND article_id = ANY(%s)",
                    (model, list(ids)),
                    binary=True,
                ).fetchall()
                order = {article_id: i for i, article_id in enumerate(ids)}
                rows.sort(key=lambda r: order[r[0]])
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        return [r[0] for r in rows], np.stack([_array(r[1]) for r in rows])

    def vector_models(self) -> list[str]:
        with self._conn() as conn:
            return [r[0] for r in conn.execute("SELECT DISTINCT model FROM vectors ORDER BY model")]

    def vector_stamps(self, model: str) -> dict[str, str]:
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT article_id, created_at FROM vectors WHERE model = %s", (model,)
            ).fetchall()
        return {r[0]: r[1].isoformat() for r in rows}

    def nearest(
        self,
        model: str,
        vector: Any,
        *,
        limit: int = 10,
        filt: ArticleFilter | None = None,
        ef_search: int = 200,
    ) -> list[tuple[str, float]]:
        """The ``limit`` articles whose ``model`` vector is closest to ``vector`` (cosine similarity, best
        first), answered by the model's HNSW index in the database, optionally among ``filt``'s articles.

        The index's search breadth (``hnsw.ef_search``) is set to ``max(limit, ef_search)`` for the query:
        pgvector's default (40) caps the rows an index scan returns; and a filtered query keeps scanning
        (``hnsw.iterative_scan``) until it has ``limit`` matches."""

        query = vector_array(vector)
        dim = int(query.shape[0])
        where, params = where_clause(filt, prefix="a.", mark="%s")
        join = (
            f" JOIN articles a ON a.id = v.article_id{where.replace(' WHERE ', ' AND ', 1)}" if where else ""
        )
        sql = (
            f"SELECT v.article_id, 1 - (v.embedding::vector({dim}) <=> %s::vector({dim})) AS score "
            "FROM vectors v"
            f"{join} WHERE v.model = %s AND v.dim = %s "
            f"ORDER BY v.embedding::vector({dim}) <=> %s::vector({dim}) LIMIT %s"
        )
        with self._conn() as conn, conn.transaction():
            conn.execute(f"SET LOCAL hnsw.ef_search = {max(int(limit), int(ef_search))}")
            conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            rows = conn.execute(sql, [query, *params, model, dim, query, limit]).fetchall()
        # relaxed order: matches found by a continued scan may come slightly out of order
        return sorted(((r[0], float(r[1])) for r in rows), key=lambda hit: -hit[1])

    # -- reads --------------------------------------------------------------------------------------------
    def get(self, article_id: str, *, with_enrichments: bool = True) -> Article:
        with self._conn() as conn:
            row = conn.execute(f"{_SELECT} WHERE id = %s", (article_id,)).fetchone()
            if row is None:
                raise NotFound(f"no article with id '{article_id}'")
            found = article(row)
            if with_enrichments:
                rows = conn.execute(
                    # value as JSON text: psycopg would decode a JSON string value to a str, which
                    # rows.enrichment would then decode again ('"12"' came back as 12)
                    "SELECT component, version, value::text, confidence, created_at, input_hash "
                    "FROM enrichments WHERE article_id = %s ORDER BY component",
                    (article_id,),
                ).fetchall()
                found.enrichments = {r[0]: enrichment(r) for r in rows}
        return found

    def get_many(self, ids: Sequence[str]) -> list[Article]:
        return self._by_id(_SELECT, ids, article)

    def briefs(self, ids: Sequence[str]) -> list[ArticleBrief]:
        return self._by_id(_SELECT_BRIEF, ids, brief)

    def _by_id(self, select: str, ids: Sequence[str], make: Callable[[Sequence[Any]], _T]) -> list[_T]:
        if not ids:
            return []
        with self._conn() as conn:
            rows = conn.execute(f"{select} WHERE id = ANY(%s)", (list(ids),)).fetchall()
        found = {r[0]: make(r) for r in rows}
        return [found[a] for a in ids if a in found]

    def list_articles(
        self, filt: ArticleFilter | None = None, *, limit: int = 20, offset: int = 0
    ) -> list[Article]:
        where, params = where_clause(filt, mark="%s")
        sql = (
            f"{_SELECT}{where} ORDER BY published_at IS NULL, published_at DESC, seq DESC LIMIT %s OFFSET %s"
        )
        with self._conn() as conn:
            rows = conn.execute(sql, [*params, limit, offset]).fetchall()
        return [article(r) for r in rows]

    def count(self, filt: ArticleFilter | None = None) -> int:
        where, params = where_clause(filt, mark="%s")
        with self._conn() as conn:
            row = conn.execute(f"SELECT count(*) FROM articles{where}", params).fetchone()
        return int(row[0]) if row else 0

    def iter_articles(self, filt: ArticleFilter | None = None, *, batch_size: int = 500) -> Iterator[Article]:
        where, params = where_clause(filt, mark="%s")
        joiner = " AND " if where else " WHERE "
        last = ""
        while True:
            with self._conn() as conn:
                rows = conn.execute(
                    f"{_SELECT}{where}{joiner}id > %s ORDER BY id LIMIT %s", [*params, last, batch_size]
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield article(row)
            last = rows[-1][0]

    def revisions(self, article_id: str) -> list[Revision]:
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT article_id, revision, content_hash, replaced_at, data FROM article_revisions "
                "WHERE article_id = %s ORDER BY revision",
                (article_id,),
            ).fetchall()
        return [Revision(r[0], r[1], r[2], r[3], Article.model_validate_json(r[4])) for r in rows]

    def ids(self, filt: ArticleFilter | None = None) -> list[str]:
        where, params = where_clause(filt, mark="%s")
        with self._conn() as conn:
            return [r[0] for r in conn.execute(f"SELECT id FROM articles{where} ORDER BY id", params)]

    def sections(self) -> dict[str, int]:
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT coalesce(section, ''), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC, 1"
            ).fetchall()
        return {r[0]: int(r[1]) for r in rows}

    def peek_change_token(self) -> str | None:
        """The change token if a fresh one is in memory, else ``None``: never waits on the database (what
        a route on the event loop may call; on ``None`` it moves to the thread pool)."""
        cached = self._token
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        return None

    def has_cached_key(self, key_hash: str) -> bool:
        """Whether :meth:`find_api_key` would answer ``key_hash`` from memory, without the database."""
        cached = self._keys.get(key_hash)
        return cached is not None and time.monotonic() - cached[0] < self._ttl

    def change_token(self) -> str:
        cached = self._token
        now = time.monotonic()
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        with self._conn() as conn:
            row = conn.execute("SELECT n FROM content_epoch").fetchone()
        token = str(row[0]) if row else "0"
        if getattr(self._local, "conn", None) is None:
            self._token = (now, token)
        return token

    # -- full text ----------------------------------------------------------------------------------------
    def search_text(
        self, query: str, *, limit: int = 10, filt: ArticleFilter | None = None
    ) -> list[tuple[str, float]]:
        terms = [t for t in "".join(c if c.isalnum() else " " for c in query).split() if t]
        if not terms:
            return []
        where, params = where_clause(filt, prefix="a.", mark="%s")
        extra = where.replace(" WHERE ", " AND ", 1)
        sql = (
            f"SELECT a.id, {self.text_ranking}({_WEIGHTS}, a.tsv, q.q, 1) AS score FROM articles a, "
            "(SELECT to_tsquery('english', %s) AS q) AS q "
            f"WHERE a.tsv @@ q.q{extra} ORDER BY score DESC, a.seq LIMIT %s"
        )
        tsquery = " | ".join(dict.fromkeys(terms))
        with self._conn() as conn:
            rows = conn.execute(sql, [tsquery, *params, limit]).fetchall()
        return [(r[0], float(r[1])) for r in rows]

    def text_stamps(self) -> dict[str, tuple[int, str]]:
        with self._conn() as conn:
            rows = conn.execute("SELECT id, seq, content_hash FROM articles").fetchall()
        return {r[0]: (int(r[1]), r[2]) for r in rows}

    def texts(self, ids: Sequence[str]) -> list[tuple[str, int, str, str]]:
        if not ids:
            return []
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT id, seq, headline, body FROM articles WHERE id = ANY(%s) ORDER BY seq", (list(ids),)
            ).fetchall()
        return [(r[0], int(r[1]), r[2], r[3]) for r in rows]

    # -- editors' feedback ---------------------------------------------------------------------------------
    def add_feedback(self, items: Sequence[Feedback]) -> list[Feedback]:
        from dataclasses import replace

        stored = []
        with self.transaction(), self._conn() as conn:
            for item in items:
                if (
                    conn.execute(
                        "SELECT 1 FROM articles WHERE id = %s FOR KEY SHARE", (item.article_id,)
                    ).fetchone()
                    is None
                ):
                    raise NotFound(f"no article with id '{item.article_id}'")
                row = conn.execute(
                    "INSERT INTO feedback (article_id, kind, action, value, correction, model, actor, "
                    "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    feedback_row(item),
                ).fetchone()
                stored.append(replace(item, id=int(row[0]) if row else 0))
        return stored

    def list_feedback(
        self,
        *,
        article_id: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[Feedback]:
        sql, params = feedback_query(
            mark="%s", article_id=article_id, kind=kind, since=since, until=until, limit=limit
        )
        with self._conn() as conn:
            rows = conn.execute(sql, params).fetchall()
        return parse_feedback_rows(rows)

    # -- API keys -----------------------------------------------------------------------------------------
    def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        with self.transaction(), self._conn() as conn:
            conn.execute(
                "INSERT INTO api_keys (id, name, role, key_hash, created_at, revoked_at, last_used_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                key_row(key, key_hash),
            )

    def find_api_key(self, key_hash: str) -> tuple[ApiKey, str] | None:
        now = time.monotonic()
        cached = self._keys.get(key_hash)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        with self._conn() as conn:
            row = conn.execute(f"{_SELECT_KEY} WHERE key_hash = %s", (key_hash,)).fetchone()
        found = None if row is None else (key_from_row(row), str(row[6]))
        if len(self._keys) > 10_000:
            self._keys.clear()
        self._keys[key_hash] = (now, found)
        return found

    def list_api_keys(self) -> list[ApiKey]:
        with self._conn() as conn:
            rows = conn.execute(f"{_SELECT_KEY} ORDER BY created_at, seq").fetchall()
        return [key_from_row(r) for r in rows]

    def revoke_api_key(self, key_id: str, when: datetime) -> ApiKey:
        with self.transaction(), self._conn() as conn:
            conn.execute(
                "UPDATE api_keys SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL",
                (utc_iso(when), key_id),
            )
            row = conn.execute(f"{_SELECT_KEY} WHERE id = %s", (key_id,)).fetchone()
        if row is None:
            raise NotFound(f"no API key with id '{key_id}'")
        return key_from_row(row)

    def touch_api_key(self, key_id: str, when: datetime) -> None:
        with self.transaction(), self._conn() as conn:
            conn.execute("UPDATE api_keys SET last_used_at = %s WHERE id = %s", (utc_iso(when), key_id))

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def mlflow_tracking(url: str, schema: str = "mlflow") -> str:
    """MLflow's SQLAlchemy URI for ``schema`` in the store's database (created if missing). MLflow keeps its
    own tables and migrations; the schema keeps them apart from newsdesk's."""
    from urllib.parse import quote

    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    except psycopg.Error as exc:
        raise StoreError(f"cannot prepare MLflow's schema in {redacted(url)}: {exc}") from exc
    parts = urlsplit(url)
    options = quote(f"-csearch_path={schema}", safe="")
    query = f"{parts.query}&options={options}" if parts.query else f"options={options}"
    return urlunsplit(parts._replace(scheme="postgresql+psycopg", query=query))


def _register_vector(conn: Any) -> None:
    from pgvector.psycopg import register_vector

    register_vector(conn)


def _array(value: Any) -> Any:
    """A pgvector value (binary: ``Vector``; text: a numpy array) as a float32 array."""
    import numpy as np

    return np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, dtype=np.float32)


def _index_name(model: str, dim: int) -> str:
    return f"vectors_hnsw_{hashlib.sha1(model.encode()).hexdigest()[:12]}_{dim}"
