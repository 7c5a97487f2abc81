"""``entity-merges``: how well entity pages group mentions into entities, on a self-labelled set of BBC
entity mentions (``tests/data/entity-mentions``: one JSON line per distinct surface form per article,
``{"article_id", "surface", "type", "gold"}``; ``type`` ``none`` marks spans that are not a person,
organisation or place, left out of the scores).

The run reads the set's articles from the bundled BBC corpus (``newsdesk/data/bbc-news-articles.tar.xz``;
``article_id`` is ``<section>/<file>``), runs the ``entities`` component over them, groups its outputs into
canonical entities (:mod:`newsdesk.entities`) and maps each mention to the entity whose article output
lists that surface form (a mention the component missed is its own entity). Precision and recall of merges
are pairwise over mention pairs: a pair is predicted merged when both mentions map to one entity, and is
truly merged when they share a gold id. The baseline in the same run merges mentions written exactly
alike.

>>> pairwise(["a", "a", "b"], ["x", "x", "x"])
{'precision': 1.0, 'recall': 0.3333, 'f1': 0.5, 'pairs_predicted': 1, 'pairs_gold': 3, 'pairs_correct': 1}
"""

from __future__ import annotations

import json
import tarfile
from collections import Counter
from collections.abc import Sequence
from importlib.resources import as_file, files
from itertools import combinations
from pathlib import Path
from typing import Any

from newsdesk.errors import InvalidInput, UnreadableSource
from newsdesk.evaluate.harness import EvalResult, task
from newsdesk.settings import Settings

__all__ = ["load_mentions", "pairwise", "predict", "read_bbc"]

CORPUS = "bbc-news-articles.tar.xz"
FIELDS = ("article_id", "surface", "type", "gold")


def load_mentions(path: Path) -> list[dict[str, str]]:
    """The labelled mentions of a JSON-lines file (each with :data:`FIELDS`)."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UnreadableSource(f"{path}:{n}: not JSON ({exc.msg})") from exc
        missing = [f for f in FIELDS if not isinstance(row.get(f), str)]
        if missing:
            raise InvalidInput(f"{path}:{n}", row, f"strings for {', '.join(missing)}")
        rows.append(row)
    return rows


def read_bbc(ids: Sequence[str] | None = None) -> dict[str, dict[str, str]]:
    """``{id: {"headline", "body"}}`` of the bundled BBC articles ``ids`` (``<section>/<file>``; all of
    them without ``ids``)."""
    from newsdesk.ingest.readers.textdir import read_text_article

    out: dict[str, dict[str, str]] = {}
    with as_file(files("newsdesk.data").joinpath(CORPUS)) as archive, tarfile.open(archive, "r:xz") as tar:
        for member in tar:
            name = member.name.removeprefix("bbc/").removesuffix(".txt")
            if not member.name.endswith(".txt") or (ids is not None and name not in ids):
                continue
            if (fh := tar.extractfile(member)) is not None:
                fields = read_text_article(fh.read()) or {}
                out[name] = {"headline": fields.get("headline", ""), "body": fields.get("body", "")}
    missing = sorted(set(ids or ()) - set(out))
    if missing:
        raise InvalidInput(
            "article_id", missing[0], "an article of the bundled BBC corpus (<section>/<file>)"
        )
    return out


def pairwise(predicted: Sequence[str], gold: Sequence[str]) -> dict[str, Any]:
    """Precision, recall and F1 of merges over all pairs of items (``predicted[i]`` and ``gold[i]`` are item
    i's entity ids)."""
    tp = fp = fn = 0
    for i, j in combinations(range(len(gold)), 2):
        same_p, same_g = predicted[i] == predicted[j], gold[i] == gold[j]
        tp += same_p and same_g
        fp += same_p and not same_g
        fn += same_g and not same_p
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "pairs_predicted": tp + fp,
        "pairs_gold": tp + fn,
        "pairs_correct": tp,
    }


def predict(
    mentions: Sequence[dict[str, str]], outputs: dict[str, list[dict[str, Any]]]
) -> tuple[list[str], int]:
    """Each mention's predicted entity id from the articles' ``entities`` outputs, and how many mentions
    the component did not find.

    A mention is found when its article's output lists its surface form, or else one with the same
    normalised form (:func:`~newsdesk.nlp.entities.normalise`: "the World Bank" and "World Bank", "Mr
    Blair" and "Blair", "BBC Radio 4's" and "BBC Radio 4"): NER models differ in whether a span takes the
    article, the honorific or the possessive, which is not what this set measures."""
    from newsdesk.entities import EntityPages, members_from
    from newsdesk.nlp.entities import normalise

    pages = EntityPages(members_from(outputs.items()), {})
    by_form: dict[tuple[str, str], str] = {}
    by_norm: dict[tuple[str, str], str] = {}
    for article_id, value in outputs.items():
        for item in value:
            for form in item.get("surface_forms", [item["name"]]):
                by_form.setdefault((article_id, form), item["id"])
                by_norm.setdefault((article_id, normalise(form, item["type"]).casefold()), item["id"])
    predicted, missed = [], 0
    for n, m in enumerate(mentions):
        member = by_form.get((m["article_id"], m["surface"]))
        if member is None:
            member = by_norm.get((m["article_id"], normalise(m["surface"], m["type"]).casefold()))
        if member is None:
            missed += 1
            predicted.append(f"missed:{n}")
        else:
            predicted.append(pages.entity_of(member) or member)
    return predicted, missed


@task("entity-merges", dataset="entity-mentions/bbc-entity-mentions.jsonl")
def evaluate_entity_merges(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """Pairwise precision and recall of entity pages' merges on self-labelled BBC mentions vs exact string
    match; the archive is the set's own articles."""
    return run(path, settings, limit, archive=False)


@task("entity-merges-archive", dataset="entity-mentions/bbc-entity-mentions.jsonl")
def evaluate_entity_merges_archive(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """``entity-merges`` with the whole bundled BBC corpus (2,225 articles) as the archive, so surnames
    that several people share there (Tony and Cherie Blair) must be resolved by context (a few minutes on
    2 cores: the ``entities`` component runs over every article)."""
    return run(path, settings, limit, archive=True)


def run(path: Path, settings: Settings, limit: int | None, *, archive: bool) -> EvalResult:
    """Score the set's mentions against entity pages built over the set's articles, or the whole corpus."""
    from newsdesk.articles.model import Article
    from newsdesk.nlp.entities import EntitiesComponent

    rows = load_mentions(path)
    ids = sorted({r["article_id"] for r in rows})[:limit]
    keep = set(ids)
    rows = [r for r in rows if r["article_id"] in keep]
    texts = read_bbc(None if archive else ids)
    names = sorted(texts)
    articles = [
        Article.create(source="bbc", source_id=i, headline=texts[i]["headline"], body=texts[i]["body"])
        for i in names
    ]
    component = EntitiesComponent.from_settings(settings)
    component.fit(articles)
    outputs = {i: out.value for i, out in zip(names, component.transform(articles), strict=True)}
    scored = [r for r in rows if r["type"] != "none"]
    predicted, missed = predict(scored, outputs)
    gold = [r["gold"] for r in scored]
    return EvalResult(
        task="entity-merges-archive" if archive else "entity-merges",
        dataset=str(path),
        n=len(scored),
        model=f"entities@{component.version} + newsdesk.entities",
        metrics=pairwise(predicted, gold),
        baseline={"exact_string_match": pairwise([r["surface"] for r in scored], gold)},
        details={
            "articles": len(ids),
            "archive_articles": len(names),
            "mentions_labelled": len(rows),
            "mentions_not_entities": len(rows) - len(scored),
            "mentions_missed_by_ner": missed,
            # merging alone: the pairs among the mentions the NER found (a missed mention breaks its pairs)
            "found_only": pairwise(
                [p for p in predicted if not p.startswith("missed:")],
                [g for p, g in zip(predicted, gold, strict=True) if not p.startswith("missed:")],
            ),
            "gold_entities": len(set(gold)),
            "predicted_entities": len(set(predicted)),
            "types": dict(Counter(r["type"] for r in scored)),
            "note": "the set is self-labelled: the labels were drafted from this component's output and "
            "corrected by reading the articles (tests/data/entity-mentions/README.md)",
        },
    )
