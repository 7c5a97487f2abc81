"""Near-duplicate detection: the ``near_duplicates`` component finds the archive's other copies of a
story (wire copies, re-edits, rewrites), not just byte-identical ones (ingest already drops those).

How: each article (headline + body) becomes a set of word shingles (``shingle_size`` consecutive
case-folded words), summarised by a MinHash signature (``num_perm`` permutations, via ``datasketch``). A
locality-sensitive hash over the signatures proposes candidates cheaply; each candidate's Jaccard
similarity J is estimated from the signatures, and its *containment* (the share of the smaller article's
shingles found in the larger one, ``J / (1 + J) * (|A| + |B|) / min(|A|, |B|)``) from J and the two set
sizes. A candidate is a near-duplicate when

- J >= ``threshold`` (default 0.5): copies, re-edits, sentence drops, new headlines or leads; or
- containment >= ``containment`` (default 0.8) and J >= ``candidate_threshold`` (0.15): a shortened
  version, which Jaccard alone misses (a copy cut to half the paragraphs has J of about 0.5); or
- with ``use_embeddings``: J >= ``candidate_threshold`` and the two articles' sentence embeddings (the
  ``embedder`` configuration's, through :func:`newsdesk.nlp.embed.embedder_for`, so they come from the
  embedding cache when the ``embedding`` component or an earlier run embedded the same texts) have
  cosine >= ``cosine`` (0.85): heavier rewrites. Shared wording is still required, so two different
  stories on one topic stay apart. The embedding strategy is the component's own (``lead`` by default,
  whatever ``nlp.embedding_strategy`` says): a story's opening identifies it, while the mean over a whole
  article's chunks pulls articles on one topic together.

The defaults were chosen on rewrites generated with a different seed (7) from the one the
``duplicates`` evaluation scores (see :mod:`newsdesk.evaluate.duplicates`): Jaccard alone, pair F1
0.928 (most truncated copies missed); with containment, 0.962; adding lead embeddings at cosine 0.85,
0.985 (0.977 at 0.9); adding whole-text ``chunks`` embeddings instead, 0.960 at 0.85 and 0.965 at 0.9.

Fitting (:meth:`~newsdesk.nlp.base.BaseComponent.fit`, given the whole archive each run: ``refit =
"always"``) indexes every article's :attr:`~newsdesk.articles.model.Article.model_text` (the pipeline
stores articles before it enriches them, so the articles being enriched are in the index); the index and
the vectors are the fitted state (``index_``, ``vectors_``) shipped to executors. ``transform`` only reads
them: it looks each article up by id (itself left out), or by its text when it is not indexed, so outputs
never depend on how articles are batched. An article edited after ``fit`` keeps its old signature until
the next ``fit``; :meth:`MinHashIndex.pairs` lists every pair for archive-wide reports.

The value is ``[{"id", "jaccard", "containment", "cosine"?}, ...]``, most similar first (``cosine`` only
when the embedding rule accepted it); the confidence is the best Jaccard.

>>> index = MinHashIndex()
>>> story = "The council approved the new budget on Monday after a long debate about school funding."
>>> index.add("a", story)
>>> index.add("b", "Weather: sunny spells and a few showers are expected across the region tomorrow.")
>>> [(m.id, m.jaccard >= 0.5) for m in index.query(story.replace("funding", "budgets"))]
[('a', True)]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Self

from newsdesk.errors import InvalidInput, MissingDependency
from newsdesk.nlp.base import BaseComponent, ComponentConfig, Output, components
from newsdesk.nlp.embed import EmbedderConfig
from newsdesk.nlp.text import words

if TYPE_CHECKING:
    import numpy as np

    from newsdesk.articles.model import Article
    from newsdesk.settings import Settings

__all__ = ["Match", "MinHashIndex", "NearDuplicatesComponent", "NearDuplicatesConfig", "shingles"]

_BATCH = 5_000  # shingles hashed per numpy batch: bounds memory on huge texts (n x num_perm uint64)


def shingles(text: str, size: int = 5) -> set[str]:
    """The set of ``size``-word shingles of ``text`` (case-folded words); a text shorter than ``size``
    words gives one shingle of all its words, an empty one none.

    >>> sorted(shingles("The cat sat on the mat", 5))
    ['cat sat on the mat', 'the cat sat on the']
    """
    tokens = [w.casefold() for w in words(text)]
    if not tokens:
        return set()
    if len(tokens) <= size:
        return {" ".join(tokens)}
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


class Match(NamedTuple):
    """An indexed text similar to the query: its key, the estimated Jaccard similarity of the two
    shingle sets, and the estimated share of the smaller set found in the larger (containment)."""

    id: str
    jaccard: float
    containment: float


def _datasketch() -> Any:
    try:
        import datasketch
    except ImportError:
        raise MissingDependency("datasketch", "nlp", "near-duplicate detection") from None
    return datasketch


class MinHashIndex:
    """MinHash signatures of texts under ids, with an LSH table to find similar ones.

    ``lsh_threshold`` sets the LSH bands: pairs above it are almost always proposed, pairs far below
    rarely; it should be at or below the lowest Jaccard a caller wants back (at most 0.9: higher ones
    leave too few bands, and candidates are checked against the signatures anyway).
    """

    def __init__(
        self, *, num_perm: int = 128, shingle_size: int = 5, lsh_threshold: float = 0.3, seed: int = 1
    ) -> None:
        if not 16 <= num_perm <= 1024:
            raise InvalidInput("num_perm", num_perm, "an integer from 16 to 1024")
        if not 1 <= shingle_size <= 20:
            raise InvalidInput("shingle_size", shingle_size, "an integer from 1 to 20")
        if not 0.05 <= lsh_threshold <= 0.9:
            raise InvalidInput("lsh_threshold", lsh_threshold, "a number from 0.05 to 0.9")
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.seed = seed
        datasketch = _datasketch()
        try:
            self._lsh = datasketch.MinHashLSH(threshold=lsh_threshold, num_perm=num_perm)
        except ValueError as error:  # too few permutations to band at this threshold
            raise InvalidInput("num_perm", num_perm, f"more permutations for lsh_threshold {lsh_threshold} "
                               f"({error})") from None
        self._signatures: dict[str, Any] = {}  # key -> datasketch.LeanMinHash (no permutation tables)
        self._sizes: dict[str, int] = {}  # key -> number of distinct shingles

    def __len__(self) -> int:
        return len(self._signatures)

    def __contains__(self, key: object) -> bool:
        return key in self._signatures

    def signature(self, text: str) -> tuple[Any, int]:
        """The MinHash of ``text``'s shingles (a ``datasketch.LeanMinHash``; None when it has no words)
        and the number of shingles."""
        found = shingles(text, self.shingle_size)
        if not found:
            return None, 0
        minhash = _datasketch().MinHash(num_perm=self.num_perm, seed=self.seed)
        encoded = [s.encode("utf-8", "surrogatepass") for s in found]
        for start in range(0, len(encoded), _BATCH):
            minhash.update_batch(encoded[start : start + _BATCH])
        return _datasketch().LeanMinHash(minhash), len(found)

    def add(self, key: str, text: str) -> None:
        """Index ``text`` under ``key`` (texts without words are not indexed; a known key is kept)."""
        if key in self._signatures:
            return
        lean, size = self.signature(text)
        if lean is None:
            return
        self._lsh.insert(key, lean)
        self._signatures[key] = lean
        self._sizes[key] = size

    def query(self, text: str, *, exclude: str | None = None, min_jaccard: float = 0.0) -> list[Match]:
        """Indexed texts similar to ``text``, most similar first."""
        lean, size = self.signature(text)
        if lean is None:
            return []
        return self._matches(lean, size, exclude, min_jaccard)

    def query_key(self, key: str, *, min_jaccard: float = 0.0) -> list[Match]:
        """:meth:`query` for an indexed text, by its key (itself excluded)."""
        lean = self._signatures.get(key)
        if lean is None:
            return []
        return self._matches(lean, self._sizes[key], key, min_jaccard)

    def pairs(self, min_jaccard: float = 0.5) -> Iterator[tuple[str, str, float]]:
        """Every indexed pair (key_a < key_b, estimated Jaccard) with Jaccard >= ``min_jaccard``."""
        for key in sorted(self._signatures):
            for match in self.query_key(key, min_jaccard=min_jaccard):
                if key < match.id:
                    yield key, match.id, match.jaccard

    def _matches(self, lean: Any, size: int, exclude: str | None, min_jaccard: float) -> list[Match]:
        import numpy as np

        out: list[Match] = []
        for key in self._lsh.query(lean):
            if key == exclude:
                continue
            agree = np.count_nonzero(self._signatures[key].hashvalues == lean.hashvalues)
            jaccard = float(agree) / self.num_perm
            if jaccard < min_jaccard:
                continue
            # |A & B| = J / (1 + J) * (|A| + |B|); the share of the smaller set it covers, capped at 1
            other = self._sizes[key]
            containment = min(1.0, jaccard / (1 + jaccard) * (size + other) / min(size, other))
            out.append(Match(key, round(jaccard, 4), round(containment, 4)))
        out.sort(key=lambda m: (-m.jaccard, m.id))
        return out


def _unit(name: str, value: float | None) -> None:
    if value is not None and (isinstance(value, bool) or not 0.05 <= value <= 1.0):
        raise InvalidInput(name, value, "a number from 0.05 to 1")


def _lead_embedder() -> EmbedderConfig:
    return EmbedderConfig(strategy="lead")


@dataclass(frozen=True)
class NearDuplicatesConfig(ComponentConfig):
    """The rules of the module docstring: ``threshold``, ``containment`` (None: no containment rule),
    ``candidate_threshold``, ``use_embeddings`` with ``cosine`` and ``embedder`` (whose ``strategy`` is the
    component's own, ``lead`` by default), and the MinHash's ``num_perm`` and ``shingle_size``."""

    threshold: float = 0.5
    containment: float | None = 0.8
    candidate_threshold: float = 0.15
    use_embeddings: bool = False
    cosine: float = 0.85
    embedder: EmbedderConfig = field(default_factory=_lead_embedder)
    num_perm: int = 128
    shingle_size: int = 5

    def __post_init__(self) -> None:
        for name in ("threshold", "candidate_threshold", "cosine", "containment"):
            _unit(name, getattr(self, name))
        if self.candidate_threshold > self.threshold:
            raise InvalidInput(
                "candidate_threshold", self.candidate_threshold, f"at most threshold ({self.threshold})"
            )
        if not isinstance(self.use_embeddings, bool):
            raise InvalidInput("use_embeddings", self.use_embeddings, "True or False")
        if not isinstance(self.embedder, EmbedderConfig):
            raise InvalidInput("embedder", self.embedder, "an EmbedderConfig")
        MinHashIndex(num_perm=self.num_perm, shingle_size=self.shingle_size)  # validates both

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """The embedder ``settings.nlp`` names (model, batch size, device, cache) with the ``lead``
        strategy, whatever ``nlp.embedding_strategy`` says (see the module docstring); ``options`` win."""
        embedder = EmbedderConfig.from_settings(settings, strategy="lead")
        return cls(**({"embedder": embedder} | options))

    @property
    def floor(self) -> float:
        """The lowest Jaccard any rule accepts: what the LSH must propose."""
        if self.containment is None and not self.use_embeddings:
            return self.threshold
        return self.candidate_threshold

    def identity(self) -> dict[str, Any]:
        """As :meth:`ComponentConfig.identity`, without the options of rules that are off (they change no
        output): ``cosine`` and ``embedder`` without ``use_embeddings``, ``candidate_threshold`` when
        only the Jaccard rule runs."""
        out = super().identity()
        if not self.use_embeddings:
            del out["cosine"], out["embedder"]
        if self.containment is None and not self.use_embeddings:
            del out["candidate_threshold"]
        return out


@components.register("near_duplicates")
class NearDuplicatesComponent(BaseComponent):
    """Other articles that are near-duplicates of this one (rules in the module docstring)."""

    name: ClassVar[str] = "near_duplicates"
    requires: ClassVar[tuple[str, ...]] = ("headline", "body")
    assigns: ClassVar[tuple[str, ...]] = ("near_duplicates",)
    code_version: ClassVar[str] = "1"
    Config: ClassVar[type[ComponentConfig]] = NearDuplicatesConfig
    state: ClassVar[tuple[str, ...]] = ("index_", "vectors_")
    learns: ClassVar[bool] = True
    refit: ClassVar[str] = "always"  # the index holds the whole archive, new articles included

    config: NearDuplicatesConfig
    index_: MinHashIndex | None = None
    vectors_: dict[str, np.ndarray] | None = None  # article id -> unit vector; empty without embeddings

    def _fit(self, articles: Iterable[Article]) -> None:
        """Index every article (and, with embeddings, embed every article)."""
        config = self.config
        self.index_ = self.vectors_ = None
        index = MinHashIndex(
            num_perm=config.num_perm, shingle_size=config.shingle_size, lsh_threshold=min(0.9, config.floor)
        )
        vectors: dict[str, np.ndarray] = {}
        batch: list[Article] = []
        for article in articles:
            batch.append(article)
            if len(batch) >= 512:
                self._index(index, vectors, batch)
                batch = []
        self._index(index, vectors, batch)
        self.index_, self.vectors_ = index, vectors

    def _index(self, index: MinHashIndex, vectors: dict[str, np.ndarray], articles: list[Article]) -> None:
        for article in articles:
            index.add(article.id, article.model_text)
        if self.config.use_embeddings:
            missing = [a for a in articles if a.id not in vectors]
            vectors.update(self._embed(missing))

    def _embed(self, articles: Sequence[Article]) -> dict[str, np.ndarray]:
        """The articles' vectors, through the embedder's cache (texts embedded before are not re-run)."""
        if not articles:
            return {}
        from newsdesk.nlp.embed import embedder_for

        embedder = self.config.embedder
        found = embedder_for(embedder).embed_articles(articles, embedder.strategy)
        return dict(zip((a.id for a in articles), found, strict=True))

    def model_identity(self) -> str:
        """The embedder's vector model (``all-MiniLM-L6-v2:lead``) when the embedding rule is on."""
        return self.config.embedder.vector_model if self.config.use_embeddings else ""

    def state_digest(self) -> str:
        """``fitted_from_``: the hash of the ids and content hashes of the articles indexed, in order. The
        index (and every vector) is a function of those articles' texts and of the configuration, which the
        version hashes too, so this changes exactly when the index would; hashing the index itself would
        walk every signature and LSH bucket of the archive each time the version is read."""
        return self.fitted_from_ or ""

    def transform(self, articles: Sequence[Article]) -> list[Output]:
        self.require_fitted()
        index, vectors = self.index_, self.vectors_
        assert index is not None and vectors is not None  # require_fitted
        floor = self.config.floor
        # vectors of articles outside the index, for this call only
        outside = [a for a in articles if a.id not in vectors]
        extra = self._embed(outside) if self.config.use_embeddings else {}
        outputs: list[Output] = []
        for article in articles:
            found = (
                index.query_key(article.id, min_jaccard=floor)
                if article.id in index
                else index.query(article.model_text, exclude=article.id, min_jaccard=floor)
            )
            vector = vectors.get(article.id, extra.get(article.id))
            matches = [m for m in (self._judge(vector, match) for match in found) if m is not None]
            outputs.append(Output(matches, confidence=matches[0]["jaccard"] if matches else None))
        return outputs

    def _judge(self, vector: np.ndarray | None, match: Match) -> dict[str, Any] | None:
        """The output entry for ``match`` when a rule accepts it, else None."""
        config = self.config
        entry: dict[str, Any] = {"id": match.id, "jaccard": match.jaccard, "containment": match.containment}
        if match.jaccard >= config.threshold:
            return entry
        if config.containment is not None and match.containment >= config.containment:
            return entry
        if config.use_embeddings:
            other = (self.vectors_ or {}).get(match.id)
            if vector is not None and other is not None and float(vector @ other) >= config.cosine:
                return {**entry, "cosine": round(float(vector @ other), 4)}
        return None
