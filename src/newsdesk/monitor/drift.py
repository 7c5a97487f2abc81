"""Drift: has the news a model sees moved away from the news it was trained (or last checked) on?

:func:`detect_drift` compares a *reference* :class:`Window` (a model's training data, or a chosen period)
with a *current* one and runs every two-sample test for which both windows carry the data. Each test asks
"could these two samples come from the same distribution?" and gives a p-value: the chance, were nothing to
have changed, of a difference at least this large.

Input drift (from the texts and their metadata)

- ``length``: two-sample Kolmogorov-Smirnov test on word counts (``scipy.stats.ks_2samp``). Effect: KS D,
  the largest gap between the two cumulative distributions (0 = same, 1 = no overlap). Word counts are
  whole numbers, and KS with ties is conservative (p-values too large), never anti-conservative.
- ``oov_rate``: the share of an article's words (lower-cased runs of letters; numbers are left out, since
  every new figure would count as a new word) missing from a vocabulary: the words seen at least twice in a
  random half of the reference window. The test compares per-article OOV rates of the *other* half of the
  reference with the current window (Mann-Whitney U). The vocabulary must not come from the articles it is
  compared on: an article's own words are in the vocabulary by construction, so its OOV rate would be
  biased down and every comparison would alarm. With the split, the held-out half and the current window
  are, under no drift, two independent samples scored against the same vocabulary. Effect: current mean
  OOV rate minus the held-out reference mean.
- ``language_mix``: chi-square test of independence on the window x language table (no language given
  counts as ``und``); skipped when only one language occurs. Effect: total variation distance between the
  two language mixes (the share of articles that would have to change language).
- ``missing:<field>``: Fisher's exact test on each field's missing count, one test per field; skipped when
  the field is missing in every article of both windows or in none. Effect: current minus reference share
  missing.
- ``duplicate_rate``: Fisher's exact test on the near-duplicate counts. Effect: difference in share.

Embedding drift

- ``embedding_mmd``: squared maximum mean discrepancy with a Gaussian (RBF) kernel
  ``exp(-|x - y|^2 / (2 s^2))``, ``s`` the median pairwise distance of the pooled sample (the usual
  heuristic). The unbiased estimate of MMD^2 is about 0 when the two samples come from one distribution and
  grows as they separate; it compares whole distributions, not only the means. The p-value is a permutation
  test: the window labels are shuffled ``permutations`` times and ``p = (1 + #{shuffled MMD^2 >= observed})
  / (1 + permutations)``, which is exact under no drift (the articles are then exchangeable). Each window
  is subsampled (seeded) to at most 1,000 rows to bound cost (the kernel matrix is at most 2,000 x 2,000).

Prediction drift (a model's outputs)

- ``labels``: chi-square test on the window x label table (labels seen in either window). The chi-square
  distribution is used when every expected count is at least 5 (Cochran's rule); otherwise the same
  statistic gets a permutation p-value, as rare labels make the asymptotic one too small. Effect: the
  population stability index ``PSI = sum (q - p) ln(q / p)`` over label shares ``p`` (reference) and ``q``
  (current), with empty shares raised to 1e-4 (rules of thumb: < 0.1 stable, 0.1-0.25 moderate, > 0.25
  large shift); ``detail`` adds the Jensen-Shannon distance (base 2, 0 to 1) and the labels whose share
  moved most.
- ``tags``: the same statistic on tag-presence counts (each article counts each of its tags once; articles
  with no tag count under ``(none)``). An article carries several tags, so the counts are not independent
  and the chi-square distribution does not hold: the p-value is always by permutation of whole articles
  between the windows, which keeps each article's tags together and is exact under no drift. PSI and
  Jensen-Shannon on the distribution of tag occurrences; the moved tags by share of articles carrying them.

Family-wise error: with ``k`` tests run, each is called drifted when ``p <= alpha / k`` (Bonferroni), so
the chance that a report with no real drift says "drifted" is at most ``alpha``. Bonferroni holds whatever
the dependence between the tests (``length`` and ``oov_rate`` are correlated, for one); it is conservative,
so the measured false-alarm rate sits below ``alpha``. A permutation p-value cannot be below
``1 / (1 + permutations)``: with many tests, keep ``permutations >= k / alpha`` or those tests can never
fire (``detail["p_floor"]`` says when). Tests skipped for missing or constant data are not counted in
``k`` (conditioned on the pooled data they could not reject), and are listed in ``DriftReport.skipped``.

Measured (``python benchmarks/drift.py --splits 500 --draws 100``, full BBC News set of 2,127 articles,
alpha 0.05, tests length, oov_rate, embedding_mmd and labels): the share of random equal splits that
alarmed was 3.6%, 5.2% and 4.8% (500 splits each; 95% intervals about +-2 points) at window sizes 50, 100
and 200, 4.5% over all 1,500: the tests are nearly independent, so Bonferroni's bound is nearly reached
(``1 - (1 - alpha / 4) ** 4`` = 4.9%). Business+politics against sport+tech and BBC against Reuters-21578
were detected in 100 of 100 draws at every size, by embedding_mmd and oov_rate on their own as well.
With alpha 0.04 (newsdesk's default, ``monitor.alpha``, for a margin under 5%; same command with
``--alpha 0.04``): 2.8%, 4.4% and 4.2% false alarms at sizes 50, 100 and 200, power still 100 of 100.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput

if TYPE_CHECKING:
    import numpy as np

    from newsdesk.articles.model import Article

__all__ = ["DriftReport", "DriftTest", "Window", "detect_drift"]

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_MAX_MMD_ROWS = 1_000
_PSI_EPS = 1e-4
_COCHRAN = 5.0
_NO_TAG = "(none)"
_MISSING_FIELDS = ("body", "byline", "published_at", "url", "section")
# a fixed stream per test, so adding a test never changes another one's permutations
_STREAMS = {"oov_rate": 1, "embedding_mmd": 2, "labels": 3, "tags": 4, "language_mix": 5}


@dataclass
class Window:
    """A set of articles to compare: texts, and whatever else is known about them (all optional).

    Every per-article list (and the rows of ``embeddings``) follows the order of ``texts``.
    """

    name: str
    texts: list[str]  # headline + "\n\n" + body per article
    embeddings: np.ndarray | None = None  # (n, d) float32 unit vectors, row i = texts[i]
    languages: list[str | None] | None = None
    missing: dict[str, list[bool]] | None = None  # field name -> per-article "field missing" flags
    duplicates: list[bool] | None = None  # per article: a near-duplicate of another article
    labels: list[str] | None = None  # a model's predicted label per article (e.g. section)
    tags: list[list[str]] | None = None  # multi-label predictions per article (e.g. IPTC tags)

    @classmethod
    def from_articles(
        cls,
        name: str,
        articles: Sequence[Article],
        *,
        embeddings: np.ndarray | None = None,
        labels: list[str] | None = None,
        tags: list[list[str]] | None = None,
        fields: Sequence[str] = _MISSING_FIELDS,
    ) -> Window:
        """A window of stored articles: texts, languages, missing ``fields``, and near-duplicate flags when
        every article carries a ``near_duplicates`` enrichment."""
        dups: list[bool] | None = None
        if articles and all("near_duplicates" in a.enrichments for a in articles):
            dups = [bool(a.enrichments["near_duplicates"].value) for a in articles]
        return cls(
            name=name,
            texts=[a.model_text for a in articles],
            embeddings=embeddings,
            languages=[a.language or _detected_language(a) for a in articles],
            missing={f: [getattr(a, f) in (None, "") for a in articles] for f in fields},
            duplicates=dups,
            labels=labels,
            tags=tags,
        )


def _detected_language(article: Article) -> str | None:
    """The ``language`` component's output when the source gave no language."""
    enrichment = article.enrichments.get("language")
    value = enrichment.value if enrichment is not None else None
    if isinstance(value, dict):
        value = value.get("code")
    return value if isinstance(value, str) else None


@dataclass
class DriftTest:
    """One two-sample test's outcome."""

    name: str  # "length", "oov_rate", "language_mix", "missing:<field>", "duplicate_rate", ...
    kind: str  # "input" | "embedding" | "prediction"
    statistic: float  # the test statistic
    p_value: float
    effect: float  # an interpretable effect size (KS D, OOV difference, PSI, MMD^2, ...)
    threshold: float  # the per-test alpha after correction
    drifted: bool
    detail: dict[str, Any]  # reference/current figures, n, method; "moved" says what moved in words


@dataclass
class DriftReport:
    """Every test that ran between two windows, with Bonferroni-corrected decisions."""

    reference: str
    current: str
    n_reference: int
    n_current: int
    alpha: float
    tests: list[DriftTest]
    skipped: dict[str, str] = field(default_factory=dict)  # test -> why it did not run

    @property
    def drifted(self) -> bool:
        """Whether any test drifted (false-alarm rate at most ``alpha`` under no drift)."""
        return any(t.drifted for t in self.tests)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "current": self.current,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "alpha": self.alpha,
            "drifted": self.drifted,
            "tests": [asdict(t) for t in self.tests],
            "skipped": dict(self.skipped),
        }

    def summary(self) -> str:
        """One line per drifted test, saying what moved; a single line when nothing did."""
        head = f"{self.reference} (n={self.n_reference}) -> {self.current} (n={self.n_current})"
        drifted = [t for t in self.tests if t.drifted]
        if not drifted:
            return f"no drift: {head}; {len(self.tests)} tests, none with p <= {_fmt(self.alpha)}/k"
        lines = []
        for t in drifted:
            lines.append(
                f"{t.name}: {t.detail.get('moved', '')} "
                f"(effect {_fmt(t.effect)}, p={_fmt(t.p_value)} <= {_fmt(t.threshold)})"
            )
        return "\n".join(lines)


def detect_drift(
    reference: Window,
    current: Window,
    *,
    alpha: float = 0.04,
    permutations: int = 500,
    seed: int = 0,
    min_size: int = 20,
) -> DriftReport:
    """Compare ``current`` with ``reference``: every test both windows have data for, Bonferroni-corrected.

    Raises :class:`~newsdesk.errors.InvalidInput` for a window smaller than ``min_size`` or a per-article
    field whose length does not match the window's texts.

    >>> ref = Window("markets", [f"Shares rose {i} points as banks reported profits." for i in range(30)])
    >>> cur = Window("football", [
    ...     f"The striker scored twice in the second half and the home side won the derby {i} to nil,"
    ...     " lifting the club to third place in the league table." for i in range(30)])
    >>> report = detect_drift(ref, cur)
    >>> report.drifted, [t.name for t in report.tests if t.drifted]
    (True, ['length', 'oov_rate'])
    """
    import numpy as np

    if not 0.0 < alpha < 1.0:
        raise InvalidInput("alpha", alpha, "a number between 0 and 1")
    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < 1:
        raise InvalidInput("permutations", permutations, "an integer >= 1")
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 2:
        raise InvalidInput("min_size", min_size, "an integer >= 2")
    for role, window in (("reference", reference), ("current", current)):
        _validate(role, window, min_size)
    if reference.embeddings is not None and current.embeddings is not None:
        dims = (reference.embeddings.shape[1], current.embeddings.shape[1])
        if dims[0] != dims[1]:
            raise InvalidInput(
                "current.embeddings", f"dimension {dims[1]}", f"dimension {dims[0]} as reference"
            )

    def rng(name: str) -> np.random.Generator:
        return np.random.default_rng([seed, _STREAMS.get(name, 0)])

    raw: list[tuple[str, str, float, float, float, dict[str, Any]]] = []  # name, kind, stat, p, effect, ...
    skipped: dict[str, str] = {}

    def run(name: str, kind: str, fn: Callable[[], tuple[float, float, float, dict[str, Any]] | str]) -> None:
        out = fn()
        if isinstance(out, str):
            skipped[name] = out
        else:
            raw.append((name, kind, *out))

    run("length", "input", lambda: _length(reference.texts, current.texts))
    run("oov_rate", "input", lambda: _oov(reference.texts, current.texts, rng("oov_rate")))
    if reference.languages is not None and current.languages is not None:
        ref_langs = [x or "und" for x in reference.languages]
        cur_langs = [x or "und" for x in current.languages]
        run(
            "language_mix",
            "input",
            lambda: _categorical(
                [[x] for x in ref_langs],
                [[x] for x in cur_langs],
                rng("language_mix"),
                permutations,
                "language",
            ),
        )
    else:
        skipped["language_mix"] = "languages not given for both windows"
    if reference.missing is not None and current.missing is not None:
        for name in sorted(set(reference.missing) & set(current.missing)):
            ref_m, cur_m = reference.missing[name], current.missing[name]
            run(f"missing:{name}", "input", partial(_fisher, ref_m, cur_m, f"{name} missing"))
        for name in sorted(set(reference.missing) ^ set(current.missing)):
            skipped[f"missing:{name}"] = "field flagged in one window only"
    if reference.duplicates is not None and current.duplicates is not None:
        ref_d, cur_d = reference.duplicates, current.duplicates
        run("duplicate_rate", "input", lambda: _fisher(ref_d, cur_d, "near-duplicates"))
    else:
        skipped["duplicate_rate"] = "duplicate flags not given for both windows"
    if reference.embeddings is not None and current.embeddings is not None:
        ref_e, cur_e = reference.embeddings, current.embeddings
        run("embedding_mmd", "embedding", lambda: _mmd(ref_e, cur_e, rng("embedding_mmd"), permutations))
    else:
        skipped["embedding_mmd"] = "embeddings not given for both windows"
    if reference.labels is not None and current.labels is not None:
        ref_l, cur_l = [[x] for x in reference.labels], [[x] for x in current.labels]
        run("labels", "prediction", lambda: _categorical(ref_l, cur_l, rng("labels"), permutations, "label"))
    else:
        skipped["labels"] = "labels not given for both windows"
    if reference.tags is not None and current.tags is not None:
        ref_t, cur_t = reference.tags, current.tags
        run("tags", "prediction", lambda: _categorical(ref_t, cur_t, rng("tags"), permutations, "tag", True))
    else:
        skipped["tags"] = "tags not given for both windows"

    k = max(len(raw), 1)
    threshold = alpha / k
    tests = []
    for name, kind, stat, p, effect, detail in raw:
        if detail.get("p_floor", 0.0) > threshold:
            detail["note"] = f"permutations too few to reach p <= {_fmt(threshold)}: raise permutations"
        tests.append(DriftTest(name, kind, stat, p, effect, threshold, p <= threshold, detail))
    return DriftReport(
        reference.name, current.name, len(reference.texts), len(current.texts), alpha, tests, skipped
    )


# -- validation ------------------------------------------------------------------------------------------


def _validate(role: str, window: Window, min_size: int) -> None:
    import numpy as np

    n = len(window.texts)
    if n < min_size:
        raise InvalidInput(
            f"{role}.texts",
            n,
            f"at least min_size={min_size} articles in window {window.name!r}",
        )
    if not all(isinstance(t, str) for t in window.texts):
        raise InvalidInput(f"{role}.texts", window.name, "a list of strings")
    if window.embeddings is not None:
        emb = window.embeddings
        if not isinstance(emb, np.ndarray) or emb.ndim != 2 or emb.shape[0] != n:
            shape = getattr(emb, "shape", type(emb).__name__)
            raise InvalidInput(f"{role}.embeddings", f"shape {shape}", f"a ({n}, d) array, one row per text")
        if not np.isfinite(emb).all():
            raise InvalidInput(f"{role}.embeddings", "non-finite values", "finite numbers")
    per_article: dict[str, Sequence[Any] | None] = {
        "languages": window.languages,
        "duplicates": window.duplicates,
        "labels": window.labels,
        "tags": window.tags,
    }
    for name, flags in (window.missing or {}).items():
        per_article[f"missing[{name!r}]"] = flags
    for name, values in per_article.items():
        if values is not None and len(values) != n:
            raise InvalidInput(f"{role}.{name}", f"{len(values)} values", f"{n}, one per text")


# -- the tests -------------------------------------------------------------------------------------------

_Result = tuple[float, float, float, dict[str, Any]] | str  # (statistic, p, effect, detail) or why skipped


def _length(ref: list[str], cur: list[str]) -> _Result:
    import numpy as np
    from scipy.stats import ks_2samp

    a = np.array([len(t.split()) for t in ref], dtype=np.float64)
    b = np.array([len(t.split()) for t in cur], dtype=np.float64)
    res = ks_2samp(a, b)
    stat = float(res.statistic)
    ref_med, cur_med = float(np.median(a)), float(np.median(b))
    way = "longer" if cur_med > ref_med else "shorter"
    detail = {
        "reference_median": ref_med,
        "current_median": cur_med,
        "reference_mean": float(a.mean()),
        "current_mean": float(b.mean()),
        "moved": f"articles got {way}: median {ref_med:g} -> {cur_med:g} words, "
        f"mean {a.mean():.0f} -> {b.mean():.0f}",
    }
    return stat, float(res.pvalue), stat, detail


def _tokens(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _oov(ref: list[str], cur: list[str], rng: np.random.Generator) -> _Result:
    import numpy as np
    from scipy.stats import mannwhitneyu

    order = rng.permutation(len(ref))
    half = len(ref) // 2
    vocab_part, held_out = order[:half], order[half:]
    counts: Counter[str] = Counter()
    for i in vocab_part:
        counts.update(_tokens(ref[int(i)]))
    vocab = {w for w, c in counts.items() if c >= 2}

    def rates(texts: Sequence[str]) -> np.ndarray:
        out = []
        for text in texts:
            toks = _tokens(text)
            if toks:
                out.append(sum(t not in vocab for t in toks) / len(toks))
        return np.array(out, dtype=np.float64)

    a = rates([ref[int(i)] for i in held_out])
    b = rates(cur)
    if len(a) < 2 or len(b) < 2:
        return "too few articles with words"
    res = mannwhitneyu(a, b, alternative="two-sided")
    diff = float(b.mean() - a.mean())
    detail = {
        "vocabulary": len(vocab),
        "vocabulary_articles": int(half),
        "n_reference_held_out": len(a),
        "n_current": len(b),
        "reference_mean": float(a.mean()),
        "current_mean": float(b.mean()),
        "moved": f"out-of-vocabulary words {a.mean():.1%} -> {b.mean():.1%} of an article's words "
        f"(vocabulary of {len(vocab)} words from {half} reference articles)",
    }
    return float(res.statistic), float(res.pvalue), diff, detail


def _fisher(ref: Sequence[bool], cur: Sequence[bool], what: str) -> _Result:
    from scipy.stats import fisher_exact

    a, b = sum(map(bool, ref)), sum(map(bool, cur))
    if a + b == 0 or a + b == len(ref) + len(cur):
        return "constant: " + ("none" if a + b == 0 else "all") + " flagged in both windows"
    res = fisher_exact([[a, len(ref) - a], [b, len(cur) - b]])
    ra, rb = a / len(ref), b / len(cur)
    detail = {
        "reference_count": a,
        "current_count": b,
        "reference_rate": ra,
        "current_rate": rb,
        "moved": f"{what} {ra:.1%} -> {rb:.1%} of articles ({a}/{len(ref)} -> {b}/{len(cur)})",
    }
    odds = float(res.statistic)
    return (odds if math.isfinite(odds) else 1e300), float(res.pvalue), rb - ra, detail


def _categorical(
    ref: Sequence[Sequence[str]],
    cur: Sequence[Sequence[str]],
    rng: np.random.Generator,
    permutations: int,
    what: str,
    multi: bool = False,
) -> _Result:
    """Chi-square statistic on the window x category presence table; p asymptotic (single-label, every
    expected count >= 5) or by permuting whole articles between the windows."""
    import numpy as np
    from scipy.stats import chi2

    rows = [sorted(set(x)) or [_NO_TAG] for x in (*ref, *cur)]
    cats = sorted({c for r in rows for c in r})
    if len(cats) < 2:
        return f"only one {what} in both windows"
    index = {c: j for j, c in enumerate(cats)}
    presence = np.zeros((len(rows), len(cats)), dtype=np.float64)
    for i, r in enumerate(rows):
        presence[i, [index[c] for c in r]] = 1.0
    m, n = len(ref), len(cur)
    totals = presence.sum(axis=0)

    def chi_square(ref_counts: np.ndarray) -> np.ndarray:
        # rows of ref_counts: one table each; expected from that table's own margins
        cur_counts = totals - ref_counts
        ref_sum = ref_counts.sum(axis=-1, keepdims=True)
        cur_sum = cur_counts.sum(axis=-1, keepdims=True)
        grand = ref_sum + cur_sum
        e_ref, e_cur = ref_sum * totals / grand, cur_sum * totals / grand
        return np.asarray(
            ((ref_counts - e_ref) ** 2 / e_ref + (cur_counts - e_cur) ** 2 / e_cur).sum(axis=-1)
        )

    ref_counts = presence[:m].sum(axis=0)
    stat = float(chi_square(ref_counts[None, :])[0])
    ref_total = ref_counts.sum()
    expected_min = float(min(ref_total, totals.sum() - ref_total) * totals.min() / totals.sum())
    detail: dict[str, Any] = {}
    if not multi and expected_min >= _COCHRAN:
        p = float(chi2.sf(stat, len(cats) - 1))
        detail["method"] = f"chi-square, {len(cats) - 1} degrees of freedom"
    else:
        hits = 0
        for start in range(0, permutations, 200):
            size = min(200, permutations - start)
            member = _memberships(m, n, size, rng)  # (size, m + n), 1 = reference
            hits += int((chi_square(member @ presence) >= stat - 1e-9).sum())
        p = (1 + hits) / (1 + permutations)
        why = "multi-label" if multi else f"smallest expected count {expected_min:.1f} < {_COCHRAN:g}"
        detail["method"] = f"chi-square statistic, permutation p ({permutations} shuffles; {why})"
        detail["p_floor"] = 1 / (1 + permutations)
    cur_counts = totals - ref_counts
    p_ref, p_cur = ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()  # shares of occurrences
    psi = _psi(p_ref, p_cur)
    js = _js(p_ref, p_cur)
    # how the categories moved, as shares of articles (for single labels, the same as above)
    rate_ref, rate_cur = ref_counts / m, cur_counts / n
    moved = np.argsort(-np.abs(rate_cur - rate_ref), kind="stable")[:5]
    top = [
        {what: cats[j], "reference_share": float(rate_ref[j]), "current_share": float(rate_cur[j])}
        for j in moved
    ]
    plural = f"{what}s" if not what.endswith("s") else what
    if what == "language":
        effect = float(0.5 * np.abs(p_cur - p_ref).sum())
        detail["total_variation"] = effect
    else:
        effect = psi
    detail.update(
        {
            "categories": len(cats),
            "psi": psi,
            "js_distance": js,
            "top_changes": top,
            "moved": f"{plural} moved most: "
            + ", ".join(f"{t[what]} {t['reference_share']:.0%} -> {t['current_share']:.0%}" for t in top[:3])
            + f" (PSI {psi:.2f}, Jensen-Shannon {js:.2f})",
        }
    )
    return stat, p, effect, detail


def _psi(p: np.ndarray, q: np.ndarray) -> float:
    import numpy as np

    p, q = np.maximum(p, _PSI_EPS), np.maximum(q, _PSI_EPS)
    return float(((q - p) * np.log(q / p)).sum())


def _js(p: np.ndarray, q: np.ndarray) -> float:
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(p, q, base=2))


def _memberships(m: int, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` random relabellings of m + n items, as rows with m ones (reference) and n zeros."""
    import numpy as np

    base = np.zeros((size, m + n), dtype=np.float64)
    base[:, :m] = 1.0
    return np.asarray(rng.permuted(base, axis=1))


def _mmd(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, permutations: int) -> _Result:
    import numpy as np

    sub_x = rng.choice(len(x), _MAX_MMD_ROWS, replace=False) if len(x) > _MAX_MMD_ROWS else np.arange(len(x))
    sub_y = rng.choice(len(y), _MAX_MMD_ROWS, replace=False) if len(y) > _MAX_MMD_ROWS else np.arange(len(y))
    a, b = x[np.sort(sub_x)].astype(np.float64), y[np.sort(sub_y)].astype(np.float64)
    m, n = len(a), len(b)
    z = np.vstack([a, b])
    sq = (z * z).sum(axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (z @ z.T), 0.0)
    upper = d2[np.triu_indices(m + n, 1)]
    bandwidth = float(np.sqrt(np.median(upper)))
    if bandwidth <= 0.0:
        bandwidth = 1.0  # more than half the pairs identical: any scale will do
    kernel = np.exp(-d2 / (2.0 * bandwidth**2))
    np.fill_diagonal(kernel, 0.0)  # unbiased estimate: no k(x_i, x_i) terms
    row_sums = kernel.sum(axis=1)
    total = float(row_sums.sum())

    def mmd2(member: np.ndarray) -> np.ndarray:
        # member: (m + n, P) with m ones per column. z'Kz, z'K(1-z), (1-z)'K(1-z) for each column z.
        kz = kernel @ member
        xx = (member * kz).sum(axis=0)
        zr = member.T @ row_sums
        xy = zr - xx
        yy = total - 2.0 * zr + xx
        return np.asarray(xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2.0 * xy / (m * n))

    own = np.zeros((m + n, 1))
    own[:m] = 1.0
    stat = float(mmd2(own)[0])
    hits = 0
    for start in range(0, permutations, 100):
        size = min(100, permutations - start)
        hits += int((mmd2(_memberships(m, n, size, rng).T) >= stat - 1e-12).sum())
    p = (1 + hits) / (1 + permutations)
    ca, cb = a.mean(axis=0), b.mean(axis=0)
    cosine = float(ca @ cb / (np.linalg.norm(ca) * np.linalg.norm(cb) or 1.0))
    detail = {
        "bandwidth": bandwidth,
        "rows_used": [m, n],
        "permutations": permutations,
        "p_floor": 1 / (1 + permutations),
        "centroid_cosine": cosine,
        "moved": f"the articles' embeddings moved: MMD^2 {stat:.4f}, "
        f"cosine between the windows' mean vectors {cosine:.3f}",
    }
    return stat, p, stat, detail


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"
