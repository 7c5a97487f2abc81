"""A service on a fresh workspace, with one key per role (and a revoked one), seeded with five articles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apihelpers import Keys, make_keys, seed
from fastapi.testclient import TestClient

from newsdesk.api import create_app
from newsdesk.settings import Settings


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def keys(api_settings: Settings) -> Keys:
    return make_keys(api_settings)


@pytest.fixture
def client(api_settings: Settings, keys: Keys) -> Iterator[TestClient]:
    seed(api_settings)
    with TestClient(create_app(api_settings)) as test_client:
        yield test_client
