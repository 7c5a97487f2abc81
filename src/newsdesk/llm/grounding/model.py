"""The calibrated support model: a logistic regression over a few alignment features, kept as JSON
coefficients (``newsdesk/data/grounding/model.json``, trained by ``python -m newsdesk.evaluate.grounding
--train``), with the threshold above which a claim counts as supported.

>>> model = GroundingModel.default()
>>> round(model.probability([1.0, 1.0, 1.0, 1.0, 0, 0, 0, 0, 0, 2.0]), 2) > model.threshold
True
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from newsdesk.errors import InvalidInput

__all__ = ["FEATURES", "SIGNS", "GroundingModel", "bundled_model"]

FEATURES = (
    "max_cosine",  # best embedding cosine between the claim and a candidate sentence
    "best_coverage",  # IDF-weighted share of the claim's content words in its best sentence
    "pair_coverage",  # ... in the best two sentences together
    "document_coverage",  # share of the claim's content words anywhere in the sources
    "novel_words",  # content words of the claim found nowhere in the sources (capped at 3)
    "missing_entities",  # named entities of the claim (spaCy) not in the sources (capped at 2)
    "missing_facts",  # numbers, dates, names, quotes not in the sources (capped at 2)
    "evidence_gaps",  # names and numbers in the sources but not in the evidence sentences (capped at 2)
    "negation_mismatch",  # the claim and its aligned sentence disagree on negation
    "log_length",  # log(1 + words in the claim)
)
# Word-order features were tried and left out: the share of the claim's word pairs found in the sources or in
# one sentence, and the longest common subsequence with a sentence, gave FactCC +0.02 balanced accuracy out
# of fold (SummEval none), but they reject reworded paraphrases (a passive voice) that products must pass.
# the sign each weight must have: a trained weight of the wrong sign is set to 0 and the rest
# refitted, so more support never lowers the score, whatever the training data's quirks (on SummaC, longer
# claims are more often consistent; a verifier must not reward length)
SIGNS = (1, 1, 1, 1, -1, -1, -1, -1, -1, -1)
# how a summary of several claims is reduced to one row: its weakest value of each feature
WORST = ("min", "min", "min", "min", "max", "max", "max", "max", "max", "max")


@dataclass(frozen=True)
class GroundingModel:
    """Logistic regression on standardised :data:`FEATURES`, and the support threshold."""

    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    threshold: float = 0.5
    features: tuple[str, ...] = FEATURES
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if tuple(self.features) != FEATURES:
            raise InvalidInput("features", list(self.features), "the features " + ", ".join(FEATURES))
        if not len(self.coef) == len(self.mean) == len(self.scale) == len(FEATURES):
            raise InvalidInput("coef", len(self.coef), f"{len(FEATURES)} coefficients, means and scales")
        if not 0.0 < self.threshold < 1.0:
            raise InvalidInput("threshold", self.threshold, "a number strictly between 0 and 1")

    @classmethod
    def default(cls) -> GroundingModel:
        """Hand-set weights, used only when no trained model is bundled."""
        return cls(
            coef=(2.0, 1.0, 0.5, 1.0, -0.5, -1.0, -2.0, -0.5, -1.5, 0.0),
            intercept=0.0,
            mean=(0.6, 0.7, 0.8, 0.85, 1.0, 0.2, 0.2, 0.2, 0.05, 2.5),
            scale=(0.15, 0.2, 0.2, 0.15, 1.0, 0.4, 0.4, 0.4, 0.2, 0.5),
            provenance={"trained_by": "hand-set defaults (no trained model bundled)"},
        )

    def probability(self, row: Sequence[float]) -> float:
        z = self.intercept + sum(
            c * (x - m) / s for c, x, m, s in zip(self.coef, row, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "mean": list(self.mean),
            "scale": list(self.scale),
            "threshold": self.threshold,
            "provenance": self.provenance,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroundingModel:
        return cls(
            coef=tuple(float(v) for v in data["coef"]),
            intercept=float(data["intercept"]),
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            threshold=float(data.get("threshold", 0.5)),
            features=tuple(data.get("features", FEATURES)),
            provenance=dict(data.get("provenance", {})),
        )

    @property
    def digest(self) -> str:
        """A short hash of the coefficients and threshold (provenance left out)."""
        payload = {k: v for k, v in self.to_dict().items() if k != "provenance"}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:10]


@functools.lru_cache(maxsize=1)
def bundled_model() -> GroundingModel:
    """The model shipped in ``newsdesk/data/grounding/model.json`` (the hand-set default without one)."""
    try:
        text = resources.files("newsdesk.data").joinpath("grounding/model.json").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return GroundingModel.default()
    return GroundingModel.from_dict(json.loads(text))
