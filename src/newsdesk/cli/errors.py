"""Library errors -> exit codes, in one place.

| code | meaning |
|------|---------|
| 0 | done |
| 1 | an unexpected failure (a bug, or the store failed) |
| 2 | usage: bad option, unreadable input, unknown format, missing optional dependency |
| 3 | ingest finished but rejected some records (or stored nothing under ``--strict``) |
| 4 | the named thing (article, ...) does not exist |
| 5 | refused: a gate failed, the state forbids it (an experiment stopped), the caller lacks the |
|   | role, or the audit log does not verify |
| 6 | the language-model provider is unreachable, failed or refused |
"""

from __future__ import annotations

from newsdesk.errors import (
    AuditTampered,
    Conflict,
    GateFailed,
    InvalidInput,
    MissingDependency,
    NewsdeskError,
    NotFound,
    PermissionDenied,
    ProviderError,
    UnknownFormat,
    UnreadableSource,
)

__all__ = ["EXIT_OK", "EXIT_REJECTED", "exit_code"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3
EXIT_NOT_FOUND = 4
EXIT_REFUSED = 5
EXIT_PROVIDER = 6


def exit_code(exc: NewsdeskError) -> int:
    if isinstance(exc, GateFailed | PermissionDenied | AuditTampered | Conflict):
        return EXIT_REFUSED
    if isinstance(exc, ProviderError):
        return EXIT_PROVIDER
    if isinstance(exc, NotFound):
        return EXIT_NOT_FOUND
    if isinstance(exc, InvalidInput | UnknownFormat | UnreadableSource | MissingDependency):
        return EXIT_USAGE
    return EXIT_FAILURE
