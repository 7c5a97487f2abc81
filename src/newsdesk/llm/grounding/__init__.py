"""Grounding checks for generated text: every claim is checked against its source articles before it is
shown (names, numbers, dates and quotes must be in the sources; the rest is judged by a calibrated model
over embedding and lexical alignment).

>>> from newsdesk.llm.grounding import split_claims
>>> split_claims("Sales rose 5%. The chief executive, Jane Smith, said she was pleased.")
['Sales rose 5%.', 'The chief executive, Jane Smith, said she was pleased.']
"""

from __future__ import annotations

from newsdesk.llm.grounding.model import FEATURES, GroundingModel, bundled_model
from newsdesk.llm.grounding.text import split_claims
from newsdesk.llm.grounding.verifier import CODE_VERSION, ClaimCheck, Evidence, Source, Verifier

__all__ = [
    "CODE_VERSION",
    "FEATURES",
    "ClaimCheck",
    "Evidence",
    "GroundingModel",
    "Source",
    "Verifier",
    "bundled_model",
    "split_claims",
]
