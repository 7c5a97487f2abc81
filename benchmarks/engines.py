"""Enrichment throughput by engine: serial, local processes and Spark against the hardware limit, in one run.

The same BBC articles (default 2,000, an even spread of the set) run through the same components
(``newsdesk.pipeline.enrich``, every default component unless ``--only``) on each engine:

- ``serial``: ``engine="serial"``, one process, ``workers=1`` (no forked encoding while fitting either);
- ``local``: ``engine="local"``, ``--workers`` forked processes (default 2);
- ``spark``: ``engine="spark"`` on ``--master`` (default ``local[2]``); the session start is timed apart
  and is part of the wall time (it is part of what ``newsdesk enrich --engine spark`` costs).

The archive is ingested once; each mode gets its own copy of the workspace (no enrichments, an empty
embedding cache) and runs in its own process. The parent samples that process's whole tree every 0.2 s
with psutil, when installed (the forked workers; the Spark JVM and its Python workers): the peak of the
summed RSS (shared pages counted once per process, so an upper bound), the peak of the summed PSS (sampled
every 2 s; shared pages split between their processes) and the most processes alive; the mode's own
process reports its ``ru_maxrss``. CPU seconds are the tree's user + system time, as the sampler last saw
each process.

**The hardware limit**, measured in the same run in a process of its own: what the models the pipeline
uses cost on this machine when each runs alone over exactly the texts the pipeline gave it. The serial run
records every text that reaches the sentence-transformers model (``SentenceTransformer.encode``: cache
misses only, the IPTC concept descriptions included) and every text that reaches a spaCy pipeline with
an ``ner`` pipe (``Language.pipe``). Then:

- MiniLM encodes all recorded texts in its best batched call: batch sizes 32, 64 and 128 on all cores in
  one process, and one single-threaded process per core; the fastest on an even eighth of the texts
  runs on all of them;
- spaCy's NER pipeline (the ``entities`` component's own) runs over its recorded texts with ``n_process``
  1 and one per core, ``batch_size`` 64 and 256; the fastest on an eighth runs on all of them;
- every other component's own computation (language identification, reading time, the summarizer,
  keyphrases, the sections classifier's predict, near-duplicate MinHash queries, IPTC scoring, the
  embedding component's pooling) is timed as one ``transform`` over all the articles in one process,
  fitted beforehand (fitting is not timed: it runs on the driver in every mode) and with every vector the
  model computed served from memory (the serial run's embedding cache, loaded into a dict), then divided
  by the number of cores: the ideal parallel time of single-threaded work.

The limit is the sum: limit articles/s = articles / (MiniLM + spaCy + others / cores). Targets: the local
executor at >= 80 % of the limit's articles/s, Spark at >= 70 % of the local executor's.

**Correctness**: every component's output values of the serial, local and Spark runs are compared
(exactly, and with floats within 1e-4), and every stored vector (largest difference; how many differ by
more than 1e-5).

    python benchmarks/engines.py [--articles PATH] [--limit N] [--only a,b] [--workers N]
                                 [--master URL] [--modes serial,local,spark] [--skip-limit] [--json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODES = ("serial", "local", "spark")
LOCAL_TARGET = 0.8  # local executor / hardware limit, articles/s
SPARK_TARGET = 0.7  # Spark / local executor, articles/s
VECTOR_TOLERANCE = 1e-5
FLOAT_TOLERANCE = 1e-4
SAMPLE_S = 0.2
PSS_EVERY = 10  # samples: PSS (reading smaps) every 2 s


# -- the archive --------------------------------------------------------------------------------------------
def _build(home: Path, articles: Path, limit: int | None) -> int:
    """Ingest the BBC folder into ``home`` and keep an even spread of ``limit`` articles; their number."""
    from newsdesk.ingest import ingest
    from newsdesk.settings import Settings
    from newsdesk.store import open_store

    settings = Settings(home=home)
    store = open_store(settings)
    ingest([articles], store, settings=settings, format="textdir", source="bbc")
    if limit is not None:
        ids = sorted(store.ids())
        step = max(1, len(ids) // limit)  # every k-th id: every section keeps its share
        keep = set(ids[::step][:limit])
        for article_id in ids:
            if article_id not in keep:
                store.delete(article_id)
    n = store.count()
    store.close()
    return n


def _fresh_copy(built: Path, home: Path) -> None:
    """A workspace holding the built archive and nothing computed (no embedding cache)."""
    from newsdesk.settings import Settings

    shutil.copytree(built, home)
    shutil.rmtree(Settings(home=home).cache_dir, ignore_errors=True)


# -- what the serial run's models see ---------------------------------------------------------------------
class _Recorder:
    """Wraps ``SentenceTransformer.encode`` and spaCy's ``Language.pipe`` (this process only) to keep every
    text they are given: the texts the hardware limit replays."""

    def __init__(self) -> None:
        self.minilm: list[str] = []
        self.spacy: list[str] = []
        self.spacy_batch_sizes: set[int] = set()

    def install(self) -> None:
        from sentence_transformers import SentenceTransformer
        from spacy.language import Language

        recorder = self
        encode, pipe = SentenceTransformer.encode, Language.pipe

        def recording_encode(model: Any, sentences: Any, *args: Any, **kwargs: Any) -> Any:
            recorder.minilm.extend([sentences] if isinstance(sentences, str) else list(sentences))
            return encode(model, sentences, *args, **kwargs)

        def recording_pipe(nlp: Any, texts: Any, *args: Any, **kwargs: Any) -> Any:
            if "ner" not in nlp.pipe_names:
                return pipe(nlp, texts, *args, **kwargs)
            items = list(texts)
            recorder.spacy.extend(t for t in items if isinstance(t, str))
            recorder.spacy_batch_sizes.add(int(kwargs.get("batch_size") or 0))
            return pipe(nlp, items, *args, **kwargs)

        SentenceTransformer.encode = recording_encode  # type: ignore[method-assign,assignment]
        Language.pipe = recording_pipe  # type: ignore[method-assign,assignment]

    def save(self, path: Path) -> None:
        payload = {"minilm": self.minilm, "spacy": self.spacy, "spacy_batch": sorted(self.spacy_batch_sizes)}
        path.write_bytes(pickle.dumps(payload))


# -- one mode, in its own process ---------------------------------------------------------------------------
def _run_mode(
    mode: str, home: Path, out: Path, only: list[str] | None, workers: int, master: str, record: bool
) -> dict[str, Any]:
    from newsdesk.pipeline import enrich, plan_components
    from newsdesk.settings import Settings
    from newsdesk.store import open_store

    settings = Settings(home=home)
    settings.pipeline.spark_master = master
    store = open_store(settings)
    n = store.count()
    recorder = _Recorder() if record else None
    if recorder is not None:
        recorder.install()
    started = time.perf_counter()
    executor: Any = None
    session_s = None
    if mode == "spark":
        from newsdesk.pipeline.executors import open_executor

        executor = open_executor("spark", settings, workers=workers)
        executor.session  # noqa: B018 - started here, so its start is timed apart
        session_s = round(time.perf_counter() - started, 1)
    try:
        report = enrich(
            store,
            settings,
            only=only,
            engine=mode,
            executor=executor,
            workers=1 if mode == "serial" else workers,
        )
    finally:
        if executor is not None:
            executor.close()
    seconds = time.perf_counter() - started
    _dump(store, settings, plan_components(only), out / f"{mode}.pkl")
    if recorder is not None:
        recorder.save(out / "texts.pkl")
    store.close()
    return {
        "mode": mode,
        "articles": n,
        "seconds": round(seconds, 1),
        "articles_per_s": round(n / seconds, 2),
        "spark_session_s": session_s,
        "driver_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "per_component_s": {c.name: round(c.seconds, 1) for c in report.components},
        "skipped": {c.name: c.skipped for c in report.components if c.skipped},
    }


def _dump(store: Any, settings: Any, names: list[str], path: Path) -> None:
    """Every output value of ``names`` and every stored article vector, by article id."""
    import numpy as np

    values = {name: dict(store.enrichment_values(name)) for name in names}
    vector_models = {
        f"{v['model']}:{v['strategy']}"
        for v in values.get("embedding", {}).values()
        if isinstance(v, dict) and "model" in v and "strategy" in v
    }
    vectors = {}
    for model in sorted(vector_models):
        ids, matrix = store.get_vectors(model, None)
        vectors[model] = {i: np.asarray(v, dtype=np.float32) for i, v in zip(ids, matrix, strict=True)}
    path.write_bytes(pickle.dumps({"values": values, "vectors": vectors}))


# -- the hardware limit, in its own process -----------------------------------------------------------------
def _timed(call: Any) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def _sample(texts: list[str]) -> list[str]:
    """An even eighth of ``texts`` (every 8th by length, at least 64), so a trial sees the whole length
    distribution."""
    ordered = sorted(texts, key=len)
    return ordered[:: max(1, min(8, len(ordered) // 64))]


_FORKED_MODEL: Any = None


def _encode_shard(args: tuple[list[str], int]) -> int:
    import torch

    torch.set_num_threads(1)
    texts, batch_size = args
    _FORKED_MODEL.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return len(texts)


def _minilm_limit(texts: list[str], settings: Any, cores: int) -> dict[str, Any]:
    """MiniLM alone over ``texts``: the fastest of batch sizes on all cores, or a process per core."""
    import multiprocessing

    import torch

    from newsdesk.nlp.embed import EmbedderConfig
    from newsdesk.nlp.models import load_sentence_model

    global _FORKED_MODEL
    config = EmbedderConfig.from_settings(settings)
    model = load_sentence_model(config.model, config.device)
    torch.set_num_threads(cores)
    model.encode(texts[:64], batch_size=32, show_progress_bar=False)  # warm-up, not timed

    def in_process(batch: list[str], size: int) -> None:
        torch.set_num_threads(cores)
        model.encode(batch, batch_size=size, normalize_embeddings=True, show_progress_bar=False)

    def per_core(batch: list[str], size: int) -> None:
        shards = [(batch[w::cores], size) for w in range(cores)]
        with multiprocessing.get_context("fork").Pool(cores) as pool:
            pool.map(_encode_shard, shards)

    _FORKED_MODEL = model
    candidates = {f"1 process x {cores} threads, batch {b}": (in_process, b) for b in (32, 64, 128)}
    candidates[f"{cores} processes x 1 thread, batch 32"] = (per_core, 32)
    sample = _sample(texts)
    trials = {name: round(_timed(lambda f=f, b=b: f(sample, b)), 2) for name, (f, b) in candidates.items()}
    best = min(trials, key=lambda name: trials[name])
    run, size = candidates[best]
    seconds = _timed(lambda: run(texts, size))
    torch.set_num_threads(cores)
    return {
        "texts": len(texts),
        "trial_texts": len(sample),
        "trials_s": trials,
        "best": best,
        "seconds": round(seconds, 2),
    }


def _spacy_limit(texts: list[str], settings: Any, cores: int) -> dict[str, Any]:
    """The entities component's spaCy pipeline alone over ``texts``: the fastest ``n_process`` and
    ``batch_size`` on an eighth, then all of them."""
    from newsdesk.nlp import get_component

    entities: Any = get_component("entities", settings)
    nlp = entities.nlp

    def run(batch: list[str], n_process: int, size: int) -> None:
        for _ in nlp.pipe(batch, n_process=n_process, batch_size=size):
            pass

    run(texts[:32], 1, 32)  # warm-up
    candidates = {(p, b): f"n_process={p}, batch_size={b}" for p in sorted({1, cores}) for b in (64, 256)}
    sample = _sample(texts)
    trials = {key: _timed(lambda key=key: run(sample, *key)) for key in candidates}
    best = min(trials, key=lambda key: trials[key])
    seconds = _timed(lambda: run(texts, *best))
    return {
        "texts": len(texts),
        "trial_texts": len(sample),
        "trials_s": {candidates[k]: round(v, 2) for k, v in trials.items()},
        "best": candidates[best],
        "seconds": round(seconds, 2),
    }


class _MemoryCache:
    """The embedding cache in a dict (the serial run's vectors), falling back to ``inner`` on a miss."""

    def __init__(self, vectors: dict[str, bytes], inner: Any) -> None:
        self.vectors, self.inner = vectors, inner

    def get_many(self, keys: Any) -> dict[str, bytes]:
        found = {k: self.vectors[k] for k in keys if k in self.vectors}
        missing = [k for k in keys if k not in found]
        if missing and self.inner is not None:
            found.update(self.inner.get_many(missing))
        return found

    def put_many(self, items: Any) -> None:
        self.vectors.update(items)

    def close(self) -> None:
        return None


def _vectors_in_memory(settings: Any) -> tuple[dict[str, bytes], list[Any]]:
    """The serial run's embedding cache read into a dict, and a list every new Embedder joins: from here
    on each embedder of this process reads that dict first."""
    import sqlite3

    from newsdesk.nlp.embed import Embedder, EmbedderConfig

    path = EmbedderConfig.from_settings(settings).cache
    vectors: dict[str, bytes] = {}
    if path is not None and path.exists():
        with sqlite3.connect(path) as conn:
            vectors = dict(conn.execute("SELECT key, vector FROM vectors"))
    made: list[Any] = []
    init = Embedder.__init__

    def in_memory_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.cache = _MemoryCache(vectors, self.cache)
        made.append(self)

    Embedder.__init__ = in_memory_init  # type: ignore[method-assign]
    return vectors, made


def _others_limit(home: Path, names: list[str], cores: int) -> dict[str, Any]:
    """Every component but ``entities`` (its model is spaCy, timed alone): one transform over all the
    articles, fitted first (not timed), model outputs from memory."""
    from newsdesk.pipeline import build_component
    from newsdesk.pipeline.executors import load_articles
    from newsdesk.pipeline.fitting import fit_component
    from newsdesk.settings import Settings
    from newsdesk.store import open_store

    settings = Settings(home=home)
    vectors, embedders = _vectors_in_memory(settings)
    store = open_store(settings)
    articles = load_articles(store, store.ids())
    per_component: dict[str, float] = {}
    fit_s: dict[str, float] = {}
    for name in names:
        if name == "entities":
            continue
        component = build_component(name, settings)
        fit_s[name] = round(_timed(lambda c=component: fit_component(c, store, settings)), 2)
        component.transform(articles[:2])  # warm-up (lazy model loads), not timed
        before = sum(e.encoded for e in embedders)
        per_component[name] = round(_timed(lambda c=component: c.transform(articles)), 3)
        if sum(e.encoded for e in embedders) > before:
            per_component[name + " (model ran: cache miss)"] = 0.0
    store.close()
    total = sum(per_component.values())
    return {
        "articles": len(articles),
        "cached_vectors": len(vectors),
        "transform_s": per_component,
        "fit_s_not_in_limit": fit_s,
        "one_process_s": round(total, 2),
        "seconds": round(total / cores, 2),
    }


def _run_limit(home: Path, out: Path, only: list[str] | None) -> dict[str, Any]:
    from newsdesk.pipeline import plan_components
    from newsdesk.settings import Settings

    cores = os.cpu_count() or 1
    settings = Settings(home=home)
    names = plan_components(only)
    texts = pickle.loads((out / "texts.pkl").read_bytes())
    parts: dict[str, Any] = {}
    if texts["minilm"]:
        parts["minilm"] = _minilm_limit(texts["minilm"], settings, cores)
    if texts["spacy"]:
        parts["spacy_ner"] = _spacy_limit(texts["spacy"], settings, cores)
    parts["others"] = _others_limit(home, names, cores)
    seconds = sum(float(p["seconds"]) for p in parts.values())
    n = int(parts["others"]["articles"])
    return {
        "mode": "limit",
        "articles": n,
        "cores": cores,
        "seconds": round(seconds, 2),
        "articles_per_s": round(n / seconds, 2) if seconds > 0 else None,
        "parts": parts,
        "pipeline_spacy_batch_sizes": texts.get("spacy_batch"),
    }


# -- the parent: one child per mode, its process tree sampled ------------------------------------------------
class _TreeSampler(threading.Thread):
    """Peak summed RSS (every 0.2 s) and PSS (every 2 s) of a process and all its descendants, and their
    CPU seconds (as last seen: a process that ends loses at most its last 0.2 s)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss = self.peak_pss = self.peak_procs = 0
        self.measured = True  # False without psutil
        self.cpu: dict[int, float] = {}  # pid -> user + system seconds when last seen
        self.done = threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:  # an optional measurement: reported as None
            self.measured = False
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        tick = 0
        while not self.done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            rss = pss = 0
            for proc in procs:
                try:
                    times = proc.cpu_times()
                    self.cpu[proc.pid] = times.user + times.system
                    if tick % PSS_EVERY == 0:
                        info = proc.memory_full_info()
                        rss, pss = rss + info.rss, pss + getattr(info, "pss", info.rss)
                    else:
                        rss += proc.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_procs = max(self.peak_procs, len(procs))
            tick += 1
            self.done.wait(SAMPLE_S)


def _child(args: list[str]) -> dict[str, Any]:
    """Run this script with ``args`` in a child process, its tree sampled; its JSON answer, measured."""
    load = os.getloadavg()[0]
    proc = subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    sampler = _TreeSampler(proc.pid)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({proc.returncode}):\n{stderr[-4000:]}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    result.update(
        peak_tree_rss_mb=round(sampler.peak_rss / 2**20) if sampler.measured else None,
        peak_tree_pss_mb=round(sampler.peak_pss / 2**20) if sampler.measured else None,
        peak_processes=sampler.peak_procs if sampler.measured else None,
        cpu_s=round(sum(sampler.cpu.values()), 1) if sampler.measured else None,
        load_1min=[round(load, 2), round(os.getloadavg()[0], 2)],
    )
    return result


def _spark_missing() -> str | None:
    """Why the Spark mode cannot run here, or None."""
    for module in ("pyspark", "pyarrow"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install 'newsdesk[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java (install Java 17+ or set JAVA_HOME)"
    return None


# -- comparing the modes' outputs ----------------------------------------------------------------------------
def _same(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) and float in (type(a), type(b)):
        return abs(float(a) - float(b)) <= tolerance
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], tolerance) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y, tolerance) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _compare(base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Per component: articles whose value differs (exactly; with floats within 1e-4); per vector model:
    the largest difference and how many vectors differ by more than 1e-5."""
    import numpy as np

    values: dict[str, dict[str, int]] = {}
    for name, mine in base["values"].items():
        theirs = other["values"].get(name, {})
        ids = mine.keys() | theirs.keys()
        exact = sum(1 for i in ids if i not in mine or i not in theirs or mine[i] != theirs[i])
        loose = sum(
            1
            for i in ids
            if i not in mine or i not in theirs or not _same(mine[i], theirs[i], FLOAT_TOLERANCE)
        )
        values[name] = {"articles": len(ids), "differ": exact, "differ_beyond_1e-4": loose}
    vectors: dict[str, dict[str, Any]] = {}
    for model, mine in base["vectors"].items():
        theirs = other["vectors"].get(model, {})
        shared = mine.keys() & theirs.keys()
        diffs = [float(np.max(np.abs(mine[i] - theirs[i]))) for i in shared]
        vectors[model] = {
            "vectors": len(mine.keys() | theirs.keys()),
            "missing": len(mine.keys() ^ theirs.keys()),
            "max_abs_diff": max(diffs, default=0.0),
            "beyond_1e-5": sum(d > VECTOR_TOLERANCE for d in diffs),
        }
    mismatches = sum(v["differ_beyond_1e-4"] for v in values.values()) + sum(
        v["missing"] + v["beyond_1e-5"] for v in vectors.values()
    )
    return {"mismatches": mismatches, "values": values, "vectors": vectors}


# -- the run ------------------------------------------------------------------------------------------------
def _measure(args: argparse.Namespace, modes: list[str], work: Path) -> dict[str, Any]:
    built = work / "built"
    n = _build(built, args.articles, args.limit)
    common = ["--workers", str(args.workers), "--master", args.master] + (
        ["--only", args.only] if args.only else []
    )
    results: dict[str, dict[str, Any]] = {}
    for mode in modes:
        reason = _spark_missing() if mode == "spark" else None
        if reason is not None:
            results[mode] = {"mode": mode, "skipped": reason}
            continue
        home = work / mode
        _fresh_copy(built, home)
        try:
            record = ["--record"] if mode == "serial" and not args.skip_limit else []
            results[mode] = _child(["--child", mode, str(home), str(work), *common, *record])
        except RuntimeError as exc:
            if mode != "spark":
                raise
            results[mode] = {"mode": mode, "skipped": str(exc)[-600:]}
        print(f"[{time.strftime('%H:%M:%S')}] {mode}: {json.dumps(results[mode])}", file=sys.stderr)
        if mode == "serial" and not args.skip_limit:
            limit = _child(["--limit-child", str(home), str(work), *common])
            results["limit"] = limit
            print(f"[{time.strftime('%H:%M:%S')}] limit: {json.dumps(limit)}", file=sys.stderr)
    dumps = {m: pickle.loads((work / f"{m}.pkl").read_bytes()) for m in MODES if (work / f"{m}.pkl").exists()}
    checks = {}
    if "serial" in dumps:
        checks = {f"{m} vs serial": _compare(dumps["serial"], dumps[m]) for m in dumps if m != "serial"}
    if "local" in dumps and "spark" in dumps:
        checks["spark vs local"] = _compare(dumps["local"], dumps["spark"])
    return {"articles": n, "results": results, "correctness": checks}


def _ratios(results: dict[str, Any]) -> dict[str, Any]:
    def speed(mode: str) -> float | None:
        value = results.get(mode, {}).get("articles_per_s")
        return None if value is None else float(value)

    def ratio(a: str, b: str) -> float | None:
        x, y = speed(a), speed(b)
        return None if x is None or y is None or y == 0 else round(x / y, 3)

    local_limit, spark_local = ratio("local", "limit"), ratio("spark", "local")
    return {
        "serial/limit": ratio("serial", "limit"),
        "local/limit": local_limit,
        "spark/limit": ratio("spark", "limit"),
        "spark/local": spark_local,
        "local/serial": ratio("local", "serial"),
        "local_target_met": None if local_limit is None else local_limit >= LOCAL_TARGET,
        "spark_target_met": None if spark_local is None else spark_local >= SPARK_TARGET,
    }


def _print(summary: dict[str, Any]) -> None:
    results, ratios = summary["results"], summary["ratios"]
    print(
        f"{summary['articles']} BBC articles, {summary['cores']} cores; "
        f"load average (1 min) {summary['load_start']} at start, {summary['load_end']} at end"
    )
    print(
        f"{'mode':>7} {'art/s':>8} {'wall s':>8} {'cpu s':>7} {'tree RSS MB':>12} {'tree PSS MB':>12} "
        f"{'procs':>5} {'driver MB':>9} {'vs limit':>8}"
    )
    for mode in (*MODES, "limit"):
        r = results.get(mode)
        if r is None:
            continue
        if "skipped" in r and "seconds" not in r:
            print(f"{mode:>7} skipped: {r['skipped']}")
            continue
        vs = ratios.get(f"{mode}/limit") if mode != "limit" else 1.0
        print(
            f"{mode:>7} {r['articles_per_s']:>8} {r['seconds']:>8} {r.get('cpu_s', ''):>7} "
            f"{r.get('peak_tree_rss_mb', ''):>12} {r.get('peak_tree_pss_mb', ''):>12} "
            f"{r.get('peak_processes', ''):>5} {r.get('driver_max_rss_mb', ''):>9} "
            f"{'' if vs is None else f'{vs:.2f}':>8}"
        )
    spark = results.get("spark", {})
    if spark.get("spark_session_s") is not None:
        print(f"Spark session start: {spark['spark_session_s']} s (in Spark's wall time)")
    for mode in MODES:
        r = results.get(mode, {})
        if r.get("per_component_s"):
            print(f"{mode} per component (s): {r['per_component_s']}")
        if r.get("skipped") and isinstance(r["skipped"], dict):
            print(f"{mode} skipped components: {r['skipped']}")
    if "limit" in results:
        _print_limit(results["limit"])
    for name, check in summary["correctness"].items():
        print(
            f"outputs, {name}: {check['mismatches']} mismatches; values {check['values']}; "
            f"vectors {check['vectors']}"
        )
    for key, target, met in (
        ("local/limit", LOCAL_TARGET, ratios["local_target_met"]),
        ("spark/local", SPARK_TARGET, ratios["spark_target_met"]),
    ):
        value = ratios[key]
        verdict = "n/a" if met is None else ("met" if met else "NOT met")
        print(f"{key}: {'n/a' if value is None else f'{value:.2f}'} (target >= {target}): {verdict}")
    print(f"serial/limit: {ratios['serial/limit']}; local/serial: {ratios['local/serial']}")


def _print_limit(limit: dict[str, Any]) -> None:
    parts = limit["parts"]
    print(f"hardware limit: {limit['seconds']} s = {limit['articles_per_s']} art/s, {limit['cores']} cores:")
    for key in ("minilm", "spacy_ner"):
        if key in parts:
            p = parts[key]
            print(
                f"  {key}: {p['seconds']} s for {p['texts']} texts, best {p['best']} "
                f"(trials on {p['trial_texts']} texts: {p['trials_s']})"
            )
    others = parts["others"]
    print(
        f"  others: {others['one_process_s']} s in one process / {limit['cores']} cores (ideal parallel) = "
        f"{others['seconds']} s; transform s: {others['transform_s']}"
    )
    print(f"  (fitting on the driver, not in the limit, s: {others['fit_s_not_in_limit']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--articles", type=Path, help="default: bbc-news-summary/News Articles in the data folder"
    )
    parser.add_argument("--limit", type=int, default=2000, help="Articles (an even spread; default 2,000).")
    parser.add_argument("--only", default=None, help="Comma-separated components (default: all).")
    parser.add_argument("--workers", type=int, default=2, help="Worker processes of the local executor.")
    parser.add_argument("--master", default="local[2]", help="Spark master (default local[2]).")
    parser.add_argument("--modes", default=",".join(MODES), help="Comma-separated, of serial,local,spark.")
    parser.add_argument("--skip-limit", action="store_true", help="Leave out the hardware limit.")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "HOME", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--record", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--limit-child", nargs=2, metavar=("HOME", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    only = [n for n in args.only.split(",") if n] if args.only else None
    if args.child:
        mode, home, out = args.child
        result = _run_mode(mode, Path(home), Path(out), only, args.workers, args.master, args.record)
        print(json.dumps(result))
        return 0
    if args.limit_child:
        print(json.dumps(_run_limit(Path(args.limit_child[0]), Path(args.limit_child[1]), only)))
        return 0
    modes = [m for m in args.modes.split(",") if m]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        parser.error(f"--modes: unknown {unknown}; choose from {', '.join(MODES)}")
    if "serial" not in modes and not args.skip_limit:
        parser.error(
            "the hardware limit replays the serial run's texts: add serial to --modes, or --skip-limit"
        )
    modes = sorted(modes, key=MODES.index)  # serial first: its texts are the limit's
    if args.articles is None:
        from newsdesk.errors import DatasetNotFound
        from newsdesk.evaluate.locate import find_dataset

        try:
            args.articles = find_dataset("bbc-news-summary/News Articles")
        except DatasetNotFound as exc:
            print(exc, file=sys.stderr)
            return 2
    if not args.articles.is_dir():
        print(f"dataset not found: {args.articles}", file=sys.stderr)
        return 2
    load_start = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="newsdesk-engines-") as tmp:
        summary = _measure(args, modes, Path(tmp))
    summary.update(
        cores=os.cpu_count(),
        load_start=load_start,
        load_end=[round(x, 2) for x in os.getloadavg()],
        ratios=_ratios(summary["results"]),
        targets={"local/limit": LOCAL_TARGET, "spark/local": SPARK_TARGET},
        command=" ".join([Path(sys.executable).name, *sys.argv]),
    )
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
