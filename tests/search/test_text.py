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
