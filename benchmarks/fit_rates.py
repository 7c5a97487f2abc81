"""The serial part of a scaled-out run: fitting the learning components on the driver.

Executors transform in parallel, but every learning component is fitted once, on the driver, from the whole
archive (``sections`` and ``near_duplicates`` every run, ``keyphrases`` and the IPTC adaptation once), and
its fitted state is then shipped to every executor. This measures, on real BBC articles in one process,
each component's fit rate (articles/s read by ``fit``) and the size of the state it ships (pickled bytes),
so the scaling model (docs/scaling.md) can say how the driver's share grows with the archive.

``sections`` is measured with the embedding cache warm (the embedding component has run), as in a
pipeline, so its figure is the classifier's own training; ``--cold`` measures it with the embeddings too.

    python benchmarks/fit_rates.py [--articles PATH] [--limit N] [--cold] [--json]
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

LEARNING = ["keyphrases", "near_duplicates", "sections", "iptc"]


def _articles(path: Path, limit: int) -> list[Any]:
    from newsdesk.articles.model import Article

    files = sorted(path.glob("*/*.txt"))
    step = max(1, len(files) // limit)
    out = []
    for file in files[::step][:limit]:
        text = file.read_bytes().decode("utf-8", errors="replace")
        headline, _, body = text.strip().partition("\n")
        out.append(
            Article.create(
                source="bbc",
                source_id=f"{file.parent.name}/{file.stem}",
                headline=headline.strip(),
                body=body.strip(),
                section=file.parent.name,
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    from newsdesk.nlp import get_component
    from newsdesk.nlp.embed import EmbedderConfig, embedder_for
    from newsdesk.settings import Settings

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default = ROOT.parent / "shared" / "data" / "bbc-news-summary" / "News Articles"
    parser.add_argument("--articles", type=Path, default=default)
    parser.add_argument("--limit", type=int, default=2000)
    parser.add_argument("--cold", action="store_true", help="sections without a warm embedding cache")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.articles.exists():
        print(f"no articles at {args.articles}: pass --articles", file=sys.stderr)
        return 2
    articles = _articles(args.articles, args.limit)
    result: dict[str, Any] = {"articles": len(articles), "components": {}}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp))
        if not args.cold:  # as in a pipeline: the embedding component ran first
            t0 = time.perf_counter()
            get_component("embedding", settings).transform(articles)
            result["embedding_warmup_s"] = round(time.perf_counter() - t0, 2)
            cfg = EmbedderConfig.from_settings(settings)
            embedder_for(cfg).embed_articles(articles, "lead")  # near_duplicates' strategy, if it embeds
        for name in LEARNING:
            component = get_component(name, settings)
            t0 = time.perf_counter()
            component.fit(iter(articles))
            seconds = time.perf_counter() - t0
            state = len(pickle.dumps(component.get_state(), protocol=pickle.HIGHEST_PROTOCOL))
            result["components"][name] = {
                "fit_s": round(seconds, 3),
                "articles_per_s": round(len(articles) / seconds, 1) if seconds else None,
                "state_bytes": state,
                "state_bytes_per_article": round(state / len(articles), 1),
            }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"fitting on the driver, {len(articles)} BBC articles, one process")
    for name, f in result["components"].items():
        print(
            f"  {name:<16} {f['fit_s']:>8.2f} s  {f['articles_per_s'] or 0:>9.1f} articles/s  "
            f"state {f['state_bytes'] / 1e6:>7.2f} MB ({f['state_bytes_per_article']} B/article)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
