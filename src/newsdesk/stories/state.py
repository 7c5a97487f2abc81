"""The story clusterer's state as bytes without pickle: numeric arrays in an ``.npz`` (read with
``allow_pickle=False``) and everything else as JSON inside it.

The state lives in the store (``story_state``), where anyone who can write a row could otherwise run code
through ``pickle.loads``. Loading checks the format's version and the arrays' shapes, and refuses anything
else with :class:`~newsdesk.errors.InvalidInput` naming what is wrong.

>>> import numpy as np
>>> from datetime import datetime, UTC
>>> from newsdesk.stories.cluster import ClusterConfig, StoryClusterer, StoryItem
>>> c = StoryClusterer(ClusterConfig())
>>> t = datetime(2024, 1, 1, tzinfo=UTC)
>>> _ = c.add(StoryItem("a", t, np.ones(4, dtype=np.float32), "Fed raises rates"))
>>> again = loads(dumps(c))
>>> again.assignment == c.assignment and again.stories() == c.stories()
True
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import asdict
from datetime import datetime
from typing import Any

from newsdesk.errors import InvalidInput
from newsdesk.stories.cluster import ClusterConfig, StoryClusterer
from newsdesk.stories.lexical import RunningIdf

__all__ = ["FORMAT", "dumps", "loads"]

FORMAT = "newsdesk-story-state/1"
_ARRAYS = ("sums", "n", "last_s", "alive")


def dumps(clusterer: StoryClusterer) -> bytes:
    """``clusterer``'s state (not its pending ``events``) as bytes :func:`loads` reads back."""
    import numpy as np

    c = clusterer
    rows = list(c._rows)
    counts = [len(c._vectors[s]) if s in c._vectors else -1 for s in rows]  # -1: merged away
    stacked = [v for s in rows for v in c._vectors.get(s, ())]
    meta = {
        "format": FORMAT,
        "config": asdict(c.config),
        "idf": {"dim": c._idf.dim, "n": c._idf.n, "df": dict(c._idf.df)},
        "rows": rows,
        "last": [t.isoformat() for t in c._last],
        "members": {s: [[a, t.isoformat()] for a, t in m] for s, m in c._members.items()},
        "joins": c._joins,
        "added": c._added,
        "assignment": c.assignment,
        "vector_counts": counts,
    }
    arrays: dict[str, Any] = {"meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
    if c._sums is not None:
        used = len(rows)  # the arrays keep spare capacity for new stories: only the rows in use are saved
        arrays.update(sums=c._sums[:used], n=c._n[:used], last_s=c._last_s[:used], alive=c._alive[:used])
    arrays["vectors"] = np.asarray(stacked, dtype=np.float32) if stacked else np.zeros((0, 0), np.float32)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def loads(data: bytes) -> StoryClusterer:
    """The clusterer :func:`dumps` wrote; anything else is refused."""
    import numpy as np

    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        allowed = f"a state written by {FORMAT} ({exc})"
        raise InvalidInput("story_state", f"{len(data)} bytes", allowed) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise InvalidInput("story_state.format", got, FORMAT)
    c = StoryClusterer(ClusterConfig(**meta["config"]))
    idf = RunningIdf(int(meta["idf"]["dim"]))
    idf.n = int(meta["idf"]["n"])
    idf.df = Counter({str(k): int(v) for k, v in meta["idf"]["df"].items()})
    c._idf = idf
    rows = [str(s) for s in meta["rows"]]
    if rows:
        missing = [k for k in _ARRAYS if k not in arrays]
        if missing or any(len(arrays[k]) < len(rows) for k in _ARRAYS if k in arrays):
            allowed = f"{', '.join(_ARRAYS)} for {len(rows)} rows"
            raise InvalidInput("story_state.arrays", missing or "short", allowed)
        c._sums, c._n = arrays["sums"].astype(np.float64), arrays["n"].astype(np.int64)
        c._last_s, c._alive = arrays["last_s"].astype(np.float64), arrays["alive"].astype(bool)
    counts = [int(k) for k in meta["vector_counts"]]
    vectors = arrays["vectors"]
    total = sum(max(k, 0) for k in counts)
    if len(counts) != len(rows) or total != len(vectors):
        allowed = f"{total} member vectors for {len(rows)} rows"
        raise InvalidInput("story_state.vectors", len(vectors), allowed)
    c._rows = rows
    c._row_of = {s: i for i, s in enumerate(rows)}
    c._last = [datetime.fromisoformat(t) for t in meta["last"]]
    c._members = {s: [(a, datetime.fromisoformat(t)) for a, t in m] for s, m in meta["members"].items()}
    start = 0
    c._vectors = {}
    for story, k in zip(rows, counts, strict=True):
        if k >= 0:
            c._vectors[story] = [vectors[i] for i in range(start, start + k)]
            start += k
    c._joins = {str(s): int(v) for s, v in meta["joins"].items()}
    c._added = int(meta["added"])
    c.assignment = {str(a): str(s) for a, s in meta["assignment"].items()}
    return c
