"""SQLite schema migrations, applied in order; ``PRAGMA user_version`` records the last one applied."""

from __future__ import annotations

from newsdesk.store.sqlite_fts import FTS_TOKENIZE

__all__ = ["MIGRATIONS"]

MIGRATIONS: list[str] = [
    # 1: articles, revisions, enrichments, full-text index kept in sync by triggers.
    f"""
    CREATE TABLE articles (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        source_id TEXT,
        headline TEXT NOT NULL,
        body TEXT NOT NULL,
        url TEXT,
        byline TEXT,
        published_at TEXT,
        section TEXT,
        language TEXT,
        keywords TEXT NOT NULL DEFAULT '[]',
        subjects TEXT NOT NULL DEFAULT '[]',
        extra TEXT NOT NULL DEFAULT '{{}}',
        content_hash TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        revision INTEGER NOT NULL DEFAULT 1,
        ingested_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX articles_fingerprint ON articles (fingerprint);
    CREATE INDEX articles_published ON articles (published_at);
    CREATE INDEX articles_section ON articles (section);
    CREATE INDEX articles_source ON articles (source);

    CREATE TABLE article_revisions (
        article_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        data TEXT NOT NULL,
        replaced_at TEXT NOT NULL,
        PRIMARY KEY (article_id, revision)
    ) WITHOUT ROWID;

    CREATE TABLE enrichments (
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        component TEXT NOT NULL,
        version TEXT NOT NULL,
        value TEXT NOT NULL,
        confidence REAL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (article_id, component)
    ) WITHOUT ROWID;

    CREATE VIRTUAL TABLE articles_fts USING fts5 (
        headline, body, content='articles', content_rowid='rowid',
        tokenize='{FTS_TOKENIZE}'
    );
    CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts (rowid, headline, body) VALUES (new.rowid, new.headline, new.body);
    END;
    CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, headline, body)
        VALUES ('delete', old.rowid, old.headline, old.body);
    END;
    CREATE TRIGGER articles_fts_update AFTER UPDATE OF headline, body ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, headline, body)
        VALUES ('delete', old.rowid, old.headline, old.body);
        INSERT INTO articles_fts (rowid, headline, body) VALUES (new.rowid, new.headline, new.body);
    END;
    """,
    # 2: enrichments remember the article content they were computed from; vectors per model.
    """
    ALTER TABLE enrichments ADD COLUMN input_hash TEXT;
    CREATE INDEX enrichments_component ON enrichments (component, version);
    CREATE TABLE vectors (
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (model, article_id)
    ) WITHOUT ROWID;
    """,
    # 3: API keys of the service; only a SHA-256 hash of each secret is kept.
    """
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
        key_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        last_used_at TEXT
    );
    """,
    # 4: editors' feedback on shown tags, sections and entities (labels for training, live quality).
    """
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('section', 'tag', 'entity')),
        action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'correct')),
        value TEXT NOT NULL,
        correction TEXT,
        model TEXT,
        actor TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX feedback_article ON feedback (article_id, kind, id);
    CREATE INDEX feedback_created ON feedback (created_at);
    """,
    # 5: a counter of committed changes to articles and vectors: the search indexes' change token, so that
    # writes that cannot matter to them (API key use, feedback, enrichments) do not make them re-check.
    """
    CREATE TABLE content_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
    INSERT INTO content_epoch (id, n) VALUES (1, 0);
    """,
    # 6: feedback of any kind: plug-in model kinds add feedback kinds, so the table no longer CHECKs them
    # (newsdesk.monitor.feedback validates against feedback_kinds()). SQLite cannot drop a CHECK: the table
    # is rebuilt, ids kept, and its AUTOINCREMENT counter carried over (ids of deleted rows are not reused).
    """
    CREATE TABLE feedback_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'correct')),
        value TEXT NOT NULL,
        correction TEXT,
        model TEXT,
        actor TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    INSERT INTO feedback_new (id, article_id, kind, action, value, correction, model, actor, created_at)
    SELECT id, article_id, kind, action, value, correction, model, actor, created_at FROM feedback;
    DELETE FROM sqlite_sequence WHERE name = 'feedback_new';
    INSERT INTO sqlite_sequence (name, seq)
    SELECT 'feedback_new', seq FROM sqlite_sequence WHERE name = 'feedback';
    DROP TABLE feedback;
    ALTER TABLE feedback_new RENAME TO feedback;
    CREATE INDEX feedback_article ON feedback (article_id, kind, id);
    CREATE INDEX feedback_created ON feedback (created_at);
    """,
    # 7: experiments as data (newsdesk.experiments.store): the experiment (its definition as JSON beside the
    # columns it is listed by), additive hourly counts per variant and metric, optional raw events, decisions.
    """
    CREATE TABLE experiments (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        owner TEXT NOT NULL,
        created_at TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX experiments_created ON experiments (created_at);
    CREATE TABLE experiment_counts (
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        variant TEXT NOT NULL,
        bucket TEXT NOT NULL,
        metric TEXT NOT NULL,
        n INTEGER NOT NULL CHECK (n >= 0),
        PRIMARY KEY (experiment_id, bucket, variant, metric)
    ) WITHOUT ROWID;
    CREATE TABLE experiment_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        variant TEXT NOT NULL,
        unit TEXT NOT NULL,
        event TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX experiment_events_experiment ON experiment_events (experiment_id, id);
    CREATE TABLE experiment_decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        at TEXT NOT NULL,
        variant TEXT,
        reason TEXT,
        details TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX experiment_decisions_experiment ON experiment_decisions (experiment_id, id);
    """,
    # 8: stories as data (newsdesk.stories.store): the story (its record as JSON beside the columns it is
    # listed by), the change log of merges and splits, and the incremental clusterer's saved state.
    """
    CREATE TABLE stories (
        id TEXT PRIMARY KEY,
        section TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        size INTEGER NOT NULL,
        version TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX stories_last_seen ON stories (last_seen);
    CREATE INDEX stories_section ON stories (section, last_seen);
    CREATE TABLE story_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        story_id TEXT NOT NULL,
        action TEXT NOT NULL,
        at TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX story_events_story ON story_events (story_id, id);
    CREATE TABLE story_state (
        name TEXT PRIMARY KEY,
        version TEXT NOT NULL,
        data BLOB NOT NULL
    );
    """,
    # 9: reader events (newsdesk.recommend.store), reader ids hashed, and the log of every served slate.
    """
    CREATE TABLE reader_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        reader TEXT NOT NULL,
        article_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        at TEXT NOT NULL,
        dwell_s REAL,
        impression TEXT,
        source TEXT NOT NULL
    );
    CREATE INDEX reader_events_reader ON reader_events (reader, at);
    CREATE INDEX reader_events_article ON reader_events (article_id, at);
    CREATE INDEX reader_events_at ON reader_events (at);
    CREATE TABLE reader_slates (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        reader TEXT NOT NULL,
        at TEXT NOT NULL,
        product TEXT NOT NULL,
        kind TEXT NOT NULL,
        version TEXT NOT NULL,
        input TEXT NOT NULL DEFAULT '{}',
        articles TEXT NOT NULL DEFAULT '[]',
        slate_id TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX reader_slates_reader ON reader_slates (reader, at);
    CREATE INDEX reader_slates_at ON reader_slates (at);
    """,
]
