"""API keys: who may call the service, and with which role.

A key is a random secret (``nd_`` + 43 URL-safe characters, 256 bits) shown once when it is created. The
store keeps only its SHA-256 hash: keys are high-entropy, so a fast hash cannot be brute-forced and a
password hash (bcrypt, argon2) would only slow every request down. Roles are ordered, each including the
ones below it: a reader reads and searches, an editor also writes, an admin may do everything.

>>> import tempfile, pathlib
>>> from newsdesk.settings import Settings
>>> from newsdesk.store import open_store
>>> store = open_store(Settings(home=pathlib.Path(tempfile.mkdtemp())))
>>> key, secret = create_key(store, "editor", name="wire desk")
>>> secret.startswith("nd_"), verify_key(store, secret) == key
(True, True)
>>> verify_key(store, secret).allows(Role.ADMIN)
False
>>> _ = revoke_key(store, key.id)
>>> verify_key(store, secret) is None
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any, Protocol, runtime_checkable

from newsdesk.errors import InvalidInput

__all__ = [
    "KEY_PREFIX",
    "ApiKey",
    "KeyStore",
    "Role",
    "create_key",
    "hash_secret",
    "key_from_row",
    "list_keys",
    "record_use",
    "revoke_key",
    "use_is_stale",
    "verify_key",
]

KEY_PREFIX = "nd_"
_TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per key


class Role(IntEnum):
    """What a key may do; a higher role includes every lower one."""

    READER = 1
    EDITOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | Role, field: str = "role") -> Role:
        """``'reader'``, ``'editor'`` or ``'admin'`` (any case) as a role; anything else is refused.

        >>> Role.parse("Editor")
        <Role.EDITOR: 2>
        """
        if isinstance(value, Role):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            raise InvalidInput(field, value, "one of " + ", ".join(r.label for r in cls)) from None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key, without its secret."""

    id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, needed: Role) -> bool:
        """Whether this key may do what ``needed`` may (revoked keys may do nothing)."""
        return self.active and self.role >= needed


def key_from_row(row: Any) -> ApiKey:
    """A key from a store row (id, name, role, created_at, revoked_at, last_used_at, ...): date-times as
    ISO text or ``datetime``."""

    def when(value: Any) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value
        return datetime.fromisoformat(value)

    created = when(row[3])
    assert created is not None
    return ApiKey(
        id=row[0],
        name=row[1],
        role=Role.parse(row[2]),
        created_at=created,
        revoked_at=when(row[4]),
        last_used_at=when(row[5]),
    )


@runtime_checkable
class KeyStore(Protocol):
    """Where API keys are kept: every store backend offers this beside the articles."""

    def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        """Store a new key under the hash of its secret (never the secret)."""
        ...

    def find_api_key(self, key_hash: str) -> tuple[ApiKey, str] | None:
        """The key stored under ``key_hash`` (revoked or not) and its stored hash, or ``None``."""
        ...

    def list_api_keys(self) -> list[ApiKey]:
        """Every key, oldest first."""
        ...

    def revoke_api_key(self, key_id: str, when: datetime) -> ApiKey:
        """Mark the key revoked at ``when`` unless it already is; :class:`~newsdesk.errors.NotFound` if
        there is no such key."""
        ...

    def touch_api_key(self, key_id: str, when: datetime) -> None:
        """Record that the key was used at ``when``."""
        ...


def hash_secret(secret: str) -> str:
    """The stored form of a key: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(store: KeyStore, role: str | Role, *, name: str = "") -> tuple[ApiKey, str]:
    """A new key with ``role``: the stored record and the secret, which nothing keeps in clear."""
    parsed = Role.parse(role)
    name = name.strip()
    if len(name) > 200 or any(not c.isprintable() for c in name):
        raise InvalidInput("name", name, "a printable name of at most 200 characters")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=secrets.token_hex(6), name=name, role=parsed, created_at=datetime.now(UTC).replace(microsecond=0)
    )
    store.add_api_key(key, hash_secret(secret))
    return key, secret


def verify_key(store: KeyStore, secret: str | None) -> ApiKey | None:
    """The active key whose secret is ``secret``, else ``None`` (unknown, malformed or revoked)."""
    if not secret or not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    digest = hash_secret(secret)
    found = store.find_api_key(digest)
    if found is None:
        return None
    key, stored_hash = found
    if not hmac.compare_digest(stored_hash, digest) or not key.active:
        return None
    return key


def use_is_stale(key: ApiKey, now: datetime | None = None) -> bool:
    """Whether the key's ``last_used_at`` is old enough for :func:`record_use` to write it again."""
    now = now if now is not None else datetime.now(UTC)
    return key.last_used_at is None or now - key.last_used_at >= _TOUCH_EVERY


def record_use(store: KeyStore, key: ApiKey) -> None:
    """Set the key's ``last_used_at``, at most once a minute (sparing the store a write per request)."""
    now = datetime.now(UTC)
    if use_is_stale(key, now):
        store.touch_api_key(key.id, now)


def list_keys(store: KeyStore, *, include_revoked: bool = True) -> list[ApiKey]:
    """Every key, oldest first; never the secrets (the store does not have them)."""
    keys = store.list_api_keys()
    return keys if include_revoked else [k for k in keys if k.active]


def revoke_key(store: KeyStore, key_id: str) -> ApiKey:
    """Revoke the key (idempotent: a revoked key keeps its first revocation time); NotFound if unknown."""
    return store.revoke_api_key(key_id.strip(), datetime.now(UTC))
