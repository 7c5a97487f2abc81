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
- with ``use_embeddings``: J >= ``candidate_threshold`` and the two articles' sentence embeddings (from
  :func:`newsdesk.nlp.embed.shared_embedder`, so they are cached, or the store's vectors when the
  ``embedding`` component already wrote them with the same strategy) have cosine >= ``cosine`` (0.85):
  heavier rewrites. Shared wording is still required, so two different stories on one topic stay apart.
  The embedding strategy is the component's own (``lead`` by default, whatever ``nlp.embedding_strategy``
  says): a story's opening identifies it, while the mean over a whole article's chunks pulls articles on
  one topic together.

The defaults were chosen on rewrites generated with a different seed (7) from the one the
``duplicates`` evaluation scores (see :mod:`newsdesk.evaluate.duplicates`): Jaccard alone, pair F1
0.928 (most truncated copies missed); with containment, 0.962; adding lead embeddings at cosine 0.85,
0.985 (0.977 at 0.9); adding whole-text ``chunks`` embeddings instead, 0.960 at 0.85 and 0.965 at 0.9.

:meth:`NearDuplicatesComponent.prepare` indexes the archive (the pipeline stores articles before it
enriches them, so the articles being processed are in the index). ``process`` only reads the index: it
looks each article up by id (itself left out), or by its text when it is not indexed, so outputs never
depend on how articles are batched. An article edited after ``prepare`` keeps its old signature until the
next ``prepare``; :meth:`MinHashIndex.pairs` lists every pair for archive-wide reports.

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

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from newsdesk.errors import InvalidInput, MissingDependency, NotFitted
from newsdesk.nlp.base import BaseComponent, Output, components
from newsdesk.nlp.text import words

if TYPE_CHECKING:
    import numpy as np

    from newsdesk.articles.model import Article
    from newsdesk.settings import Settings
    from newsdesk.store.base import ArticleStore

__all__ = ["Match", "MinHashIndex", "NearDuplicatesComponent", "shingles"]

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


def _text(article: Article) -> str:
    return f"{article.headline}\n{article.body}"


@components.register("near_duplicates")
class NearDuplicatesComponent(BaseComponent):
    """Other articles that are near-duplicates of this one (rules in the module docstring)."""

    name: ClassVar[str] = "near_duplicates"
    requires: ClassVar[tuple[str, ...]] = ("headline", "body")
    assigns: ClassVar[tuple[str, ...]] = ("near_duplicates",)
    code_version: ClassVar[str] = "1"

    def __init__(
        self,
        settings: Settings,
        *,
        threshold: float = 0.5,
        containment: float | None = 0.8,
        candidate_threshold: float = 0.15,
        use_embeddings: bool = False,
        cosine: float = 0.85,
        embedding_strategy: str = "lead",
        num_perm: int = 128,
        shingle_size: int = 5,
    ) -> None:
        super().__init__(settings)
        for field, value in (("threshold", threshold), ("candidate_threshold", candidate_threshold),
                             ("cosine", cosine), ("containment", containment)):
            if value is not None and not 0.05 <= value <= 1.0:
                raise InvalidInput(field, value, "a number from 0.05 to 1")
        if candidate_threshold > threshold:
            raise InvalidInput("candidate_threshold", candidate_threshold, f"at most threshold ({threshold})")
        self.threshold = threshold
        self.containment = containment
        self.candidate_threshold = candidate_threshold
        self.use_embeddings = use_embeddings
        self.cosine = cosine
        if embedding_strategy not in ("lead", "chunks"):
            raise InvalidInput("embedding_strategy", embedding_strategy, "'lead' or 'chunks'")
        self.embedding_strategy = embedding_strategy
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        MinHashIndex(num_perm=num_perm, shingle_size=shingle_size)  # validate now, not at prepare
        self.index_: MinHashIndex | None = None
        self.vectors_: dict[str, np.ndarray] = {}

    @property
    def version(self) -> str:
        version = f"{self.code_version}+k{self.shingle_size}p{self.num_perm}j{self.threshold}"
        if self.containment is not None:
            version += f"c{self.containment}"
        if self.use_embeddings:
            from newsdesk.nlp.embed import shared_embedder

            embedder = shared_embedder(self.settings)
            version += f"cos{self.cosine}-{embedder.identity}:{self.embedding_strategy}"
        if self.containment is not None or self.use_embeddings:
            version += f"f{self.candidate_threshold}"
        return version

    @property
    def _floor(self) -> float:
        """The lowest Jaccard any rule accepts: what the LSH must propose."""
        if self.containment is None and not self.use_embeddings:
            return self.threshold
        return self.candidate_threshold

    def prepare(self, store: ArticleStore) -> None:
        """Index every stored article (and, with embeddings, get every article's vector)."""
        self.index_ = MinHashIndex(
            num_perm=self.num_perm, shingle_size=self.shingle_size, lsh_threshold=min(0.9, self._floor)
        )
        self.vectors_ = {}
        batch: list[Article] = []
        for article in store.iter_articles():
            batch.append(article)
            if len(batch) >= 512:
                self._index(batch, store)
                batch = []
        self._index(batch, store)

    def _index(self, articles: Sequence[Article], store: ArticleStore) -> None:
        assert self.index_ is not None
        for article in articles:
            self.index_.add(article.id, _text(article))
        if self.use_embeddings:
            self._embed([a for a in articles if a.id not in self.vectors_], store)

    def _embed(self, articles: Sequence[Article], store: ArticleStore) -> None:
        if not articles:
            return
        from newsdesk.nlp.embed import shared_embedder

        embedder = shared_embedder(self.settings)
        strategy = self.embedding_strategy
        # reuse what the embedding component stored, when it used the same strategy
        ids, matrix = store.get_vectors(embedder.vector_model(strategy), [a.id for a in articles])
        self.vectors_.update(zip(ids, matrix, strict=True))
        missing = [a for a in articles if a.id not in self.vectors_]
        if missing:
            vectors = embedder.embed_articles(missing, strategy)
            self.vectors_.update(zip((a.id for a in missing), vectors, strict=True))

    def process(self, articles: Sequence[Article]) -> list[Output]:
        if self.index_ is None:
            raise NotFitted("near_duplicates: call prepare(store) before process()")
        extra: dict[str, np.ndarray] = {}  # vectors of articles outside the index, for this call only
        if self.use_embeddings:
            outside = [a for a in articles if a.id not in self.vectors_]
            if outside:
                from newsdesk.nlp.embed import shared_embedder

                vectors = shared_embedder(self.settings).embed_articles(outside, self.embedding_strategy)
                extra = dict(zip((a.id for a in outside), vectors, strict=True))
        outputs: list[Output] = []
        for article in articles:
            found = (
                self.index_.query_key(article.id, min_jaccard=self._floor)
                if article.id in self.index_
                else self.index_.query(_text(article), exclude=article.id, min_jaccard=self._floor)
            )
            vector = self.vectors_.get(article.id, extra.get(article.id))
            matches = [m for m in (self._judge(vector, match) for match in found) if m is not None]
            outputs.append(Output(matches, confidence=matches[0]["jaccard"] if matches else None))
        return outputs

    def _judge(self, vector: np.ndarray | None, match: Match) -> dict[str, Any] | None:
        """The output entry for ``match`` when a rule accepts it, else None."""
        entry: dict[str, Any] = {"id": match.id, "jaccard": match.jaccard, "containment": match.containment}
        if match.jaccard >= self.threshold:
            return entry
        if self.containment is not None and match.containment >= self.containment:
            return entry
        if self.use_embeddings:
            other = self.vectors_.get(match.id)
            if vector is not None and other is not None and float(vector @ other) >= self.cosine:
                return {**entry, "cosine": round(float(vector @ other), 4)}
        return None
