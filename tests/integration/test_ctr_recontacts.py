"""Recontacts through the real ctr_ingest on the sandbox: each earlier contact flagged exactly once.

A contact is recontacted when its caller starts another inbound contact within 72 hours after it
(lambdas/ctr_ingest/recontacts.py); the flag counts on the earlier contact's day and dimensions,
whatever order, duplication, batching or racing the records arrive with.
"""

from __future__ import annotations

import itertools
import json
import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.ctr_ingest.call_counters import CounterStore
from lambdas.ctr_ingest.contact_record import parse_record
from lambdas.ctr_ingest.handler import make_codec
from lambdas.shared.keyed_hash import CALLER, KeyedHasher
from tandem.local import Sandbox, sandbox
from tandem.local.faults import Fault
from tandem.local.provision import SANDBOX_ONLY_KEYED_HASH_SECRET
from tests.integration.test_ctr_call_counters import RacingClient
from tests.integration.test_ctr_ingest_handler import kinesis_event
from tests.unit.test_ctr_classify import ctr

X, Y = "+12025550101", "+12025550102"  # two callers
SELF_SERVED = {"tandemOutcome": "SELF_SERVED", "route": "SELF_SERVICE", "intent": "ORDER_STATUS"}
NEW_YORK = ZoneInfo("America/New_York")  # the sandbox centre's time zone


def contact(
    n: int,
    caller: str | None,
    start: str,
    *,
    method: str = "INBOUND",
    initial: int | None = None,
    attributes: dict[str, str] | None = None,
    updated_minutes: int = 10,
    endpoint_type: str = "TELEPHONE_NUMBER",
    channel: str = "VOICE",
) -> dict[str, Any]:
    """A contact record by `caller` (None: no customer endpoint), started at `start` (UTC)."""
    begun = datetime.fromisoformat(start.replace("Z", "+00:00"))
    updated = (begun + timedelta(minutes=updated_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = ctr(
        contact_id(n),
        start=start,
        updated=updated,
        method=method,
        initial=None if initial is None else contact_id(initial),
        previous=None if initial is None else contact_id(initial),
        attributes=SELF_SERVED if attributes is None else attributes,
    )
    record["Channel"] = channel
    record["CustomerEndpoint"] = None if caller is None else {"Address": caller, "Type": endpoint_type}
    return record


def contact_id(n: int) -> str:
    return f"a1b2c3d4-0000-4000-8000-{n:012d}"


def all_counters(box: Sandbox) -> dict[tuple[str, str, str], dict[str, int]]:
    """Every counter item that is not all zero: (dimension, day, value) → nonzero counters."""
    found = {}
    for item in scan(box):
        if item["pk"]["S"].startswith("DIM#"):
            day, _, value = item["sk"]["S"].partition("#")
            nonzero = {k: int(v["N"]) for k, v in item.items() if "N" in v and int(v["N"])}
            if nonzero:
                found[(item["pk"]["S"].removeprefix("DIM#"), day, value)] = nonzero
    return found


def scan(box: Sandbox, table: str = "METRICS_TABLE") -> list[dict[str, Any]]:
    pages = box.client("dynamodb").get_paginator("scan").paginate(TableName=box.table_names[table])
    return [item for page in pages for item in page["Items"]]


def recontacted(box: Sandbox, dimension: str = "all") -> dict[tuple[str, str], int]:
    """(day, value) → recontacted, for every item of the dimension that counts any."""
    return {
        (day, value): counts["recontacted"]
        for (dim, day, value), counts in all_counters(box).items()
        if dim == dimension and counts.get("recontacted")
    }


def ingest(box: Sandbox, *records: dict[str, Any]) -> None:
    assert box.invoke("ctr_ingest", kinesis_event(*records)) == {"batchItemFailures": []}


def ingest_in_batches(box: Sandbox, delivered: list[dict[str, Any]], cuts: list[int]) -> None:
    """The records in order, one Kinesis batch between each two cuts (empty batches skipped)."""
    bounds = sorted(cuts)
    for start, end in zip([0, *bounds], [*bounds, len(delivered)], strict=True):
        if delivered[start:end]:
            ingest(box, *delivered[start:end])


def metric(box: Sandbox, name: str) -> float:
    """The value of one EMF metric of the last invocation (0 when it was not emitted)."""
    for line in box.last.metrics:
        if name in line:
            value = line[name]
            return float(value[0] if isinstance(value, list) else value)
    return 0.0


# --- the check ------------------------------------------------------------------------------

A = contact(1, X, "2025-03-04T14:00:00Z")  # Tuesday 09:00 in New York
B = contact(2, X, "2025-03-05T13:00:00Z", attributes=SELF_SERVED | {"intent": "BILLING"})  # 23 h later
C = contact(3, X, "2025-03-09T13:00:00Z")  # 96 h after B: outside every window
D = contact(4, Y, "2025-03-04T15:00:00Z", attributes=SELF_SERVED | {"intent": "BILLING"})  # another caller


def test_the_later_call_first_a_third_outside_the_window_another_caller_then_everything_again(
    box: Sandbox,
) -> None:
    ingest(box, C, B, D)  # the later call's record arrives first
    assert recontacted(box) == {}
    ingest(box, A)  # then the earlier one: B recontacts it
    assert (metric(box, "ContactsAdded"), metric(box, "RecontactsAdded"), metric(box, "ResolvedAdded")) == (
        1,
        1,
        0,
    )
    everything = [A, B, C, D, A, C]
    random.Random(18).shuffle(everything)
    ingest(box, *everything)  # redelivered, duplicated, shuffled
    assert (metric(box, "ContactsAdded"), metric(box, "RecontactsAdded")) == (0, 0)
    # Then exactly one recontact, on A's day and intent; A is contained but not resolved
    assert recontacted(box) == {("2025-03-04", "all"): 1}
    assert recontacted(box, "intent") == {("2025-03-04", "ORDER_STATUS"): 1}
    counts = all_counters(box)
    assert counts[("all", "2025-03-04", "all")] == {
        "contacts": 2,
        "contained": 2,
        "recontacted": 1,
        "resolved": 1,
    }
    assert counts[("intent", "2025-03-04", "BILLING")] == {"contacts": 1, "contained": 1, "resolved": 1}  # D
    assert counts[("all", "2025-03-05", "all")] == {"contacts": 1, "contained": 1, "resolved": 1}  # B
    assert counts[("all", "2025-03-09", "all")] == {"contacts": 1, "contained": 1, "resolved": 1}  # C


def test_in_order_the_later_call_flips_the_earlier_ones_counters(box: Sandbox) -> None:
    ingest(box, A)
    assert all_counters(box)[("all", "2025-03-04", "all")]["resolved"] == 1
    ingest(box, B)
    # B counts as a contact; A moves from resolved to recontacted, in the same transaction
    assert (metric(box, "ContactsAdded"), metric(box, "RecontactsAdded"), metric(box, "ResolvedAdded")) == (
        1,
        1,
        0,
    )
    assert all_counters(box)[("all", "2025-03-04", "all")] == {
        "contacts": 1,
        "contained": 1,
        "recontacted": 1,
    }


def test_a_chain_each_contact_recontacted_by_the_next(box: Sandbox) -> None:
    first = contact(1, X, "2025-03-04T14:00:00Z")
    second = contact(2, X, "2025-03-05T14:00:00Z")
    third = contact(3, X, "2025-03-06T14:00:00Z")  # within 72 h of both
    ingest(box, third)
    ingest(box, first, second)
    assert recontacted(box) == {("2025-03-04", "all"): 1, ("2025-03-05", "all"): 1}


def test_transfers_callbacks_and_outbound_calls_never_recontact(box: Sandbox) -> None:
    first = contact(1, X, "2025-03-04T14:00:00Z")
    transfer = contact(11, X, "2025-03-04T14:05:00Z", method="TRANSFER", initial=1)  # the same call
    callback = contact(2, X, "2025-03-04T16:00:00Z", method="CALLBACK")
    outbound = contact(3, X, "2025-03-05T10:00:00Z", method="OUTBOUND")
    api_voice = contact(4, X, "2025-03-05T11:00:00Z", method="API")  # API counts only on chat
    ingest(box, transfer, callback, outbound, api_voice, first)
    assert recontacted(box) == {}
    assert all_counters(box)[("all", "2025-03-04", "all")]["contacts"] == 2
    # An inbound call after all of them recontacts every contact of the window (each once)
    ingest(box, contact(5, X, "2025-03-05T12:00:00Z"))
    assert recontacted(box) == {("2025-03-04", "all"): 2, ("2025-03-05", "all"): 2}


def test_a_chat_recontacts_by_the_crm_customer_id(box: Sandbox) -> None:
    crm = SELF_SERVED | {"customerId": "CUST-1001"}
    chat = contact(1, None, "2025-03-04T14:00:00Z", method="API", channel="CHAT", attributes=crm)
    again = contact(2, None, "2025-03-04T18:00:00Z", method="API", channel="CHAT", attributes=crm)
    stranger = contact(3, None, "2025-03-04T19:00:00Z", method="API", channel="CHAT")  # no customer id
    ingest(box, again, stranger, chat)
    assert recontacted(box) == {("2025-03-04", "all"): 1}


def test_withheld_anonymous_and_invalid_numbers_never_match_each_other(box: Sandbox) -> None:
    hidden = ("anonymous", "Restricted", "+266696687", "", "12025550101", "+1-202-555-0101", "+0123456789")
    records = [contact(n, address, f"2025-03-04T{10 + n}:00:00Z") for n, address in enumerate(hidden)]
    records.append(contact(20, None, "2025-03-04T22:00:00Z"))  # no endpoint, no customer id
    ingest(box, *records)
    ingest(box, *reversed(records))
    assert all_counters(box)[("all", "2025-03-04", "all")]["contacts"] == len(records)
    assert recontacted(box) == {}
    assert not [item for item in scan(box) if item["pk"]["S"].startswith("CALLER#")]


def test_the_earlier_record_arriving_after_the_window_still_counts(box: Sandbox) -> None:
    later = contact(2, X, "2025-03-06T14:00:00Z")
    ingest(box, later)
    ingest(box, contact(3, X, "2025-03-07T08:00:00Z"))  # the caller rings again, the index moves on
    # Days later (past the window after `later`) the earliest record finally arrives: 71 h before
    ingest(box, contact(1, X, "2025-03-03T15:00:00Z"))
    assert recontacted(box) == {("2025-03-03", "all"): 1, ("2025-03-06", "all"): 1}


def test_no_phone_number_is_stored_in_any_table(box: Sandbox) -> None:
    ingest(box, C, B, D, A, contact(9, "+442079460958", "2025-03-04T16:00:00Z"))
    # Every table but the CRM's Customers (which holds its customers' numbers by design, and which
    # ctr_ingest may not write: tests/infra/test_infra_least_privilege.py)
    dumped = json.dumps([scan(box, table) for table in box.table_names if table != "CUSTOMERS_TABLE"])
    assert "CALLER#" in dumped and '"states"' in dumped  # what was scanned holds the index and states
    for number in (X, Y, "+442079460958"):
        digits = number.lstrip("+")
        assert digits not in dumped and digits[-7:] not in dumped
    index = [item for item in scan(box) if item["pk"]["S"].startswith("CALLER#")]
    assert len(index) == 3  # one per caller, keyed by the keyed hash
    # Holding single-segment calls' states, kept as long as a call's own state item (no TTL)
    assert all("states" in item and "expiresAt" not in item for item in index)


def test_without_the_keyed_hash_secret_no_record_is_counted_until_it_can_be_read() -> None:
    denied = Fault("secrets-manager", "GetSecretValue", error_code="AccessDeniedException", status=400)
    with sandbox(attach=False) as box:
        with box.fault(denied), pytest.raises(Exception, match="ACCESS_DENIED"):
            box.invoke("ctr_ingest", kinesis_event(A, B))  # the invocation fails: Lambda retries it
        assert all_counters(box) == {}
        ingest(box, A, B)  # the retry, once the secret can be read
        assert recontacted(box) == {("2025-03-04", "all"): 1}


# --- any order, any batches ------------------------------------------------------------------------

SMALL = [
    contact(1, X, "2025-03-04T14:00:00Z"),
    contact(2, X, "2025-03-05T14:00:00Z"),
    contact(21, X, "2025-03-05T14:04:00Z", method="TRANSFER", initial=2, updated_minutes=20),
    contact(3, X, "2025-03-06T14:00:00Z"),
    contact(4, Y, "2025-03-04T16:00:00Z"),
]
SMALL_RECONTACTED = {("2025-03-04", "all"): 1, ("2025-03-05", "all"): 1}


def wipe(box: Sandbox) -> None:
    client = box.client("dynamodb")
    for item in scan(box):
        client.delete_item(
            TableName=box.table_names["METRICS_TABLE"], Key={"pk": item["pk"], "sk": item["sk"]}
        )


def test_every_arrival_order_one_record_a_batch_gives_the_same_counters() -> None:
    with sandbox(attach=False) as box:
        ingest(box, *SMALL)
        expected = all_counters(box)
        assert recontacted(box) == SMALL_RECONTACTED
        for order in itertools.permutations(SMALL[:4]):  # the caller's four records: 24 orders
            wipe(box)
            for record in [*order, SMALL[4]]:
                ingest(box, record)
            assert all_counters(box) == expected, order


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=st.permutations(range(len(SMALL))),
    duplicates=st.lists(st.integers(0, len(SMALL) - 1), max_size=4),
    cuts=st.lists(st.integers(0, len(SMALL) + 4), max_size=3),
)
def test_any_order_duplicates_and_batch_splits_give_the_same_counters(
    order: list[int], duplicates: list[int], cuts: list[int]
) -> None:
    delivered = [SMALL[i] for i in order] + [SMALL[i] for i in duplicates]
    with sandbox(attach=False) as box:
        ingest_in_batches(box, delivered, cuts)
        assert recontacted(box) == SMALL_RECONTACTED
        assert all_counters(box)[("all", "2025-03-04", "all")]["contacts"] == 2


# --- racing writers, and the cost --------------------------------------------------------------------

HASHER = KeyedHasher.from_secret_string(SANDBOX_ONLY_KEYED_HASH_SECRET)


def parsed(*records: dict[str, Any]) -> list[tuple[str, Any]]:
    hash_caller = lambda value: HASHER.digest(CALLER, value)  # noqa: E731
    return [(f"seq-{i}", parse_record(json.dumps(r), hash_caller)) for i, r in enumerate(records)]


def store(box: Sandbox, client: Any = None) -> CounterStore[Any]:
    codec = make_codec(NEW_YORK, 20)
    return CounterStore(client or box.client("dynamodb"), box.table_names["METRICS_TABLE"], codec)


def test_a_racing_writer_for_the_same_caller_still_counts_each_recontact_once(box: Sandbox) -> None:
    first, second, third = (contact(n, X, f"2025-03-0{3 + n}T14:00:00Z") for n in (1, 2, 3))
    assert not store(box).ingest(parsed(first)).failed_items

    # Ours brings the second call; between our read and our write a rival counts the third
    def rival() -> None:
        assert not store(box).ingest(parsed(third)).failed_items

    result = store(box, RacingClient(box, rival)).ingest(parsed(second))
    assert not result.failed_items and result.applied == 1
    # read, write refused (the rival won); read, write: the first call's state is in the caller item
    assert result.dynamodb_calls == 4
    assert recontacted(box) == {("2025-03-04", "all"): 1, ("2025-03-05", "all"): 1}
    assert all_counters(box)[("all", "2025-03-06", "all")] == {"contacts": 1, "contained": 1, "resolved": 1}


INTENTS = ("ORDER_STATUS", "RETURN_POLICY", "BILLING_DISPUTE", "COMPLAINT")
RULES = ("routine-self-service", "vip-customer", "repeat-caller", "default")


def varied(n: int, caller: str, start: datetime) -> dict[str, Any]:
    """A single-segment call with the dimensions of a live stream: four intents, four rules, two
    variants, two routes, so a batch moves about as many counters as production's."""
    attributes = {
        "tandemOutcome": "SELF_SERVED" if n % 3 else "QUEUED",
        "route": "SELF_SERVICE" if n % 3 else "AGENT",
        "intent": INTENTS[n % 4],
        "ruleId": RULES[n // 4 % 4],
        "variant": "challenger" if n % 5 == 0 else "champion",
        "experimentId": "exp-2026-12",
    }
    return contact(n, caller, start.strftime("%Y-%m-%dT%H:%M:%SZ"), attributes=attributes)


def test_a_hundred_records_of_a_hundred_callers_cost_one_read_and_two_writes(box: Sandbox) -> None:
    # Given 100 single-segment calls of 100 callers within 48 minutes, as the live stream delivers them
    begin = datetime.fromisoformat("2025-03-04T14:00:00+00:00")
    records = [varied(n, f"+1202555{n:04d}", begin + timedelta(seconds=29 * n)) for n in range(100)]
    result = store(box).ingest(parsed(*records))
    assert result.applied == 100 and not result.failed_items
    # Each call's state is in its caller's item: 100 keys (one BatchGetItem), 100 Puts and the
    # counters (two transactions)
    assert result.dynamodb_calls <= 3, result
    items = scan(box)
    assert len([i for i in items if i["pk"]["S"].startswith("CALLER#")]) == 100
    assert not [i for i in items if i["pk"]["S"].startswith("CALL#")]
    assert all_counters(box)[("all", "2025-03-04", "all")]["contacts"] == 100


def test_a_hundred_records_of_fifty_callers_recontacting_their_calls_cost_at_most_three_calls(
    box: Sandbox,
) -> None:
    # Given 50 callers' calls yesterday, counted
    begin = datetime.fromisoformat("2025-03-04T14:00:00+00:00")
    numbers = [f"+1202555{n:04d}" for n in range(50)]
    assert not store(box).ingest(parsed(*(varied(n, numbers[n], begin) for n in range(50)))).failed_items
    # When each rings twice today, 100 records in one batch
    today = begin + timedelta(days=1)
    records = [varied(100 + n, numbers[n % 50], today + timedelta(seconds=29 * n)) for n in range(100)]
    result = store(box).ingest(parsed(*records))
    # Then every earlier call is flipped in the same caller item as the calls that recontact it
    assert result.applied == 100 and not result.failed_items
    assert result.dynamodb_calls <= 3, result
    assert recontacted(box) == {("2025-03-04", "all"): 50, ("2025-03-05", "all"): 50}
    assert all_counters(box)[("all", "2025-03-05", "all")]["contacts"] == 100


def test_a_batch_of_a_hundred_calls_from_two_numbers_counts_as_the_calls_one_by_one() -> None:
    # Given 100 calls from two numbers over four days, out of order: one caller's calls, its index and
    # the calls they flip would be far more than one transaction's 100 actions
    rng = random.Random(3)
    numbers = ("+12025550143", "+12025550144")
    records = [
        contact(
            n,
            rng.choice(numbers),
            f"2025-03-0{rng.randint(3, 6)}T{rng.randint(10, 20)}:{rng.randint(10, 59)}:00Z",
        )
        for n in range(1, 101)
    ]
    # When they arrive in one batch
    with sandbox(attach=False) as box:
        result = store(box).ingest(parsed(*records))
        in_one_batch = recontacted(box)
    # Then every call counts, in rounds of ten calls per caller
    assert (result.applied, result.failed_items) == (100, set())
    assert result.dynamodb_calls > 5
    # And the recontacts are those of the calls sent one at a time: all but each number's last call
    with sandbox(attach=False) as one_by_one:
        for record in records:
            assert not store(one_by_one).ingest(parsed(record)).failed_items
        assert in_one_batch == recontacted(one_by_one)
    assert sum(in_one_batch.values()) == 98
