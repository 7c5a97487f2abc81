"""The tamper-evident audit trail: the hash chain, what tampering it catches, concurrent appends, the CLI."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from newsdesk.cli.audit import audit_app
from newsdesk.cli.context import AppState
from newsdesk.cli.errors import exit_code
from newsdesk.errors import AuditTampered, InvalidInput, NewsdeskError
from newsdesk.lifecycle.audit import (
    ACTIONS,
    GENESIS_HASH,
    AuditEntry,
    AuditLog,
    audit_log,
    default_actor,
)
from newsdesk.settings import Settings

# --- helpers ------------------------------------------------------------------------------------------------


def filled(tmp_path: Path, n: int = 5) -> tuple[AuditLog, list[AuditEntry]]:
    """A log of ``n`` entries over two models."""
    log = AuditLog(tmp_path / "audit" / "audit.jsonl")
    made = [
        log.append(
            ACTIONS[i % len(ACTIONS)],
            actor="ana" if i % 2 else "ben",
            model="sections" if i % 2 else "iptc",
            version=str(i),
            reason=f"step {i}",
            details={"macro_f1": 0.5 + i / 100, "note": "é ✓"},
            report_hash=hashlib.sha256(str(i).encode()).hexdigest(),
        )
        for i in range(n)
    ]
    return log, made


def read_lines(log: AuditLog) -> list[bytes]:
    return log.path.read_bytes().splitlines(keepends=True)


def write_lines(log: AuditLog, lines: list[bytes]) -> None:
    log.path.write_bytes(b"".join(lines))


def edit_line(log: AuditLog, index: int, **changes: Any) -> None:
    """Change fields of one stored line, leaving its hash as it was."""
    lines = read_lines(log)
    data = json.loads(lines[index])
    data.update(changes)
    lines[index] = (json.dumps(data, ensure_ascii=False) + "\n").encode()
    write_lines(log, lines)


def has(problems: list[str], start: str) -> bool:
    return any(p.startswith(start) for p in problems)


def sealed_line(content: dict[str, Any]) -> bytes:
    """A line whose hash is computed the way the brief specifies, independently of the library."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return (json.dumps({**content, "hash": digest}) + "\n").encode()


# --- the chain ----------------------------------------------------------------------------------------------


def test_a_chain_of_appends_verifies(tmp_path: Path) -> None:
    log, made = filled(tmp_path)
    assert [e.seq for e in made] == [0, 1, 2, 3, 4]
    assert made[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(made))
    assert all(e.at.endswith("+00:00") for e in made)
    assert log.entries() == made
    assert len(read_lines(log)) == 5
    result = log.verify()
    assert result.ok and result.entries == 5 and result.problems == [] and result.head == made[-1].hash
    assert log.verify_or_raise() == result


def test_the_hash_is_sha256_of_the_canonical_json_of_every_other_field(tmp_path: Path) -> None:
    _, made = filled(tmp_path, 2)
    entry = made[1].to_dict()
    assert set(entry) == {
        "seq",
        "at",
        "actor",
        "action",
        "model",
        "version",
        "reason",
        "details",
        "report_hash",
        "prev_hash",
        "hash",
    }
    content = {k: v for k, v in entry.items() if k != "hash"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry["hash"] == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_a_missing_or_empty_log_verifies_with_no_entries(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "nowhere" / "audit.jsonl")
    result = log.verify()
    assert (result.ok, result.entries, result.problems, result.head) == (True, 0, [], None)
    assert log.entries() == []
    assert not log.path.parent.exists()
    log.path.parent.mkdir()
    log.path.touch()
    assert log.verify().ok and log.verify().entries == 0


def test_details_are_stored_as_their_json_round_trip(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    entry = log.append("train", actor="ana", details={"sizes": (1, 2), "nested": {"x": None}})
    assert entry.details == {"sizes": [1, 2], "nested": {"x": None}}
    assert log.entries() == [entry] and log.verify().ok


# --- tampering ----------------------------------------------------------------------------------------------


def test_editing_a_field_in_the_middle_is_caught_on_its_line(tmp_path: Path) -> None:
    log, _ = filled(tmp_path)
    edit_line(log, 2, reason="nobody asked")
    result = log.verify()
    assert not result.ok and result.entries == 5
    assert result.problems == ["line 3 (seq 2): hash does not match its content — the entry was changed"]
    with pytest.raises(AuditTampered, match=r"line 3 \(seq 2\): hash does not match"):
        log.verify_or_raise()


def test_deleting_a_line_is_caught(tmp_path: Path) -> None:
    log, _ = filled(tmp_path)
    lines = read_lines(log)
    write_lines(log, lines[:2] + lines[3:])
    result = log.verify()
    assert not result.ok and result.entries == 4
    assert has(result.problems, "line 3 (seq 3): prev_hash does not match line 2's hash")
    assert has(result.problems, "line 3 (seq 3): seq should be 2 after line 2's seq 1")
    assert all(p.startswith("line 3 ") for p in result.problems)


def test_deleting_the_first_line_is_caught(tmp_path: Path) -> None:
    log, _ = filled(tmp_path)
    write_lines(log, read_lines(log)[1:])
    problems = log.verify().problems
    assert has(problems, "line 1 (seq 1): the first entry should have seq 0")
    assert has(problems, "line 1 (seq 1): prev_hash of the first entry")


def test_reordering_two_lines_is_caught(tmp_path: Path) -> None:
    log, _ = filled(tmp_path)
    lines = read_lines(log)
    lines[1], lines[2] = lines[2], lines[1]
    write_lines(log, lines)
    result = log.verify()
    assert not result.ok
    assert has(result.problems, "line 2 (seq 2): prev_hash does not match line 1's hash")
    assert has(result.problems, "line 3 (seq 1): prev_hash does not match line 2's hash")
    assert has(result.problems, "line 4 (seq 3): prev_hash does not match line 3's hash")
    assert not any("hash does not match its content" in p for p in result.problems)


def test_a_forged_line_with_a_wrong_prev_hash_is_caught(tmp_path: Path) -> None:
    log, made = filled(tmp_path)
    forged = {
        **made[-1].to_dict(),
        "seq": 5,
        "action": "force_promote",
        "actor": "mallory",
        "prev_hash": "f" * 64,
    }
    del forged["hash"]
    write_lines(log, [*read_lines(log), sealed_line(forged)])
    result = log.verify()
    assert result.entries == 6
    assert result.problems == [
        "line 6 (seq 5): prev_hash does not match line 5's hash — an entry was removed or inserted"
    ]


def test_a_correctly_chained_line_appended_by_hand_verifies(tmp_path: Path) -> None:
    """The chain catches edits, not a writer who follows the format: the hashes are not secret."""
    log, made = filled(tmp_path, 2)
    content = {**made[-1].to_dict(), "seq": 2, "prev_hash": made[-1].hash}
    del content["hash"]
    write_lines(log, [*read_lines(log), sealed_line(content)])
    assert log.verify().ok and log.verify().entries == 3


@pytest.mark.parametrize("cut", [1, 20])
def test_a_truncated_last_line_is_reported_and_append_refuses(tmp_path: Path, cut: int) -> None:
    log, _ = filled(tmp_path)
    data = log.path.read_bytes()
    log.path.write_bytes(data[:-cut])
    result = log.verify()
    assert not result.ok and result.entries == 4
    assert result.problems == ["line 5: incomplete: the line has no end — a write was cut short"]
    with pytest.raises(AuditTampered, match="last line is unreadable"):
        log.append("train", actor="ana")
    assert log.path.read_bytes() == data[:-cut]


def test_append_refuses_to_chain_past_an_edited_last_entry(tmp_path: Path) -> None:
    log, _ = filled(tmp_path, 3)
    edit_line(log, 2, version="99")
    before = log.path.read_bytes()
    with pytest.raises(AuditTampered, match=r"last entry \(seq 2\) does not match its hash"):
        log.append("promote", actor="ana")
    assert log.path.read_bytes() == before


def test_lines_that_are_not_entries_are_named(tmp_path: Path) -> None:
    log, _ = filled(tmp_path, 3)
    lines = read_lines(log)
    write_lines(log, [lines[0], b"\n", b"[1, 2]\n", b'{"seq": 1}\n', *lines[1:]])
    problems = log.verify().problems
    assert problems[:3] == [
        "line 2: blank line",
        "line 3: not an audit entry (not a JSON object)",
        "line 4: not an audit entry (missing action, actor, at, details, hash, model, prev_hash, reason, "
        "report_hash, version)",
    ]
    with pytest.raises(AuditTampered, match="line 2: blank line"):
        log.entries()


# --- refused input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"action": "delete", "actor": "ana"}, "action"),
        ({"action": "promote", "actor": ""}, "actor"),
        ({"action": "promote", "actor": "   "}, "actor"),
        ({"action": "promote", "actor": "ana", "details": {"when": object()}}, "details"),
        ({"action": "promote", "actor": "ana", "details": {"score": float("nan")}}, "details"),
        ({"action": "promote", "actor": "ana", "details": {1: "int key"}}, "details"),
        ({"action": "promote", "actor": "ana", "details": ["not", "a", "mapping"]}, "details"),
        ({"action": "promote", "actor": "ana", "version": 3}, "version"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(
    tmp_path: Path, kwargs: dict[str, Any], field: str
) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(InvalidInput) as caught:
        log.append(**kwargs)
    assert caught.value.field == field and str(caught.value).startswith(f"{field}: ")
    assert not log.path.exists()


def test_an_unknown_action_lists_the_allowed_ones(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="expected one of train, register, evaluate, promote"):
        AuditLog(tmp_path / "audit.jsonl").append("delete", actor="ana")


# --- reading ------------------------------------------------------------------------------------------------


def test_entries_filter_by_model_and_action(tmp_path: Path) -> None:
    log, made = filled(tmp_path, 6)
    assert log.entries(model="sections") == [e for e in made if e.model == "sections"]
    assert [e.seq for e in log.entries(model="sections")] == [1, 3, 5]
    assert log.entries(action="register") == [made[1]]
    assert log.entries(model="iptc", action="register") == []
    assert log.entries(model="nope") == []
    with pytest.raises(InvalidInput, match="action"):
        log.entries(action="delete")


def test_audit_log_lives_in_the_workspace(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert audit_log(settings).path == tmp_path / "audit" / "audit.jsonl"


def test_default_actor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_ACTOR", "release-bot")
    assert default_actor() == "release-bot"
    monkeypatch.delenv("NEWSDESK_ACTOR")
    assert default_actor().strip() != ""


# --- concurrency --------------------------------------------------------------------------------------------

WORKERS, EACH = 4, 25


def _append_many(path: str, worker: int, barrier: Any) -> None:
    log = AuditLog(Path(path))
    barrier.wait()
    for i in range(EACH):
        log.append("evaluate", actor=f"worker-{worker}", model=f"m{worker}", details={"i": i})


def test_concurrent_appends_from_several_processes_keep_the_chain(tmp_path: Path) -> None:
    mp = multiprocessing.get_context()
    path = tmp_path / "audit" / "audit.jsonl"
    barrier = mp.Barrier(WORKERS)
    procs = [mp.Process(target=_append_many, args=(str(path), w, barrier)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * WORKERS
    log = AuditLog(path)
    result = log.verify()
    assert result.ok, result.problems
    assert result.entries == WORKERS * EACH
    entries = log.entries()
    assert [e.seq for e in entries] == list(range(WORKERS * EACH))
    for w in range(WORKERS):
        assert [e.details["i"] for e in log.entries(model=f"m{w}")] == list(range(EACH))


# --- the CLI ------------------------------------------------------------------------------------------------


class _Group(TyperGroup):
    """Maps library errors to exit codes the way the real app does (``newsdesk.cli.errors.exit_code``)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NewsdeskError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exit_code(exc)) from exc


def cli(home: Path) -> typer.Typer:
    app = typer.Typer(cls=_Group, pretty_exceptions_enable=False, add_completion=False)

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = AppState(home=home)

    app.add_typer(audit_app, name="audit")
    return app


def invoke(home: Path, *args: str) -> Any:
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli(home), ["audit", *args])


def test_cli_lists_entries_as_a_table_and_as_json(tmp_path: Path) -> None:
    _, made = filled(tmp_path / "home", 4)
    home = tmp_path / "home"
    AuditLog(home / "audit" / "audit.jsonl").append("alias", actor="[bold]eve", model="iptc", reason="[x]")
    result = invoke(home)
    assert result.exit_code == 0, result.output
    assert "5 audit entries" in result.stdout and "sections" in result.stdout
    assert "[bold]eve" in result.stdout and "[x]" in result.stdout
    assert made[1].report_hash is not None and made[1].report_hash[:12] in result.stdout
    listed = json.loads(invoke(home, "--json").stdout)
    assert [e["seq"] for e in listed] == [0, 1, 2, 3, 4] and listed[0] == made[0].to_dict()
    only = json.loads(invoke(home, "--model", "sections", "--action", "register", "--json").stdout)
    assert [e["seq"] for e in only] == [1]


def test_cli_list_of_an_empty_workspace_and_a_bad_action(tmp_path: Path) -> None:
    result = invoke(tmp_path)
    assert result.exit_code == 0 and "0 audit entries" in result.stdout
    assert json.loads(invoke(tmp_path, "--json").stdout) == []
    bad = invoke(tmp_path, "--action", "delete")
    assert bad.exit_code == 2 and "action" in bad.stderr


def test_cli_verify_ok_then_tampered(tmp_path: Path) -> None:
    log, made = filled(tmp_path / "home", 3)
    home = tmp_path / "home"
    ok = invoke(home, "verify")
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.strip() == f"audit log OK: 3 entries, head {made[-1].hash[:12]}"
    report = json.loads(invoke(home, "verify", "--json").stdout)
    assert report["ok"] is True and report["entries"] == 3 and report["head"] == made[-1].hash
    assert report["problems"] == [] and report["path"] == str(log.path)

    edit_line(log, 1, actor="mallory")
    bad = invoke(home, "verify")
    assert bad.exit_code == 5
    assert "line 2 (seq 1): hash does not match its content" in bad.stdout
    assert "does not verify" in bad.stderr
    bad_json = invoke(home, "verify", "--json")
    assert bad_json.exit_code == 5
    report = json.loads(bad_json.stdout)
    assert report["ok"] is False and report["problems"][0].startswith("line 2 (seq 1)")
