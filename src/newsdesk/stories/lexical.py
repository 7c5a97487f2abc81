"""Cheap lexical vectors for story matching: hashed words weighted by a running IDF.

Headlines of one event share rare words (a name, a place, a product) that a sentence embedding blurs. Each
article's words are hashed into ``dim`` buckets, weighted by ``log((n + 1) / (df + 1)) + 1`` where ``n`` and
``df`` count the articles seen so far (the IDF an article gets is frozen when it arrives, so no past vector
changes), and the vector is L2-normalised.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["RunningIdf", "words"]

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    """the a an of to in on for and or is are with at by from as its it be this that was will has have after
    new says say said over up out how why what who not but more than into about his her their they we you i
    s t""".split()  # noqa: SIM905 - a word list reads better as text
)


def words(text: str) -> list[str]:
    """Lower-cased content words of ``text``, stop words and single letters left out.

    >>> words("Fed's Plosser sees a high bar for change")
    ['fed', 'plosser', 'sees', 'high', 'bar', 'change']
    """
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]


class RunningIdf:
    """Document frequencies of the articles seen so far, and the hashed vectors they weight."""

    def __init__(self, dim: int = 2048) -> None:
        self.dim = dim
        self.n = 0
        self.df: Counter[str] = Counter()

    def vector(self, text: str) -> np.ndarray:
        """Count ``text`` as seen, then return its unit hashed TF-IDF vector (zeros when it has no words)."""
        import numpy as np

        vocab = set(words(text))
        self.n += 1
        self.df.update(vocab)
        out = np.zeros(self.dim, dtype=np.float32)
        for w in vocab:
            out[zlib.crc32(w.encode()) % self.dim] += math.log((self.n + 1) / (self.df[w] + 1)) + 1
        norm = float(np.linalg.norm(out))
        return out / norm if norm else out
