"""Where the benchmark datasets are found: the setting, else ../shared/data or ./shared/data from the working
directory; never the package's own location; a miss names every path tried."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.errors import DatasetNotFound, UnreadableSource
from newsdesk.evaluate import default_dataset, run_eval
from newsdesk.evaluate.locate import candidates, data_roots, find_dataset
from newsdesk.settings import Settings


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """``tmp/checkout`` (the working directory) beside ``tmp/shared/data``; returns ``tmp``."""
    (tmp_path / "checkout").mkdir()
    (tmp_path / "shared" / "data" / "ag-news").mkdir(parents=True)
    return tmp_path


def test_default_roots_follow_the_working_directory(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    cwd = tmp_path / "checkout"
    assert data_roots(settings, cwd=cwd) == [tmp_path / "shared" / "data", cwd / "shared" / "data"]


def test_found_beside_the_checkout(layout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(home=layout / "home")
    monkeypatch.chdir(layout / "checkout")
    assert find_dataset("ag-news", settings) == layout / "shared" / "data" / "ag-news"
    assert default_dataset("iptc-zeroshot", settings) == layout / "shared" / "data" / "ag-news"


def test_found_inside_the_working_directory(layout: Path) -> None:
    """Run from the folder that holds shared/ (./shared/data), the second place tried."""
    settings = Settings(home=layout / "home")
    assert find_dataset("ag-news", settings, cwd=layout) == layout / "shared" / "data" / "ag-news"


def test_the_setting_wins_and_is_the_only_place(layout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = layout / "elsewhere"
    (own / "ag-news").mkdir(parents=True)
    monkeypatch.setenv("NEWSDESK_EVAL__DATA_DIR", str(own))
    settings = Settings(home=layout / "home")
    assert settings.eval.data_dir == own
    cwd = layout / "checkout"
    assert find_dataset("ag-news", settings, cwd=cwd) == own / "ag-news"
    # a dataset missing there is not looked for beside the checkout, though it is there
    (layout / "shared" / "data" / "xsum").mkdir()
    with pytest.raises(DatasetNotFound) as caught:
        find_dataset("xsum", settings, cwd=cwd)
    assert caught.value.tried == [own / "xsum"]


def test_a_relative_setting_is_read_from_the_working_directory(layout: Path) -> None:
    settings = Settings(home=layout / "home", eval={"data_dir": "../shared/data"})
    cwd = layout / "checkout"
    assert candidates("ag-news", settings, cwd=cwd) == [cwd / ".." / "shared" / "data" / "ag-news"]
    assert find_dataset("ag-news", settings, cwd=cwd).resolve() == layout / "shared" / "data" / "ag-news"


def test_a_miss_names_every_path_tried(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    cwd = tmp_path / "checkout"
    with pytest.raises(DatasetNotFound) as caught:
        find_dataset("reuters21578", settings, cwd=cwd)
    tried = [tmp_path / "shared" / "data" / "reuters21578", cwd / "shared" / "data" / "reuters21578"]
    assert caught.value.tried == tried
    message = str(caught.value)
    assert all(str(p) in message for p in tried) and "NEWSDESK_EVAL__DATA_DIR" in message
    assert isinstance(caught.value, UnreadableSource)  # the CLI's usage exit code


def test_run_eval_without_a_dataset_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(home=tmp_path / "home", eval={"data_dir": tmp_path / "none"})
    with pytest.raises(DatasetNotFound, match=str(tmp_path / "none" / "bbc-news-summary")):
        run_eval("sections", None, settings)
