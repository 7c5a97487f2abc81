"""Experiments as data, on every backend: definitions, additive hourly counts, raw events, decisions, and
the refusals that must write nothing (unknown variant, negative counts, clicks above impressions, a stopped
experiment)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from newsdesk.errors import Conflict, InvalidInput, NotFound
from newsdesk.experiments.service import ExperimentService
from newsdesk.experiments.store import ExperimentStore
from newsdesk.lifecycle.audit import AuditLog
from newsdesk.settings import Settings
from newsdesk.store import Backend

HOUR = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def service(store: Backend, settings: Settings) -> ExperimentService:
    return ExperimentService.open(settings, store)


def _running(service: ExperimentService, **fields: object) -> str:
    base: dict[str, object] = {
        "kind": "headline",
        "name": "Budget day",
        "variants": ["Budget cuts bite", "What the budget means for you", "Five things in the budget"],
        "guardrails": [{"name": "bounces", "tolerance": 0.1}],
    }
    base.update(fields)
    e = service.create(actor="ana", **base)
    service.start(e.id, actor="ana")
    return e.id


def totals(service: ExperimentService, experiment_id: str) -> dict[str, tuple[int, int, dict[str, int]]]:
    out: dict[str, tuple[int, int, Counter[str]]] = {}
    for c in service.store.counts(experiment_id):
        t, s, g = out.get(c.variant, (0, 0, Counter()))
        out[c.variant] = (t + c.trials, s + c.successes, g + Counter(c.guardrails))
    return {k: (t, s, dict(g)) for k, (t, s, g) in out.items()}


def test_the_store_protocol_is_met(service: ExperimentService) -> None:
    assert isinstance(service.store, ExperimentStore)


def test_an_experiment_round_trips_and_lists_newest_first(service: ExperimentService) -> None:
    first = service.create(actor="ana", kind="headline", name="One", variants=["a b", "c d"], article_id="x1")
    second = service.create(
        actor="bo", kind="subject_line", name="Two", variants=["Hi", "Hello"], planned_size=4000, tau=0.01
    )
    got = service.get(second.id)
    assert got == second
    assert got.metric == "opens/sends" and got.planned_size == 4000 and got.owner == "bo"
    assert service.get(first.id).article_id == "x1"
    assert [e.id for e in service.list_experiments()] == [second.id, first.id]
    assert [e.id for e in service.list_experiments(kind="headline")] == [first.id]
    assert service.list_experiments(status="running") == []
    with pytest.raises(NotFound):
        service.get("exp_missing")
    with pytest.raises(InvalidInput, match="status"):
        service.list_experiments(status="paused")


def test_an_id_is_taken_once(service: ExperimentService) -> None:
    service.create(actor="ana", kind="any", name="One", variants=["a", "b"], experiment_id="homepage-1")
    with pytest.raises(Conflict, match="already exists"):
        service.create(actor="ana", kind="any", name="Two", variants=["c", "d"], experiment_id="homepage-1")
    assert service.get("homepage-1").name == "One"


def test_counts_add_up_by_hour_variant_and_metric(service: ExperimentService) -> None:
    eid = _running(service)
    service.record(
        eid,
        counts=[
            {"variant": "A", "impressions": 100, "clicks": 7, "at": HOUR, "guardrails": {"bounces": 30}},
            {"variant": "B", "impressions": 90, "clicks": 12, "at": HOUR + timedelta(minutes=30)},
        ],
    )
    service.record(
        eid,
        counts=[{"variant": "A", "impressions": 50, "clicks": 1, "at": "2026-12-01T09:59:00Z"}],
        events=[
            {"variant": "C", "type": "impression", "at": HOUR + timedelta(hours=1)},
            {"variant": "C", "type": "click", "at": HOUR + timedelta(hours=1, minutes=5)},
            {"variant": "C", "type": "bounces", "at": HOUR + timedelta(hours=1, minutes=5)},
        ],
    )
    assert totals(service, eid) == {
        "A": (150, 8, {"bounces": 30}),
        "B": (90, 12, {}),
        "C": (1, 1, {"bounces": 1}),
    }
    stored = service.store.counts(eid)
    assert [(c.bucket, c.variant) for c in stored] == [
        (HOUR, "A"),
        (HOUR, "B"),
        (HOUR + timedelta(hours=1), "C"),
    ]


def test_concurrent_writers_of_one_hour_add_up(service: ExperimentService) -> None:
    eid = _running(service)

    def post(_: int) -> None:
        service.record(eid, counts=[{"variant": "B", "impressions": 10, "clicks": 1, "at": HOUR}])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(post, range(20)))
    assert totals(service, eid)["B"][:2] == (200, 20)


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"variant": "Z", "impressions": 1, "clicks": 0}, "counts[1].variant"),
        ({"variant": "A", "impressions": -5, "clicks": 0}, "counts[1].impressions"),
        ({"variant": "A", "impressions": 5, "clicks": 6}, "counts[1].clicks"),
        ({"variant": "A", "impressions": 5, "clicks": 1.5}, "counts[1].clicks"),
        ({"variant": "A", "impressions": 5, "opens": 1}, "counts[1].opens"),
        ({"variant": "A", "impressions": 5, "guardrails": {"scrolls": 1}}, "counts[1].guardrails.scrolls"),
        ({"variant": "A", "impressions": 5, "guardrails": {"bounces": 6}}, "counts[1].guardrails.bounces"),
        ({"variant": "A", "impressions": 5, "at": "yesterday"}, "counts[1].at"),
        ({"variant": "A", "impressions": 5, "at": "2026-12-01T09:00:00"}, "counts[1].at"),
        ({"variant": "A", "impressions": 5, "at": datetime.now(UTC) + timedelta(days=1)}, "counts[1].at"),
    ],
)
def test_a_bad_item_refuses_the_whole_batch(
    service: ExperimentService, item: dict[str, object], field: str
) -> None:
    eid = _running(service)
    good = {"variant": "B", "impressions": 10, "clicks": 1, "at": HOUR}
    with pytest.raises(InvalidInput) as caught:
        service.record(eid, counts=[good, item])
    assert caught.value.field == field
    assert service.store.counts(eid) == []


def test_an_unknown_event_type_names_the_allowed_ones(service: ExperimentService) -> None:
    eid = _running(service)
    with pytest.raises(InvalidInput, match="impression, click, bounces") as caught:
        service.record(eid, events=[{"variant": "A", "type": "impression"}, {"variant": "A", "type": "open"}])
    assert caught.value.field == "events[1].type"
    assert service.store.counts(eid) == []


def test_a_stopped_or_draft_experiment_takes_no_events(service: ExperimentService) -> None:
    draft = service.create(actor="ana", kind="headline", name="Draft", variants=["a", "b"])
    with pytest.raises(Conflict, match="draft"):
        service.record(draft.id, counts=[{"variant": "A", "impressions": 1}])
    eid = _running(service)
    service.record(eid, counts=[{"variant": "A", "impressions": 5, "at": HOUR}])
    service.stop(eid, actor="ana", reason="enough")
    with pytest.raises(Conflict, match="stopped"):
        service.record(eid, counts=[{"variant": "A", "impressions": 5, "at": HOUR}])
    with pytest.raises(Conflict, match="stopped"):
        service.store.add_counts(
            eid, service.store.counts(eid)
        )  # the store refuses too, not only the service
    with pytest.raises(Conflict, match="only a running"):
        service.stop(eid, actor="ana")
    with pytest.raises(Conflict, match="only a draft"):
        service.start(eid, actor="ana")
    assert totals(service, eid)["A"][0] == 5


def test_raw_events_are_kept_when_asked_and_need_a_unit(service: ExperimentService) -> None:
    eid = _running(service, keep_raw=True)
    with pytest.raises(InvalidInput, match="unit"):
        service.record(eid, events=[{"variant": "A", "type": "impression"}])
    service.record(
        eid,
        events=[
            {"variant": "A", "type": "impression", "unit": "r1", "at": HOUR},
            {"variant": "A", "type": "click", "unit": "r1", "at": HOUR + timedelta(seconds=5)},
        ],
    )
    raw = service.store.raw_events(eid)
    assert [(r.unit, r.event, r.at) for r in raw] == [
        ("r1", "trial", HOUR),
        ("r1", "success", HOUR + timedelta(seconds=5)),
    ]


def test_decisions_are_kept_and_audited(service: ExperimentService, settings: Settings) -> None:
    eid = _running(service)
    service.stop(eid, actor="bo", reason="planned size reached")
    assert [(d.action, d.actor) for d in service.decisions(eid)] == [
        ("create", "ana"),
        ("start", "ana"),
        ("stop", "bo"),
    ]
    log = AuditLog(settings.audit_path)
    assert log.verify().ok
    entries = [e for e in log.entries() if e.model == f"experiment/{eid}"]
    assert [e.action for e in entries] == ["experiment_create", "experiment_start", "experiment_stop"]
    assert entries[-1].reason == "planned size reached"


def test_assignment_is_stable_per_unit_and_even(service: ExperimentService) -> None:
    eid = _running(service)
    first = [service.assign(eid, f"reader-{i}").variant.key for i in range(600)]
    again = [service.assign(eid, f"reader-{i}").variant.key for i in range(600)]
    assert first == again
    shares = Counter(first)
    assert set(shares) == {"A", "B", "C"} and min(shares.values()) > 150
    with pytest.raises(InvalidInput, match="unit"):
        service.assign(eid, "")


def test_thompson_allocation_sends_most_new_units_to_the_leader(service: ExperimentService) -> None:
    eid = _running(service, allocation="thompson", holdout=0.1, variants=["Plain", "Better"], guardrails=[])
    assert service.weights(service.get(eid)) == [0.5, 0.5]  # no traffic yet: even
    service.record(
        eid,
        counts=[
            {"variant": "A", "impressions": 5000, "clicks": 100, "at": HOUR},
            {"variant": "B", "impressions": 5000, "clicks": 200, "at": HOUR},
        ],
    )
    shares = Counter(service.assign(eid, f"r{i}").variant.key for i in range(400))
    assert shares["B"] > 300 and shares["A"] >= 5  # the holdout keeps some traffic on every variant
