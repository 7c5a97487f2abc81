"""``s3://bucket/prefix``: artifacts in Amazon S3 or any S3-compatible store (MinIO, Ceph, moto), via s3fs.

s3fs is imported only when an S3 store is opened; without it :class:`~newsdesk.errors.MissingDependency`
names the extra to install (``newsdesk[s3]``). Credentials come from the usual AWS sources (environment
variables, ``AWS_PROFILE``, an instance role); ``artifacts.endpoint_url`` and ``artifacts.region`` point at
a store that is not AWS.

>>> parse_s3_url("s3://newsroom-artifacts/prod/")
('newsroom-artifacts', 'prod')
"""

from __future__ import annotations

import importlib
import re
from urllib.parse import urlsplit

from newsdesk.artifacts.base import artifact_stores
from newsdesk.artifacts.remote import FsspecArtifacts
from newsdesk.errors import InvalidInput, MissingDependency
from newsdesk.settings import ArtifactSettings

__all__ = ["open_s3_store", "parse_s3_url"]

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_ALLOWED = "s3://<bucket>[/<prefix>] with a bucket name of 3-63 lowercase letters, digits, '.' or '-'"


def parse_s3_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of an ``s3://`` URL; the prefix has no leading or trailing ``/``."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not _BUCKET.fullmatch(parts.netloc) or parts.query or parts.fragment:
        raise InvalidInput("artifacts.url", url, _ALLOWED)
    prefix = parts.path.strip("/")
    if any(p in ("", ".", "..") for p in prefix.split("/")) and prefix:
        raise InvalidInput("artifacts.url", url, _ALLOWED + " and a prefix of plain parts")
    return parts.netloc, prefix


@artifact_stores.register("s3")
def open_s3_store(url: str, options: ArtifactSettings) -> FsspecArtifacts:
    """An :class:`FsspecArtifacts` over s3fs for ``url``."""
    bucket, prefix = parse_s3_url(url)
    try:
        s3fs = importlib.import_module("s3fs")  # untyped: used through fsspec's interface only
    except ImportError:
        raise MissingDependency("s3fs", "s3", "Artifacts on S3") from None
    client_kwargs = {"region_name": options.region} if options.region else {}
    fs = s3fs.S3FileSystem(
        endpoint_url=options.endpoint_url,
        client_kwargs=client_kwargs,
        skip_instance_cache=True,  # settings may differ between stores in one process
        use_listings_cache=False,  # other writers change the bucket: never answer from a stale listing
    )
    root = f"{bucket}/{prefix}" if prefix else bucket
    return FsspecArtifacts(f"s3://{root}", fs, root)
