"""``newsdesk write brief|headlines`` and ``newsdesk ask`` through the Typer runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from newsdesk.cli.app import app
from pinned import pinned_url

runner = CliRunner()
HERALD = Path(__file__).resolve().parents[1] / "data" / "valley-herald.jsonl"
HARBOUR = "valley-herald:vh-2024-0502-001"


def _run(home: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Exit code and stdout (stderr, which model loaders write progress bars to, appended after a failure)."""
    url = pinned_url(home)  # a workspace on PostgreSQL names its own database
    base = {"NEWSDESK_STORE__URL": url} if url is not None else {}
    result = runner.invoke(app, ["--home", str(home), *args], env={**base, **(env or {})})
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stdout + result.stderr


def test_write_and_ask_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _run(home, "ingest", str(HERALD), "--source", "valley-herald")[0] == 0
    code, out = _run(home, "write", "brief", HARBOUR, "--provider", "extractive", "--json")
    assert code == 0, out
    brief = json.loads(out)
    assert brief["product"] == "brief" and brief["items"][0]["role"] == "lede"
    code, out = _run(
        home, "write", "headlines", HARBOUR, "--n", "2", "--kind", "subject", "--provider", "extractive"
    )
    assert code == 0 and "headlines by extractive" in out, out
    code, out = _run(
        home, "ask", "How deep will the harbour channel be dredged?", "--provider", "extractive", "--json"
    )
    assert code == 0 and json.loads(out)["answered"], out
    code, out = _run(home, "write", "brief", "nope:1", "--provider", "extractive")
    assert code == 4 and "nope:1" in out
    code, out = _run(
        home,
        "write",
        "brief",
        HARBOUR,
        "--provider",
        "openai",
        env={"NEWSDESK_LLM__BASE_URL": "http://127.0.0.1:9/v1", "NEWSDESK_LLM__MAX_RETRIES": "0"},
    )
    assert code == 6 and "127.0.0.1:9" in out, out
