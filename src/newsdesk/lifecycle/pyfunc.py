"""The MLflow pyfunc wrappers newsdesk logs, so standard MLflow tooling can load and serve its models.

Input: a pandas DataFrame with a ``text`` column, or a list of strings. Output: one dict per text.
Nothing is stored on the instance before logging (MLflow pickles it); the model is read from the logged
artifacts in ``load_context``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlflow.pyfunc.model import PythonModel

__all__ = ["NerModel", "SectionsModel", "model_code", "texts_of"]


def model_code(cls: type, folder: Path) -> Path:
    """A "models from code" script that builds ``cls`` (MLflow logs the script, not a pickle of it)."""
    path = folder / f"{cls.__name__.lower()}_pyfunc.py"
    path.write_text(
        "from mlflow.models import set_model\n"
        f"from {cls.__module__} import {cls.__name__}\n\n"
        f"set_model({cls.__name__}())\n",
        encoding="utf-8",
    )
    return path


def texts_of(model_input: Any) -> list[str]:
    """The texts in a pyfunc input: a DataFrame's ``text`` column, a list of strings, or one string."""
    if isinstance(model_input, str):
        return [model_input]
    columns = getattr(model_input, "columns", None)
    if columns is not None:
        if "text" not in columns:
            from newsdesk.errors import InvalidInput

            raise InvalidInput("model_input", list(columns), "a DataFrame with a 'text' column")
        return [str(t) for t in model_input["text"].tolist()]
    return [str(t) for t in model_input]


class SectionsModel(PythonModel):
    """A fitted :class:`~newsdesk.nlp.sections.SectionClassifier` (artifact ``classifier``)."""

    # The input is a DataFrame or a list of texts (see texts_of), not one of MLflow's type-hint schemas:
    # tell MLflow not to wrap predict() in its type-hint validation (and not to warn about it).
    _skip_type_hint_validation = True

    top_k = 3

    def load_context(self, context: Any) -> None:
        from newsdesk.nlp.sections import SectionClassifier

        self.classifier = SectionClassifier.load(context.artifacts["classifier"])

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> list[Any]:
        import numpy as np

        texts = texts_of(model_input)
        if not texts:
            return []
        proba = self.classifier.predict_proba(texts)
        classes = [str(c) for c in self.classifier.classes_]
        out = []
        for row in proba:
            order = np.argsort(-row)[: self.top_k]
            out.append(
                {
                    "section": classes[int(order[0])],
                    "confidence": round(float(row[order[0]]), 4),
                    "probabilities": {classes[int(j)]: round(float(row[j]), 4) for j in order},
                }
            )
        return out


class NerModel(PythonModel):
    """A spaCy pipeline folder (artifact ``spacy_model``; only its NER runs), or a fine-tuned transformer
    folder (artifact ``transformer_model``, :class:`~newsdesk.nlp.ner_transformer.TransformerNer`,
    which behaves like a spaCy pipeline). The transformer runs as the bundled one does: on a GPU when
    ``nlp.device`` finds one, else in ``nlp.ner_precision`` (int8 by default), so the gates measure the
    model as it is served."""

    _skip_type_hint_validation = True  # as SectionsModel

    nlp: Any

    def load_context(self, context: Any) -> None:
        if "transformer_model" in context.artifacts:
            from newsdesk.nlp.ner_transformer import TransformerNer
            from newsdesk.settings import Settings

            nlp = Settings().nlp
            model = TransformerNer.load(context.artifacts["transformer_model"])
            self.nlp = model.place(nlp.device, nlp.ner_precision)
            return
        import spacy

        self.nlp = spacy.load(context.artifacts["spacy_model"])

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> list[Any]:
        texts = texts_of(model_input)
        return [
            [{"text": e.text, "label": e.label_, "start": e.start_char, "end": e.end_char} for e in doc.ents]
            for doc in self.nlp.pipe(texts, batch_size=64)
        ]
