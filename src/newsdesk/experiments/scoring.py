"""Which headline scorer serves, and scoring a CSV of headlines with it.

The served scorer is the registry's champion of ``newsdesk-headlines`` when there is one (the lifecycle's
:class:`~newsdesk.experiments.lifecycle.HeadlinesSpec` trains it; ``newsdesk models promote`` makes it the
champion), else the scorer bundled in the package (``newsdesk/data/headlines/scorer.joblib``, trained on
the judged pairs of the Upworthy Research Archive's exploratory tests; see the README beside it), so
scoring works on a fresh machine without the data and without a network. Every score is traceable to the
scorer that gave it: ``newsdesk-headlines@<version>``, or ``newsdesk-headlines@bundled-<digest>``.

>>> rows = read_headlines_csv(io.StringIO("id,headline\\n1,Dogs are great\\n"))
>>> rows
['Dogs are great']
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from newsdesk.experiments.headlines import HeadlineScorer
    from newsdesk.settings import Settings

__all__ = [
    "BUNDLED",
    "MODEL_NAME",
    "ServedScorer",
    "bundled_scorer",
    "read_headlines_csv",
    "score_file",
    "served_scorer",
]

MODEL_NAME = "newsdesk-headlines"
BUNDLED = "headlines/scorer.joblib"  # under the newsdesk.data package


@dataclass(frozen=True)
class ServedScorer:
    """A fitted scorer and its reference (``name@version``), what each score it gives records."""

    ref: str
    scorer: HeadlineScorer

    def score(self, headlines: Sequence[str]) -> list[float]:
        """One score per headline, in order; the higher of two headlines of one story is the likelier
        winner of a click test (scores compare within a story only)."""
        if not headlines:
            return []
        return [round(float(s), 6) for s in self.scorer.score(list(headlines))]


_LOADED: dict[str, HeadlineScorer] = {}
_LOCK = threading.Lock()


def bundled_scorer(settings: Settings) -> ServedScorer:
    """The scorer shipped in the package (loaded once per process and workspace; its sentence model is
    the one it was trained with, built with ``settings``' device and embedding cache)."""
    from newsdesk.experiments.headlines import HeadlineScorer

    key = str(settings.home)
    with _LOCK:
        scorer = _LOADED.get(key)
        if scorer is None:
            source = resources.files("newsdesk.data").joinpath(BUNDLED)
            with resources.as_file(source) as path:
                if not path.is_file():
                    raise NotFound(f"no bundled headline scorer at newsdesk/data/{BUNDLED}")
                scorer = _LOADED[key] = HeadlineScorer.load(path, settings=settings)
    return ServedScorer(f"{MODEL_NAME}@bundled-{scorer.digest}", scorer)


def served_scorer(settings: Settings) -> ServedScorer:
    """The champion of ``newsdesk-headlines`` when the workspace has a registry with one, else the bundled
    scorer (see the module docstring)."""
    from newsdesk.lifecycle.serving import champion_model

    champion = champion_model(settings, MODEL_NAME)
    if champion is not None:
        ref, model = champion
        if model.scorer.settings is None:  # loaded by MLflow: embed with this workspace's settings
            model.scorer.settings = settings
        return ServedScorer(ref, model.scorer)
    return bundled_scorer(settings)


def read_headlines_csv(source: str | Path | IO[str]) -> list[str]:
    """The ``headline`` column of a CSV, in row order. A missing column or an empty headline is refused
    with :class:`~newsdesk.errors.InvalidInput` naming the field (and the row, counted from 1 after the
    header)."""
    if isinstance(source, str | Path):
        with open(source, newline="", encoding="utf-8-sig") as handle:
            return read_headlines_csv(io.StringIO(handle.read()))
    reader = csv.DictReader(source)
    columns = list(reader.fieldnames or [])
    if "headline" not in columns:
        raise InvalidInput("headline", columns, "a CSV with a 'headline' column")
    out = []
    for number, row in enumerate(reader, start=1):
        text = (row.get("headline") or "").strip()
        if not text:
            raise InvalidInput(f"headline (row {number})", row.get("headline") or "", "a non-empty headline")
        out.append(text)
    return out


def score_file(path: str | Path, settings: Settings) -> dict[str, Any]:
    """``{"scores": [...], "model": name@version}`` for the headlines of the CSV at ``path``."""
    headlines = read_headlines_csv(path)
    served = served_scorer(settings)
    return {"scores": served.score(headlines), "model": served.ref}


def train_bundle(data: Path, out: Path, settings: Settings, *, shape: bool = False) -> HeadlineScorer:
    """Fit the scorer on every judged pair of ``data`` (an Upworthy-shaped CSV) and write it to ``out``:
    how the bundled scorer was made (``python -m newsdesk.experiments.scoring DATA OUT``)."""
    from newsdesk.experiments.headlines import HeadlineScorer, judged_pairs, read_packages

    pairs = judged_pairs(read_packages(data))
    scorer = HeadlineScorer(settings=settings, shape=shape, embedding_weights=(1.0, 2.0)).fit(pairs)
    scorer.save(out)
    return scorer


if __name__ == "__main__":  # pragma: no cover - how the bundle was made
    import sys

    from newsdesk.settings import Settings

    fitted = train_bundle(Path(sys.argv[1]), Path(sys.argv[2]), Settings(), shape="--shape" in sys.argv)
    print(fitted.digest, fitted.chosen_C, fitted.embedding_weight, fitted.embedding_model)
