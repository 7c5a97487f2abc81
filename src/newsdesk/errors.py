"""One error hierarchy for the whole library.

Every error newsdesk raises on purpose is a :class:`NewsdeskError`. Shells (the CLI, the API) map these
classes to exit codes and HTTP statuses in one place each, so a library function never decides how a failure
is shown.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuditTampered",
    "Conflict",
    "DatasetNotFound",
    "GateFailed",
    "InvalidInput",
    "MissingDependency",
    "NewsdeskError",
    "NotFitted",
    "NotFound",
    "PermissionDenied",
    "ProviderError",
    "ProviderFailed",
    "ProviderRefused",
    "ProviderUnavailable",
    "StoreError",
    "UnknownFormat",
    "UnreadableSource",
]


class NewsdeskError(Exception):
    """Base class of every error raised by newsdesk."""


class InvalidInput(NewsdeskError, ValueError):
    """A value was refused. Names the field, the value and what is allowed.

    >>> str(InvalidInput("limit", -1, "an integer >= 1"))
    'limit: -1 is not allowed; expected an integer >= 1'
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: {_short(value)} is not allowed; expected {allowed}")


class NotFound(NewsdeskError, LookupError):
    """A named thing (article, reader, component) does not exist."""


class Conflict(NewsdeskError):
    """The request is valid but the state forbids it now (an experiment already stopped, an id taken)."""


class NotFitted(NewsdeskError, ValueError, AttributeError):
    """A learned component was used before ``fit`` (sklearn's convention: ValueError and AttributeError)."""


class UnknownFormat(NewsdeskError, ValueError):
    """An input format could not be detected or is not registered."""


class UnreadableSource(NewsdeskError, OSError):
    """A file or folder could not be opened or read at all."""


class DatasetNotFound(UnreadableSource):
    """A benchmark dataset is in none of the places looked at; ``tried`` lists them, in order.

    >>> str(DatasetNotFound("ag-news", ["/data/ag-news"]))
    "dataset 'ag-news' not found; tried /data/ag-news (set NEWSDESK_EVAL__DATA_DIR to the folder holding it)"
    """

    def __init__(self, dataset: str, tried: list[Any]) -> None:
        self.dataset = dataset
        self.tried = list(tried)
        where = ", ".join(str(p) for p in self.tried)
        hint = "set NEWSDESK_EVAL__DATA_DIR to the folder holding it"
        super().__init__(f"dataset '{dataset}' not found; tried {where} ({hint})")


class StoreError(NewsdeskError):
    """The article store failed or its schema is newer than this code."""


class MissingDependency(NewsdeskError, ImportError):
    """An optional dependency is not installed; the message names the extra that provides it."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{purpose} needs the '{package}' package: install it with pip install 'newsdesk[{extra}]'"
        )


class GateFailed(NewsdeskError):
    """A model version did not pass its gates, so it was not promoted. The message lists every failed gate."""

    def __init__(self, message: str, report: Any = None) -> None:
        self.report = report
        super().__init__(message)


class PermissionDenied(NewsdeskError, PermissionError):
    """The caller's role does not allow the action (e.g. forcing a promotion needs an admin key)."""


class AuditTampered(NewsdeskError):
    """The audit log's hash chain does not verify: an entry was changed, removed or inserted."""


class ProviderError(NewsdeskError):
    """A text-generation provider (:mod:`newsdesk.llm`) failed; ``provider`` names it."""

    def __init__(self, provider: str, message: str) -> None:
        self.provider = provider
        super().__init__(f"llm provider '{provider}': {message}")


class ProviderUnavailable(ProviderError):
    """The provider cannot be reached or did not answer in time (after its retries)."""


class ProviderFailed(ProviderError):
    """The provider answered with an error status after its retries, or with a response it cannot parse."""


class ProviderRefused(ProviderError):
    """The model or the service refused the request (a content filter, a refusal answer)."""


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
