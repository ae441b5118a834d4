"""ctr_ingest, fed generated Kinesis batches: malformed records are refused, good ones count once.

A batch mixes good contact trace records (several versions and segments of real-looking calls),
odd but countable ones (wrong types where the parser is forgiving: Attributes, codes, endpoints,
unknown fields; null Queue, Agent, durations and times), exact duplicates of both, and malformed
data: random bytes, text that is not JSON, JSON that is not an object, objects without ContactId or
LastUpdateTimestamp, ids and timestamps of the wrong type or format or off the calendar's ends,
numbers too long to read, an Agent or Queue that is not an object, durations that are negative,
not numbers or absurd, a disconnect before the initiation. For every batch the handler must:

- not raise, and report no batch item failure (no fault is injected: nothing is worth a retry;
  a malformed record reported as failed would be delivered again forever and hold the shard);
- log "contact record refused" exactly once per malformed record, without its content;
- leave the Metrics table's counters exactly as ingesting only the good records once does.

One sandbox per test function; the Metrics table is emptied before each example and its reference.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.local import Sandbox
from tests.integration.test_ctr_ingest_handler import (
    AGENT,
    AGENT_ATTRIBUTES,
    QUEUE,
    VERSIONED,
    call,
    kinesis_event,
)
from tests.unit.test_ctr_classify import _stamp, ctr

INITIATION = datetime(2025, 3, 4, 14, 15, 1, tzinfo=UTC)  # ctr()'s default start

MALFORMED_LINE = "contact record refused"
CALLER_NUMBER = "+12025550143"  # every ctr() carries it as the CustomerEndpoint
FUZZ = settings(
    max_examples=50,  # two ingestions each (the batch, its reference): about 0.25 s an example
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- values ------------------------------------------------------------------------------------------

garbage_text = st.one_of(
    st.sampled_from(
        ["", " ", "\x00", "null", "nan", "😀" * 50, "\u202e", "2025-03-04", "14:15:01Z", "x" * 3000]
    ),
    st.text(max_size=40),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    garbage_text,
)
wild = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
# Looks like a time, is not one this function can use: out of shape, out of range, off the calendar.
BAD_TIMES = [
    "2025-03-04 14:15:01", "2025-03-04T14:15:01", "2025-13-01T00:00:00Z", "2025-02-30T10:00:00Z",
    "2025-03-04T25:00:00Z", "2025-03-04T14:15:01+24:00", "20250304T141501Z", "2025-03-04T14:15:01.Z",
    "\uff12\uff10\uff12\uff15-03-04T14:15:01Z", "0001-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:00:00-02:00", "9999-12-31T23:59:59.999999999Z", "0000-01-01T00:00:00Z",
    1741097701, 1741097701.5, True, [], {}, "",
]  # fmt: skip
BAD_IDS = ["", " ", "-starts-with-dash", "has space", "a/b", "x" * 257, "ß", "\ud800", 12, 1.5, True, [], {}]

# --- good records ------------------------------------------------------------------------------------

# Odd but countable: where the parser is forgiving, any value reads as missing or as no code.
FORGIVING = [
    ("Attributes",),
    ("Channel",),
    ("InitiationMethod",),
    ("DisconnectReason",),
    ("TransferredToEndpoint",),
    ("CustomerEndpoint",),
    ("Recording",),
    ("MediaStreams",),
    ("NextContactId",),
    ("Queue", "Name"),
    ("Attributes", "csat"),
    ("Attributes", "route"),
    ("Attributes", "intent"),
    ("Attributes", "reasons"),
    ("Attributes", "queue"),
    ("Attributes", "tandemOutcome"),
    ("SomethingNew",),
]
# Strict members: null is countable (no queue, no agent, not measured), anything wrong is refused.
DURATIONS = [
    ("Queue", "Duration"),
    ("Agent", "AgentInteractionDuration"),
    ("Agent", "CustomerHoldDuration"),
    ("Agent", "AfterContactWorkDuration"),
    ("Agent", "LongestHoldDuration"),
]
NESTED_TIMES = [
    ("Queue", "EnqueueTimestamp"),
    ("Queue", "DequeueTimestamp"),
    ("Agent", "ConnectedToAgentTimestamp"),
]
NULLABLE = [("Queue",), ("Agent",), ("DisconnectTimestamp",), *DURATIONS, *NESTED_TIMES]
# Wrong for a duration: negative, not a number (text, booleans, NaN, containers), beyond 30 days.
BAD_DURATIONS = st.one_of(
    st.integers(max_value=-1),
    st.floats(max_value=-0.001),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), True, False, [], {}, "45", "", "x"]),
    st.integers(min_value=30 * 24 * 3600 + 1),
    garbage_text,
)  # fmt: skip


def changed(record: dict[str, Any], changes: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    for path, value in changes:
        parent: Any = record
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent[path[-1]] = value
    return record


def full_call(number: int) -> dict[str, Any]:
    return call(
        number,
        queue=copy.deepcopy(QUEUE),
        agent=copy.deepcopy(AGENT),
        attributes=AGENT_ATTRIBUTES | {"csat": "4", "queue": "general"},
    )


def odd_record(number: int, changes: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    return changed(full_call(1000 + number), changes)


odd_changes = st.lists(
    st.tuples(st.sampled_from(FORGIVING), wild) | st.tuples(st.sampled_from(NULLABLE), st.none()),
    min_size=1,
    max_size=5,
)

# --- malformed records -------------------------------------------------------------------------------


def without(*names: str) -> dict[str, Any]:
    record = call(2000)
    for name in names:
        record.pop(name)
    return record


def not_json_object(value: Any) -> bytes:
    return json.dumps(value, default=str).encode("utf-8", "surrogatepass")


malformed = st.one_of(
    st.binary(max_size=200),  # a JSON object with an id and both times, by chance? never
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    wild.filter(lambda value: not isinstance(value, dict)).map(not_json_object),
    st.sampled_from(
        [
            without("ContactId"),
            without("LastUpdateTimestamp"),
            without("InitiationTimestamp", "ConnectedToSystemTimestamp"),
            call(2001) | {"ContactId": None},
            call(2002) | {"LastUpdateTimestamp": None},
            b'{"ContactId": "a", "InitiationTimestamp": ' + b"1" * 5000 + b"}",  # beyond int() parsing
            b"[" * 50_000,  # nested beyond the parser's recursion limit
            b'{"ContactId": "a1", "LastUpdateTimestamp": "2025-03-04T14:25:00Z"',  # cut short
            "\ufeff".encode() + json.dumps(call(2003)).encode(),  # a byte-order mark: not JSON
            b"\xff\xfe" + json.dumps(call(2004)).encode("utf-16-le"),
        ]
    ).map(lambda value: value if isinstance(value, bytes) else not_json_object(value)),
    st.builds(
        lambda name, value: not_json_object(call(2005) | {name: value}),
        st.sampled_from(["ContactId", "InitialContactId", "PreviousContactId"]),
        st.sampled_from(BAD_IDS),
    ),
    st.builds(
        lambda name, value: not_json_object(call(2006) | {name: value}),
        st.sampled_from(["LastUpdateTimestamp", "InitiationTimestamp", "DisconnectTimestamp"]),
        st.sampled_from(BAD_TIMES) | garbage_text,
    ),
    # Content that would mis-count the call: refused, however countable the rest looks
    st.builds(
        lambda name, value: not_json_object(full_call(2007) | {name: value}),
        st.sampled_from(["Agent", "Queue"]),
        wild.filter(lambda value: value is not None and not isinstance(value, dict)),
    ),
    st.builds(
        lambda path, value: not_json_object(changed(full_call(2008), [(path, value)])),
        st.sampled_from(DURATIONS),
        BAD_DURATIONS,
    ),
    st.builds(
        lambda path, value: not_json_object(changed(full_call(2009), [(path, value)])),
        st.sampled_from(NESTED_TIMES),
        st.sampled_from(BAD_TIMES) | garbage_text,
    ),
    st.builds(  # a disconnect up to a day before the initiation (2025-03-04T14:15:01Z)
        lambda seconds: not_json_object(
            full_call(2010) | {"DisconnectTimestamp": _stamp(INITIATION - timedelta(seconds=seconds))}
        ),
        st.integers(1, 86_400),
    ),
)

# --- the property ------------------------------------------------------------------------------------


def dynamodb(box: Sandbox) -> Any:
    if not hasattr(box, "_fuzz_dynamodb"):
        box._fuzz_dynamodb = box.client("dynamodb")  # type: ignore[attr-defined]
    return box._fuzz_dynamodb  # type: ignore[attr-defined]


def wipe_metrics(box: Sandbox) -> None:
    client, table = dynamodb(box), box.table_names["METRICS_TABLE"]
    scan = client.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression="#pk, #sk", ExpressionAttributeNames={"#pk": "pk", "#sk": "sk"}
    )
    keys = [key for page in scan for key in page["Items"]]
    for start in range(0, len(keys), 25):
        deletes = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
        client.batch_write_item(RequestItems={table: deletes})


def all_counters(box: Sandbox) -> dict[tuple[str, str], dict[str, int]]:
    client, table = dynamodb(box), box.table_names["METRICS_TABLE"]
    result: dict[tuple[str, str], dict[str, int]] = {}
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            if not item["pk"]["S"].startswith("DIM#"):
                continue  # a call's state: how it was counted, not what
            counts = {
                name: int(value["N"]) for name, value in item.items() if "N" in value and int(value["N"])
            }
            if counts:
                result[(item["pk"]["S"], item["sk"]["S"])] = counts
    return result


def ingest(box: Sandbox, records: list[dict[str, Any] | bytes]) -> dict[tuple[str, str], dict[str, int]]:
    """Ingest into an empty Metrics table; the counters it leaves."""
    wipe_metrics(box)
    if records:
        assert box.invoke("ctr_ingest", kinesis_event(*records)) == {"batchItemFailures": []}
    return all_counters(box)


@FUZZ
@given(
    good=st.lists(st.sampled_from(range(len(VERSIONED))), max_size=len(VERSIONED), unique=True),
    odd=st.lists(odd_changes, max_size=4),
    bad=st.lists(malformed, min_size=1, max_size=8),
    data=st.data(),
)
def test_malformed_records_are_skipped_and_good_ones_count_exactly_once(
    box: Sandbox,
    good: list[int],
    odd: list[list[tuple[tuple[str, ...], Any]]],
    bad: list[bytes],
    data: st.DataObject,
) -> None:
    countable: list[dict[str, Any] | bytes] = [VERSIONED[i] for i in good]
    countable += [odd_record(n, changes) for n, changes in enumerate(odd)]
    duplicates = data.draw(st.lists(st.sampled_from(countable), max_size=4)) if countable else []
    batch = data.draw(st.permutations([*countable, *duplicates, *bad]))
    expected = ingest(box, countable)

    wipe_metrics(box)
    event = kinesis_event(*batch)
    answer = box.invoke("ctr_ingest", event)  # re-raises whatever the handler raised

    assert answer == {"batchItemFailures": []}, answer
    skipped = [line for line in box.last.log_lines if line.get("message") == MALFORMED_LINE]
    assert len(skipped) == len(bad), [line.get("reason") for line in skipped]
    assert CALLER_NUMBER not in json.dumps(box.last.log_lines, ensure_ascii=False)
    assert all_counters(box) == expected
    # Every good call once: as many contacts as distinct calls, whatever the duplicates
    calls = {record["InitialContactId"] or record["ContactId"] for record in countable}  # type: ignore[index]
    assert sum(c.get("contacts", 0) for (pk, _), c in expected.items() if pk == "DIM#all") == len(calls)


def test_a_batch_of_only_malformed_records_is_skipped_not_retried(box: Sandbox) -> None:
    bad = [b"", b"not json", b"[]", b"{}", b"1" * 5000, json.dumps(ctr() | {"ContactId": 7}).encode()]
    assert box.invoke("ctr_ingest", kinesis_event(*bad)) == {"batchItemFailures": []}
    skipped = [line for line in box.last.log_lines if line.get("message") == MALFORMED_LINE]
    assert len(skipped) == len(bad)
    assert all_counters(box) == {}


def test_a_record_at_the_ends_of_the_calendar_is_skipped_and_the_rest_counted(box: Sandbox) -> None:
    """Found by the fuzzing above: such a time cannot be moved to the centre's time zone."""
    edges = [
        call(3001) | {"InitiationTimestamp": "9999-12-31T23:00:00-02:00"},
        call(3002) | {"InitiationTimestamp": "0001-01-01T00:00:00Z"},
        call(3003) | {"LastUpdateTimestamp": "0001-01-01T00:30:00+01:00"},
    ]
    answer = box.invoke("ctr_ingest", kinesis_event(call(1), *edges))
    assert answer == {"batchItemFailures": []}
    assert len([line for line in box.last.log_lines if line.get("message") == MALFORMED_LINE]) == len(edges)
    assert all_counters(box) == ingest(box, [call(1)])
