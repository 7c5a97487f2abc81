"""Turn a reader's raw fields into an :class:`Article`, or say exactly what is wrong.

Readers map their format onto the canonical field names below; this module applies the same rules to every
format: types, lengths, dates, URLs, language codes. Every problem names the field, the value and what is
allowed, and all problems of a record are reported together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsdesk.articles.model import Article, Subject
from newsdesk.errors import InvalidInput
from newsdesk.settings import IngestSettings

__all__ = ["CANONICAL_FIELDS", "RecordInvalid", "to_article"]

CANONICAL_FIELDS = (
    "source_id",
    "headline",
    "body",
    "url",
    "byline",
    "published_at",
    "section",
    "language",
    "source",
    "keywords",
    "subjects",
    "extra",
)
_CANONICAL = frozenset(CANONICAL_FIELDS)
_ALIASES = {"id": "source_id", "title": "headline"}
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
# Control characters, and unpaired UTF-16 surrogates (JSON "\ud800" escapes): not encodable as UTF-8.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPLIT = re.compile(r"\s*[;,|]\s*")
_CODE = re.compile(r"^[A-Za-z][\w.-]*:\S+$")
_DATE_FORMATS = ("%d-%b-%Y %H:%M:%S.%f", "%d-%b-%Y %H:%M:%S", "%Y/%m/%d")
_WIRE_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}
_EARLIEST = datetime(1800, 1, 1, tzinfo=UTC)
_YEAR_AHEAD = timedelta(days=366)
_INF = float("inf")
_LANGUAGES: dict[str, str] = {}  # language tags seen, as given -> normalised


class RecordInvalid(Exception):
    """All the problems found in one record, as (field, value, message) triples."""

    def __init__(self, problems: list[tuple[str | None, Any, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}: {m}" for f, _, m in problems))


def to_article(fields: Mapping[str, Any], *, settings: IngestSettings, default_source: str) -> Article:
    """Validate ``fields`` and build the article; raise :class:`RecordInvalid` listing every problem."""
    problems: list[tuple[str | None, Any, str]] = []
    raw_extra = fields.get("extra")
    extra: dict[str, Any] = dict(raw_extra or {}) if isinstance(raw_extra, Mapping) else {}
    data: Mapping[str, Any]
    if type(fields) is dict and _CANONICAL.issuperset(fields):
        # What readers give: canonical names only. No alias, so no field can be given twice and nothing
        # goes to extra; the record is read as it is instead of being copied key by key.
        data = fields
        if raw_extra is not None and not isinstance(raw_extra, Mapping):
            problems.append(("extra", raw_extra, "must be an object"))
    else:
        data = _canonical(fields, extra, problems)

    # Each field in turn (the order problems are reported in); absent optional fields are skipped.
    lim = settings
    checked: dict[str, Any] = {}
    get = data.get
    for name, check, args, always in _checks(lim, default_source):
        value = get(name)
        if value is None and not always:
            continue
        try:
            checked[name] = check(name, value, *args)
        except InvalidInput as exc:
            _add(problems, exc)
    if extra and not _flat_json_safe(extra, lim.max_body_chars):
        try:
            _json_safe(extra, lim.max_body_chars)
        except InvalidInput as exc:
            _add(problems, exc)
    if problems:
        raise RecordInvalid(problems)
    got = checked.get
    article = Article._trusted(
        {
            "id": "",
            "source": got("source"),
            "source_id": got("source_id"),
            "headline": got("headline"),
            "body": got("body") or "",
            "url": got("url"),
            "byline": got("byline") or None,
            "published_at": got("published_at"),
            "section": got("section") or None,
            "language": got("language"),
            "keywords": got("keywords") or [],
            "subjects": got("subjects") or [],
            "extra": extra,
            "content_hash": "",
            "fingerprint": "",
            "revision": 1,
            "ingested_at": None,
            "updated_at": None,
            "enrichments": {},
        }
    )
    article._fill_hashes()
    return article


def _checks(
    lim: IngestSettings, default_source: str
) -> tuple[tuple[str, Callable[..., Any], tuple[Any, ...], bool], ...]:
    """(field, check, its extra arguments, checked even when absent), in the order problems are reported."""
    return (
        ("headline", _text, (lim.max_headline_chars, True), True),
        ("body", _text, (lim.max_body_chars, False), False),
        ("source_id", _identifier, (), False),
        ("source", _source, (default_source,), True),
        ("url", _url, (), False),
        ("byline", _text, (lim.max_field_chars, False), False),
        ("section", _text, (200, False), False),
        ("language", _language, (), False),
        ("published_at", _datetime, (lim.default_timezone,), False),
        ("keywords", _string_list, (lim.max_list_items,), False),
        ("subjects", _subjects, (lim.max_list_items,), False),
    )


def _canonical(
    fields: Mapping[str, Any], extra: dict[str, Any], problems: list[tuple[str | None, Any, str]]
) -> dict[str, Any]:
    """Fields under their canonical names (aliases resolved); unknown fields go to ``extra``."""
    data: dict[str, Any] = {}
    for key, value in fields.items():
        name = _ALIASES.get(key, key)
        if name == "extra":
            if not isinstance(value, Mapping) and value is not None:
                problems.append(("extra", value, "must be an object"))
            continue
        if name not in CANONICAL_FIELDS:
            extra[str(key)] = value
            continue
        if name in data:
            problems.append((key, value, f"given twice (as '{name}' and an alias of it)"))
            continue
        data[name] = value
    return data


def _add(problems: list[tuple[str | None, Any, str]], exc: InvalidInput) -> None:
    problems.append((exc.field, exc.value, f"expected {exc.allowed}"))


def _text(name: str, value: Any, limit: int, required: bool) -> str | None:
    if type(value) is str:  # "not value.strip()" without copying the text (same notion of whitespace)
        blank = not value or value.isspace()
    else:
        blank = value is None or (isinstance(value, str) and not value.strip())
    if blank:
        if required:
            raise InvalidInput(name, value, "a non-empty string")
        return None
    if not isinstance(value, str):
        raise InvalidInput(name, value, f"a string, not {type(value).__name__}")
    if len(value) > limit:
        raise InvalidInput(name, f"<{len(value)} characters>", f"at most {limit} characters")
    bad = _CONTROL.search(value)
    if bad:
        raise InvalidInput(
            name,
            value[max(0, bad.start() - 10) : bad.start() + 10],
            "text without control characters or unpaired surrogates "
            f"(found {bad.group()!r} at {bad.start()})",
        )
    text = value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.strip()


def _identifier(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(name, value, "a string or integer id")
    text = str(value).strip()
    if not text or len(text) > 512 or _CONTROL.search(text) or "\n" in text:
        raise InvalidInput(name, value, "a one-line id of 1 to 512 characters")
    return text


def _source(name: str, value: Any, default: str) -> str:
    value = default if value is None or value == "" else value
    if not isinstance(value, str) or not _SOURCE.match(value):
        raise InvalidInput(
            name, value, "a source slug: lowercase letters, digits, '.', '_' or '-', at most 64"
        )
    return value


def _url(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(name, value, "an http(s) URL string")
    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. "http://[bad" (an unclosed IPv6 host)
        parts = urlsplit("")
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or len(text) > 2048
        or " " in text
        or _CONTROL.search(text)
    ):
        raise InvalidInput(name, value, "an absolute http(s) URL of at most 2048 characters")
    return text


def _language(name: str, value: Any) -> str | None:
    if type(value) is str and (known := _LANGUAGES.get(value)) is not None:
        return known
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _LANGUAGE.match(value.strip()):
        raise InvalidInput(name, value, "a BCP 47 language tag such as 'en' or 'en-GB'")
    primary, *rest = value.strip().split("-")
    tag = "-".join([primary.lower(), *rest])
    if type(value) is str and len(_LANGUAGES) < 1000:  # a feed uses a handful of tags: remember them
        _LANGUAGES[value] = tag
    return tag


def _datetime(name: str, value: Any, default_tz: str) -> datetime | None:
    if value is None or value == "":
        return None
    parsed: datetime | None = None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            parsed = datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            parsed = None
    elif isinstance(value, str):
        parsed = _parse_date_text(value.strip())
    if parsed is None:
        raise InvalidInput(name, value, "an ISO 8601 or RFC 2822 date-time")
    if parsed.tzinfo is None:
        try:
            parsed = parsed.replace(tzinfo=ZoneInfo(default_tz))
        except ZoneInfoNotFoundError:
            raise InvalidInput("ingest.default_timezone", default_tz, "an IANA time zone") from None
    latest = datetime.now(UTC) + _YEAR_AHEAD
    try:
        in_range = _EARLIEST <= parsed <= latest
    except (OverflowError, ValueError):
        in_range = False
    if not in_range:
        raise InvalidInput(name, value, "a date between 1800-01-01 and one year from now")
    return parsed


def _parse_date_text(text: str) -> datetime | None:
    if not text or len(text) > 64:
        return None
    wire = _WIRE_DATE.fullmatch(text)  # 26-FEB-1987 15:01:01.79, as wire services write it
    if wire and wire.group(2).upper() in _MONTHS:
        d, mon, y, hh, mm, ss, frac = wire.groups()
        try:
            return datetime(
                int(y),
                _MONTHS[mon.upper()],
                int(d),
                int(hh),
                int(mm),
                int(ss),
                int((frac or "0").ljust(6, "0")),
            )
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _string_list(name: str, value: Any, limit: int) -> list[str]:
    if value is None or value == "":
        return []
    items = _SPLIT.split(value.strip()) if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise InvalidInput(name, value, "a list of strings or a ';'/','-separated string")
    out: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, str) or len(item) > 200 or _CONTROL.search(item):
            raise InvalidInput(f"{name}[{i}]", item, "a string of at most 200 characters")
        item = item.strip()
        if item and item not in out:
            out.append(item)
    if len(out) > limit:
        raise InvalidInput(name, f"<{len(out)} items>", f"at most {limit} items")
    return out


def _subjects(name: str, value: Any, limit: int) -> list[Subject]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = _SPLIT.split(value.strip())
    if not isinstance(value, list | tuple):
        raise InvalidInput(name, value, "a list of subject names, codes or {name, code} objects")
    out: list[Subject] = []
    seen: set[tuple[str | None, str | None]] = set()
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        if isinstance(item, str):
            item = item.strip()
            if _CONTROL.search(item):
                raise InvalidInput(where, item, "a subject name or code without control characters")
            if not item:
                continue
            subject = Subject(code=item) if _CODE.match(item) else Subject(name=item)
        elif isinstance(item, Mapping):
            nm, code = item.get("name"), item.get("code")
            if not all(
                v is None or (isinstance(v, str) and len(v) <= 500 and not _CONTROL.search(v))
                for v in (nm, code)
            ):
                raise InvalidInput(where, item, "'name' and 'code' as strings of at most 500 characters")
            if not nm and not code:
                raise InvalidInput(where, item, "an object with a 'name' or a 'code'")
            subject = Subject(name=nm or None, code=code or None)
        else:
            raise InvalidInput(where, item, "a subject name, code or {name, code} object")
        key = (subject.name, subject.code)
        if key not in seen:
            seen.add(key)
            out.append(subject)
    if len(out) > limit:
        raise InvalidInput(name, f"<{len(out)} items>", f"at most {limit} items")
    return out


def _flat_json_safe(extra: dict[Any, Any], limit: int) -> bool:
    """True when ``extra`` is a flat object of plain JSON scalars that :func:`_json_safe` accepts.

    The common case, checked without building a path per value; anything else (nesting, subclasses, a
    value it would reject) returns False, and :func:`_json_safe` then finds and names the problem.
    """
    for key, value in extra.items():
        if type(key) is not str or (not key.isascii() and _SURROGATE.search(key)):
            return False
        kind = type(value)
        if kind is str:
            if len(value) > limit or (not value.isascii() and _SURROGATE.search(value)):
                return False
        elif kind is float:
            if value != value or value in (_INF, -_INF):
                return False
        elif not (value is None or kind is bool or kind is int):
            return False
    return True


def _json_safe(value: Any, limit: int, path: str = "extra", depth: int = 0) -> None:
    """Extra fields must be JSON-serialisable and bounded."""
    if depth > 20:
        raise InvalidInput(path, "<nested too deep>", "at most 20 levels of nesting")
    if isinstance(value, str):
        if len(value) > limit:
            raise InvalidInput(path, f"<{len(value)} characters>", f"at most {limit} characters")
        if _SURROGATE.search(value):
            raise InvalidInput(path, ascii(value)[:120], "text without unpaired surrogates")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(k, str) and _SURROGATE.search(k):
                raise InvalidInput(path, ascii(k)[:120], "keys without unpaired surrogates")
            _json_safe(v, limit, f"{path}.{k}", depth + 1)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _json_safe(v, limit, f"{path}[{i}]", depth + 1)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidInput(path, value, "a finite number")
    elif not (value is None or isinstance(value, bool | int)):
        raise InvalidInput(path, value, "JSON values only")
