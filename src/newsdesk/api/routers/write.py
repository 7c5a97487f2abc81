"""``POST /write/brief``, ``POST /write/headlines`` (editors) and ``GET /ask`` (readers).

Every response has the one shape of :mod:`newsdesk.llm.output`: items with their verdicts, claims and
evidence, and the model, prompt version and provider that wrote them. The routes run in the thread pool:
a generation is seconds of work (or a wait on a model server).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from newsdesk.api.errors import responses
from newsdesk.api.security import require
from newsdesk.api.state import StateDep
from newsdesk.auth import Role
from newsdesk.errors import NewsdeskError
from newsdesk.llm.ask import MAX_QUESTION_CHARS
from newsdesk.llm.brief import MAX_ARTICLES
from newsdesk.llm.headlines import MAX_IDEAS

__all__ = ["router"]

router = APIRouter(tags=["write"], responses=responses(401, 403, 422, 502, 504))


class EvidenceOut(BaseModel):
    article_id: str
    sentence: str
    start: int = Field(
        description="Offset of the sentence in the article's text (headline, blank line, body)."
    )
    end: int


class ClaimOut(BaseModel):
    text: str
    supported: bool
    score: float = Field(description="The verifier's support score, 0 to 1.")
    evidence: list[EvidenceOut]
    reasons: list[str] = Field(default_factory=list, description="Why a claim is not supported.")


class ItemOut(BaseModel):
    text: str
    verdict: Literal["ok", "flagged", "withheld"] = Field(
        description="ok: shown, every claim supported; flagged: shown with unsupported claims marked; "
        "withheld: the model's text was replaced by sentences from the sources (see 'rejected')."
    )
    role: str
    claims: list[ClaimOut]
    rejected: dict[str, Any] | None = None

    model_config = {"extra": "allow"}


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ProductOut(BaseModel):
    product: str
    items: list[ItemOut]
    model: str
    prompt: str = Field(description="product@prompt-version")
    provider: str
    usage: UsageOut
    verifier: str
    policy: str
    sources: list[str]
    fallback: dict[str, Any]
    notice: str | None
    latency_ms: float
    cached: bool

    model_config = {"extra": "allow"}


Stream = Annotated[
    bool,
    Query(
        description="Stream Server-Sent Events: 'draft' events carry the model's text as it is written "
        "(unchecked), then one 'result' event carries the checked output (or an 'error' event)."
    ),
]


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _streamed(state: Any, work: Callable[[], dict[str, Any]]) -> StreamingResponse:
    """Run ``work`` in the thread pool with the writer streaming its drafts into Server-Sent Events."""
    from newsdesk.api.errors import status_for

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def run() -> dict[str, Any]:
        with state.writer().streaming(lambda piece: loop.call_soon_threadsafe(queue.put_nowait, piece)):
            return work()

    async def events() -> AsyncIterator[str]:
        task = asyncio.ensure_future(run_in_threadpool(run))
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                yield _sse("draft", {"text": getter.result()})
                continue
            getter.cancel()
            break
        while not queue.empty():
            yield _sse("draft", {"text": queue.get_nowait()})
        try:
            yield _sse("result", task.result())
        except Exception as exc:  # the stream has started: the error is an event
            status, code = status_for(exc) if isinstance(exc, NewsdeskError) else (500, "internal_error")
            yield _sse("error", {"status": status, "code": code, "message": str(exc)})

    return StreamingResponse(events(), media_type="text/event-stream")


class BriefIn(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=MAX_ARTICLES, description="Article ids; the first leads.")


class HeadlinesIn(BaseModel):
    id: str = Field(min_length=1, max_length=500)
    n: int = Field(default=5, ge=1, le=MAX_IDEAS)
    kind: Literal["headline", "subject"] = "headline"


@router.post(
    "/write/brief", response_model=ProductOut, dependencies=[require(Role.EDITOR)], responses=responses(404)
)
async def write_brief_route(state: StateDep, body: BriefIn, stream: Stream = False) -> Any:
    """A newsletter brief (lede, why it matters, 2 to 4 bullets) of one or more articles, checked."""
    from newsdesk.llm.brief import write_brief

    def run() -> dict[str, Any]:
        store = state.store()
        articles = [store.get(i) for i in body.ids]
        return write_brief(state.writer(), articles).to_dict()

    if stream:
        return _streamed(state, run)
    return await run_in_threadpool(run)


@router.post(
    "/write/headlines",
    response_model=ProductOut,
    dependencies=[require(Role.EDITOR)],
    responses=responses(404),
)
async def write_headlines_route(state: StateDep, body: HeadlinesIn, stream: Stream = False) -> Any:
    """Headline or email subject-line ideas within the length limit and the style rules, checked."""
    from newsdesk.llm.headlines import write_headlines

    def run() -> dict[str, Any]:
        article = state.store().get(body.id)
        return write_headlines(state.writer(), article, n=body.n, kind=body.kind).to_dict()

    if stream:
        return _streamed(state, run)
    return await run_in_threadpool(run)


@router.get("/ask", response_model=ProductOut, dependencies=[require(Role.READER)])
async def ask_route(
    state: StateDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION_CHARS, description="The question.")],
    since: Annotated[datetime | None, Query(description="Only articles published on or after.")] = None,
    section: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """An answer from the archive's passages only, every sentence cited; or that the archive does not say."""
    from newsdesk.llm.ask import ask

    def run() -> dict[str, Any]:
        return ask(state.writer(), state.searcher(), q, since=since, section=section).to_dict()

    return await run_in_threadpool(run)
