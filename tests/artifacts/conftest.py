"""A real S3-compatible server for the artifact tests: moto's, on 127.0.0.1 with a free port, one bucket.

Started once per session. Credentials are dummy values in the usual AWS variables, and the machine's own AWS
configuration files are hidden, so nothing here can reach a real account. Without moto (``moto[server]``),
boto3 or s3fs the S3 tests are skipped, with the reason in the summary.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from artifacthelpers import BUCKET, STORE_MAKERS, S3Server

from newsdesk.artifacts import ArtifactStore
from newsdesk.settings import Settings


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    missing = [m for m in ("moto.server", "boto3", "s3fs") if not _importable(m)]
    if missing:
        pytest.skip(f"S3 tests need {', '.join(missing)}: pip install 'newsdesk[dev]' (moto[server], s3fs)")
    import boto3
    from moto.server import ThreadedMotoServer

    empty = tmp_path_factory.mktemp("aws") / "none"
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        }.items():
            env.setenv(name, value)
        env.delenv("AWS_PROFILE", raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
            yield S3Server(endpoint, BUCKET)
        finally:
            server.stop()


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


@pytest.fixture(params=sorted(STORE_MAKERS))
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    """An empty store of each backend."""
    return STORE_MAKERS[request.param](request, tmp_path)


@pytest.fixture
def s3_settings(s3_server: S3Server, tmp_path: Path) -> Settings:
    """A workspace whose artifacts go to a fresh prefix of the test bucket."""
    url = s3_server.url()
    return Settings(home=tmp_path / "home", artifacts=s3_server.settings(url))
