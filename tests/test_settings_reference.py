"""The committed settings reference (docs/settings.md) is what newsdesk.settings_reference generates."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.settings import Settings
from newsdesk.settings_reference import env_name, sections, settings_reference

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_committed_reference_is_current() -> None:
    expected = settings_reference()
    committed = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert committed == expected, (
        "docs/settings.md is out of date with newsdesk.settings.Settings; regenerate it with "
        "`python -m newsdesk.settings_reference > docs/settings.md`"
    )


def test_every_setting_has_a_row() -> None:
    rows = {env_name(row.path): row for sec in sections() for row in sec.rows if "<key>" not in row.path}
    assert "NEWSDESK_HOME" in rows and "NEWSDESK_MLFLOW_URI" in rows
    for name, info in Settings.model_fields.items():
        nested = getattr(info.annotation, "model_fields", None)
        if nested is None:
            assert env_name((name,)) in rows
        else:
            for field in nested:
                assert env_name((name, field)) in rows


def test_variables_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env_name(("ingest", "batch_size")), "7")
    monkeypatch.setenv(env_name(("lifecycle", "gates", "ner", "latency_p95_ms")), "80")
    settings = Settings()
    assert settings.ingest.batch_size == 7
    assert settings.lifecycle.gates["ner"].latency_p95_ms == 80
