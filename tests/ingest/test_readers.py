"""Every reader on real files: the committed samples in ``tests/data`` (see ``tests/data/ATTRIBUTION.md``).

Each test ingests a sample through :func:`newsdesk.ingest.ingest` into a fresh store and checks the exact
counts and the fields of stored articles, so a change in any reader's mapping shows up here.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newsdesk.articles.model import Subject
from newsdesk.ingest import IngestReport, ingest
from newsdesk.ingest.readers import detect
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store

DATA = Path(__file__).resolve().parents[1] / "data"
BBC = DATA / "bbc"
REUTERS = DATA / "reuters" / "reut2-sample.sgm"
AG_NEWS = DATA / "ag-news-sample.csv"
JSONL = DATA / "valley-herald.jsonl"
RSS = DATA / "feeds" / "riverside-gazette.rss"
ATOM = DATA / "feeds" / "northern-wire-science.atom"
HTML_GAZETTE = DATA / "html" / "riverside-gazette-library.html"
HTML_FERRY = DATA / "html" / "northern-wire-ferry.html"

AG_MAP = {"title": "headline", "description": "body", "class": "section"}


def run(store: ArticleStore, settings: Settings, *paths: Path, **kwargs: Any) -> IngestReport:
    """Ingest and check the report's bookkeeping: every record counted once, every error located."""
    before = store.count()
    report = ingest(list(paths), store, settings=settings, **kwargs)
    assert report.read == report.accounted, report.to_dict()
    assert store.count() - before == report.inserted
    for err in report.errors:
        assert err.location and err.message, err
    return report


def assert_tz_aware(value: datetime | None) -> datetime:
    assert value is not None
    assert value.tzinfo is not None and value.utcoffset() is not None
    return value


# --------------------------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (BBC, "textdir"),
        (REUTERS, "reuters"),
        (AG_NEWS, "csv"),
        (JSONL, "jsonl"),
        (RSS, "rss"),
        (ATOM, "rss"),
        (HTML_GAZETTE, "html"),
        (HTML_FERRY, "html"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_detect_each_sample(path: Path, expected: str) -> None:
    assert detect(path) == expected


@pytest.mark.parametrize(
    "path", sorted(DATA.glob("ninjs/*/*.json")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_detect_every_ninjs_example(path: Path) -> None:
    # Including pictures, events and the not-valid example: they are ninjs, rejected later, not JSON Lines.
    assert detect(path) == "ninjs"


def test_auto_detection_ingests_every_sample_in_one_run(store: ArticleStore, settings: Settings) -> None:
    report = run(store, settings, BBC, REUTERS, JSONL, RSS, ATOM, HTML_GAZETTE, HTML_FERRY)
    # 8 BBC (1 duplicate) + 35 Reuters (3 rejected) + 5 JSONL + 4 RSS + 3 Atom + 2 HTML pages.
    assert report.read == 57
    assert report.inserted == 53
    assert report.rejected == 3
    assert len(report.duplicates) == 1
    assert {a.source for a in store.iter_articles()} == {
        "bbc", "reuters", "valley-herald", "www.riverside-gazette.example", "northernwire.example",
        "the-riverside-gazette", "northern-wire",
    }


# ---------------------------------------------------------------------------------- textdir (BBC News)


def test_textdir_counts_and_duplicate(store: ArticleStore, settings: Settings) -> None:
    report = run(store, settings, BBC)
    assert (report.read, report.inserted, report.rejected) == (8, 7, 0)
    # sport/252.txt and sport/255.txt are byte-identical files in the corpus.
    assert len(report.duplicates) == 1
    dup = report.duplicates[0]
    assert dup.location == "sport/255.txt"
    assert dup.id == "bbc:sport/255"
    assert dup.duplicate_of == "bbc:sport/252"
    assert store.sections() == {"business": 3, "sport": 2, "tech": 2}


def test_textdir_fields(store: ArticleStore, settings: Settings) -> None:
    run(store, settings, BBC)
    art = store.get("bbc:business/001")
    assert art.source == "bbc"
    assert art.source_id == "business/001"
    assert art.section == "business"
    assert art.headline == "Ad sales boost Time Warner profit"
    assert art.body.startswith("Quarterly profits at US media giant TimeWarner jumped 76%")
    assert "Ad sales boost" not in art.body.split("\n")[0]
    assert art.published_at is None and art.url is None
    assert art.extra == {}


def test_textdir_latin1_file_keeps_its_pound_sign(store: ArticleStore, settings: Settings) -> None:
    raw = (BBC / "sport" / "199.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    run(store, settings, BBC)
    art = store.get("bbc:sport/199")
    assert art.headline == "Chelsea sack Mutu"
    assert "a £15.8m signing from Parma" in art.body
    assert "\ufffd" not in art.body
    assert art.extra == {"encoding": "cp1252"}


def test_textdir_reingest_is_unchanged(store: ArticleStore, settings: Settings) -> None:
    run(store, settings, BBC)
    again = run(store, settings, BBC)
    assert (again.read, again.inserted, again.updated, again.unchanged) == (8, 0, 0, 7)
    assert [d.duplicate_of for d in again.duplicates] == ["bbc:sport/252"]


# ------------------------------------------------------------------------------------- Reuters-21578


def test_reuters_counts_and_rejections(store: ArticleStore, settings: Settings) -> None:
    report = run(store, settings, REUTERS)
    assert (report.read, report.inserted, report.rejected, len(report.duplicates)) == (35, 32, 3, 0)
    problems = {(e.location, e.field) for e in report.errors}
    assert problems == {
        ("NEWID 99", "headline"),  # TYPE="UNPROC" stories have no <TITLE>
        ("NEWID 101", "headline"),
        ("NEWID 17192", "published_at"),  # <DATE>31-MAR-1987 605:12:19.12</DATE>
    }
    bad_date = next(e for e in report.errors if e.location == "NEWID 17192")
    assert bad_date.value == "31-MAR-1987 605:12:19.12"


def test_reuters_fields(store: ArticleStore, settings: Settings) -> None:
    run(store, settings, REUTERS)
    art = store.get("reuters:1")
    assert art.source == "reuters"
    assert art.source_id == "1"
    assert art.headline == "BAHIA COCOA REVIEW"
    assert art.published_at == datetime(1987, 2, 26, 15, 1, 1, 790000, tzinfo=UTC)
    assert art.subjects == [Subject(code="reuters-topic:cocoa")]
    assert art.keywords == ["el-salvador", "usa", "uruguay"]
    assert art.language == "en"
    assert art.body.startswith("Showers continued throughout the week in\nthe Bahia cocoa zone")
    assert art.body.endswith("Reuter")
    assert "&#3;" not in art.body and "\x03" not in art.body
    assert art.extra == {"lewissplit": "TRAIN", "topics_flag": "YES", "dateline": "SALVADOR, Feb 26 -"}


def test_reuters_topics_become_coded_subjects(store: ArticleStore, settings: Settings) -> None:
    run(store, settings, REUTERS)
    art = store.get("reuters:5")
    assert [s.code for s in art.subjects] == [
        "reuters-topic:grain", "reuters-topic:wheat", "reuters-topic:corn",
        "reuters-topic:barley", "reuters-topic:oat", "reuters-topic:sorghum",
    ]
    assert all(s.name is None for s in art.subjects)
    assert store.get("reuters:2").subjects == []  # TOPICS="NO"
    codes = Counter(s.code for a in store.iter_articles() for s in a.subjects)
    assert codes["reuters-topic:earn"] == 9
    assert all(str(code).startswith("reuters-topic:") for code in codes)


def test_reuters_entities_bylines_and_dates(store: ArticleStore, settings: Settings) -> None:
    run(store, settings, REUTERS)
    assert store.get("reuters:2").headline == "STANDARD OIL <SRD> TO FORM FINANCIAL UNIT"
    assert store.get("reuters:4").byline == "by Janie Gabbett, Reuters"
    # Routing codes follow the time inside <DATE> in reut2-010.sgm.
    assert store.get("reuters:10279").published_at == datetime(
        1987, 3, 27, 0, 2, 59, 130000, tzinfo=UTC
    )
    # A brief (<TEXT TYPE="BRIEF">) has a title but no <BODY>.
    brief = store.get("reuters:30")
    assert brief.headline.startswith("ASSETS OF MONEY MARKET MUTUAL FUNDS ROSE 720.4 MLN")
    assert brief.body == "****** Blah blah blah."
    for art in store.iter_articles():
        published = assert_tz_aware(art.published_at)
        assert published.year == 1987


def test_reuters_latin1_byte(store: ArticleStore, settings: Settings) -> None:
    assert b"\xfc" in REUTERS.read_bytes()
    run(store, settings, REUTERS)
    art = store.get("reuters:17980")
    assert art.headline == "LAWSON SAYS LOUVRE CURRENCY ACCORD SATISFACTORY"
    assert "world economic growth.\u00fcside measures" in art.body
    assert art.extra["lewissplit"] == "TEST"


# ------------------------------------------------------------------------------------------ CSV (AG News)


def test_csv_with_column_map(store: ArticleStore, settings: Settings) -> None:
    report = run(store, settings, AG_NEWS, column_map=AG_MAP)
    assert (report.read, report.inserted, report.rejected) == (30, 30, 0)
    # Class index 1-4 (World, Sports, Business, Sci/Tech), mapped to the section.
    assert store.sections() == {"4": 15, "2": 7, "1": 6, "3": 2}
    first = next(a for a in store.iter_articles() if a.headline == "Fears for T N pension after talks")
    assert first.body == (
        "Unions representing workers at Turner   Newall say they are 'disappointed' after talks "
        "with stricken parent firm Federal Mogul."
    )
    assert first.section == "3"
    assert first.source == "ag-news-sample"
    assert first.source_id is None
    assert first.id.startswith("ag-news-sample:#")  # no id column: the id comes from the content
    assert first.extra == {}


def test_csv_without_column_map_keeps_unknown_columns_in_extra(
    store: ArticleStore, settings: Settings
) -> None:
    report = run(store, settings, AG_NEWS)
    assert report.inserted == 30  # 'title' is an accepted alias of 'headline'
    first = next(a for a in store.iter_articles() if a.headline == "Fears for T N pension after talks")
    assert first.body == ""
    assert first.section is None
    assert first.extra["class"] == "3"
    assert first.extra["description"].startswith("Unions representing workers")


def test_csv_reingest_with_same_map_is_unchanged(store: ArticleStore, settings: Settings) -> None:
    run(store, settings, AG_NEWS, column_map=AG_MAP)
    again = run(store, settings, AG_NEWS, column_map=AG_MAP)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 30)


# ------------------------------------------------------------------------------------------------ JSONL


def test_jsonl_canonical_fields(store: ArticleStore, settings: Settings) -> None:
    report = run(store, settings, JSONL)
    assert (report.read, report.inserted, report.rejected) == (5, 5, 0)
    art = store.get("valley-herald:vh-2024-0502-001")
    assert art.source == "valley-herald"  # from the file name
    assert art.headline == "Harbour dredging contract awarded to local firm"
    assert art.body.startswith("The port authority has awarded")
    assert "\n\nThe work will deepen" in art.body
    assert art.url == "https://www.valley-herald.example/business/2024/05/02/harbour-dredging-contract"
    assert art.byline == "Marta Kowalczyk"
    assert art.published_at == datetime(2024, 5, 2, 8, 15, tzinfo=UTC)
    assert art.section == "Business"
    assert art.language == "en"
    assert art.keywords == ["port", "shipping", "contracts"]
    assert art.subjects == [Subject(code="medtop:04000000"), Subject(name="maritime transport")]


def test_jsonl_value_forms(store: ArticleStore, settings: Settings) -> None:
    run(store, settings, JSONL)
    budget = store.get("valley-herald:vh-2024-0502-002")
    assert budget.keywords == ["budget", "council tax", "social care"]  # from "a; b; c"
    assert budget.subjects == [
        Subject(name="economy, business and finance", code="medtop:04000000"),
        Subject(name="politics and government", code="medtop:11000000"),
    ]
    assert budget.published_at == datetime(2024, 5, 2, 17, 30, tzinfo=UTC)  # 19:30+02:00 in the file

    cup = store.get("valley-herald:vh-2024-0502-003")  # RFC 2822 date
    assert cup.published_at == datetime(2024, 5, 2, 20, 40, tzinfo=UTC)
    assert cup.language == "en-GB"

    minimal = store.get("valley-herald:vh-2024-0503-001")
    assert minimal.published_at is None and minimal.url is None and minimal.byline is None
    assert minimal.keywords == [] and minimal.subjects == [] and minimal.section is None

    german = store.get("valley-herald:vh-2024-0503-002")
    assert german.headline == "Partnerstadt Kirchberg schickt Delegation zum Frühlingsfest"
    assert german.byline == "Lena Groß"
    assert german.language == "de"
    # No offset in the file: the default time zone (UTC) applies.
    assert german.published_at == datetime(2024, 5, 3, 6, 0, tzinfo=UTC)
    assert assert_tz_aware(german.published_at).utcoffset() == timedelta(0)


# ------------------------------------------------------------------------------------------ RSS and Atom


def test_rss_entries(store: ArticleStore, settings: Settings) -> None:
    report = run(store, settings, RSS)
    assert (report.read, report.inserted, report.rejected) == (4, 4, 0)
    source = "www.riverside-gazette.example"
    art = store.get(f"{source}:rg-news-20240312-0142")  # guid -> source_id
    assert art.source == source
    assert art.source_id == "rg-news-20240312-0142"
    assert art.headline == "Council approves €4.2m plan to reopen Mill Street bridge"
    assert art.url == (
        "https://www.riverside-gazette.example/news/2024/03/12/mill-street-bridge-reopening"
    )
    assert art.byline == "Hannah Okafor"
    assert art.published_at == datetime(2024, 3, 12, 9, 30, tzinfo=UTC)
    assert art.keywords == ["Local news", "Transport", "Riverside council"]
    assert art.language == "en-gb"
    # content:encoded, as plain text: paragraphs kept, tags, scripts and source line breaks gone.
    assert art.body.startswith(
        "Riverside council has approved a €4.2m plan to reopen the Mill Street bridge, which has"
    )
    assert "\n\nWork is due to start in June" in art.body
    assert "Read the full report." in art.body
    for markup in ("<", ">", "&euro;", "rgTrack", "strong"):
        assert markup not in art.body
    assert art.extra == {"summary": "The footbridge has been closed since the 2022 floods."}


def test_rss_item_variants(store: ArticleStore, settings: Settings) -> None:
    run(store, settings, RSS)
    source = "www.riverside-gazette.example"
    permalink = "https://www.riverside-gazette.example/sport/2024/03/12/rovers-sign-wren"
    sport = store.get(f"{source}:{permalink}")  # isPermaLink guid
    assert sport.keywords == ["Sport", "Football"]
    assert "season.\n\nAge: 24\n\nPosition: striker\n\nPrevious club: Harbour Town" in sport.body
    assert sport.published_at == datetime(2024, 3, 12, 14, 10, tzinfo=UTC)

    jobs = store.get(f"{source}:rg-business-20240311-0098")  # no content:encoded: the description
    assert jobs.body == (
        "The snack maker says the £18m plant will open next spring & employ 120 people.\n\n"
        "Recruitment starts in the autumn."
    )
    assert jobs.published_at == datetime(2024, 3, 11, 12, 45, tzinfo=UTC)  # -0500 in the feed
    assert "summary" not in jobs.extra

    weather = store.get(f"{source}:rg-news-20240312-0177")
    assert weather.byline is None
    for art in store.iter_articles():
        assert_tz_aware(art.published_at)


def test_atom_entries(store: ArticleStore, settings: Settings) -> None:
    report = run(store, settings, ATOM)
    assert (report.read, report.inserted, report.rejected) == (3, 3, 0)
    source = "northernwire.example"
    glacier = store.get(f"{source}:tag:northernwire.example,2024:article/88213")
    assert glacier.headline == "Glacier retreat in the Cairn range doubled since 2000, survey finds"
    assert glacier.url == "https://northernwire.example/science/2024/04/03/cairn-glacier-survey"
    assert glacier.byline == "Ingrid Solberg"
    assert glacier.published_at == datetime(2024, 4, 3, 6, 0, tzinfo=UTC)  # +02:00 in the feed
    assert glacier.keywords == ["science", "climate", "glaciers"]
    assert glacier.language == "en"
    assert glacier.body.startswith("The glaciers of the Cairn range are retreating twice as fast")
    assert "lost on average 14 metres of length a year." in glacier.body
    assert '"We did not expect the acceleration to be this clear," said lead author' in glacier.body
    assert "<" not in glacier.body and "&lt;" not in glacier.body

    recycling = store.get(f"{source}:tag:northernwire.example,2024:article/88190")
    assert recycling.headline == "Recycling rates rise to 48% after kerbside food waste scheme"
    assert recycling.body.startswith("Household recycling rates in the region rose to 48%")
    assert "<" not in recycling.body

    seals = store.get(f"{source}:tag:northernwire.example,2024:article/88150")
    assert seals.published_at == datetime(2024, 4, 1, 9, 5, tzinfo=UTC)  # no <published>: <updated>
    assert seals.body == (
        "Rangers counted 1,214 grey seal pups this winter, the most since counts began in 1978."
    )
    assert seals.keywords == ["science", "wildlife"]


# ------------------------------------------------------------------------------------------- HTML pages

BOILERPLATE = (
    "cookie", "Accept all", "Subscribe", "Most read", "Related stories", "newsletter", "Sign up",
    "All rights reserved", "Privacy policy", "Terms and conditions", "Advertisement", "Log in",
    "Comments (2)", "kvalsund_local", "grid upgrade", "Editorial standards", "Reproduction",
    "rgTrack", "Home", "What's On",
)


def test_html_page_gazette(store: ArticleStore, settings: Settings) -> None:
    report = run(store, settings, HTML_GAZETTE)
    assert (report.read, report.inserted, report.rejected) == (1, 1, 0)
    url = "https://www.riverside-gazette.example/news/2024/03/14/library-sunday-opening"
    art = store.get(f"the-riverside-gazette:{url}")
    assert art.source == "the-riverside-gazette"  # og:site_name
    assert art.url == url  # canonical / og:url
    assert art.headline == "Library opening hours extended after petition"
    assert art.byline == "Hannah Okafor"
    published = assert_tz_aware(art.published_at)
    assert published.date() == date(2024, 3, 14)
    assert art.section == "Local news"
    assert art.keywords == ["Libraries", "Riverside council"]
    assert art.body.startswith("Riverside's central library will open on Sundays from April")
    assert art.body.endswith("before deciding whether to make the Sunday opening permanent.")
    assert "The extra hours will cost about £85,000 a year" in art.body
    for text in BOILERPLATE:
        assert text not in art.body, text
    assert art.extra["description"].startswith("Riverside's central library will open on Sundays")


def test_html_page_ferry(store: ArticleStore, settings: Settings) -> None:
    report = run(store, settings, HTML_FERRY)
    assert (report.read, report.inserted, report.rejected) == (1, 1, 0)
    url = "https://northernwire.example/business/2024/04/05/electric-ferries"
    art = store.get(f"northern-wire:{url}")
    assert art.headline == "Ferry operator orders two battery-electric vessels"
    assert art.byline == "Tom Achterberg"
    assert assert_tz_aware(art.published_at).date() == date(2024, 4, 5)
    assert art.section == "Business"  # JSON-LD articleSection
    # The page's <h1> is the headline, not the first line of the body.
    assert art.body.startswith("Fjordline Ferries will replace its two oldest diesel ships")
    assert art.body.endswith("Delivery of the first vessel is planned for the spring of 2026.")
    assert "about 11,000 tonnes a year" in art.body
    for text in BOILERPLATE:
        assert text not in art.body, text


# ------------------------------------------------------------------------------------- parallel parsing


@pytest.mark.parametrize("parallel", ["off", "process"])
def test_parallel_modes_agree_on_real_files(tmp_path: Path, parallel: str) -> None:
    settings = Settings(home=tmp_path / "home")
    settings.ingest.parallel = parallel  # type: ignore[assignment]
    settings.ingest.batch_size = 7
    store = open_store(settings)
    try:
        report = run(store, settings, BBC, REUTERS, RSS)
        assert (report.read, report.inserted, report.rejected, len(report.duplicates)) == (
            47, 43, 3, 1
        )
        assert store.get("reuters:1").published_at == datetime(
            1987, 2, 26, 15, 1, 1, 790000, tzinfo=UTC
        )
    finally:
        store.close()
