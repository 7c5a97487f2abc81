"""The local provider's speed: load time and tokens per second, summarising BBC articles in one sentence.

For each model in ``--models`` (bundled names, ``.gguf`` files or model folders): the time to load it, then
for each of ``--articles`` BBC articles (taken in turn from each section of the bundled corpus,
``newsdesk/data/bbc-news-articles.tar.xz``, or of ``--corpus``, a folder of ``<section>/NNN.txt``) one
greedy call asking for a one-sentence summary; per call the prompt and completion tokens, the latency
and the completion tokens per second. A crude quality check rides along: how many answers are one
sentence (ended by the model, not by ``--max-tokens``), and how many contain a number that the article
does not (an invented figure, exactly what the verifier must catch).

    python benchmarks/llm_local.py [--models smollm2-135m,/path/model.gguf] [--articles 5] [--max-tokens 60]
                                   [--chars 1500] [--threads N] [--repetition-penalty 1.0] [--corpus DIR]
                                   [--json]

Each model runs in this process one after the other; load time includes reading and de-quantizing the
GGUF file but not importing torch (timed once, separately).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tarfile
import time
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

PROMPT = (
    "Write a one-sentence summary of this news article. Use only facts from the article.\n\n"
    "{headline}\n\n{body}"
)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def read_articles(limit: int, corpus: Path | None) -> list[tuple[str, str, str]]:
    """(id, headline, body) of ``limit`` articles, one section after another in turn."""
    by_section: dict[str, list[tuple[str, str]]] = {}
    if corpus is not None:
        for file in sorted(corpus.glob("*/*.txt")):
            by_section.setdefault(file.parent.name, []).append((file.stem, _decode(file.read_bytes())))
    else:
        corpus_file = files("newsdesk.data").joinpath("bbc-news-articles.tar.xz")
        with as_file(corpus_file) as archive, tarfile.open(archive, "r:xz") as tar:
            for member in sorted(tar.getmembers(), key=lambda m: m.name):
                parts = Path(member.name).parts
                if member.isfile() and member.name.endswith(".txt") and len(parts) >= 2:
                    handle = tar.extractfile(member)
                    if handle is not None:
                        text = _decode(handle.read())
                        by_section.setdefault(parts[-2], []).append((Path(member.name).stem, text))
    out: list[tuple[str, str, str]] = []
    sections = sorted(by_section)
    index = 0
    while len(out) < limit and any(index < len(by_section[s]) for s in sections):
        for section in sections:
            if index < len(by_section[section]) and len(out) < limit:
                stem, text = by_section[section][index]
                headline, _, body = text.strip().partition("\n")
                out.append((f"{section}/{stem}", headline.strip(), body.strip()))
        index += 1
    return out


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def invented_numbers(answer: str, article: str) -> list[str]:
    """Numbers in ``answer`` that ``article`` does not contain."""
    have = {n.replace(",", "") for n in NUMBER.findall(article)}
    return [n for n in NUMBER.findall(answer) if n.replace(",", "") not in have]


def sentences(text: str) -> int:
    return max(1, len(re.findall(r"[.!?](?:\s|$)", text.strip())))


def run_model(name: str, articles: list[tuple[str, str, str]], args: argparse.Namespace) -> dict[str, Any]:
    from newsdesk.llm.base import GenerationOptions, Message
    from newsdesk.llm.providers.local import LocalProvider

    provider = LocalProvider(name, threads=args.threads, repetition_penalty=args.repetition_penalty)
    options = GenerationOptions(max_tokens=args.max_tokens)
    calls = []
    for article_id, headline, body in articles:
        text = PROMPT.format(headline=headline, body=body[: args.chars])
        out = provider.complete([Message("user", text)], options)
        answer = out.text.strip()
        calls.append(
            {
                "article": article_id,
                "prompt_tokens": out.usage.prompt_tokens,
                "completion_tokens": out.usage.completion_tokens,
                "latency_s": round(out.latency_ms / 1000, 3),
                "tokens_per_s": round(out.tokens_per_second or 0.0, 2),
                "finish_reason": out.finish_reason,
                "one_sentence": out.finish_reason == "stop" and sentences(answer) == 1,
                "invented_numbers": invented_numbers(answer, headline + "\n" + body),
                "answer": answer,
            }
        )
        print(f"  {provider.model} {article_id}: {calls[-1]['tokens_per_s']} tokens/s", file=sys.stderr)
    completion = sum(c["completion_tokens"] for c in calls)
    seconds = sum(c["latency_s"] for c in calls)
    return {
        "model": provider.model,
        "source": str(provider.source.path),
        "engine": provider.engine,
        "threads": provider.threads,
        "load_s": round(provider.load_seconds, 2),
        "articles": len(calls),
        "mean_prompt_tokens": round(statistics.mean(c["prompt_tokens"] for c in calls), 1),
        "completion_tokens": completion,
        "tokens_per_s": round(completion / seconds, 2) if seconds else None,
        "median_latency_s": round(statistics.median(c["latency_s"] for c in calls), 3),
        "one_sentence": sum(c["one_sentence"] for c in calls),
        "with_invented_numbers": sum(bool(c["invented_numbers"]) for c in calls),
        "calls": calls,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="smollm2-135m", help="comma-separated bundled names or paths")
    parser.add_argument("--articles", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=60)
    parser.add_argument("--chars", type=int, default=1500, help="article characters in the prompt")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repetition-penalty", type=float, default=1.0)
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="print only the JSON report")
    args = parser.parse_args(argv)

    articles = read_articles(args.articles, args.corpus)
    start = time.perf_counter()
    import torch  # noqa: F401  (timed apart from the model loads)
    import transformers  # noqa: F401

    import_s = time.perf_counter() - start
    report = {
        "benchmark": "llm_local",
        "import_s": round(import_s, 2),
        "max_tokens": args.max_tokens,
        "repetition_penalty": args.repetition_penalty,
        "models": [
            run_model(name.strip(), articles, args) for name in args.models.split(",") if name.strip()
        ],
    }
    if not args.json:
        for m in report["models"]:
            print(
                f"{m['model']}: load {m['load_s']} s, {m['tokens_per_s']} tokens/s "
                f"over {m['articles']} articles "
                f"({m['threads']} threads), one sentence {m['one_sentence']}/{m['articles']}, "
                f"invented numbers {m['with_invented_numbers']}/{m['articles']}",
                file=sys.stderr,
            )
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
