"""The tutorials under ``notebooks/`` run top to bottom, and are committed clean.

Each notebook is executed with nbclient on an ipykernel (the interpreter running the tests), in the
notebooks folder (so ``../tests/data`` resolves as it does for a reader), with ``NEWSDESK_HOME`` pointing at
a fresh temporary workspace and the model hubs offline. A failing cell fails the test with that cell's
source and error. Notebooks are committed without outputs or execution counts, so their diffs stay clean.
``NEWSDESK_NOTEBOOKS_OUT=DIR`` keeps the executed notebooks (with their outputs and plots) in DIR.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT_S = 300
KERNEL = "newsdesk-notebooks"


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_there_are_notebooks() -> None:
    assert len(PATHS) >= 5, f"expected the tutorials under {NOTEBOOKS}, found {[p.name for p in PATHS]}"


@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    dirty = [
        i
        for i, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} carry outputs or execution counts; clear them before committing "
        "('Clear All Outputs' then save; notebooks/README.md has a one-liner)"
    )
    assert notebook["metadata"].get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_notebook_says_what_it_teaches_and_checks_its_result(path: Path) -> None:
    """A title and what the notebook teaches first; an ``assert`` near the end, so a notebook whose story
    silently stopped holding (a search that no longer finds the article, a champion that moved) fails."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    first = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and first.startswith("# "), f"{path.name}: no title cell"
    assert len(first.splitlines()) > 2, f"{path.name}: the first cell should say what the notebook teaches"
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    assert any("assert " in source for source in code[-2:]), f"{path.name}: no assert in its last code cells"


def test_the_readme_lists_every_notebook() -> None:
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in PATHS if p.name not in readme]
    assert not missing, f"notebooks/README.md does not describe {missing}"


@pytest.fixture
def notebook_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh workspace for the notebook's kernel: the kernel inherits this process's environment."""
    home = tmp_path / "home"
    monkeypatch.setenv("NEWSDESK_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.delenv("NEWSDESK_STORE__URL", raising=False)  # the notebooks use their own SQLite store
    # the kernel's own runtime files (connection file) stay out of the user's home
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    # a kernel spec of this interpreter (the venv's), found first whatever other python3 specs exist
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "newsdesk notebooks", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    yield home


def _failure(path: Path, error: Any) -> str:
    """The failing cell's source and the error, without the ANSI colours of a kernel traceback."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error))
    return f"{path.name} failed:\n{text}"


@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_notebook_runs(path: Path, notebook_env: Path, record_property: Any) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(NOTEBOOKS)}},  # the kernel's working directory
    )
    started = time.perf_counter()
    failure = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        failure = _failure(path, exc)  # reported below, outside the handler: one message, not a chain
    finally:
        keep = os.environ.get("NEWSDESK_NOTEBOOKS_OUT")  # a folder to keep the executed notebooks in
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, Path(keep) / path.name)
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    seconds = time.perf_counter() - started
    record_property("seconds", round(seconds, 1))
    print(f"{path.name}: {seconds:.1f} s")
