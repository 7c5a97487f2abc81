from newsdesk.search.text import matched_terms, query_terms, snippet, stem


def test_query_terms_fold_case_and_drop_function_words() -> None:
    assert query_terms("What did the BANK of England say?") == ["bank", "england", "say"]
    assert query_terms("Café résumé") == ["cafe", "resume"]
    # a query of function words only keeps them rather than becoming empty
    assert query_terms("to be or not") == ["to", "be", "or", "not"]
    assert query_terms("   ") == []


def test_stems_match_inflections() -> None:
    assert stem("rates") == stem("rate")
    assert stem("Banking") == stem("banks")
    assert matched_terms(["rate", "profit", "striker"], "Profits rose as rates fell") == ["rate", "profit"]


def test_snippet_marks_hits_and_escapes_markup() -> None:
    text = "<b>Intro</b> " + "filler words here. " * 40 + "The striker scored a late goal. " + "end. " * 40
    out = snippet(text, ["striker", "goal"], width=120)
    assert "<mark>striker</mark>" in out and "<mark>goal</mark>" in out
    assert "<b>" not in out  # article markup never reaches the page unescaped
    assert out.startswith("… ") and out.endswith(" …")
    assert len(out) < 200


def test_snippet_without_hits_is_the_opening() -> None:
    assert snippet("First sentence. Second one.", ["absent"], width=200) == "First sentence. Second one."


def test_stem_families() -> None:
    for family in (["rate", "rates", "rated", "rating"], ["story", "stories"], ["bank", "banks", "banking"]):
        assert len({stem(w) for w in family}) == 1, family
    assert stem("bank") != stem("band")


def _reference_hits(terms: list[str], text: str) -> list[tuple[int, int, str]]:
    """The plain definition of a hit: text from a word boundary, starting with a query term's stem, to the
    end of its word, whose own stem is that stem (one word-boundary regex over the whole text). The fast
    scan in newsdesk.search.text must agree with it exactly."""
    import re

    wanted = {stem(t) for t in terms if t}
    lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    alternatives = "|".join(re.escape(w) for w in sorted(wanted, key=len, reverse=True))
    found = re.finditer(rf"\b(?:{alternatives})\w*(?:['\u2019]\w+)*", lowered)
    return [(m.start(), m.end(), stem(m.group())) for m in found if stem(m.group()) in wanted]


def test_hits_agree_with_the_plain_definition_on_real_and_awkward_text() -> None:
    from pathlib import Path

    from newsdesk.search.text import _hits

    data = Path(__file__).parents[1] / "data"
    bodies = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(data.glob("bbc/**/*.txt"))]
    bodies += (data / "ag-news-sample.csv").read_text(encoding="utf-8").splitlines()
    assert len(bodies) >= 30
    awkward = [
        "xbank'bank and bank's banks, sbank BANKING_bank _bank bank_ Bänk bank",
        "rates-rated;rate.Rates\u2019 arate rate'rate'rate",
        "İstanbul bank ﬁnance banks",
    ]
    queries = [["bank", "rates"], ["finance", "istanbul"], ["election", "labour", "minister"], ["said"]]
    checked = 0
    for text in bodies + awkward:
        for terms in queries:
            assert _hits(terms, text) == _reference_hits(terms, text), (terms, text[:80])
            checked += len(_reference_hits(terms, text))
    assert checked > 50  # the texts really contain hits
