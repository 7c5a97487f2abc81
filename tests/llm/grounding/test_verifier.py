"""The grounding verifier on hand-made cases: what it must catch, what it must let through.

One verifier (the real embedding model, loaded once for the module) checks claims against a short article.
"""

from __future__ import annotations

import re

import pytest

from newsdesk.llm.grounding import ClaimCheck, Source, Verifier, bundled_model
from newsdesk.settings import Settings

ARTICLE = Source(
    "a1",
    "Council approves new bridge\n\n"
    "The city council approved the £2.5bn bridge project on Tuesday, after a debate that lasted five hours. "
    'Mayor John Smith said: "This bridge will change the city for a generation." '
    "About 2 million people live in the area, and 5% of them cross the river daily. "
    "But work will not begin until 2026, officials said.",
)
OTHER = Source(
    "b2", "Rail strike called off\n\nUnions called off Friday's rail strike after talks with operators."
)


@pytest.fixture(scope="module")
def verifier(nlp_settings: Settings) -> Verifier:
    return Verifier.from_settings(nlp_settings)


def check(verifier: Verifier, claim: str) -> ClaimCheck:
    return verifier.check_claim(claim, [ARTICLE, OTHER])


@pytest.mark.parametrize(
    "claim",
    [
        # copies, whole or shortened, with a leading "But" or the attribution dropped
        "The city council approved the £2.5bn bridge project on Tuesday, after a debate that lasted five "
        "hours.",
        "The city council approved the £2.5bn bridge project on Tuesday.",
        "Work will not begin until 2026.",
        '"This bridge will change the city for a generation."',
        # paraphrases: passive voice, reported speech, a moved attribution
        "The £2.5bn bridge project was approved by the city council on Tuesday.",
        "Mayor John Smith said the bridge would change the city for a generation.",
        '"This bridge will change the city for a generation," Mayor John Smith said.',
        "Unions called off the rail strike on Friday after talks with operators.",
    ],
)
def test_supported(verifier: Verifier, claim: str) -> None:
    result = check(verifier, claim)
    assert result.supported, result.reasons
    assert result.score >= verifier.threshold and not result.reasons


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        ("Mayor Jane Jones said the bridge would change the city.", "name 'Jones' not in the sources"),
        ("The city council approved the £3bn bridge project on Tuesday.", "number '£3bn' not in the sources"),
        ("About 4 million people live in the area.", "number '4 million' not in the sources"),
        ("The city council approved the bridge project in 2019.", "date '2019' not in the sources"),
        ("The city council approved the bridge project on Wednesday.", "date 'wednesday' not in the sources"),
        ("The city council did not approve the bridge project.", "negation differs"),
        ("Work will begin in 2026, officials said.", "negation differs"),
        ('Mayor John Smith said: "This bridge is a waste of money."', "quote not found"),
    ],
)
def test_caught(verifier: Verifier, claim: str, reason: str) -> None:
    result = check(verifier, claim)
    assert not result.supported
    assert any(r.startswith(reason) for r in result.reasons), result.reasons
    assert result.score < verifier.threshold


def test_citation_markers_are_not_checked(verifier: Verifier) -> None:
    cited = "The city council approved the £2.5bn bridge project [1]. About 4 million live there [2]."
    results = verifier.check(cited, [ARTICLE])
    assert [r.supported for r in results] == [True, False]
    assert (
        results[0].text.endswith("[1].") and results[1].reasons[0] == "number '4 million' not in the sources"
    )


def test_unrelated_claim_has_low_semantic_support(verifier: Verifier) -> None:
    result = check(verifier, "The bridge collapsed during construction, injuring workers.")
    assert not result.supported
    assert re.fullmatch(r"low semantic support 0\.\d\d", result.reasons[-1])


def test_evidence_points_into_the_source(verifier: Verifier) -> None:
    result = check(verifier, "The £2.5bn bridge project was approved by the city council on Tuesday.")
    assert 1 <= len(result.evidence) <= 3
    best = result.evidence[0]
    assert best.article_id == "a1" and best.sentence.startswith("The city council approved")
    texts = {"a1": ARTICLE.text, "b2": OTHER.text}
    assert all(texts[e.article_id][e.start : e.end] == e.sentence for e in result.evidence)
    data = result.to_dict()
    assert set(data) == {"text", "supported", "score", "evidence", "reasons"}
    assert set(data["evidence"][0]) == {"article_id", "sentence", "start", "end"}


def test_check_splits_and_checks_each_claim(verifier: Verifier) -> None:
    text = (
        "The city council approved the £2.5bn bridge project on Tuesday. About 4 million people live there."
    )
    results = verifier.check(text, [ARTICLE])
    assert [r.supported for r in results] == [True, False]
    assert verifier.check("", [ARTICLE]) == []


def test_score_document_is_the_weakest_claim(verifier: Verifier) -> None:
    good = "The city council approved the £2.5bn bridge project on Tuesday."
    assert verifier.score_document(ARTICLE.text, good) >= verifier.threshold
    assert verifier.score_document(ARTICLE.text, good + " It will cost £9bn.") < verifier.threshold


def test_version_names_code_and_model(verifier: Verifier) -> None:
    assert re.fullmatch(r"grounding@\d+\+[0-9a-f]{10}", verifier.version)
    assert verifier.model == bundled_model()
    assert bundled_model().provenance["trained_by"].startswith("python -m newsdesk.evaluate.grounding")
    assert Verifier(threshold=0.9, embedder=verifier.embedder).threshold == 0.9
