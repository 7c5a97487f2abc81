"""ninjs conformance: ingest judges IPTC's own examples as their schemas do, version by version.

Every example document belongs to the version it declares, else to the version its folder is named after; it
is valid when that version's schema (read here with jsonschema, apart from newsdesk) accepts it. A valid
document must be stored or skipped, never rejected; an invalid one must be rejected. Run over the examples
committed in ``tests/data/ninjs`` always, and over IPTC's whole suite when ``shared/data/ninjs`` is there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for
from referencing import Registry, Resource

from newsdesk.articles.ninjs import SCHEMA_VERSIONS
from newsdesk.ingest import IngestReport, ingest
from newsdesk.ingest.readers import ReaderOptions
from newsdesk.ingest.readers.ninjs import NinjsReader
from newsdesk.settings import Settings
from newsdesk.store import open_store

COMMITTED = Path(__file__).resolve().parents[1] / "data" / "ninjs"
SUITE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ninjs"
SCHEMAS = Path(__file__).resolve().parents[2] / "src" / "newsdesk" / "articles" / "schemas"
_VERSION = re.compile(r"^(?:doc-)?(\d+\.\d+)$")


def example_files(root: Path) -> Iterator[tuple[Path, str | None]]:
    """(file, its folder's version) for every example under ``root``; ``None`` for ``not-valid``."""
    for path in sorted(root.rglob("*.json")):
        if path.name.endswith("-schema.json") or "specification" in path.parts:
            continue
        parts = path.relative_to(root).parts[:-1]
        version = next((m.group(1) for p in parts if (m := _VERSION.match(p))), None)
        if version is not None or "not-valid" in parts:
            yield path, version


def suite_root(name: str) -> Path:
    if name == "committed":
        return COMMITTED
    if not (SUITE / "examples").is_dir():
        reason = f"IPTC's ninjs suite is not at {SUITE}"
        print(f"skipped: {reason}")
        pytest.skip(reason)
    return SUITE


@cache
def validator(version: str) -> Any:
    """A validator for one bundled schema, built here with jsonschema (the suite's own copies are equal)."""
    sch = json.loads((SCHEMAS / f"ninjs-schema_{version}.json").read_text("utf-8"))
    geojson = json.loads((SCHEMAS / "GeoJSON-schema.json").read_text("utf-8"))
    registry: Registry[Any] = Registry().with_resource(
        "https://geojson.org/schema/GeoJSON.json", Resource.from_contents(geojson)
    )
    return validator_for(sch)(sch, registry=registry)


def declared(doc: dict[str, Any]) -> str | None:
    for key in ("standard", "$standard"):
        std = doc.get(key)
        if isinstance(std, dict) and isinstance(std.get("version"), str):
            return ".".join(std["version"].split(".")[:2])
    return None


def documents(path: Path, folder: str | None) -> Iterator[tuple[str, dict[str, Any], str | None, bool]]:
    """(location as ingest names it, document, the version it belongs to, whether that schema accepts it)."""
    data = json.loads(path.read_text("utf-8-sig"))
    items = list(enumerate(data)) if isinstance(data, list) else [(None, data)]
    for index, doc in items:
        version = declared(doc) or folder
        valid = version is not None and validator(version).is_valid(doc)
        yield ("document" if index is None else f"item {index}"), doc, version, valid


def outcomes(report: IngestReport) -> dict[tuple[str, str], str]:
    out = {(e.source, e.location): "rejected" for e in report.errors}
    out.update({(s.source, s.location): "skipped" for s in report.skipped_records})
    return out


@pytest.mark.parametrize("mode", ["auto", "folder"])
@pytest.mark.parametrize("suite", ["committed", "iptc"])
def test_valid_examples_are_kept_and_invalid_ones_rejected(suite: str, mode: str, tmp_path: Path) -> None:
    root = suite_root(suite)
    files = list(example_files(root))
    assert len(files) >= 30
    settings = Settings(home=tmp_path / "home")
    store = open_store(settings)
    wrong: list[str] = []
    per_version: dict[str, list[int]] = {}
    try:
        for path, folder in files:
            version = folder if mode == "folder" and folder else "auto"
            report = ingest([path], store, settings=settings, format="ninjs", ninjs_version=version)
            assert report.read == report.accounted, report.to_dict()
            got = outcomes(report)
            passed = {(v.source, v.location): v.schema for v in report.validated}
            for location, doc, belongs_to, valid in documents(path, folder):
                key = (str(path), location)
                outcome = got.get(key, "stored")
                tally = per_version.setdefault(folder or "not-valid", [0, 0])
                tally[1] += 1
                if (outcome != "rejected") != valid:
                    wrong.append(f"{path.relative_to(root)} {location}: valid={valid}, {outcome}")
                    continue
                tally[0] += 1
                if valid:  # the report says which version it passed: its own, or one of its generation
                    assert belongs_to is not None
                    schema = passed[key]
                    exact = mode == "folder" or declared(doc) is not None
                    expected = f"ninjs {belongs_to}" if exact else f"ninjs {belongs_to.split('.')[0]}."
                    assert schema.startswith(expected), (key, schema)
                else:
                    assert key not in passed
    finally:
        store.close()
    print(f"{suite} ({mode}):", {v: f"{ok}/{n}" for v, (ok, n) in sorted(per_version.items())})
    assert wrong == []
    assert {"1.4", "2.1", "3.0", "not-valid"} <= set(per_version)


@pytest.mark.parametrize("suite", ["committed", "iptc"])
def test_each_version_judges_alone(suite: str) -> None:
    """Given one version, a document is refused exactly when that version's schema refuses it, whatever
    another version of its generation (or its declaration) would say."""
    reader = NinjsReader()
    checked = 0
    for path, folder in example_files(suite_root(suite)):
        docs = list(documents(path, folder))
        generation = (docs[0][2] or "1").split(".")[0]
        for version in (v for v in SCHEMA_VERSIONS if v.startswith(generation + ".")):
            records = list(reader.read(path, ReaderOptions(ninjs_version=version)))
            assert len(records) == len(docs)
            for record, (location, doc, _, _) in zip(records, docs, strict=True):
                assert record.location == location
                refused = record.problem is not None
                assert refused == (not validator(version).is_valid(doc)), (path, location, version)
                if refused:
                    assert str(record.problem).startswith(f"not valid ninjs {version}:")
                else:
                    assert record.validated_as == f"ninjs {version}"
                checked += 1
    assert checked > 100
