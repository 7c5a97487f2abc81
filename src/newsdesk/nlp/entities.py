"""The ``entities`` component: people, organisations and places in an article, one entry per real-world
entity rather than per mention, each with a stable id such as ``person:tim-cook``.

A NER model finds mentions in the article's :attr:`~newsdesk.articles.model.Article.model_text`
(headline, blank line, body; ``first_offset`` is a character offset in that text), read up to
``max_chars`` (default 50,000 characters, about 8,000 words, longer than nearly every news article) so a
huge document costs seconds, not minutes. The model is ``settings.nlp.ner_model``: by default the bundled
transformer (:data:`~newsdesk.nlp.models.BUNDLED_NER`, MiniLM fine-tuned on CoNLL-2003 with document
context, shipped as a small delta over the installed encoder), or a spaCy package (only its ``ner`` pipe
runs). Labels map to three types::

    PER, PERSON -> person      ORG -> organisation      LOC, GPE, FAC -> place

When the pipeline hands the component a ``newsdesk-ner`` champion (``newsdesk train ner``, promoted through
its gates; see :meth:`~newsdesk.nlp.base.BaseComponent.use_champion`), :meth:`EntitiesComponent.fit` asks
for it on the driver and keeps it as fitted state (``champion_``); that model is then used instead and the
version names it (``1+newsdesk-ner@3+<hash>``); its labels map the same way (CoNLL's MISC is left out).

Other labels (NORP such as "British", EVENT, PRODUCT, WORK_OF_ART, LAW, LANGUAGE, dates, numbers) are
left out: the newsroom's entity pages are about who, which organisation and where. A string the model
labels inconsistently within one article ("Cook" as PERSON twice and ORG once) takes its majority type.

Mentions are then merged within the article (:func:`merge_mentions`):

- normalised: possessives ("Cook's"), honorifics for people ("Mr Cook"), a leading "the" for
  organisations and places, quotes and surrounding punctuation are removed;
- a shorter form joins a longer entity of the same type when it is unambiguous in the article: for people
  when its words appear in order in the longer name and end with the same surname ("Cook", "George Bush"
  for "George W Bush"); for organisations and places when it is a run of the longer name's words
  ("Time Warner" in "Time Warner Inc") or its acronym ("BBC" for "British Broadcasting Corporation").
  With two candidates ("Tim Cook" and "Jane Cook"), a lone "Cook" stays its own entity.
- the canonical name is the longest form; the id is ``<type>:<slug of that name>``, so the same full name
  gets the same id in every article.

:class:`EntityIndex` aggregates the stored outputs across the archive into an entity table (articles and
mentions per entity, its top articles), and resolves a short form used alone in an article (an article
that only says "Cook") to the full-name entity when exactly one full name in the archive fits.

>>> index = EntityIndex()
>>> index.add("a1", [{"id": "person:tim-cook", "name": "Tim Cook", "type": "person", "mentions": 3}])
>>> index.add("a2", [{"id": "person:cook", "name": "Cook", "type": "person", "mentions": 1}])
>>> row = index.table()[0]
>>> row.id, row.articles, row.mentions, row.aliases
('person:tim-cook', 2, 4, ['person:cook'])
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self

from newsdesk.errors import InvalidInput, NotFound
from newsdesk.nlp.base import BaseComponent, Champion, ComponentConfig, Output, components, runtime_field
from newsdesk.nlp.models import BUNDLED_NER, load_ner, pipeline_identity

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.settings import Settings
    from newsdesk.store.base import ArticleStore

__all__ = [
    "LABEL_TYPES",
    "EntitiesComponent",
    "EntitiesConfig",
    "EntityIndex",
    "EntityRow",
    "Mention",
    "entity_id",
    "merge_mentions",
    "slugify",
]

LABEL_TYPES: dict[str, str] = {
    "PERSON": "person",
    "PER": "person",  # CoNLL-2003 labels, of a fine-tuned newsdesk-ner champion
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}
# Only the NER pipe is needed; the small English model's NER has its own token-to-vector layer.
NER_ONLY_DISABLE = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer")
_CHUNK_CHARS = 20_000  # spaCy's cost grows with document length; long bodies go through in pieces
MAX_CHARS = 50_000  # about 8,000 words: longer than nearly every news article; bounds time on huge texts
_HONORIFICS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "professor",
        "sir",
        "dame",
        "lord",
        "lady",
        "rev",
        "reverend",
        "mister",
        "madam",
    ]
)
_ACRONYM_SKIP = frozenset(["of", "and", "the", "for", "de", "la", "du", "des", "&", "in", "on", "at"])
_POSSESSIVE = re.compile("['\u2019]s?$", re.IGNORECASE)
# quotes, brackets, dashes; not ".", so "U.S." and "Inc." keep their stops
_EDGE_PUNCT = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb()[]{}<>,;:!?-\u2013\u2014 "


@dataclass(frozen=True, slots=True)
class Mention:
    """One NER span: its text as written, its OntoNotes label and its start in the article's model text."""

    text: str
    label: str
    start: int


@dataclass
class _Entity:
    type: str
    key: tuple[str, ...]  # casefolded words of the canonical form
    form: str  # the canonical form as first written
    names: Counter[str] = field(default_factory=Counter)  # normalised forms of the longest key, as written
    mentions: int = 0
    surface_forms: dict[str, None] = field(default_factory=dict)  # ordered set
    first_offset: int = 0

    def name(self) -> str:
        # prefer a form that is not all capitals ("Barclays" over "BARCLAYS"), then the most frequent
        if not self.names:
            return self.form
        return max(self.names, key=lambda n: (not n.isupper(), self.names[n]))


def slugify(name: str) -> str:
    """Lower-case ASCII words joined by hyphens; letters outside ASCII are kept when they have no ASCII
    form, so names in other scripts still get a usable slug.

    >>> slugify("José Mourinho"), slugify("AT&T Inc."), slugify("東京")
    ('jose-mourinho', 'at-t-inc', '東京')
    """
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", "-", stripped.casefold()).strip("-")


def entity_id(type_: str, name: str) -> str:
    """``person:tim-cook``: the entity's type and the slug of its canonical name."""
    return f"{type_}:{slugify(name)}"


def normalise(text: str, type_: str) -> str:
    """The form used for matching: whitespace collapsed, quotes, possessive, honorifics (people) and a
    leading "the" (organisations, places) removed.

    >>> normalise("Mr Cook's", "person"), normalise("the British Broadcasting Corporation", "organisation")
    ('Cook', 'British Broadcasting Corporation')
    >>> normalise("Jones'", "person"), normalise('"U.S."', "place")
    ('Jones', 'U.S.')
    """
    form = " ".join(text.split()).strip(_EDGE_PUNCT)
    form = _POSSESSIVE.sub("", form).strip(_EDGE_PUNCT)
    words = form.split()
    if len(words) > 1:
        head = words[0].casefold().rstrip(".")
        if (type_ == "person" and head in _HONORIFICS) or (type_ != "person" and head == "the"):
            words = words[1:]
    return " ".join(words)


def _is_subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    it = iter(long)
    return all(word in it for word in short)


def _is_run(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    n = len(short)
    return any(long[i : i + n] == short for i in range(len(long) - n + 1))


def _looks_like_acronym(word: str) -> bool:
    return len(word) >= 2 and word.isupper() and word.isalpha()


def _initials(words: Sequence[str]) -> str:
    """Upper-case initials of the words, function words skipped: "Bank of England" -> "BE"."""
    return "".join(w[0] for w in words if w.casefold() not in _ACRONYM_SKIP and w[:1].isalpha()).upper()


def _is_acronym(short: str, long_words: Sequence[str]) -> bool:
    return _looks_like_acronym(short) and len(long_words) >= 2 and _initials(long_words) == short


def _joins(short_key: tuple[str, ...], short_form: str, entity: _Entity) -> bool:
    """Whether the shorter form ``short_key`` can refer to ``entity`` (longer, same type)."""
    long_key = entity.key
    if len(short_key) >= len(long_key):
        return False
    if entity.type == "person":
        return short_key[-1] == long_key[-1] and _is_subsequence(short_key, long_key)
    if _is_run(short_key, long_key):
        return True
    return len(short_key) == 1 and _is_acronym(short_form, entity.form.split())


def merge_mentions(mentions: Iterable[Mention]) -> list[dict[str, Any]]:
    """Group one article's mentions into entities (rules in the module docstring), in order of first
    mention.

    >>> found = merge_mentions([Mention("Tim Cook", "PERSON", 0), Mention("Cook", "PERSON", 40),
    ...                         Mention("Apple", "ORG", 60), Mention("Cook's", "PERSON", 90)])
    >>> [(e["id"], e["mentions"], e["surface_forms"]) for e in found]
    [('person:tim-cook', 3, ['Tim Cook', 'Cook', "Cook's"]), ('organisation:apple', 1, ['Apple'])]
    """
    # 1. normalise; collect the labels each matching key was given
    rows: list[tuple[tuple[str, ...], str, str, Mention]] = []  # key, form, raw surface, mention
    votes: dict[tuple[str, ...], Counter[str]] = {}
    for mention in mentions:
        surface = " ".join(mention.text.split())
        provisional = LABEL_TYPES.get(mention.label, "other")
        form = normalise(surface, provisional)
        if not form or not any(ch.isalnum() for ch in form):
            continue
        key = tuple(form.casefold().split())
        rows.append((key, form, surface, mention))
        if mention.label in LABEL_TYPES:
            votes.setdefault(key, Counter())[LABEL_TYPES[mention.label]] += 1
    # 2. each key takes its majority type (keys only ever given other labels are dropped)
    typed: list[tuple[str, tuple[str, ...], str, str, int]] = []
    for key, form, surface, mention in rows:
        if key not in votes:
            continue
        type_ = votes[key].most_common(1)[0][0]
        if type_ == "person" and LABEL_TYPES.get(mention.label) != "person":
            form = normalise(surface, "person")  # re-normalise with the honorifics rule
            key = tuple(form.casefold().split()) or key
        typed.append((type_, key, form, surface, mention.start))
    # 3. longest forms first, each joins one unambiguous longer entity or starts its own
    by_key: dict[tuple[str, tuple[str, ...]], _Entity] = {}
    order = sorted({(t, k) for t, k, *_ in typed}, key=lambda tk: (-len(tk[1]), tk))
    first_form = {(t, k): f for t, k, f, _, _ in reversed(typed)}
    for type_, key in order:
        form = first_form[(type_, key)]
        candidates = {id(e): e for e in by_key.values() if e.type == type_ and _joins(key, form, e)}
        if len(candidates) == 1:
            by_key[(type_, key)] = next(iter(candidates.values()))
        else:
            by_key[(type_, key)] = _Entity(type_, key, form)
    for type_, key, form, surface, start in sorted(typed, key=lambda row: row[4]):
        entity = by_key[(type_, key)]
        if not entity.mentions:
            entity.first_offset = start
        if key == entity.key:
            entity.names[form] += 1
        entity.mentions += 1
        entity.surface_forms[surface] = None
    # 4. one dict per entity; entities whose own id collides (same slug) are summed
    out: dict[str, dict[str, Any]] = {}
    for entity in sorted({id(e): e for e in by_key.values()}.values(), key=lambda e: e.first_offset):
        name = entity.name()
        eid = entity_id(entity.type, name)
        if eid in out:
            out[eid]["mentions"] += entity.mentions
            forms = out[eid]["surface_forms"]
            forms += [s for s in entity.surface_forms if s not in forms]
            continue
        out[eid] = {
            "id": eid,
            "name": name,
            "type": entity.type,
            "mentions": entity.mentions,
            "surface_forms": list(entity.surface_forms),
            "first_offset": entity.first_offset,
        }
    return list(out.values())


def _chunks(text: str, size: int = _CHUNK_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) covering ``text``, cut at paragraph breaks, else at whitespace, else hard."""
    pieces: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start + size // 2, end)
            if cut < 0:
                cut = text.rfind(" ", start + size // 2, end)
            end = cut + 1 if cut >= 0 else end
        pieces.append((start, text[start:end]))
        start = end
    return pieces


@dataclass(frozen=True)
class EntitiesConfig(ComponentConfig):
    """The ``entities`` component's configuration: the NER model (the bundled transformer,
    :data:`~newsdesk.nlp.models.BUNDLED_NER`, or a spaCy package or path), the texts per batch, and how
    much of an article is read."""

    model: str = BUNDLED_NER
    precision: str = "int8"  # the bundled transformer on the CPU: 'int8' or 'fp32'
    device: str = runtime_field("auto")
    batch_size: int = runtime_field(32)
    max_chars: int = MAX_CHARS

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise InvalidInput("batch_size", self.batch_size, "an integer >= 1")
        if self.max_chars < 1:
            raise InvalidInput("max_chars", self.max_chars, "an integer >= 1")
        if self.precision not in {"int8", "fp32"}:
            raise InvalidInput("precision", self.precision, "'int8' or 'fp32'")

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """``settings.nlp.ner_model``, ``ner_precision``, ``device`` and ``options``."""
        nlp = settings.nlp
        return cls(
            **({"model": nlp.ner_model, "precision": nlp.ner_precision, "device": nlp.device} | options)
        )


@components.register("entities")
class EntitiesComponent(BaseComponent):
    """Value: ``[{"id", "name", "type", "mentions", "surface_forms", "first_offset"}, ...]`` in order of
    first mention (see the module docstring).

    Fitting learns nothing from the articles: it resolves the ``newsdesk-ner`` champion handed in with
    :meth:`use_champion` (on the driver) into ``champion_``, which :meth:`transform` then uses."""

    name: ClassVar[str] = "entities"
    parallel_safe: ClassVar[bool] = True  # pure Python, numpy or spaCy: safe in forked workers
    requires: ClassVar[tuple[str, ...]] = ("headline", "body")
    assigns: ClassVar[tuple[str, ...]] = ("entities",)
    code_version: ClassVar[str] = "1"
    Config: ClassVar[type[ComponentConfig]] = EntitiesConfig
    config: EntitiesConfig
    state: ClassVar[tuple[str, ...]] = ("champion_",)

    def __init__(self, config: EntitiesConfig | None = None, /, **options: Any) -> None:
        super().__init__(config, **options)
        self.champion_: Champion | None = None

    @property
    def model_name(self) -> str:
        return self.config.model

    @property
    def max_chars(self) -> int:
        return self.config.max_chars

    def _fit(self, articles: Iterable[Article]) -> None:
        """The champion to serve, asked on the driver (None: the configured spaCy model)."""
        self.champion_ = self.served_champion()

    @property
    def nlp(self) -> Any:
        """The fitted champion's pipeline when there is one, else the configured model."""
        if self.champion_ is not None:
            return self.champion_[1].nlp
        return load_ner(self.config.model, NER_ONLY_DISABLE, self.config.precision, self.config.device)

    def model_identity(self) -> str:
        """The champion's ref (``newsdesk-ner@3``), else the spaCy model's ``<lang>_<name>-<version>``."""
        if self.champion_ is not None:
            return self.champion_[0]
        return pipeline_identity(self.nlp)

    def state_digest(self) -> str:
        """The champion's ref: a registered version names one model (hashing a spaCy pipeline would be slow
        and differ between processes)."""
        return "" if self.champion_ is None else self.champion_[0]

    def mentions(self, texts: Sequence[str]) -> list[list[Mention]]:
        """The NER mentions of each text (label filtering and merging not applied)."""
        pieces = [(i, offset, piece) for i, text in enumerate(texts) for offset, piece in _chunks(text)]
        found: list[list[Mention]] = [[] for _ in texts]
        docs = self.nlp.pipe((piece for _, _, piece in pieces), batch_size=self.config.batch_size)
        for (i, offset, _), doc in zip(pieces, docs, strict=True):
            found[i].extend(Mention(ent.text, ent.label_, offset + ent.start_char) for ent in doc.ents)
        return found

    def transform(self, articles: Sequence[Article]) -> list[Output]:
        texts = [a.model_text[: self.config.max_chars] for a in articles]
        return [Output(merge_mentions(found)) for found in self.mentions(texts)]


@dataclass(frozen=True, slots=True)
class EntityRow:
    """One entity across the archive."""

    id: str
    name: str
    type: str
    articles: int  # articles mentioning it
    mentions: int  # mentions in all of them
    top_articles: list[str]  # ids of the articles mentioning it most, most first
    aliases: list[str]  # short-form ids resolved to this entity


@dataclass
class _Tally:
    type: str
    names: Counter[str] = field(default_factory=Counter)
    per_article: dict[str, int] = field(default_factory=dict)  # article id -> mentions


class EntityIndex:
    """The archive's entity table, built from ``entities`` outputs with :meth:`add` or :meth:`from_store`.

    Short forms are resolved across articles when unambiguous: a one-word person ("Cook") to the only
    person whose full name ends with that word, a one-word organisation in capitals ("BBC") to the only
    organisation with those initials. The table keeps one article -> mentions map per entity, so memory
    grows with the number of (article, entity) pairs.
    """

    def __init__(self, *, top: int = 5) -> None:
        self.top = top
        self._tallies: dict[str, _Tally] = {}
        self._aliases: dict[str, str] | None = None  # computed on first read

    @classmethod
    def from_store(cls, store: ArticleStore, *, top: int = 5) -> EntityIndex:
        """The table of every stored ``entities`` output."""
        index = cls(top=top)
        for article_id, value in store.enrichment_values(EntitiesComponent.name):
            index.add(article_id, value)
        return index

    def add(self, article_id: str, value: Iterable[dict[str, Any]]) -> None:
        """Count one article's entities (an ``entities`` output value)."""
        for item in value:
            tally = self._tallies.setdefault(item["id"], _Tally(item["type"]))
            tally.names[item["name"]] += 1
            mentions = int(item.get("mentions", 1))
            tally.per_article[article_id] = tally.per_article.get(article_id, 0) + mentions
        self._aliases = None

    def __len__(self) -> int:
        return len(self.table())

    def resolve(self, entity_id: str) -> str:
        """The id ``entity_id`` is counted under (itself unless it is a resolved short form)."""
        return self._alias_map().get(entity_id, entity_id)

    def get(self, entity_id: str) -> EntityRow:
        """The row of ``entity_id`` (or of the entity it resolves to)."""
        wanted = self.resolve(entity_id)
        for row in self.table():
            if row.id == wanted:
                return row
        raise NotFound(f"no entity '{entity_id}' in the archive's entity table")

    def table(self, *, type: str | None = None, min_articles: int = 1) -> list[EntityRow]:
        """Rows by article count, then mentions, then id (most mentioned first)."""
        aliases = self._alias_map()
        merged: dict[str, dict[str, int]] = {}
        alias_lists: dict[str, list[str]] = {}
        for eid, tally in self._tallies.items():
            target = aliases.get(eid, eid)
            counts = merged.setdefault(target, {})
            for article_id, n in tally.per_article.items():
                counts[article_id] = counts.get(article_id, 0) + n
            if target != eid:
                alias_lists.setdefault(target, []).append(eid)
        rows: list[EntityRow] = []
        for eid, counts in merged.items():
            tally = self._tallies[eid]
            if (type is not None and tally.type != type) or len(counts) < min_articles:
                continue
            top = sorted(counts, key=lambda a: (-counts[a], a))[: self.top]
            name = max(tally.names, key=lambda n: (tally.names[n], n))
            rows.append(
                EntityRow(
                    eid,
                    name,
                    tally.type,
                    len(counts),
                    sum(counts.values()),
                    top,
                    sorted(alias_lists.get(eid, [])),
                )
            )
        rows.sort(key=lambda r: (-r.articles, -r.mentions, r.id))
        return rows

    def _alias_map(self) -> dict[str, str]:
        if self._aliases is None:
            self._aliases = self._find_aliases()
        return self._aliases

    def _find_aliases(self) -> dict[str, str]:
        surnames: dict[str, list[str]] = {}
        acronyms: dict[str, list[str]] = {}
        for eid, tally in self._tallies.items():
            words = max(tally.names, key=lambda n: (tally.names[n], n)).split()
            if len(words) < 2:
                continue
            if tally.type == "person":
                surnames.setdefault(words[-1].casefold(), []).append(eid)
            elif tally.type == "organisation":
                acronyms.setdefault(_initials(words), []).append(eid)
        aliases: dict[str, str] = {}
        for eid, tally in self._tallies.items():
            words = max(tally.names, key=lambda n: (tally.names[n], n)).split()
            if len(words) != 1:
                continue
            if tally.type == "person":
                candidates = surnames.get(words[0].casefold(), [])
            elif tally.type == "organisation" and _looks_like_acronym(words[0]):
                candidates = acronyms.get(words[0], [])
            else:
                candidates = []
            if len(candidates) == 1:
                aliases[eid] = candidates[0]
        return aliases
