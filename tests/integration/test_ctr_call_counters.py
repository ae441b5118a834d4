"""CounterStore on moto: every call counted exactly once, whatever the delivery does.

The segments here are a small stand-in for contact records (what a call is and when it was last
updated), so these tests are about the store's bookkeeping, not classification.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.ctr_ingest.aggregates import Contribution
from lambdas.ctr_ingest.call_counters import Codec, CounterStore, IngestResult
from tandem.local import Sandbox, sandbox
from tandem.local.faults import Fault

DAY = "2026-11-23"


@dataclass(frozen=True)
class Seg:
    contact_id: str
    initial_contact_id: str
    last_update: str
    outcome: str = "contained"  # the segment's own say; an agent in any segment makes it transferred
    route: str = "SELF_SERVICE"


def contribute(segments: Sequence[Seg], recontacted: bool = False) -> Contribution:
    outcome = "transferred" if any(s.outcome == "transferred" for s in segments) else segments[0].outcome
    route = sorted(segments, key=lambda s: s.last_update)[-1].route
    counters = {"contacts": 1, outcome: 1}
    return {("all", DAY, "all"): counters, ("route", DAY, route): counters}


CODEC: Codec[Seg] = Codec(encode=asdict, decode=lambda raw: Seg(**raw), contribute=contribute)


def store(box: Sandbox, client: Any = None) -> CounterStore[Seg]:
    return CounterStore(client or box.client("dynamodb"), box.table_names["METRICS_TABLE"], CODEC)


def counters(box: Sandbox) -> dict[tuple[str, str], dict[str, int]]:
    items = box.client("dynamodb").scan(TableName=box.table_names["METRICS_TABLE"])["Items"]
    found = {}
    for item in items:
        if item["pk"]["S"].startswith("DIM#"):
            numbers = {k: int(v["N"]) for k, v in item.items() if "N" in v}
            nonzero = {k: v for k, v in numbers.items() if v}
            if nonzero:  # a value a call moved away from keeps its item, at zero
                found[(item["pk"]["S"], item["sk"]["S"])] = nonzero
    return found


def batch(*segments: Seg) -> list[tuple[str, Seg]]:
    return [(f"seq-{i}", s) for i, s in enumerate(segments)]


def call(n: int, version: str = "2026-11-23T10:00:00Z", **fields: Any) -> Seg:
    return Seg(f"c{n}", f"c{n}", version, **fields)


def test_a_batch_is_counted_and_the_same_batch_again_changes_nothing(box: Sandbox) -> None:
    records = batch(call(1), call(2, outcome="transferred", route="AGENT"), call(3, outcome="abandoned"))
    first = store(box).ingest(records)
    assert (first.applied, first.unchanged, first.failed_items) == (3, 0, set())
    expected = {
        ("DIM#all", f"{DAY}#all"): {"contacts": 3, "contained": 1, "transferred": 1, "abandoned": 1},
        ("DIM#route", f"{DAY}#SELF_SERVICE"): {"contacts": 2, "contained": 1, "abandoned": 1},
        ("DIM#route", f"{DAY}#AGENT"): {"contacts": 1, "transferred": 1},
    }
    assert counters(box) == expected
    # When Kinesis delivers the whole batch again
    again = store(box).ingest(records)
    assert (again.applied, again.unchanged) == (0, 3)
    assert counters(box) == expected


def test_duplicates_inside_a_batch_count_once(box: Sandbox) -> None:
    store(box).ingest(batch(call(1), call(1), call(1)))
    assert counters(box)[("DIM#all", f"{DAY}#all")] == {"contacts": 1, "contained": 1}


def test_a_newer_version_moves_the_call_and_an_older_one_changes_nothing(box: Sandbox) -> None:
    store(box).ingest(batch(call(1, "2026-11-23T10:00:00Z")))
    # The post-call update: the same segment, newer, now with an agent and another route
    store(box).ingest(batch(call(1, "2026-11-23T10:05:00Z", outcome="transferred", route="AGENT")))
    # A late copy of the first version
    late = store(box).ingest(batch(call(1, "2026-11-23T10:00:00Z")))
    assert late.unchanged == 1
    assert counters(box) == {
        ("DIM#all", f"{DAY}#all"): {"contacts": 1, "transferred": 1},
        ("DIM#route", f"{DAY}#AGENT"): {"contacts": 1, "transferred": 1},
    }


def test_segments_of_one_call_in_separate_batches_make_one_call(box: Sandbox) -> None:
    store(box).ingest(batch(Seg("first", "first", "2026-11-23T10:00:00Z")))
    store(box).ingest(batch(Seg("second", "first", "2026-11-23T10:03:00Z", "transferred", "AGENT")))
    assert counters(box)[("DIM#all", f"{DAY}#all")] == {"contacts": 1, "transferred": 1}


def test_a_failed_write_is_reported_and_its_retry_counts_once(box: Sandbox) -> None:
    records = batch(call(1), call(2))
    with box.fault(
        Fault("dynamodb", "TransactWriteItems", error_code="ProvisionedThroughputExceededException")
    ):
        failed = store(box).ingest(records)
    # Then both records are reported (Kinesis will deliver them again) and nothing was counted
    assert failed.failed_items == {"seq-0", "seq-1"} and failed.applied == 0
    assert counters(box) == {}
    retried = store(box).ingest(records)
    assert retried.applied == 2
    assert counters(box)[("DIM#all", f"{DAY}#all")] == {"contacts": 2, "contained": 2}


class RacingClient:
    """A DynamoDB client that lets another writer (`rival`, once) write between our read and our write."""

    def __init__(self, box: Sandbox, rival: Callable[[], object]) -> None:
        self.real, self.rival = box.client("dynamodb"), [rival]
        self.exceptions = self.real.exceptions

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def transact_write_items(self, **kwargs: Any) -> Any:
        while self.rival:
            self.rival.pop()()
        return self.real.transact_write_items(**kwargs)


def test_a_lost_race_re_reads_and_counts_the_call_once(box: Sandbox) -> None:
    store(box).ingest(batch(call(1, "2026-11-23T10:00:00Z")))
    rival = batch(call(1, "2026-11-23T10:04:00Z", outcome="abandoned"))
    ours = batch(call(1, "2026-11-23T10:05:00Z", outcome="transferred", route="AGENT"))
    result = store(box, RacingClient(box, lambda: store(box).ingest(rival))).ingest(ours)
    assert result.applied == 1 and not result.failed_items
    assert result.dynamodb_calls == 4  # read, write refused (the rival won), read again, write
    assert counters(box)[("DIM#all", f"{DAY}#all")] == {"contacts": 1, "transferred": 1}


def test_a_hundred_records_cost_at_most_four_dynamodb_calls(box: Sandbox) -> None:
    routes = ("SELF_SERVICE", "AGENT", "CALLBACK", "CLOSED")
    records = batch(*(call(n, route=routes[n % 4]) for n in range(100)))
    result = store(box).ingest(records)
    assert result.applied == 100
    assert result.dynamodb_calls <= 4, result
    assert counters(box)[("DIM#all", f"{DAY}#all")] == {"contacts": 100, "contained": 100}


VERSIONS = ("2026-11-23T10:00:00Z", "2026-11-23T10:01:00Z", "2026-11-23T10:02:00Z")


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[Seg], list[list[Seg]]]:
    """Some calls' segment versions; then the same records duplicated, shuffled and split in batches."""
    segments = []
    for n in range(draw(st.integers(1, 6))):
        for part in range(draw(st.integers(1, 2))):
            for version in draw(st.lists(st.sampled_from(VERSIONS), min_size=1, max_size=3, unique=True)):
                outcome = draw(st.sampled_from(("contained", "transferred", "abandoned")))
                route = draw(st.sampled_from(("SELF_SERVICE", "AGENT")))
                segments.append(Seg(f"c{n}-{part}", f"c{n}-0", version, outcome, route))
    delivered = segments + draw(st.lists(st.sampled_from(segments), max_size=8))
    random.Random(draw(st.integers(0, 2**16))).shuffle(delivered)
    cuts = sorted(draw(st.lists(st.integers(0, len(delivered)), max_size=4)))
    batches = [delivered[a:b] for a, b in zip([0, *cuts], [*cuts, len(delivered)], strict=True)]
    return segments, batches


def expected_counters(segments: list[Seg]) -> dict[tuple[str, str], dict[str, int]]:
    """What counting each call once, from the newest version of each of its segments, gives."""
    newest: dict[str, dict[str, Seg]] = {}
    for s in segments:
        held = newest.setdefault(s.initial_contact_id, {}).get(s.contact_id)
        if held is None or s.last_update > held.last_update:
            newest[s.initial_contact_id][s.contact_id] = s
    totals: dict[tuple[str, str], dict[str, int]] = {}
    for parts in newest.values():
        ordered = [parts[c] for c in sorted(parts)]
        for (dimension, day, value), amounts in contribute(ordered).items():
            into = totals.setdefault((f"DIM#{dimension}", f"{day}#{value}"), {})
            for name, amount in amounts.items():
                into[name] = into.get(name, 0) + amount
    return totals


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deliveries())
def test_any_order_with_duplicates_in_any_batches_gives_the_same_counters(
    delivery: tuple[list[Seg], list[list[Seg]]],
) -> None:
    segments, batches = delivery
    with sandbox(attach=False) as box:
        for each in batches:
            result: IngestResult = store(box).ingest(batch(*each))
            assert not result.failed_items
        assert counters(box) == expected_counters(segments)
