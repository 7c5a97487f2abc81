"""Two cheap per-article components: the ``language`` of the text and its ``reading_time``.

``language`` runs py3langid (a naive Bayes model over byte n-grams covering 97 languages) on the headline
and the start of the body, with probabilities normalised over the languages, so the confidence says how
sure the model is. Texts with no letters at all (empty, numbers only) get ``und`` (BCP 47 "undetermined")
with probability 0 instead of a guess; very short texts are classified but their probability is low,
so callers can keep only confident answers.

``reading_time`` counts words (:func:`newsdesk.nlp.text.words`) in the headline and body and divides by
``words_per_minute`` (``settings.nlp.words_per_minute`` through :meth:`ReadingTimeComponent.from_settings`).

>>> from newsdesk.articles.model import Article
>>> art = Article.create(source="demo", headline="Rates held", body="The bank kept rates steady. " * 46)
>>> ReadingTimeComponent(words_per_minute=230).transform([art])[0].value
{'minutes': 1.0, 'words': 232}
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from newsdesk.errors import InvalidInput, MissingDependency
from newsdesk.nlp.base import BaseComponent, ComponentConfig, Output, components
from newsdesk.nlp.text import words

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.settings import Settings

__all__ = ["LanguageComponent", "ReadingTimeComponent", "ReadingTimeConfig", "detect_language"]

UNDETERMINED = "und"
# The start of a long text tells its language; classifying more only costs time (py3langid is linear).
_MAX_CHARS = 5_000


@functools.lru_cache(maxsize=1)
def _identifier() -> Any:
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:
        raise MissingDependency("py3langid", "nlp", "language detection") from None
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """(language code, probability) of ``text``; (``'und'``, 0.0) when it has no letters. Codes are the
    model's: ISO 639-1 where one exists ("en"), else ISO 639-3 ("wuu" for Wu Chinese).

    >>> detect_language("Le gouvernement a annoncé mardi une réforme des retraites.")[0]
    'fr'
    >>> detect_language("2024 - 12:30")
    ('und', 0.0)
    """
    sample = text[:_MAX_CHARS]
    if not any(ch.isalpha() for ch in sample):
        return UNDETERMINED, 0.0
    code, probability = _identifier().classify(sample)
    return str(code), round(float(probability), 4)


@functools.lru_cache(maxsize=1)
def _py3langid_version() -> str:
    try:
        from importlib.metadata import version

        return version("py3langid")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return "unknown"


@components.register("language")
class LanguageComponent(BaseComponent):
    """Value ``{"code": "en", "probability": 0.99}``; the probability is also the output's confidence.
    No options; the model is py3langid's bundled one (``model_identity``: ``py3langid-<version>``)."""

    name: ClassVar[str] = "language"
    parallel_safe: ClassVar[bool] = True  # pure Python, numpy or spaCy: safe in forked workers
    requires: ClassVar[tuple[str, ...]] = ("headline", "body")
    assigns: ClassVar[tuple[str, ...]] = ("language",)
    code_version: ClassVar[str] = "1"

    def model_identity(self) -> str:
        return f"py3langid-{_py3langid_version()}"

    def transform(self, articles: Sequence[Article]) -> list[Output]:
        outputs: list[Output] = []
        for article in articles:
            code, probability = detect_language(article.model_text)
            outputs.append(Output({"code": code, "probability": probability}, confidence=probability))
        return outputs


@dataclass(frozen=True)
class ReadingTimeConfig(ComponentConfig):
    """The reading speed, in words per minute (it changes every output, so it is part of the version)."""

    words_per_minute: int = 230

    def __post_init__(self) -> None:
        if not isinstance(self.words_per_minute, int) or not 50 <= self.words_per_minute <= 1000:
            raise InvalidInput("nlp.words_per_minute", self.words_per_minute, "an integer from 50 to 1000")

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """``settings.nlp.words_per_minute`` unless ``options`` give another."""
        return cls(**({"words_per_minute": settings.nlp.words_per_minute} | options))


@components.register("reading_time")
class ReadingTimeComponent(BaseComponent):
    """Value ``{"minutes": 3.4, "words": 780}``: words in headline and body at the configured reading
    speed, minutes rounded to one decimal."""

    name: ClassVar[str] = "reading_time"
    parallel_safe: ClassVar[bool] = True  # pure Python, numpy or spaCy: safe in forked workers
    requires: ClassVar[tuple[str, ...]] = ("headline", "body")
    assigns: ClassVar[tuple[str, ...]] = ("reading_time",)
    code_version: ClassVar[str] = "1"
    Config: ClassVar[type[ComponentConfig]] = ReadingTimeConfig
    config: ReadingTimeConfig

    @property
    def words_per_minute(self) -> int:
        return self.config.words_per_minute

    def transform(self, articles: Sequence[Article]) -> list[Output]:
        outputs: list[Output] = []
        for article in articles:
            n = len(words(article.model_text))
            outputs.append(Output({"minutes": round(n / self.words_per_minute, 1), "words": n}))
        return outputs
