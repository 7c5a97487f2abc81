"""PostgreSQL schema migrations, applied in order under an advisory lock; ``newsdesk_schema`` records the
last one applied.

The columns and their order are SQLite's (:mod:`newsdesk.store.migrations`), with PostgreSQL's types:
``timestamptz`` date-times, ``json`` documents (``json`` keeps the text as written, key order included, so an
article reads back exactly as on SQLite), a pgvector ``vector`` per (article, model), and a generated
``tsvector`` for full text (headline weight A, body weight B) with a GIN index. Ids sort byte-wise
(``COLLATE "C"``), as on SQLite, whatever the database's locale.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "MIGRATION_LOCK", "WRITE_LOCK"]

#: advisory-lock keys: migrations, and article writes (upserts and deletes run one at a time, as on SQLite)
MIGRATION_LOCK = 7_314_001
WRITE_LOCK = 7_314_002

MIGRATIONS: list[str] = [
    # 1: the archive, its full-text and vector columns, API keys, feedback, the change counter.
    """
    CREATE EXTENSION IF NOT EXISTS vector;

    CREATE TABLE articles (
        seq BIGSERIAL NOT NULL UNIQUE,
        id TEXT COLLATE "C" PRIMARY KEY,
        source TEXT NOT NULL,
        source_id TEXT,
        headline TEXT NOT NULL,
        body TEXT NOT NULL,
        url TEXT,
        byline TEXT,
        published_at TIMESTAMPTZ,
        section TEXT,
        language TEXT,
        keywords JSON NOT NULL DEFAULT '[]',
        subjects JSON NOT NULL DEFAULT '[]',
        extra JSON NOT NULL DEFAULT '{}',
        content_hash TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        revision INTEGER NOT NULL DEFAULT 1,
        ingested_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        tsv TSVECTOR GENERATED ALWAYS AS (
            setweight(to_tsvector('english', headline), 'A') || setweight(to_tsvector('english', body), 'B')
        ) STORED
    );
    CREATE INDEX articles_fingerprint ON articles (fingerprint);
    CREATE INDEX articles_published ON articles (published_at);
    CREATE INDEX articles_section ON articles (section);
    CREATE INDEX articles_source ON articles (source);
    CREATE INDEX articles_tsv ON articles USING gin (tsv);

    CREATE TABLE article_revisions (
        article_id TEXT COLLATE "C" NOT NULL,
        revision INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        data TEXT NOT NULL,
        replaced_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (article_id, revision)
    );

    CREATE TABLE enrichments (
        article_id TEXT COLLATE "C" NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        component TEXT NOT NULL,
        version TEXT NOT NULL,
        value JSON NOT NULL,
        confidence DOUBLE PRECISION,
        created_at TIMESTAMPTZ NOT NULL,
        input_hash TEXT,
        PRIMARY KEY (article_id, component)
    );
    CREATE INDEX enrichments_component ON enrichments (component, version);

    CREATE TABLE vectors (
        article_id TEXT COLLATE "C" NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        dim INTEGER NOT NULL,
        embedding VECTOR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (model, article_id)
    );

    CREATE TABLE api_keys (
        seq BIGSERIAL NOT NULL UNIQUE,
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
        key_hash TEXT NOT NULL UNIQUE,
        created_at TIMESTAMPTZ NOT NULL,
        revoked_at TIMESTAMPTZ,
        last_used_at TIMESTAMPTZ
    );

    CREATE TABLE feedback (
        id BIGSERIAL PRIMARY KEY,
        article_id TEXT COLLATE "C" NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('section', 'tag', 'entity')),
        action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'correct')),
        value TEXT NOT NULL,
        correction TEXT,
        model TEXT,
        actor TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX feedback_article ON feedback (article_id, kind, id);
    CREATE INDEX feedback_created ON feedback (created_at);

    CREATE TABLE content_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
    INSERT INTO content_epoch (id, n) VALUES (1, 0);
    """,
    # 2: the prediction log (newsdesk.store.pg_predictions); no reference to articles: a logged output
    # outlives its article, as in SQLite's separate log file.
    """
    CREATE TABLE predictions (
        id BIGSERIAL PRIMARY KEY,
        at TIMESTAMPTZ NOT NULL,
        source TEXT COLLATE "C" NOT NULL,
        model TEXT COLLATE "C" NOT NULL,
        version TEXT COLLATE "C" NOT NULL,
        article_id TEXT COLLATE "C",
        input_sha256 TEXT NOT NULL,
        input_chars INTEGER NOT NULL,
        input_words INTEGER NOT NULL,
        language TEXT,
        output JSON NOT NULL,
        confidence DOUBLE PRECISION,
        latency_ms DOUBLE PRECISION
    );
    CREATE INDEX predictions_model_at ON predictions (model, at);
    CREATE INDEX predictions_at ON predictions (at);
    """,
    # 3: feedback of any kind: plug-in model kinds add feedback kinds (newsdesk.monitor.feedback validates
    # against feedback_kinds()), so the table no longer CHECKs them.
    """
    ALTER TABLE feedback DROP CONSTRAINT IF EXISTS feedback_kind_check;
    """,
    # 4: experiments as data (newsdesk.experiments.store), as SQLite's migration 7.
    """
    CREATE TABLE experiments (
        id TEXT COLLATE "C" PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        owner TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        data JSON NOT NULL
    );
    CREATE INDEX experiments_created ON experiments (created_at);
    CREATE TABLE experiment_counts (
        experiment_id TEXT COLLATE "C" NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        variant TEXT COLLATE "C" NOT NULL,
        bucket TIMESTAMPTZ NOT NULL,
        metric TEXT COLLATE "C" NOT NULL,
        n BIGINT NOT NULL CHECK (n >= 0),
        PRIMARY KEY (experiment_id, bucket, variant, metric)
    );
    CREATE TABLE experiment_events (
        id BIGSERIAL PRIMARY KEY,
        experiment_id TEXT COLLATE "C" NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        variant TEXT NOT NULL,
        unit TEXT NOT NULL,
        event TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX experiment_events_experiment ON experiment_events (experiment_id, id);
    CREATE TABLE experiment_decisions (
        id BIGSERIAL PRIMARY KEY,
        experiment_id TEXT COLLATE "C" NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        variant TEXT,
        reason TEXT,
        details JSON NOT NULL DEFAULT '{}'
    );
    CREATE INDEX experiment_decisions_experiment ON experiment_decisions (experiment_id, id);
    """,
    # 5: stories as data (newsdesk.stories.store), as SQLite's migration 8.
    """
    CREATE TABLE stories (
        id TEXT COLLATE "C" PRIMARY KEY,
        section TEXT,
        first_seen TIMESTAMPTZ NOT NULL,
        last_seen TIMESTAMPTZ NOT NULL,
        size INTEGER NOT NULL,
        version TEXT NOT NULL,
        data JSON NOT NULL
    );
    CREATE INDEX stories_last_seen ON stories (last_seen);
    CREATE INDEX stories_section ON stories (section, last_seen);
    CREATE TABLE story_events (
        id BIGSERIAL PRIMARY KEY,
        story_id TEXT COLLATE "C" NOT NULL,
        action TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        data JSON NOT NULL
    );
    CREATE INDEX story_events_story ON story_events (story_id, id);
    CREATE TABLE story_state (
        name TEXT COLLATE "C" PRIMARY KEY,
        version TEXT NOT NULL,
        data BYTEA NOT NULL
    );
    """,
    # 6: reader events and the slate log (newsdesk.recommend.store), as SQLite's migration 9.
    """
    CREATE TABLE reader_events (
        id BIGSERIAL PRIMARY KEY,
        reader TEXT COLLATE "C" NOT NULL,
        article_id TEXT COLLATE "C" NOT NULL,
        kind TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        dwell_s DOUBLE PRECISION,
        impression TEXT,
        source TEXT NOT NULL
    );
    CREATE INDEX reader_events_reader ON reader_events (reader, at);
    CREATE INDEX reader_events_article ON reader_events (article_id, at);
    CREATE INDEX reader_events_at ON reader_events (at);
    CREATE TABLE reader_slates (
        id BIGSERIAL PRIMARY KEY,
        reader TEXT COLLATE "C" NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        product TEXT NOT NULL,
        kind TEXT NOT NULL,
        version TEXT NOT NULL,
        input JSON NOT NULL DEFAULT '{}',
        articles JSON NOT NULL DEFAULT '[]',
        slate_id TEXT COLLATE "C" NOT NULL DEFAULT ''
    );
    CREATE INDEX reader_slates_reader ON reader_slates (reader, at);
    CREATE INDEX reader_slates_at ON reader_slates (at);
    """,
]
