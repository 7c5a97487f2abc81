"""IPTC ninjs (News in JSON): version detection, validation against the bundled official schemas, and the
mapping between ninjs documents and articles, in both directions.

Generations differ in shape: 1.x has ``headline`` and ``body_text``; 2.x has ``headlines`` and ``bodies``;
3.x renames properties to camelCase (``versionCreated``). A document that declares its version
(``$standard``/``standard``) is validated against that schema; otherwise against each schema of the detected
generation, newest first, and it is valid if any accepts it. A caller may instead name the one version to
validate against (``version="2.1"``); the document is then judged by that schema only.

Mapping choices (documented because ninjs has no slot for them): an article's section and keywords travel as
``subjects`` with ``rel`` ``"section"`` / ``"keyword"``; its URL, source and source id as ``altids`` with
roles
``url``, ``source`` and ``source-id``. ``published_at`` is ``firstcreated``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlsplit

from newsdesk.articles.model import Article
from newsdesk.articles.text import html_to_text
from newsdesk.errors import InvalidInput

__all__ = [
    "EXPORT_VERSIONS",
    "SCHEMA_VERSIONS",
    "candidate_versions",
    "check_version",
    "declared_version",
    "detect_version",
    "from_ninjs",
    "schema",
    "to_ninjs",
    "validate_ninjs",
]

SCHEMA_VERSIONS = (
    "1.0",
    "1.1",
    "1.2",
    "1.3",
    "1.4",
    "1.5",
    "1.6",
    "2.0",
    "2.1",
    "2.2",
    "3.0",
    "3.1",
)
EXPORT_VERSIONS = {"2": "2.2", "3": "3.1"}
# camelCase names 3.x uses inside objects where 2.x has the lower-case name (no 1.x name is camelCase).
_CAMEL_NESTED = {
    "contentType", "sizeInBytes", "charCount", "wordCount", "langId", "geoJSON", "contactInfo",
    "postalCode", "encodedRights", "linkedRights", "symbolType", "digitalSourceType", "rightsInfo",
    "altIds", "copyrightHolder", "copyrightNotice", "usageTerms",
}
_DECLARED = re.compile(r"(\d+)(?:\.(\d+))?(?:\.\d+)?")  # "3.0.1" (a patch release) is 3.0
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (Mapping,), "array": (list,), "string": (str,), "number": (int, float), "integer": (int,),
    "boolean": (bool,), "null": (type(None),),
}


@cache
def schema(version: str) -> dict[str, Any]:
    """The official IPTC schema of one ninjs version, bundled with the package."""
    if version not in SCHEMA_VERSIONS:
        raise InvalidInput("ninjs version", version, f"one of {', '.join(SCHEMA_VERSIONS)}")
    text = files("newsdesk.articles").joinpath(f"schemas/ninjs-schema_{version}.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


_GEOJSON_URI = "https://geojson.org/schema/GeoJSON.json"


@cache
def _registry() -> Any:
    """The schemas that ninjs schemas refer to (GeoJSON, from 2.0 on), bundled: validation never goes
    to the network; any other remote reference fails instead of being fetched."""
    from referencing import Registry, Resource

    def refuse(uri: str) -> Resource:
        raise LookupError(f"{uri} is not bundled; remote schemas are not fetched")

    text = files("newsdesk.articles").joinpath("schemas/GeoJSON-schema.json").read_text("utf-8")
    return Registry(retrieve=refuse).with_resource(  # type: ignore[call-arg]
        _GEOJSON_URI, Resource.from_contents(json.loads(text))
    )


@cache
def _validator(version: str) -> Any:
    from jsonschema.validators import validator_for

    sch = schema(version)
    cls = validator_for(sch)
    return cls(sch, registry=_registry())


def declared_version(doc: Mapping[str, Any]) -> str | None:
    """The version a document declares in ``$standard`` (1.x) or ``standard`` (2.x, 3.x), if bundled.

    A schema URI (``.../ninjs-schema_3.0.json``) wins over the version number; a patch release is its minor
    version (``"3.0.1"`` is 3.0, whose schema's title says 3.0.1).

    >>> declared_version({"uri": "x", "standard": {"name": "ninjs", "version": "3.0.1"}})
    '3.0'
    """
    for key in ("standard", "$standard"):
        std = doc.get(key)
        if not isinstance(std, Mapping):
            continue
        for candidate in (std.get("schema"), std.get("version")):
            if not isinstance(candidate, str):
                continue
            in_uri = re.search(r"ninjs-schema_(\d+\.\d+)", candidate)
            plain = _DECLARED.fullmatch(candidate.strip())
            version = (
                in_uri.group(1) if in_uri else f"{plain.group(1)}.{plain.group(2) or 0}" if plain else None
            )
            if version in SCHEMA_VERSIONS:
                return version
    return None


def detect_version(doc: Mapping[str, Any]) -> str:
    """The generation of a ninjs document: ``'1'``, ``'2'`` or ``'3'``.

    The declared version's, else the generation whose schemas know the most of the document's top-level
    properties, with values of the type they give (``altids`` is an object in 1.x, an array later). 2.x and
    3.x share many names (``headlines``, ``bodies``): a tie between them goes to 3.x when camelCase names
    appear inside the document (``contentType``), else to 2.x; a tie with 1.x goes to 1.x.

    >>> detect_version({"uri": "x", "headlines": [{"value": "h"}], "versionCreated": "2024-01-01T00:00:00Z"})
    '3'
    >>> detect_version({"uri": "x", "headline": "h", "altids": {"ap": "1"}})
    '1'
    """
    declared = declared_version(doc)
    if declared:
        return declared.split(".")[0]
    scores = {generation: _known(doc, generation) for generation in "123"}
    best = max(scores.values())
    tied = [generation for generation, score in scores.items() if score == best]
    if len(tied) > 1 and "3" in tied and _CAMEL_NESTED & _nested_keys(doc):
        return "3"
    return tied[0]


def _known(doc: Mapping[str, Any], generation: str) -> int:
    """How many of the document's top-level properties the schemas of ``generation`` define."""
    names, patterns = _generation_properties()[generation]
    count = 0
    for key, value in doc.items():
        if key in names:
            allowed = names[key]
            count += allowed is None or isinstance(value, allowed)
        elif isinstance(key, str) and any(p.match(key) for p in patterns):
            count += 1
    return count


_Properties = tuple[dict[str, tuple[type, ...] | None], tuple[re.Pattern[str], ...]]


@cache
def _generation_properties() -> dict[str, _Properties]:
    """Per generation: top-level property name -> the Python types its JSON types allow (``None``: any),
    and the name patterns (1.x ``body_*`` and the like), read from the bundled schemas."""
    out: dict[str, _Properties] = {}
    for generation in "123":
        known: dict[str, set[type] | None] = {}
        patterns: set[str] = set()
        for version in (v for v in SCHEMA_VERSIONS if v.startswith(generation + ".")):
            sch = schema(version)
            body = sch.get("$defs", {}).get("ninjsType", sch)  # 2.1 on: the properties are in $defs
            for name, spec in body.get("properties", {}).items():
                kinds = spec.get("type") if isinstance(spec, Mapping) else None
                types = None if kinds is None else _python_types(kinds)
                before = known.get(name, set())
                known[name] = None if before is None or types is None else before | types
            patterns.update(body.get("patternProperties", {}))
        out[generation] = (
            {name: None if types is None else tuple(types) for name, types in known.items()},
            tuple(re.compile(p) for p in sorted(patterns)),
        )
    return out


def _python_types(json_types: str | list[str]) -> set[type]:
    names = [json_types] if isinstance(json_types, str) else json_types
    return {t for name in names for t in _JSON_TYPES.get(name, (object,))}


def _nested_keys(value: Any, depth: int = 0) -> set[str]:
    """Property names below the top level (bounded depth), to tell 3.x from 2.x by nested camelCase."""
    out: set[str] = set()
    if depth > 4:
        return out
    items = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else ()
    for item in items:
        if isinstance(item, Mapping):
            out.update(k for k in item if isinstance(k, str))
        if isinstance(item, Mapping | list):
            out |= _nested_keys(item, depth + 1)
    return out


def check_version(value: str, field: str = "ninjs_version") -> str:
    """``value`` if it is ``"auto"`` or a bundled schema version, else :class:`InvalidInput` naming ``field``.

    >>> check_version("2.1")
    '2.1'
    """
    if value != "auto" and value not in SCHEMA_VERSIONS:
        raise InvalidInput(field, value, f"auto or one of {', '.join(SCHEMA_VERSIONS)}")
    return value


def candidate_versions(doc: Mapping[str, Any], version: str = "auto") -> list[str]:
    """The schema versions ``doc`` is judged by, in the order tried.

    A given ``version`` alone; with ``"auto"``, the declared version alone, else every version of the
    detected generation, newest first.

    >>> candidate_versions({"uri": "x", "headline": "h"})
    ['1.6', '1.5', '1.4', '1.3', '1.2', '1.1', '1.0']
    >>> candidate_versions({"uri": "x", "headline": "h"}, "1.4")
    ['1.4']
    """
    if check_version(version) != "auto":
        return [version]
    declared = declared_version(doc)
    if declared:
        return [declared]
    generation = detect_version(doc)
    return [v for v in reversed(SCHEMA_VERSIONS) if v.startswith(generation + ".")]


def validate_ninjs(doc: Any, version: str = "auto") -> tuple[str | None, list[tuple[str, str]]]:
    """Validate one document against the schemas of :func:`candidate_versions`. Returns (the version it
    validated against, problems as (path, message)).

    On failure the version is ``None`` and the problems come from the first candidate schema (the given or
    declared version, else the newest of the generation).

    >>> validate_ninjs({"uri": "x", "headlines": [{"value": "h"}]}, "2.1")
    ('2.1', [])
    """
    check_version(version)
    if not isinstance(doc, Mapping):
        return None, [("", f"a ninjs document is a JSON object, not {type(doc).__name__}")]
    first_errors: list[tuple[str, str]] = []
    for candidate in candidate_versions(doc, version):
        errors = sorted(_validator(candidate).iter_errors(doc), key=lambda e: list(e.absolute_path))
        if not errors:
            return candidate, []
        if not first_errors:
            first_errors = [(_path(e.absolute_path), e.message[:300]) for e in errors[:5]]
    return None, first_errors


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def from_ninjs(
    doc: Mapping[str, Any], *, source: str | None = None, version: str | None = None
) -> dict[str, Any]:
    """Canonical article fields from a ninjs document of any generation (not validated here).

    ``version`` is the schema version the document validated against: its generation decides the property
    names read; without it, the detected generation.
    """
    gen = version.split(".")[0] if version else detect_version(doc)
    camel = gen == "3"

    def key(name: str) -> str:
        if not camel:
            return name
        mapping = {
            "versioncreated": "versionCreated",
            "firstcreated": "firstCreated",
            "contentcreated": "contentCreated",
            "altids": "altIds",
            "contenttype": "contentType",
            "infosources": "infoSources",
        }
        return mapping.get(name, name)

    fields: dict[str, Any] = {"source_id": doc.get("uri")}
    if gen == "1":
        fields["headline"] = doc.get("headline") or doc.get("headline_main")
        body = doc.get("body_text") or doc.get("body_main")
        if not body:
            markup = next((doc[k] for k in ("body_html", "body_richtext", "body_xhtml")
                           if isinstance(doc.get(k), str)), None)
            body = html_to_text(markup) if markup else None
        fields["body"] = body
        fields["byline"] = doc.get("byline")
        subjects = doc.get("subject") or []
    else:
        fields["headline"] = _pick_text(doc.get("headlines"), key("contenttype"))
        fields["body"] = _pick_text(doc.get("bodies"), key("contenttype"))
        fields["byline"] = doc.get("by")
        subjects = doc.get("subjects") or []
    fields["published_at"] = doc.get(key("firstcreated")) or doc.get(key("versioncreated"))
    fields["language"] = doc.get("language")
    keywords: list[str] = []
    subject_out: list[Any] = []
    if isinstance(subjects, list):
        for s in subjects:
            if not isinstance(s, Mapping):
                subject_out.append(s)
                continue
            rel, name = s.get("rel"), s.get("name")
            if rel == "keyword" and isinstance(name, str):
                keywords.append(name)
            elif rel == "section" and isinstance(name, str):
                fields["section"] = name
            else:
                code = s.get("uri") or s.get("literal") or s.get("code")
                if gen == "1" and s.get("scheme") and s.get("code"):
                    code = f"{s['scheme']}{s['code']}"
                subject_out.append({"name": name, "code": code})
    else:
        subject_out = subjects
    fields["subjects"] = subject_out
    fields["keywords"] = keywords
    altids = doc.get(key("altids"))
    if isinstance(altids, list):
        roles = {a.get("role"): a.get("value") for a in altids if isinstance(a, Mapping)}
        fields["url"] = roles.get("url")
        if roles.get("source-id"):
            fields["source_id"] = roles["source-id"]
        if roles.get("source") and not source:
            fields["source"] = roles["source"]
    if source:
        fields["source"] = source
    elif "source" not in fields:
        uri = doc.get("uri")
        try:
            host = urlsplit(uri).netloc if isinstance(uri, str) else ""
        except ValueError:  # e.g. "http://[bad" (an unclosed IPv6 host)
            host = ""
        fields["source"] = _slug(host or "ninjs")
    kept = ("slugline", "urgency", "pubstatus", "pubStatus", "version", "located")
    fields["extra"] = {f"ninjs_{k}": doc[k] for k in kept if k in doc and doc[k] is not None}
    return fields


def _pick_text(items: Any, contenttype_key: str) -> Any:
    """The main plain-text value of ``headlines`` / ``bodies``; HTML is converted if that is all."""
    if items is None:
        return None
    if not isinstance(items, list):
        return items
    usable = [i for i in items if isinstance(i, Mapping) and isinstance(i.get("value"), str)]
    if not usable:
        return None
    plain = [i for i in usable if str(i.get(contenttype_key, "text/plain")).startswith("text/plain")]
    main = [i for i in (plain or usable) if i.get("role") in (None, "main", "text", "body")]
    chosen = (main or plain or usable)[0]
    value: str = chosen["value"]
    if not str(chosen.get(contenttype_key, "text/plain")).startswith("text/plain"):
        value = html_to_text(value)
    return value


def _slug(text: str) -> str:
    from newsdesk.ingest.readers.base import slug

    return slug(text, "ninjs")


def to_ninjs(article: Article, version: str = "2") -> dict[str, Any]:
    """A ninjs 2.x (default) or 3.x document for ``article``; valid against the bundled schema.

    >>> a = Article.create(source="bbc", source_id="tech/1", headline="H", body="B")
    >>> to_ninjs(a)["headlines"]
    [{'role': 'main', 'value': 'H'}]
    """
    if version not in EXPORT_VERSIONS:
        raise InvalidInput("ninjs_version", version, "2 or 3")
    full = EXPORT_VERSIONS[version]
    camel = version == "3"
    ct = "contentType" if camel else "contenttype"
    source_id = article.source_id or ""
    uri = (
        source_id
        if urlsplit(source_id).scheme in ("http", "https", "urn", "tag")
        else ("urn:newsdesk:" + quote(article.id, safe=":"))
    )
    doc: dict[str, Any] = {
        "uri": uri,
        "standard": {
            "name": "ninjs",
            "version": full,
            "schema": f"http://www.iptc.org/std/ninjs/ninjs-schema_{full}.json",
        },
        "type": "text",
        "headlines": [{"role": "main", "value": article.headline}],
    }
    if article.body:
        doc["bodies"] = [{"role": "main", ct: "text/plain", "value": article.body}]
    if article.byline:
        doc["by"] = article.byline
    if article.language:
        doc["language"] = article.language
    if article.published_at:
        doc["firstCreated" if camel else "firstcreated"] = article.published_at.isoformat()
    if article.published_at:  # without a publication date, a version date would read back as one
        changed = article.updated_at or article.published_at
        doc["versionCreated" if camel else "versioncreated"] = changed.isoformat()
    subjects: list[dict[str, str]] = []
    if article.section:
        subjects.append({"name": article.section, "rel": "section"})
    subjects += [{"name": k, "rel": "keyword"} for k in article.keywords]
    for s in article.subjects:
        item: dict[str, str] = {}
        if s.name:
            item["name"] = s.name
        if s.code:
            item["uri" if urlsplit(s.code).scheme in ("http", "https") else "literal"] = s.code
        subjects.append(item)
    if subjects:
        doc["subjects"] = subjects
    altids = [{"role": "source", "value": article.source}]
    if article.source_id:
        altids.append({"role": "source-id", "value": article.source_id})
    if article.url:
        altids.append({"role": "url", "value": article.url})
    doc["altIds" if camel else "altids"] = altids
    return doc
