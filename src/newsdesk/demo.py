"""The demo newsroom: the bundled BBC News corpus ingested into a workspace, and a day and a half of dated
wire headlines (:func:`build_wire`) for the products that need time: stories and trends.

A first run answers in seconds: ingesting both (:func:`build_demo`, :func:`build_wire`) takes a few, and
full-text search works at once. What takes long (enriching every article: about 20 minutes on 2 CPU cores)
and what depends on it (the vector index, stories, trends, entity pages, the readers, the generative
products' demo) is :func:`finish_demo`, which ``newsdesk demo --serve`` runs in a background process
(:func:`start_worker`) while the service answers; the service's searcher follows the store, so vector
search joins in as vectors arrive. Progress: :func:`newsdesk.pipeline.progress.enrich_status`.

>>> import tempfile, pathlib
>>> from newsdesk.settings import Settings
>>> from newsdesk.store import open_store
>>> s = Settings(home=pathlib.Path(tempfile.mkdtemp()))
>>> report = build_demo(s, open_store(s))
>>> report.inserted
2124
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk.ingest import IngestReport, ingest
from newsdesk.ingest.records import RecordsReport
from newsdesk.ingest.run import Progress
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore

if TYPE_CHECKING:
    from newsdesk.store import Backend

__all__ = [
    "DEMO_CORPUS",
    "WIRE_CORPUS",
    "build_demo",
    "build_products",
    "build_wire",
    "demo_generative",
    "demo_readers",
    "finish_demo",
    "lower_priority",
    "start_worker",
    "stop_worker",
]

Say = Callable[[str], None]
"""Where a demo step reports, one line at a time (the console, or the worker's log)."""
Step = Callable[[str, bool], None]
"""What a background step records: (text, force); ``force=False`` for progress ticks (may be throttled)."""

DEMO_CORPUS = "bbc-news-articles.tar.xz"
WIRE_CORPUS = "uci-news-headlines.csv.xz"
#: the news aggregator's category codes, as the demo's sections
_WIRE_SECTIONS = {"b": "business", "e": "entertainment", "t": "tech", "m": "health"}


def build_demo(settings: Settings, store: ArticleStore, *, progress: Progress | None = None) -> IngestReport:
    """Ingest the bundled corpus (idempotent: a second run reports everything unchanged)."""
    resource = files("newsdesk.data").joinpath(DEMO_CORPUS)
    with as_file(resource) as archive, tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(archive, "r:xz") as tar:
            tar.extractall(tmp, filter="data")
        return ingest(
            [Path(tmp) / "bbc"],
            store,
            settings=settings,
            format="textdir",
            source="bbc",
            progress=progress,
        )


def build_wire(settings: Settings, store: ArticleStore) -> RecordsReport:
    """Ingest the bundled wire: 2,989 dated headlines (10-12 March 2014) of the UCI News Aggregator, one
    record each (headline, link, publisher as byline, time), under the source ``uci``. Idempotent."""
    import csv
    import io
    import lzma
    from datetime import UTC, datetime

    from newsdesk.ingest.records import ingest_records

    text = lzma.decompress(files("newsdesk.data").joinpath(WIRE_CORPUS).read_bytes()).decode("utf-8")
    records = [
        {
            "id": row["ID"],
            "headline": row["TITLE"],
            "url": row["URL"],
            "byline": row["PUBLISHER"],
            "section": _WIRE_SECTIONS.get(row["CATEGORY"]),
            "published_at": datetime.fromtimestamp(int(row["TIMESTAMP"]) / 1000, UTC).isoformat(),
        }
        for row in csv.DictReader(io.StringIO(text))
    ]
    return ingest_records(records, store, settings=settings, source="uci")


def build_products(settings: Settings, store: Backend, say: Say) -> None:
    """Stories, trends and the biggest entity pages of the enriched demo."""
    from newsdesk.entities import build_entity_pages
    from newsdesk.stories import build_stories
    from newsdesk.trends import story_labels, top_trends

    built = build_stories(settings, store)
    say(
        f"stories: {built.stories} ({built.added} articles added, {built.merges} merges, "
        f"{built.splits} splits)"
    )
    labels = story_labels(settings, store)
    rising = top_trends(store, as_of="latest", window="6h", limit=5, labels=labels)
    if rising.trends:
        say("rising in the wire's last 6 hours: " + "; ".join(t.label for t in rising.trends))
    pages = build_entity_pages(settings, store).list(type="person", limit=3)
    if pages:
        say("entity pages: " + ", ".join(f"{p.name} ({p.articles} articles)" for p in pages))


def demo_readers(settings: Settings, store: Backend, say: Say) -> None:
    """Simulated readers for the recommendations, then one new reader's session through the service's
    routes (in process): three clicks posted to POST /events change what GET /readers/{id}/recommendations
    returns next."""
    from datetime import UTC, datetime

    from newsdesk.recommend.demo import simulate_readers

    made = simulate_readers(settings, store)
    if made["accepted"]:
        say(f"readers: {made['accepted']} simulated events (impressions and clicks of 300 readers)")
    try:
        from fastapi.testclient import TestClient
    except ImportError:  # the service's extra is not installed: nothing to show
        return
    from newsdesk.api import create_app
    from newsdesk.recommend.demo import reader_session

    local = settings.model_copy(deep=True)
    local.api.auth_enabled = False  # in process, no keys
    local.api.preload = False
    with TestClient(create_app(local)) as client:

        def get(path: str) -> Any:
            return client.get(path).raise_for_status().json()

        def post(path: str, body: Any) -> Any:
            return client.post(path, json=body).raise_for_status().json()

        visitor = f"demo-visitor-{datetime.now(UTC):%Y%m%d%H%M%S}"  # a new reader each run
        session = reader_session(get, post, reader=visitor, section="tech", clicks=3)
    before, after = session["share_before"], session["share_after"]
    say(
        f"reader session through the API: a new reader's slate was {before:.0%} tech; after clicking "
        f"{len(session['clicked'])} tech stories (POST /events) the next one is {after:.0%} tech, without "
        f"them (GET /readers/{visitor}/recommendations, {session['after']['model']})"
    )


def demo_generative(settings: Settings, store: Backend, say: Say) -> None:
    """The generative products on the demo (what ``make run`` used to print before serving): a brief,
    three headline ideas and one question to the archive, every sentence checked against the articles."""
    from newsdesk.llm.ask import ask
    from newsdesk.llm.brief import write_brief
    from newsdesk.llm.headlines import write_headlines
    from newsdesk.llm.writer import Writer
    from newsdesk.search import Searcher

    writer = Writer(settings, source="demo")
    try:
        article = store.get("bbc:business/001")
        outputs = [
            write_brief(writer, [article]),
            write_headlines(writer, article, n=3),
            ask(writer, Searcher(store, settings), "How much did Time Warner's quarterly profits rise?"),
        ]
    finally:
        writer.close()
    for output in outputs:
        say(f"{output.product} by {output.provider}:{output.model} ({output.latency_ms:.0f} ms)")
        for item in output.items:
            say(f"  {item.verdict:>8}  {item.role}: {item.text}")


def finish_demo(
    settings: Settings,
    store: Backend,
    say: Say,
    step: Step | None = None,
    *,
    only: list[str] | None = None,
) -> None:
    """What a first run leaves to the background: the readers, enriching every article (resumable: a
    second run does only what is left), the vector index, stories, trends, entity pages and the generative
    products' demo. ``step`` records where it is (e.g. ``"enriching: embedding 640/5094"``); ``only``
    limits the enrichment to those components."""
    from newsdesk.pipeline import enrich
    from newsdesk.search import Searcher

    def record(text: str, force: bool = True) -> None:
        if step is not None:
            step(text, force)

    record("readers")
    demo_readers(settings, store, say)
    record("enriching")
    say("enriching (the first run embeds and tags every article: about 20 minutes on 2 CPU cores)")

    def tick(name: str, done: int, total: int) -> None:
        record(f"enriching: {name} {done}/{total}", False)

    report = enrich(store, settings, only=only, progress=tick)
    for c in report.components:
        say(
            f"  {c.name:<16} {c.version:<24} {c.processed:>6} enriched{'; ' + c.skipped if c.skipped else ''}"
        )
    record("vector index")
    stats, _ = Searcher(store, settings).rebuild()
    say(f"vector index: {stats.live} articles ({stats.kind}) in {stats.path}")
    record("stories, trends and entity pages")
    build_products(settings, store, say)
    record("generative products")
    try:
        demo_generative(settings, store, say)
    except Exception as exc:  # the demo lines are a show: a missing model must not fail the job
        say(f"generative products skipped: {type(exc).__name__}: {exc}")


def start_worker(
    settings: Settings, *, parent: int | None = None, only: str | None = None
) -> subprocess.Popen[bytes] | None:
    """Start :func:`finish_demo` in a background process (``newsdesk demo --worker``), logging to
    ``<home>/logs/demo-worker.log``; ``None`` when one is running already. With ``parent`` (a pid), the
    worker stops once that process is gone. It stays in this process group, so a Ctrl-C in the terminal
    stops it too; it runs at a lower priority than the service."""
    from newsdesk.pipeline.progress import job_paths, job_status

    if job_status(settings).state == "running":
        return None
    _, _, log_file = job_paths(settings)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "newsdesk.cli.app", "--home", str(settings.home), "demo", "--worker"]
    if parent is not None:
        command += ["--parent", str(parent)]
    if only:
        command += ["--only", only]
    with log_file.open("ab") as log:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)


def stop_worker(process: subprocess.Popen[bytes], *, wait_s: float = 10.0) -> int | None:
    """Stop a worker :func:`start_worker` started (SIGTERM, then SIGKILL after ``wait_s``); its exit code.
    What it enriched stays: the next run resumes from there."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(wait_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def lower_priority(step: int = 10) -> None:
    """Be nice to the service: the background worker yields the CPU to the process answering requests."""
    with contextlib.suppress(AttributeError, OSError):  # not POSIX, or not allowed: as it is
        os.nice(step)
