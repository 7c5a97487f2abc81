"""API keys in the store (the ArticleStore protocol) and their checks in ``newsdesk.auth``."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from newsdesk.auth import (
    KEY_PREFIX,
    ApiKey,
    Role,
    create_key,
    hash_secret,
    list_keys,
    record_use,
    revoke_key,
    verify_key,
)
from newsdesk.errors import InvalidInput, NotFound
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store


def test_roles_are_ordered() -> None:
    assert Role.READER < Role.EDITOR < Role.ADMIN
    assert Role.parse("ADMIN") is Role.ADMIN and Role.parse(Role.READER) is Role.READER
    with pytest.raises(InvalidInput) as err:
        Role.parse("owner")
    assert err.value.field == "role" and "reader, editor, admin" in str(err.value)


def test_create_and_verify(store: ArticleStore) -> None:
    key, secret = create_key(store, "editor", name="wire desk")
    assert secret.startswith(KEY_PREFIX) and len(secret) >= 40
    assert key.role is Role.EDITOR and key.name == "wire desk" and key.active
    assert verify_key(store, secret) == key
    assert verify_key(store, secret + "x") is None
    assert verify_key(store, "nd_" + "A" * 43) is None
    assert verify_key(store, "") is None and verify_key(store, None) is None
    other, other_secret = create_key(store, "reader")
    assert other.id != key.id and other_secret != secret
    assert verify_key(store, other_secret) == other


def test_only_a_hash_is_stored(store: ArticleStore, settings: Settings, backend: str) -> None:
    _, secret = create_key(store, "admin")
    assert hash_secret(secret) == hashlib.sha256(secret.encode()).hexdigest()
    found = store.find_api_key(hash_secret(secret))
    assert found is not None and found[1] == hash_secret(secret)
    if backend == "sqlite":
        raw = settings.database_path.read_bytes() + (
            settings.database_path.with_name(settings.database_path.name + "-wal").read_bytes()
            if settings.database_path.with_name(settings.database_path.name + "-wal").exists()
            else b""
        )
        assert secret.encode() not in raw and secret[3:].encode() not in raw


def test_roles_allow(store: ArticleStore) -> None:
    editor, _ = create_key(store, Role.EDITOR)
    assert editor.allows(Role.READER) and editor.allows(Role.EDITOR) and not editor.allows(Role.ADMIN)


def test_revoke(store: ArticleStore) -> None:
    key, secret = create_key(store, "admin")
    revoked = revoke_key(store, key.id)
    assert revoked.revoked_at is not None and not revoked.active and not revoked.allows(Role.READER)
    assert verify_key(store, secret) is None
    again = revoke_key(store, key.id)  # idempotent: the first time stays
    assert again.revoked_at == revoked.revoked_at
    with pytest.raises(NotFound):
        revoke_key(store, "no-such-key")


def test_list(store: ArticleStore) -> None:
    first, _ = create_key(store, "reader", name="a")
    second, _ = create_key(store, "editor", name="b")
    revoke_key(store, first.id)
    assert [k.id for k in list_keys(store)] == [first.id, second.id]
    assert [k.id for k in list_keys(store, include_revoked=False)] == [second.id]
    assert all(isinstance(k, ApiKey) and not hasattr(k, "secret") for k in list_keys(store))


def test_record_use_at_most_once_a_minute(store: ArticleStore) -> None:
    key, secret = create_key(store, "reader")
    assert key.last_used_at is None
    record_use(store, key)
    used = verify_key(store, secret)
    assert used is not None and used.last_used_at is not None
    record_use(store, used)  # within a minute: not written again
    assert verify_key(store, secret) == used
    store.touch_api_key(key.id, datetime.now(UTC) - timedelta(minutes=5))
    older = verify_key(store, secret)
    assert older is not None
    record_use(store, older)
    newest = verify_key(store, secret)
    assert newest is not None and newest.last_used_at is not None and older.last_used_at is not None
    assert newest.last_used_at > older.last_used_at


@pytest.mark.parametrize("name", ["x" * 201, "line\nbreak"])
def test_bad_names(store: ArticleStore, name: str) -> None:
    with pytest.raises(InvalidInput):
        create_key(store, "reader", name=name)


def test_keys_survive_reopening(settings: Settings) -> None:
    store = open_store(settings)
    key, secret = create_key(store, "editor")
    store.close()
    store = open_store(settings)
    try:
        assert verify_key(store, secret) == key
    finally:
        store.close()


def test_third_migration_on_an_existing_database(settings: Settings, backend: str) -> None:
    """A database written before API keys existed gains the table when opened."""
    if backend != "sqlite":
        pytest.skip("SQLite's migration history")
    from newsdesk.store.migrations import MIGRATIONS
    from newsdesk.store.sqlite import _statements

    settings.home.mkdir(parents=True)
    with sqlite3.connect(settings.database_path) as conn:
        for script in MIGRATIONS[:2]:
            for statement in _statements(script):
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
    store = open_store(settings)
    try:
        key, secret = create_key(store, "reader")
        assert verify_key(store, secret) == key
    finally:
        store.close()
