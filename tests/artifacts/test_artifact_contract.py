"""The artifact store contract, run over every registered backend (local folder and S3 on moto)."""

from __future__ import annotations

from pathlib import Path

import pytest
from artifacthelpers import STORE_MAKERS

from newsdesk.artifacts import ArtifactStore, artifact_stores, pull_folder, push_folder
from newsdesk.errors import InvalidInput, NotFound


def test_every_registered_backend_is_in_the_contract_suite() -> None:
    assert set(artifact_stores.names()) == set(STORE_MAKERS)


def test_is_an_artifact_store(artifacts: ArtifactStore) -> None:
    assert isinstance(artifacts, ArtifactStore)
    assert artifacts.uri("reports/a.html") == artifacts.url + "/reports/a.html"


def test_put_get_file(artifacts: ArtifactStore, tmp_path: Path) -> None:
    source = tmp_path / "report.html"
    source.write_bytes(b"<p>drift</p>")
    assert not artifacts.exists("reports/report.html")
    assert artifacts.put(source, "reports/report.html") == artifacts.uri("reports/report.html")
    assert artifacts.exists("reports/report.html") and artifacts.exists("reports")
    back = artifacts.get("reports/report.html", tmp_path / "back" / "r.html")
    assert back.read_bytes() == b"<p>drift</p>"
    source.write_bytes(b"v2")
    artifacts.put(source, "reports/report.html")  # a second put replaces
    with artifacts.open("reports/report.html") as fh:
        assert fh.read() == b"v2"


def test_put_get_folder_and_list(artifacts: ArtifactStore, tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    (folder / "sub").mkdir(parents=True)
    (folder / "meta.json").write_text("{}")
    (folder / "sub" / "graph.bin").write_bytes(bytes(range(256)) * 10)
    artifacts.put(folder, "index/m")
    (tmp_path / "other.txt").write_text("x")
    artifacts.put(tmp_path / "other.txt", "index/m2")  # a sibling whose name starts the same
    assert artifacts.list("index/m") == ["index/m/meta.json", "index/m/sub/graph.bin"]
    assert artifacts.list() == ["index/m/meta.json", "index/m/sub/graph.bin", "index/m2"]
    assert artifacts.list("index/m2") == ["index/m2"] and artifacts.list("nothing") == []
    back = artifacts.get("index/m", tmp_path / "copy")
    assert (back / "sub" / "graph.bin").read_bytes() == bytes(range(256)) * 10
    assert (back / "meta.json").read_text() == "{}"


def test_open_write_read(artifacts: ArtifactStore) -> None:
    with artifacts.open("exports/a.jsonl", "wb") as fh:
        fh.write(b'{"id": 1}\n')
        fh.write(b'{"id": 2}\n')
    with artifacts.open("exports/a.jsonl") as fh:
        assert fh.read().splitlines() == [b'{"id": 1}', b'{"id": 2}']


def test_failed_write_publishes_nothing(artifacts: ArtifactStore) -> None:
    with pytest.raises(RuntimeError), artifacts.open("exports/half.jsonl", "wb") as fh:
        fh.write(b"partial")
        raise RuntimeError("writer failed")
    assert not artifacts.exists("exports/half.jsonl") and artifacts.list() == []


def test_missing_keys(artifacts: ArtifactStore, tmp_path: Path) -> None:
    assert not artifacts.exists("nope.txt")
    with pytest.raises(NotFound, match=r"nope\.txt"):
        artifacts.open("nope.txt")
    with pytest.raises(NotFound, match="nope"):
        artifacts.get("nope", tmp_path / "x")
    with pytest.raises(NotFound):
        artifacts.put(tmp_path / "not-there", "x")
    artifacts.delete("nope.txt")  # not an error


def test_delete_file_and_folder(artifacts: ArtifactStore, tmp_path: Path) -> None:
    for name in ("a/1.txt", "a/b/2.txt", "c.txt"):
        with artifacts.open(name, "wb") as fh:
            fh.write(name.encode())
    artifacts.delete("c.txt")
    assert artifacts.list() == ["a/1.txt", "a/b/2.txt"]
    artifacts.delete("a")
    assert artifacts.list() == [] and not artifacts.exists("a")


@pytest.mark.parametrize("key", ["", "/abs", "../up", "a/../b", "a//b", "a/./b", "a\\b"])
def test_bad_keys_are_refused(artifacts: ArtifactStore, key: str) -> None:
    with pytest.raises(InvalidInput) as err:
        artifacts.open(key, "wb")
    assert err.value.field == "key" and err.value.value == key and "relative path" in err.value.allowed
    with pytest.raises(InvalidInput):
        artifacts.exists(key)


def test_folder_mirror_pulls_only_a_new_build(artifacts: ArtifactStore, tmp_path: Path) -> None:
    built, cache = tmp_path / "built", tmp_path / "cache"
    built.mkdir()
    (built / "meta.json").write_text('{"v": 1}')
    (built / "meta.json.123.tmp").write_text("being written")  # never pushed
    push_folder(artifacts, built, "index/m")
    assert artifacts.list("index/m") == ["index/m/MANIFEST.json", "index/m/meta.json"]
    assert pull_folder(artifacts, "index/m", cache) and (cache / "meta.json").read_text() == '{"v": 1}'
    assert not pull_folder(artifacts, "index/m", cache)  # same build: nothing to do
    (cache / "meta.json").write_text('{"v": 1, "synced": true}')  # the local copy moved on
    assert not pull_folder(artifacts, "index/m", cache)
    (built / "meta.json").write_text('{"v": 2}')
    push_folder(artifacts, built, "index/m")
    assert pull_folder(artifacts, "index/m", cache) and (cache / "meta.json").read_text() == '{"v": 2}'
    (cache / "meta.json").unlink()  # a missing file is fetched again
    assert pull_folder(artifacts, "index/m", cache) and (cache / "meta.json").exists()
    assert not pull_folder(artifacts, "index/none", tmp_path / "empty")
    assert not any(".tmp" in p.name for p in cache.iterdir())


@pytest.mark.parametrize("manifest", [b"not json", b'{"files": {"../escape": {}}}', b'{"other": 1}'])
def test_folder_mirror_ignores_a_foreign_manifest(
    artifacts: ArtifactStore, tmp_path: Path, manifest: bytes
) -> None:
    with artifacts.open("index/odd/MANIFEST.json", "wb") as fh:
        fh.write(manifest)
    assert not pull_folder(artifacts, "index/odd", tmp_path / "cache" / "odd")
    assert not (tmp_path / "cache" / "escape").exists()
