"""ninjs conformance: how many documents of IPTC's ninjs suite does ``newsdesk ingest`` judge correctly?

The verdict each document deserves is computed here, apart from newsdesk: the document belongs to the
version it declares (``standard`` / ``$standard``), else to the version its folder is named after
(``examples/2.1``, ``documentation/includes/examples/3.1``); it is valid when the IPTC schema of that
version (``specification/``) accepts it, and the ``not-valid`` folder is invalid by definition. A valid
document is judged correctly when ingest does not reject it (stored, unchanged, duplicate or skipped), an
invalid one when ingest rejects it.

    python benchmarks/ninjs_conformance.py [--suite PATH] [--ninjs-version auto|folder] [--json]

``--ninjs-version folder`` passes each folder's version to ingest (validate against exactly that schema);
the default lets ingest decide (``auto``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from jsonschema.validators import validator_for
from referencing import Registry, Resource

from newsdesk import Settings, open_store
from newsdesk.ingest import ingest

SUITE = Path(__file__).resolve().parents[2] / "shared" / "data" / "ninjs"
_FOLDER_VERSION = re.compile(r"^\d+\.\d+$")
_DECLARED = re.compile(r"^(\d+)\.(\d+)")


def suite_files(suite: Path) -> list[tuple[Path, str | None]]:
    """Every example document file, with the version of its folder (``None`` for ``not-valid``)."""
    out: list[tuple[Path, str | None]] = []
    for top in (suite / "examples", suite / "documentation" / "includes" / "examples"):
        for path in sorted(top.rglob("*.json")):
            if path.name.endswith("-schema.json"):
                continue  # an extension schema, not a document
            folder = next((p for p in path.relative_to(top).parts if _FOLDER_VERSION.match(p)), None)
            if folder is None and "not-valid" not in path.parts:
                continue
            out.append((path, folder))
    return out


def _validator(suite: Path, version: str) -> Any:
    spec = suite / "specification"
    sch = json.loads((spec / f"ninjs-schema_{version}.json").read_text("utf-8"))
    geojson = json.loads((spec / "GeoJSON-schema.json").read_text("utf-8"))
    registry: Registry[Any] = Registry().with_resource(
        "https://geojson.org/schema/GeoJSON.json", Resource.from_contents(geojson)
    )
    return validator_for(sch)(sch, registry=registry)


def _declared(doc: dict[str, Any]) -> str | None:
    for key in ("standard", "$standard"):
        std = doc.get(key)
        if isinstance(std, dict) and isinstance(std.get("version"), str):
            match = _DECLARED.match(std["version"])
            if match:
                return f"{match.group(1)}.{match.group(2)}"
    return None


def expected(suite: Path, path: Path, folder: str | None) -> dict[str, bool]:
    """location -> whether the document there is valid, as ingest names locations."""
    data = json.loads(path.read_text("utf-8-sig"))
    docs = list(enumerate(data)) if isinstance(data, list) else [(None, data)]
    out: dict[str, bool] = {}
    for index, doc in docs:
        location = "document" if index is None else f"item {index}"
        version = _declared(doc) or folder
        out[location] = version is not None and not any(
            True for _ in _validator(suite, version).iter_errors(doc)
        )
    return out


def judge(suite: Path, mode: str) -> dict[str, Any]:
    files = suite_files(suite)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home))
        store = open_store(settings)
        takes_version = "ninjs_version" in inspect.signature(ingest).parameters
        for path, folder in files:
            kwargs: dict[str, Any] = {"format": "ninjs"}
            if mode == "folder" and folder is not None:
                if not takes_version:
                    raise SystemExit("this newsdesk has no ninjs_version option")
                kwargs["ninjs_version"] = folder
            report = ingest([path], store, settings=settings, **kwargs).to_dict()
            rejected = {e["location"] for e in report["errors"]}
            skipped = {s["location"] for s in report.get("skipped_records", [])}
            for location, valid in expected(suite, path, folder).items():
                outcome = (
                    "rejected" if location in rejected else "skipped" if location in skipped else "stored"
                )
                rows.append({
                    "file": path.relative_to(suite).as_posix(),
                    "location": location,
                    "version": folder or "not-valid",
                    "valid": valid,
                    "outcome": outcome,
                    "correct": (outcome != "rejected") == valid,
                })
        store.close()
    per_version: Counter[str] = Counter(r["version"] for r in rows)
    right: Counter[str] = Counter(r["version"] for r in rows if r["correct"])
    files = {r["file"] for r in rows}
    files_wrong = {r["file"] for r in rows if not r["correct"]}
    return {
        "mode": mode,
        "files": len(files),
        "files_correct": len(files - files_wrong),
        "documents": len(rows),
        "correct": sum(right.values()),
        "valid": sum(1 for r in rows if r["valid"]),
        "invalid": sum(1 for r in rows if not r["valid"]),
        "per_version": {v: f"{right[v]}/{n}" for v, n in sorted(per_version.items())},
        "wrong": [r for r in rows if not r["correct"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suite", type=Path, default=SUITE)
    parser.add_argument("--ninjs-version", choices=("auto", "folder"), default="auto")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (args.suite / "examples").is_dir():
        sys.exit(f"no ninjs suite at {args.suite}")
    result = judge(args.suite, args.ninjs_version)
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"{result['correct']}/{result['documents']} documents judged correctly "
          f"({result['valid']} valid, {result['invalid']} invalid; ninjs version: {result['mode']}); "
          f"{result['files_correct']}/{result['files']} files")
    for version, score in result["per_version"].items():
        print(f"  {version:>9}: {score}")
    for row in result["wrong"]:
        print(f"  wrong: {row['file']} {row['location']}: valid={row['valid']}, {row['outcome']}")


if __name__ == "__main__":
    main()
