"""Settings, errors and the registry: the small pieces everything else leans on."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from newsdesk.errors import InvalidInput, MissingDependency, NewsdeskError, NotFitted, NotFound
from newsdesk.ingest.readers import readers
from newsdesk.registry import Registry
from newsdesk.settings import Settings


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSDESK_INGEST__BATCH_SIZE", "123")
    monkeypatch.setenv("NEWSDESK_INGEST__DEDUPE", "none")
    s = Settings()
    assert s.home == tmp_path and s.ingest.batch_size == 123 and s.ingest.dedupe == "none"
    assert s.database_path == tmp_path / "newsdesk.sqlite3"


def test_settings_refuse_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_INGEST__BATCH_SIZE", "0")
    with pytest.raises(ValidationError, match="batch_size"):
        Settings()


def test_settings_are_not_built_at_import() -> None:
    import newsdesk

    assert not any(isinstance(v, Settings) for v in vars(newsdesk).values())


def test_error_hierarchy() -> None:
    err = InvalidInput("limit", -1, "an integer >= 1")
    assert isinstance(err, NewsdeskError) and isinstance(err, ValueError)
    assert (err.field, err.value, err.allowed) == ("limit", -1, "an integer >= 1")
    assert issubclass(NotFitted, ValueError) and issubclass(NotFitted, AttributeError)
    missing = MissingDependency("feedparser", "feeds", "Reading feeds")
    assert "pip install 'newsdesk[feeds]'" in str(missing) and isinstance(missing, ImportError)


def test_registry_register_get_and_unknown() -> None:
    reg: Registry[type] = Registry("test-things")

    @reg.register("a")
    class A: ...

    assert reg.get("a") is A and "a" in reg and reg.names() == ["a"]
    with pytest.raises(NotFound, match="no test-things named 'b'; known: a"):
        reg.get("b")
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a")(type("Other", (), {}))


def test_every_format_has_a_reader() -> None:
    assert set(readers.names()) >= {"jsonl", "csv", "ninjs", "rss", "html", "textdir", "reuters"}
