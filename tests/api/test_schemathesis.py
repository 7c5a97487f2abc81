"""Property-based checks of the whole API from its OpenAPI spec (schemathesis): no input gives a 5xx.

Runs with an admin key on a small seeded workspace, with few examples per operation so it stays fast. The
app is built when this module is imported (schemathesis' lazy ``from_fixture`` loader does not work with
pytest 9), in a temporary workspace removed at exit.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from apihelpers import make_keys, seed
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from newsdesk.api import create_app
from newsdesk.settings import Settings

_HOME = Path(tempfile.mkdtemp(prefix="newsdesk-fuzz-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
_SETTINGS = Settings(home=_HOME)
_SETTINGS.api.enrich_components = ["language", "reading_time", "summary", "keyphrases"]  # the fast ones
_SETTINGS.llm.provider = "extractive"  # /write and /ask: their routes are tested here, not a model
seed(_SETTINGS)
ADMIN = make_keys(_SETTINGS).admin

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_SETTINGS))


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    # the first /models call creates the MLflow database (~8 s, more on a busy machine): a generous timeout,
    # since this test is about status codes, not latency
    case.call_and_validate(headers={"X-API-Key": ADMIN}, checks=[not_a_server_error], timeout=120)
