"""Fitting components on the driver before a run, and keeping the fitted state of those fitted once.

:func:`fit_component` gives a component what it learns from: an iterator over the archive, read lazily
(a stateless component reads none of it). A component's ``refit`` says when it learns:

- ``"always"``: every run, from the archive as it is (sections, near-duplicates): its version changes with
  what it learned, so the run recomputes exactly the outputs that could change;
- ``"once"``: the first run fits and saves the state under ``<models_dir>/fitted/<name>/<key>.pkl``, keyed
  by the component's class, code version, configuration and model; later runs load it, so outputs (and the
  version) stay stable as the archive grows, until ``refit=True`` (``newsdesk enrich --refit``) fits again.

The saved file is the driver's: executors receive the state itself
(:meth:`~newsdesk.nlp.base.BaseComponent.for_executor`).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsdesk.nlp.base import BaseComponent
    from newsdesk.settings import Settings
    from newsdesk.store.base import ArticleStore

__all__ = ["fit_component", "saved_state_path"]

STATE_FORMAT = 1


def saved_state_path(component: BaseComponent, settings: Settings) -> Path:
    """Where the state of a ``refit="once"`` component is kept between runs."""
    key = json.dumps(
        [
            STATE_FORMAT,
            f"{type(component).__module__}.{type(component).__qualname__}",
            component.code_version,
            component.config.identity(),
            component.model_identity(),
        ],
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return settings.models_dir / "fitted" / component.name / f"{digest}.pkl"


def fit_component(
    component: BaseComponent, store: ArticleStore, settings: Settings, *, refit: bool = False
) -> BaseComponent:
    """Fit ``component`` on the archive (or load its saved state; see the module docstring)."""
    if component.refit != "once":
        return component.fit(store.iter_articles())
    path = saved_state_path(component, settings)
    if not refit and path.exists():
        try:
            with path.open("rb") as fh:
                return component.set_state(pickle.load(fh))
        except Exception:  # a file from an incompatible version, or truncated: fit again
            pass
    component.fit(store.iter_articles())
    _save(path, component)
    return component


def _save(path: Path, component: BaseComponent) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(component.get_state(), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
