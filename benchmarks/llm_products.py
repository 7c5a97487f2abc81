"""The generative products on real articles: what the verifier rejects, what is withheld, and the speed.

For each article a newsletter brief is written by the chosen provider and checked by the verifier; the run
prints, as JSON:

- ``claims`` and ``rejected_share``: the claims the model wrote and the share the verifier did not support
  (for the ``extractive`` provider, whose sentences are copied from the article, this is the verifier's
  false-alarm rate on the source's own words; the target is at most 1%);
- ``withheld_share``: the share of briefs the ``withhold`` policy replaced by the extractive brief;
- ``tokens_per_second`` (completion tokens over the provider's time) and ``seconds_per_brief`` (the whole
  product: generation, checking, fallback);
- ``headlines`` (``--headlines``): the same for headline ideas.

Datasets: ``bbc`` (the BBC News corpus bundled with newsdesk, every k-th article), ``xsum`` (the XSum
validation documents, ``../shared/data/xsum-validation-1000/dev.jsonl`` or ``--path``; the first sentence
serves as the headline).

    python benchmarks/llm_products.py --provider extractive --dataset bbc --limit 200
    python benchmarks/llm_products.py --provider local --dataset xsum --limit 100
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def bbc_articles(limit: int) -> list[Any]:
    from newsdesk.articles.model import Article

    path = resources.files("newsdesk.data").joinpath("bbc-news-articles.tar.xz")
    with resources.as_file(path) as file, tarfile.open(file) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
        step = max(1, len(members) // limit)
        out = []
        for member in members[::step][:limit]:
            raw = tar.extractfile(member)
            assert raw is not None
            headline, _, body = raw.read().decode("utf-8", "replace").partition("\n")
            name = member.name.removeprefix("bbc/").removesuffix(".txt")
            out.append(
                Article.create(source="bbc", source_id=name, headline=headline.strip(), body=body.strip())
            )
    return out


def xsum_articles(path: Path, limit: int) -> list[Any]:
    from newsdesk.articles.model import Article

    out = []
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line)
        sentences = [s for s in row["document"].split("\n") if s.strip()]
        if len(sentences) < 3:
            continue
        out.append(
            Article.create(
                source="xsum", source_id=row["id"], headline=sentences[0], body="\n\n".join(sentences[1:])
            )
        )
        if len(out) >= limit:
            break
    return out


def run(
    provider: str, articles: list[Any], headlines: bool, model: str | None, home: Path | None = None
) -> dict[str, Any]:
    from newsdesk.llm.brief import write_brief
    from newsdesk.llm.headlines import write_headlines
    from newsdesk.llm.writer import Writer
    from newsdesk.settings import Settings

    home = home if home is not None else Path(tempfile.mkdtemp(prefix="newsdesk-llm-bench-"))
    # completions are cached in <home>: a rerun with the same --home re-checks them with the current verifier
    # without generating again (its tokens/s are the first run's, from the cached latencies)
    llm: dict[str, Any] = {"provider": provider, "cache": True}
    if model:
        llm["model"] = model
    writer = Writer(Settings(home=home, llm=llm), log=False)
    writer.verifier.embedder.model  # noqa: B018 - load the models before the clock starts
    writer.provider  # noqa: B018
    stats: dict[str, Any] = {}
    for product in ("brief", "headlines") if headlines else ("brief",):
        claims = unsupported = withheld = tokens = cached = 0
        generation_ms = 0.0
        started = time.perf_counter()
        examples: list[dict[str, Any]] = []
        for article in articles:
            out = (
                write_brief(writer, [article])
                if product == "brief"
                else write_headlines(writer, article, n=3)
            )
            claims += out.extra["draft_claims"]
            unsupported += out.extra["draft_unsupported"]
            withheld += out.fallback is not None or any(i.verdict == "withheld" for i in out.items)
            tokens += out.usage.completion_tokens
            cached += out.cached
            generation_ms += out.extra["generation_ms"]
            if out.extra["draft_unsupported"] and len(examples) < 5:
                rejected = (
                    out.fallback.rejected if out.fallback else [i.rejected for i in out.items if i.rejected]
                )
                examples.append({"article": article.id, "rejected": rejected[:2]})
        seconds = time.perf_counter() - started
        stats[product] = {
            "outputs": len(articles),
            "claims": claims,
            "rejected": unsupported,
            "rejected_share": round(unsupported / claims, 4) if claims else None,
            "withheld_share": round(withheld / len(articles), 4),
            "completion_tokens": tokens,
            "tokens_per_second": round(tokens / (generation_ms / 1000), 2)
            if tokens and generation_ms
            else None,
            "seconds_per_output": round(seconds / len(articles), 3),
            "generation_seconds_per_output": round(generation_ms / 1000 / len(articles), 3),
            "from_cache": cached,
            "examples": examples,
        }
    return {
        "provider": provider,
        "model": writer.provider.model,
        "verifier": writer.verifier.version,
        "articles": len(articles),
        **stats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--provider", default="extractive")
    parser.add_argument("--model", default=None)
    parser.add_argument("--dataset", choices=["bbc", "xsum"], default="bbc")
    parser.add_argument(
        "--path", type=Path, default=ROOT.parent / "shared/data/xsum-validation-1000/dev.jsonl"
    )
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--headlines", action="store_true", help="Also headline ideas.")
    parser.add_argument("--home", type=Path, default=None, help="Workspace (keeps the completion cache).")
    args = parser.parse_args()
    articles = bbc_articles(args.limit) if args.dataset == "bbc" else xsum_articles(args.path, args.limit)
    result = run(args.provider, articles, args.headlines, args.model, args.home)
    result["dataset"] = args.dataset
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
