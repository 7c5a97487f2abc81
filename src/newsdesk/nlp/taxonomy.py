"""The IPTC Media Topics taxonomy (NewsCodes scheme ``medtop``), bundled with newsdesk.

The bundle ``newsdesk/data/iptc/mediatopics-en-GB.json.gz`` is a compact derivative of IPTC's CV-server
"cptall" export (release 2025-10-09, en-GB, CC BY 4.0, (c) IPTC): for each of the 1,392 concepts its qcode,
label, definition, parent qcode and retirement date. :func:`build_bundle` regenerates it from a newer
export. 1,084 concepts are active and 308 retired; retired ones are kept so that old tags can still be
resolved, but every view a tagger draws from (:meth:`Taxonomy.active`, :meth:`Taxonomy.children`,
:meth:`Taxonomy.top_level`) leaves them out. Depth is not assumed: this release has six levels (five
concepts under crime, law and justice > judiciary > court > trial (court) > sentencing (criminal)).

>>> tax = Taxonomy.bundled()
>>> tax.get("medtop:20000716").label
'mechanical engineering'
>>> [c.label for c in tax.ancestors("medtop:20000716")]
['science and technology', 'technology and engineering']
>>> tax.level("medtop:15000000"), len(tax.top_level())
(1, 17)
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from newsdesk.errors import InvalidInput, NotFound, UnreadableSource

__all__ = ["BUNDLE", "Concept", "Taxonomy", "build_bundle", "normalise_qcode"]

BUNDLE = "iptc/mediatopics-en-GB.json.gz"
"""The bundled taxonomy, relative to the ``newsdesk.data`` package."""

_URI = "http://cv.iptc.org/newscodes/mediatopic/"
_FORMAT = "newsdesk.iptc-mediatopics.v1"


@dataclass(frozen=True, slots=True)
class Concept:
    """One Media Topic: ``qcode`` like ``medtop:04000000``; ``parent`` is ``None`` at the top level;
    ``retired`` is the ISO timestamp of retirement, ``None`` while active."""

    qcode: str
    label: str
    definition: str
    parent: str | None
    retired: str | None = None

    @property
    def active(self) -> bool:
        return self.retired is None

    @property
    def uri(self) -> str:
        return _URI + self.qcode.split(":", 1)[1]


def normalise_qcode(code: str) -> str:
    """``medtop:NNNNNNNN`` from a qcode, a bare 8-digit code or a CV-server URI.

    >>> normalise_qcode("http://cv.iptc.org/newscodes/mediatopic/15000000"), normalise_qcode("04000000")
    ('medtop:15000000', 'medtop:04000000')
    """
    text = code.strip()
    for prefix in (_URI, _URI.replace("http://", "https://"), "medtop:"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    if not (len(text) == 8 and text.isdigit()):
        raise InvalidInput(
            "qcode", code, "a Media Topic qcode such as 'medtop:04000000', 8 digits or its URI"
        )
    return "medtop:" + text


class Taxonomy:
    """Concepts by qcode, with parent and child links. Built from concepts, an IPTC export or the bundle.

    Lookups accept any form :func:`normalise_qcode` does and raise :class:`~newsdesk.errors.NotFound` for
    unknown codes.
    """

    def __init__(self, concepts: list[Concept], *, release: str = "", licence: str = "", copyright: str = ""):
        self.release = release
        self.licence = licence
        self.copyright = copyright
        self._by_code = {c.qcode: c for c in concepts}
        if len(self._by_code) != len(concepts):
            raise InvalidInput("concepts", len(concepts), "concepts with distinct qcodes")
        self._children: dict[str | None, list[str]] = {}
        for concept in concepts:
            if concept.parent is not None and concept.parent not in self._by_code:
                raise InvalidInput(f"{concept.qcode}.parent", concept.parent, "the qcode of another concept")
            self._children.setdefault(concept.parent, []).append(concept.qcode)
        self._levels: dict[str, int] = {}

    # -- loading -------------------------------------------------------------------------------------------
    @classmethod
    def bundled(cls) -> Taxonomy:
        """The taxonomy shipped with newsdesk (loaded once per process)."""
        return _bundled()

    @classmethod
    def from_bundle(cls, path: Path) -> Taxonomy:
        """A taxonomy from a bundle file written by :func:`build_bundle`."""
        try:
            data = json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, ValueError) as exc:
            raise UnreadableSource(f"{path}: not a gzipped newsdesk IPTC bundle ({exc})") from exc
        return cls._from_payload(data, str(path))

    @classmethod
    def _from_payload(cls, data: dict[str, Any], where: str) -> Taxonomy:
        if data.get("format") != _FORMAT:
            raise UnreadableSource(f"{where}: expected format {_FORMAT!r}, got {data.get('format')!r}")
        concepts = [
            Concept(q, lab, dfn, par or None, ret or None) for q, lab, dfn, par, ret in data["concepts"]
        ]
        return cls(concepts, release=data["release"], licence=data["licence"], copyright=data["copyright"])

    @classmethod
    def from_export(cls, path: Path) -> Taxonomy:
        """A taxonomy from IPTC's CV-server JSON export (``cptall-<lang>.json``), labels in its language.

        ``broader`` holds URIs and ``narrower`` qcodes in that export; only ``broader`` is read.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            raw = data["conceptSet"]
        except (OSError, ValueError, KeyError) as exc:
            raise UnreadableSource(f"{path}: expected an IPTC Media Topics JSON export ({exc})") from exc
        concepts = []
        for item in raw:
            label = next(iter(item.get("prefLabel", {}).values()), "")
            definition = next(iter(item.get("definition", {}).values()), "")
            broader = item.get("broader") or []
            parent = normalise_qcode(broader[0]) if broader else None
            concepts.append(
                Concept(normalise_qcode(item["qcode"]), label, definition, parent, item.get("retired"))
            )
        return cls(
            concepts,
            release=str(data.get("dateReleased", "")),
            licence=str(data.get("licenceLink", "")),
            copyright=str(data.get("copyrightHolder", "")),
        )

    # -- lookups -------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Concept]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        try:
            return isinstance(code, str) and normalise_qcode(code) in self._by_code
        except InvalidInput:
            return False

    def get(self, code: str) -> Concept:
        """The concept (active or retired) for ``code``."""
        qcode = normalise_qcode(code)
        try:
            return self._by_code[qcode]
        except KeyError:
            raise NotFound(f"Media Topic {qcode} is not in the taxonomy (release {self.release})") from None

    def ancestors(self, code: str) -> list[Concept]:
        """The concept's ancestors, top level first, excluding the concept itself (any depth)."""
        chain: list[Concept] = []
        seen = {self.get(code).qcode}
        parent = self.get(code).parent
        while parent is not None:
            if parent in seen:  # a malformed export with a cycle
                raise InvalidInput(f"{code}.ancestors", parent, "a taxonomy without cycles")
            seen.add(parent)
            concept = self._by_code[parent]
            chain.append(concept)
            parent = concept.parent
        chain.reverse()
        return chain

    def level(self, code: str) -> int:
        """1 for top-level concepts, 2 for their children, and so on."""
        qcode = normalise_qcode(code)
        if qcode not in self._levels:
            self._levels[qcode] = len(self.ancestors(qcode)) + 1
        return self._levels[qcode]

    def top(self, code: str) -> Concept:
        """The top-level concept above (or equal to) ``code``."""
        chain = self.ancestors(code)
        return chain[0] if chain else self.get(code)

    def children(self, code: str, *, include_retired: bool = False) -> list[Concept]:
        """Direct children, active only unless asked."""
        kids = (self._by_code[q] for q in self._children.get(self.get(code).qcode, []))
        return [c for c in kids if include_retired or c.active]

    def descendants(self, code: str) -> list[Concept]:
        """Every active concept below ``code``, depth first."""
        out: list[Concept] = []
        stack = list(reversed(self.children(code)))
        while stack:
            concept = stack.pop()
            out.append(concept)
            stack.extend(reversed(self.children(concept.qcode)))
        return out

    def top_level(self) -> list[Concept]:
        """The active top-level concepts (17 in this release), in code order."""
        return sorted(
            (self._by_code[q] for q in self._children.get(None, []) if self._by_code[q].active),
            key=lambda c: c.qcode,
        )

    def active(self) -> list[Concept]:
        """Every active concept whose ancestors are all active, in code order: what a tagger may emit."""
        return sorted(
            (c for c in self if c.active and all(a.active for a in self.ancestors(c.qcode))),
            key=lambda c: c.qcode,
        )


@functools.cache
def _bundled() -> Taxonomy:
    source = resources.files("newsdesk.data").joinpath(BUNDLE)
    try:
        payload = json.loads(gzip.decompress(source.read_bytes()))
    except (OSError, ValueError) as exc:  # pragma: no cover - a broken installation
        raise UnreadableSource(
            f"newsdesk/data/{BUNDLE}: the bundled IPTC taxonomy is missing ({exc})"
        ) from exc
    return Taxonomy._from_payload(payload, f"newsdesk/data/{BUNDLE}")


def build_bundle(export: Path, out: Path) -> Taxonomy:
    """Write the compact gzipped bundle ``out`` from IPTC's JSON export ``export``, and return it loaded.

    Regenerate the shipped bundle with::

        python -c "from pathlib import Path; from newsdesk.nlp.taxonomy import build_bundle; \\
            build_bundle(Path('cptall-en-GB.json'), Path('src/newsdesk/data/iptc/mediatopics-en-GB.json.gz'))"
    """
    tax = Taxonomy.from_export(export)
    payload = {
        "format": _FORMAT,
        "scheme": "medtop",
        "release": tax.release,
        "licence": tax.licence,
        "copyright": tax.copyright,
        "source": "https://cv.iptc.org/newscodes/mediatopic/ (cptall export)",
        "concepts": [
            [c.qcode, c.label, c.definition, c.parent or "", c.retired or ""]
            for c in sorted(tax, key=lambda c: c.qcode)
        ],
    }
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    return Taxonomy.from_bundle(out)
