"""One error body for every failure, library errors mapped in one place, and the request size limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apihelpers import Keys, assert_error
from fastapi.testclient import TestClient

from newsdesk.api import create_app
from newsdesk.api.errors import status_for
from newsdesk.errors import (
    InvalidInput,
    MissingDependency,
    NewsdeskError,
    NotFitted,
    NotFound,
    StoreError,
    UnknownFormat,
    UnreadableSource,
)
from newsdesk.settings import Settings


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (InvalidInput("limit", -1, "an integer >= 1"), 422, "invalid_input"),
        (NotFound("no article"), 404, "not_found"),
        (UnknownFormat("unknown format 'x'"), 415, "unsupported_format"),
        (UnreadableSource("gone"), 422, "unreadable_source"),
        (MissingDependency("spacy", "nlp", "entities"), 503, "missing_dependency"),
        (NotFitted("not fitted"), 503, "not_fitted"),
        (StoreError("locked"), 503, "store_unavailable"),
        (NewsdeskError("something else"), 500, "internal_error"),
    ],
)
def test_library_errors_map_to_statuses(exc: NewsdeskError, status: int, code: str) -> None:
    assert status_for(exc) == (status, code)


def test_unknown_route_and_method(client: TestClient, keys: Keys) -> None:
    error = assert_error(client.get("/nowhere"), 404, "not_found")
    assert "/nowhere" in error["message"]
    assert_error(client.put("/articles", headers=keys.header("admin")), 405, "method_not_allowed")


def test_validation_error_names_the_first_bad_field(client: TestClient, keys: Keys) -> None:
    body = {"articles": [{"headline": "x"}], "strict": "maybe", "source": 5}
    error = assert_error(
        client.post("/articles", json=body, headers=keys.header("editor")), 422, "invalid_input"
    )
    assert error["field"] == "strict" and "more problem" in error["message"]


def test_malformed_json(client: TestClient, keys: Keys) -> None:
    response = client.post(
        "/articles",
        content=b'{"articles": [',
        headers={**keys.header("editor"), "Content-Type": "application/json"},
    )
    assert_error(response, 422, "invalid_input")


def test_library_error_through_a_route(client: TestClient, keys: Keys) -> None:
    error = assert_error(client.get("/taxonomy/topics/nope", headers=keys.header("reader")), 422)
    assert error["field"] == "qcode" and "medtop:04000000" in error["message"]


def test_unexpected_errors_are_500_in_the_same_shape(api_settings: Settings) -> None:
    app = create_app(api_settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        error = assert_error(client.get("/boom"), 500, "internal_error")
        assert "secret" not in error["message"]


@pytest.fixture
def small_limit(api_settings: Settings, keys: Keys) -> Iterator[TestClient]:
    api_settings.api.max_request_bytes = 2_000
    with TestClient(create_app(api_settings)) as client:
        yield client


def _big_batch(n_bytes: int) -> bytes:
    return b'{"articles": [{"headline": "big", "body": "' + b"x" * n_bytes + b'"}]}'


def test_declared_length_over_the_limit_is_413(small_limit: TestClient, keys: Keys) -> None:
    response = small_limit.post(
        "/articles",
        content=_big_batch(5_000),
        headers={**keys.header("editor"), "Content-Type": "application/json"},
    )
    error = assert_error(response, 413, "payload_too_large")
    assert "2000 bytes" in error["message"]
    assert small_limit.get("/articles", headers=keys.header("editor")).json()["total"] == 0


def test_streamed_body_over_the_limit_is_413(small_limit: TestClient, keys: Keys) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        body = _big_batch(5_000)
        for i in range(0, len(body), 500):
            yield body[i : i + 500]

    response = small_limit.post(
        "/articles", content=chunks(), headers={**keys.header("editor"), "Content-Type": "application/json"}
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_error(response, 413, "payload_too_large")
    assert small_limit.get("/articles", headers=keys.header("editor")).json()["total"] == 0


def test_lying_content_length_is_413(small_limit: TestClient, keys: Keys) -> None:
    def chunks() -> Iterator[bytes]:
        yield _big_batch(5_000)

    response = small_limit.post(
        "/articles",
        content=chunks(),
        headers={**keys.header("editor"), "Content-Type": "application/json", "Content-Length": "10"},
    )
    assert_error(response, 413, "payload_too_large")  # counted as it streams, not trusted
    assert small_limit.get("/articles", headers=keys.header("editor")).json()["total"] == 0


def test_body_under_the_limit_passes(small_limit: TestClient, keys: Keys) -> None:
    response = small_limit.post(
        "/articles",
        content=_big_batch(100),
        headers={**keys.header("editor"), "Content-Type": "application/json"},
    )
    assert response.status_code == 200 and response.json()["inserted"] == 1


def test_openapi_declares_error_responses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["schemas"]["ErrorBody"]["required"] == ["error"]
    post = spec["paths"]["/articles"]["post"]["responses"]
    assert {"200", "401", "403", "413", "422"} <= set(post)
    assert post["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert post["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/IngestRejected")
    get = spec["paths"]["/articles/{article_id}"]["get"]["responses"]
    assert {"200", "401", "403", "404", "422"} <= set(get)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": schemes["ApiKey"]["description"],
    }
    assert schemes["Bearer"]["scheme"] == "bearer"
