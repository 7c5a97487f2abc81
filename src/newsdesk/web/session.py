"""The console's sign-in: a signed session cookie, and the CSRF token of every form that writes.

Signing in with an API key gives a cookie holding the key's id, a random nonce and an expiry, signed with
HMAC-SHA-256 under the console's session secret (``settings.web.session_secret``, else a random one kept in
``<home>/secrets/console-session``). The secret key itself never leaves the sign-in form: the cookie names the
key by id, and every request looks the key up again, so revoking it (``newsdesk keys revoke``) signs its
sessions out and a role change applies at once. The cookie is HttpOnly and SameSite=Strict (Secure with
``settings.web.secure_cookie``).

Every form that writes carries a CSRF token: an HMAC of the session's nonce, so it cannot be read or made by
another site, and it changes with every sign-in. The sign-in form, before any session, uses a double-submit
token (a random cookie that the form must repeat).

>>> import tempfile, pathlib
>>> from newsdesk.settings import Settings
>>> s = Settings(home=pathlib.Path(tempfile.mkdtemp()))
>>> value = issue(s, "k1")
>>> read(s, value).key_id
'k1'
>>> read(s, value[:-2] + "xx") is None      # a changed signature
True
>>> session = read(s, value)
>>> check_csrf(s, session, csrf_token(s, session)), check_csrf(s, session, "forged")
(True, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from newsdesk.settings import Settings

__all__ = [
    "COOKIE",
    "LOGIN_COOKIE",
    "Session",
    "check_csrf",
    "csrf_token",
    "issue",
    "read",
    "session_secret",
]

COOKIE = "newsdesk_session"
"""The session cookie's name."""
LOGIN_COOKIE = "newsdesk_login"
"""The sign-in form's double-submit cookie."""


@dataclass(frozen=True, slots=True)
class Session:
    key_id: str
    nonce: str
    expires: float  # seconds since the epoch


def session_secret(settings: Settings) -> bytes:
    """The key that signs sessions: the configured one, else ``<home>/secrets/console-session`` (made once,
    mode 600)."""
    if settings.web.session_secret is not None:
        return settings.web.session_secret.get_secret_value().encode("utf-8")
    path = Path(settings.home) / "secrets" / "console-session"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = secrets.token_urlsafe(48).encode("ascii")
    # O_EXCL: two processes starting together agree on whichever wrote first
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(fresh)
    return fresh


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, purpose: str, payload: str) -> str:
    return _b64(hmac.new(secret, f"{purpose}:{payload}".encode(), hashlib.sha256).digest())


def issue(settings: Settings, key_id: str, *, now: float | None = None) -> str:
    """A signed cookie value for a session of the key ``key_id``."""
    expires = (time.time() if now is None else now) + settings.web.session_hours * 3600
    payload = _b64(json.dumps({"k": key_id, "n": secrets.token_urlsafe(16), "e": round(expires)}).encode())
    return f"{payload}.{_sign(session_secret(settings), 'session', payload)}"


def read(settings: Settings, value: str | None, *, now: float | None = None) -> Session | None:
    """The session a cookie value holds, or ``None`` when it is missing, forged, malformed or expired."""
    if not value or value.count(".") != 1 or len(value) > 2000:
        return None
    payload, signature = value.split(".")
    expected = _sign(session_secret(settings), "session", payload)
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        data = json.loads(_unb64(payload))
        session = Session(key_id=str(data["k"]), nonce=str(data["n"]), expires=float(data["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    return session if session.expires > (time.time() if now is None else now) else None


def csrf_token(settings: Settings, session: Session) -> str:
    """The token every form of this session must post back (``csrf_token``)."""
    return _sign(session_secret(settings), "csrf", session.nonce)


def check_csrf(settings: Settings, session: Session, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(str(token), csrf_token(settings, session))
