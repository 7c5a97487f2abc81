"""Where the benchmark datasets are: one answer for the evaluations, their tests and the benchmarks.

The datasets are not shipped with newsdesk (their licences and sizes forbid it); a development machine or a
CI runner keeps them in one folder, ``shared/data`` beside the checkout, one sub-folder per dataset with its
``SOURCE.md``. That folder is, in order:

1. ``settings.eval.data_dir`` (``NEWSDESK_EVAL__DATA_DIR``) when it is set, and then only there: a folder
   named on purpose is never silently replaced by another;
2. ``../shared/data`` from the working directory (a checkout beside ``shared/``), then ``./shared/data``.

Nothing is found relative to the package's own files: in an installed package, or a second checkout that
shares a virtualenv, that place has nothing to do with the caller. A dataset found nowhere raises
:class:`~newsdesk.errors.DatasetNotFound`, which names every path tried.

>>> from newsdesk.settings import Settings
>>> settings = Settings(eval={"data_dir": "/srv/benchmarks"})
>>> [str(p) for p in candidates("ag-news", settings)]
['/srv/benchmarks/ag-news']
"""

from __future__ import annotations

from pathlib import Path

from newsdesk.errors import DatasetNotFound
from newsdesk.settings import Settings

__all__ = ["candidates", "data_roots", "find_dataset"]


def data_roots(settings: Settings | None = None, *, cwd: Path | None = None) -> list[Path]:
    """The folders that may hold the datasets, in the order they are tried (absolute paths).

    ``settings`` defaults to the environment's (``Settings()``); ``cwd`` to the working directory.
    """
    settings = settings if settings is not None else Settings()
    here = Path.cwd() if cwd is None else cwd.absolute()
    if settings.eval.data_dir is not None:
        configured = Path(settings.eval.data_dir).expanduser()
        return [configured if configured.is_absolute() else here / configured]
    return [here.parent / "shared" / "data", here / "shared" / "data"]


def candidates(
    dataset: str | Path, settings: Settings | None = None, *, cwd: Path | None = None
) -> list[Path]:
    """Every place ``dataset`` (a path relative to the data folder) is looked for, in order."""
    return [root / dataset for root in data_roots(settings, cwd=cwd)]


def find_dataset(dataset: str | Path, settings: Settings | None = None, *, cwd: Path | None = None) -> Path:
    """The first existing place of ``dataset`` among :func:`candidates`.

    Raises :class:`~newsdesk.errors.DatasetNotFound` naming every path tried when there is none.
    """
    tried = candidates(dataset, settings, cwd=cwd)
    for path in tried:
        if path.exists():
            return path
    raise DatasetNotFound(str(dataset), tried)
