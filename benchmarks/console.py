"""The console's search page in a real browser, on the demo newsroom: how long the page takes to load, as
Chromium's Navigation Timing measures it (request start to the load event: server, transfer, parsing,
stylesheet and script), against the baseline of the same query's JSON from ``GET /search`` fetched by the
same browser in the same run (what the page adds over the API: facets, rendering, assets).

The workspace is the demo newsroom (``newsdesk --home HOME demo``: 2,124 BBC articles and the wire, enriched)
given by ``--home`` (default ``.newsdesk/demo``). The service runs in this process (uvicorn on loopback),
with the search indexes preloaded as ``newsdesk serve`` does. Queries are headlines of random articles and
a set of short editor queries, each loaded once to warm up, then ``--repeat`` times. Target: the search
page's p50 under 300 ms, and its p95 reported.

    python benchmarks/console.py [--home PATH] [--queries N] [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
EDITOR_QUERIES = ["mobile phone sales", "election campaign", "oil prices", "film awards", "broadband", "tax"]
_NAV = (
    "() => { const n = performance.getEntriesByType('navigation')[0];"
    " return n.loadEventEnd > 0 ? n.loadEventEnd - n.startTime : n.duration; }"
)
_FETCH = (
    "async (url) => { const t = performance.now(); const r = await fetch(url, {headers: {'X-API-Key': KEY}});"
    " await r.json(); return performance.now() - t; }"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _screenshots(browser: Any, base: str, secret: str, query: str, folder: Path) -> None:
    """Pictures of the console's main pages (the viewport, 1280x800) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(base + "/console/login")
    page.screenshot(path=str(folder / "signin.png"))
    page.get_by_label("API key").fill(secret)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    page.screenshot(path=str(folder / "home.png"))
    page.goto(base + f"/console/search?q={quote_plus(query)}")
    page.screenshot(path=str(folder / "search.png"))
    page.locator("ol.hits > li h2 a").first.click()
    page.wait_for_load_state("load")
    page.screenshot(path=str(folder / "article.png"))
    for name in ("models", "monitor", "audit", "stories", "trends", "entities"):
        response = page.goto(base + f"/console/{name}")
        if response is not None and response.ok:
            page.screenshot(path=str(folder / f"{name}.png"))
    page.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, default=Path(".newsdesk/demo"))
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--screenshots",
        type=Path,
        default=None,
        help="Also save pictures of the main pages here, signed in as an admin (as in the README).",
    )
    args = parser.parse_args()

    import uvicorn
    from playwright.sync_api import sync_playwright

    from newsdesk.api import create_app
    from newsdesk.auth import create_key
    from newsdesk.settings import Settings
    from newsdesk.store import open_store

    settings = Settings(home=args.home)
    store = open_store(settings)
    articles = store.count()
    if not articles:
        raise SystemExit(f"no articles in {args.home}: build it first (newsdesk --home {args.home} demo)")
    rng = random.Random(7)
    headlines = [a.headline for a in store.list_articles(limit=articles)]
    queries = EDITOR_QUERIES + rng.sample(headlines, min(args.queries, len(headlines)))
    key, secret = create_key(store, "reader", name="benchmarks/console.py")
    admin, admin_secret = create_key(store, "admin", name="data desk")
    store.close()

    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.1)
    base = f"http://127.0.0.1:{port}"
    chromium = os.environ.get("NEWSDESK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    page_ms: list[float] = []
    api_ms: list[float] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(base + "/console/login")
            page.get_by_label("API key").fill(secret)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state("load")
            fetch = _FETCH.replace("KEY", json.dumps(secret))
            for n, query in enumerate(queries):
                url = f"/console/search?q={quote_plus(query)}"
                api = f"/search?q={quote_plus(query)}&limit=20"
                for attempt in range(args.repeat + 1):
                    page.goto(base + url)
                    took = float(page.evaluate(_NAV))
                    fetched = float(page.evaluate(fetch, base + api))
                    if attempt:  # the first load of each query warms caches
                        page_ms.append(took)
                        api_ms.append(fetched)
                if n == 0:
                    assert page.locator("ol.hits > li").count() > 0, "the search page shows no results"
            if args.screenshots is not None:
                _screenshots(browser, base, admin_secret, queries[0], args.screenshots)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        from newsdesk.auth import revoke_key

        store = open_store(settings)
        revoke_key(store, key.id)  # the benchmark's keys do not outlive it
        revoke_key(store, admin.id)
        store.close()
    result = {
        "articles": articles,
        "queries": len(queries),
        "loads": len(page_ms),
        "page_p50_ms": round(statistics.median(page_ms), 1),
        "page_p95_ms": round(_pct(page_ms, 0.95), 1),
        "page_max_ms": round(max(page_ms), 1),
        "api_p50_ms": round(statistics.median(api_ms), 1),
        "api_p95_ms": round(_pct(api_ms, 0.95), 1),
        "ratio_p50": round(statistics.median(page_ms) / max(statistics.median(api_ms), 1e-9), 2),
        "target_p50_ms": 300,
        "met": statistics.median(page_ms) < 300,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"search page on {articles:,} articles, {len(page_ms)} loads of {len(queries)} queries:\n"
        f"  page (Navigation Timing, request to load event): p50 {result['page_p50_ms']} ms, "
        f"p95 {result['page_p95_ms']} ms, max {result['page_max_ms']} ms\n"
        f"  baseline GET /search JSON from the same browser: p50 {result['api_p50_ms']} ms, "
        f"p95 {result['api_p95_ms']} ms\n"
        f"  page / API at p50: {result['ratio_p50']}x; target p50 < 300 ms: "
        f"{'met' if result['met'] else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
