"""Choosing a store from settings: URLs per scheme, refused URLs, the env variables, the missing extra."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsdesk.artifacts import LocalArtifacts, artifact_store, mlflow_artifact_root, open_artifacts, publish
from newsdesk.artifacts.s3 import parse_s3_url
from newsdesk.errors import InvalidInput, MissingDependency
from newsdesk.settings import ArtifactSettings, Settings


def test_no_url_means_the_local_workspace_only(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert open_artifacts(settings) is None and mlflow_artifact_root(settings) is None
    report = tmp_path / "r.html"
    report.write_text("x")
    assert publish(settings, report, "reports") is None


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSDESK_ARTIFACTS__URL", "s3://newsroom/prod")
    monkeypatch.setenv("NEWSDESK_ARTIFACTS__ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("NEWSDESK_ARTIFACTS__REGION", "eu-west-1")
    a = Settings(home=tmp_path).artifacts
    assert (a.url, a.endpoint_url, a.region) == ("s3://newsroom/prod", "http://127.0.0.1:9000", "eu-west-1")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://newsroom", ("newsroom", "")),
        ("s3://newsroom/prod/", ("newsroom", "prod")),
        ("s3://news.room-2/a/b", ("news.room-2", "a/b")),
    ],
)
def test_s3_urls(url: str, expected: tuple[str, str]) -> None:
    assert parse_s3_url(url) == expected


@pytest.mark.parametrize(
    "url", ["s3://", "s3:///prefix", "s3://Upper_Case/x", "s3://ab", "s3://bucket/a//b", "s3://bucket/../x"]
)
def test_bad_s3_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as err:
        artifact_store(url, ArtifactSettings())
    assert err.value.field == "artifacts.url" and err.value.value == url
    assert "s3://<bucket>" in err.value.allowed


@pytest.mark.parametrize("url", ["ftp://host/x", "gopher://x", "https://bucket.example/x"])
def test_unknown_scheme_is_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        open_artifacts(Settings(home=tmp_path, artifacts=ArtifactSettings(url=url)))
    assert err.value.field == "artifacts.url" and err.value.value == url
    assert "file://" in err.value.allowed and "s3://" in err.value.allowed
    assert "artifacts.url: " in str(err.value)


def test_file_urls_and_plain_paths(tmp_path: Path) -> None:
    by_url = artifact_store((tmp_path / "a").as_uri(), ArtifactSettings())
    by_path = artifact_store(str(tmp_path / "a"), ArtifactSettings())
    assert isinstance(by_url, LocalArtifacts) and isinstance(by_path, LocalArtifacts)
    assert by_url.root == by_path.root == tmp_path / "a"
    with pytest.raises(InvalidInput, match="file:///absolute/path"):
        artifact_store("file://otherhost/x", ArtifactSettings())


def test_mlflow_root_and_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("s3fs")
    monkeypatch.delenv("MLFLOW_S3_ENDPOINT_URL", raising=False)
    artifacts = ArtifactSettings(url="s3://newsroom/prod", endpoint_url="http://127.0.0.1:9000")
    assert mlflow_artifact_root(Settings(home=tmp_path, artifacts=artifacts)) == "s3://newsroom/prod/mlflow"
    assert os.environ["MLFLOW_S3_ENDPOINT_URL"] == "http://127.0.0.1:9000"


def test_missing_s3fs_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)  # import s3fs now fails
    with pytest.raises(MissingDependency) as err:
        artifact_store("s3://newsroom/prod", ArtifactSettings())
    assert err.value.extra == "s3" and "pip install 'newsdesk[s3]'" in str(err.value)


def test_importing_the_package_imports_no_storage_library() -> None:
    code = (
        "import sys, newsdesk.artifacts, newsdesk.search.hybrid; "
        "print(sorted(m for m in ('s3fs', 'fsspec', 'boto3', 'botocore', 'mlflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
