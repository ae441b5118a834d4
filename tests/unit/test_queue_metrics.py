"""Queue metrics for escalation: flow parameters, the wait estimate, queue ARNs, rate limit and cache.

No AWS here: `ConnectQueueMetrics` gets a stub client. GetCurrentMetricData is also faked in the
sandbox (moto lacks it); tests/integration/test_connect_metrics_fake.py runs it through botocore.
"""

from __future__ import annotations

import math
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.validate import validate_parameters

from lambdas.escalation.connect_metrics import (
    CONNECT_ERROR,
    RATE_LIMITED,
    THROTTLE_BACKOFF_SECONDS,
    THROTTLED,
    UNKNOWN_QUEUE,
    ConnectQueueMetrics,
    parse_metric_results,
)
from lambdas.escalation.queue_metrics import (
    QueueRef,
    QueueSnapshot,
    estimate_wait_seconds,
    parse_instance_arn,
    parse_queue_arn,
    queue_ids,
    snapshot_from_flow,
)

INSTANCE = "00000000-0000-4000-8000-000000000000"
INSTANCE_ARN = f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE}"
QUEUES = {"general": "queue-general", "billing": "queue-billing"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def grouped_answer(queue_id: str, **values: float | None) -> dict[str, Any]:
    """A GetCurrentMetricData answer grouped by QUEUE and CHANNEL, as Connect sends it."""
    names = {
        "AGENTS_AVAILABLE": ("agents_available", "COUNT"),
        "AGENTS_STAFFED": ("agents_staffed", "COUNT"),
        "CONTACTS_IN_QUEUE": ("contacts_in_queue", "COUNT"),
        "OLDEST_CONTACT_AGE": ("oldest_contact_age", "SECONDS"),
    }
    return {
        "MetricResults": [
            {
                "Dimensions": {
                    "Queue": {"Id": queue_id, "Arn": f"{INSTANCE_ARN}/queue/{queue_id}"},
                    "Channel": "VOICE",
                },
                "Collections": [
                    {"Metric": {"Name": name, "Unit": unit}, "Value": values.get(field, 0.0)}
                    for name, (field, unit) in names.items()
                ],
            }
        ]
    }


class StubConnect:
    """Answers get_current_metric_data from a queue of outcomes (dict answer or exception)."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[dict[str, Any]] = []

    def get_current_metric_data(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        queue_id = request["Filters"]["Queues"][0]
        outcome = self.outcomes.pop(0) if self.outcomes else grouped_answer(queue_id, agents_available=1)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome  # type: ignore[no-any-return]


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "GetCurrentMetricData",
    )


def metrics(
    stub: StubConnect, clock: FakeClock, *, rps: float = 1.0, burst: int = 2, ttl: float = 5.0
) -> ConnectQueueMetrics:
    return ConnectQueueMetrics(
        stub, INSTANCE, QUEUES, requests_per_second=rps, burst=burst, cache_ttl_seconds=ttl, clock=clock
    )


# --- snapshot_from_flow -----------------------------------------------------------------------


def test_the_flows_four_metrics_become_a_flow_snapshot() -> None:
    # Given the flow passed all four queue metrics as strings
    values = {
        "agentsAvailable": "1",
        "agentsStaffed": "4",
        "contactsInQueue": " 3 ",
        "oldestContactAgeSeconds": "42.5",
    }
    # When they are read
    snapshot = snapshot_from_flow(values)
    # Then each is a number and the source is the flow
    assert snapshot == QueueSnapshot(1.0, 4.0, 3.0, 42.5, "flow")


@pytest.mark.parametrize("bad", ["", "abc", "-1", "nan", "inf", "-inf", "1e400", "1,5"])
def test_a_malformed_flow_value_counts_as_missing_and_keeps_the_others(bad: str) -> None:
    # Given one malformed value beside a good one
    values = {"agentsAvailable": bad, "contactsInQueue": "2"}
    # When they are read
    snapshot = snapshot_from_flow(values)
    # Then the malformed one is unknown and the good one is kept
    assert snapshot == QueueSnapshot(None, None, 2.0, None, "flow")


@pytest.mark.parametrize(
    "values",
    [{}, {"agentsAvailable": "", "agentsStaffed": "x"}, {"unrelated": "5"}, {"contactsInQueue": "-3"}],
)
def test_no_usable_flow_metric_gives_no_snapshot(values: dict[str, str]) -> None:
    # Given the flow passed no usable queue metric, When read, Then there is no snapshot at all
    assert snapshot_from_flow(values) is None


# --- estimate_wait_seconds --------------------------------------------------------------------

# (available, staffed, waiting, oldest, average handle, expected)
ESTIMATES = [
    (2, 5, 0, 0, 300, 0.0),  # an agent is free and nobody waits
    (1, 1, None, 0, 300, 0.0),  # count unknown, oldest age 0: nobody waits
    (0, 5, 0, 0, 300, 60.0),  # nobody waits but nobody is free: (0+1)*300/5
    (0, 3, 5, 30, 300, 600.0),  # (5+1)*300/3 = 600 > 30
    (0, 4, 1, 500, 240, 500.0),  # the oldest contact (500) beats (1+1)*240/4 = 120
    (2, 4, 3, 10, 200, 200.0),  # agents free but people wait: (3+1)*200/4
    (0, 0, 2, 0, 180, 540.0),  # nobody staffed: assume one agent, (2+1)*180/1
    (0, None, 2, None, 180, 540.0),  # staffed unknown, none available: one agent
    (3, None, 5, None, 120, 240.0),  # staffed unknown: the available agents, (5+1)*120/3
    (0, 0.5, 1, 0, 100, 200.0),  # fractional agents never divide by less than 1
    (None, None, None, 45, 300, 300.0),  # only the oldest age: max(45, (0+1)*300/1)
    (1, 2, 0, 0, math.nan, 0.0),  # a nonsense handle time never produces NaN
    (0, 2, 3, 20, -100, 20.0),  # a negative handle time counts as 0
]


@pytest.mark.parametrize(("available", "staffed", "waiting", "oldest", "aht", "expected"), ESTIMATES)
def test_estimated_wait(
    available: float | None,
    staffed: float | None,
    waiting: float | None,
    oldest: float | None,
    aht: float,
    expected: float,
) -> None:
    # Given a queue snapshot and an average handle time
    snapshot = QueueSnapshot(available, staffed, waiting, oldest, "connect")
    # When the wait is estimated, Then it follows the documented formula
    assert estimate_wait_seconds(snapshot, aht) == pytest.approx(expected)


@pytest.mark.parametrize(
    "snapshot",
    [None, QueueSnapshot(2, 5, None, None, "connect"), QueueSnapshot(None, None, None, None, "connect")],
)
def test_the_wait_is_unknown_without_a_queue_length_or_an_oldest_age(snapshot: QueueSnapshot | None) -> None:
    # Given no snapshot, or one that says nothing about who waits, Then the wait is unknown
    assert estimate_wait_seconds(snapshot, 300) is None


# --- ARNs ---------------------------------------------------------------------------------------


def test_a_queue_arn_gives_its_instance_and_queue_ids() -> None:
    # Given a queue ARN, When parsed, Then it names the instance and the queue
    ref = parse_queue_arn(f"{INSTANCE_ARN}/queue/11111111-2222-4333-8444-555555555555")
    assert ref == QueueRef(INSTANCE, "11111111-2222-4333-8444-555555555555")
    instance_id, queue_id = ref
    assert (instance_id, queue_id) == (INSTANCE, "11111111-2222-4333-8444-555555555555")
    assert parse_instance_arn(INSTANCE_ARN) == INSTANCE


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "queue-general",
        INSTANCE_ARN,  # an instance, not a queue
        f"{INSTANCE_ARN}/queue/",
        f"{INSTANCE_ARN}/queue/a/b",
        f"{INSTANCE_ARN}/contact-flow/abc",
        "arn:aws:lambda:us-east-1:123456789012:function:x",
        f"arn:aws:connect:us-east-1:12345:instance/{INSTANCE}/queue/q",
        f"arn:aws:connect::123456789012:instance/{INSTANCE}/queue/q",
        f" {INSTANCE_ARN}/queue/q",
    ],
)
def test_an_invalid_queue_arn_is_refused_in_one_clear_sentence(arn: str) -> None:
    # Given something that is not a queue ARN, When parsed, Then a ValueError says what is expected
    with pytest.raises(ValueError, match=r"^a queue ARN must look like arn:aws:connect:") as raised:
        parse_queue_arn(arn)
    assert str(raised.value).count(". ") == 0


def test_an_invalid_instance_arn_is_refused() -> None:
    # Given a queue ARN where an instance ARN is expected, Then it is refused
    with pytest.raises(ValueError, match=r"^an instance ARN must look like"):
        parse_instance_arn(f"{INSTANCE_ARN}/queue/q")


def test_queue_ids_must_all_belong_to_the_configured_instance() -> None:
    # Given queue ARNs of the configured instance, Then each name maps to its queue id
    arns = {name: f"{INSTANCE_ARN}/queue/{qid}" for name, qid in QUEUES.items()}
    assert queue_ids(arns, INSTANCE) == QUEUES
    # Given one queue of another instance, Then it is refused, naming the queue
    other = {"general": "arn:aws:connect:us-east-1:123456789012:instance/other-instance/queue/q"}
    with pytest.raises(ValueError, match="'general' belongs to instance other-instance"):
        queue_ids(other, INSTANCE)


# --- ConnectQueueMetrics ------------------------------------------------------------------------


def test_the_request_is_valid_for_the_connect_model_and_grouped_so_the_age_is_in_seconds() -> None:
    # Given a metrics reader
    stub = StubConnect()
    reader = metrics(stub, FakeClock())
    # When it asks for a queue
    request = reader.request("queue-general")
    # Then the request satisfies botocore's model, filters one queue on VOICE and groups by queue
    # and channel (ungrouped, Connect returns OLDEST_CONTACT_AGE in milliseconds)
    model = botocore.session.get_session().get_service_model("connect")
    validate_parameters(request, model.operation_model("GetCurrentMetricData").input_shape)
    assert request["Filters"] == {"Queues": ["queue-general"], "Channels": ["VOICE"]}
    assert request["Groupings"] == ["QUEUE", "CHANNEL"]
    assert {(m["Name"], m["Unit"]) for m in request["CurrentMetrics"]} == {
        ("AGENTS_AVAILABLE", "COUNT"),
        ("AGENTS_STAFFED", "COUNT"),
        ("CONTACTS_IN_QUEUE", "COUNT"),
        ("OLDEST_CONTACT_AGE", "SECONDS"),
    }


def test_a_fresh_snapshot_comes_from_connect_then_from_the_cache_until_the_ttl() -> None:
    # Given Connect reports 4 waiting on billing
    clock = FakeClock()
    stub = StubConnect(
        grouped_answer("queue-billing", agents_available=0, agents_staffed=3, contacts_in_queue=4),
        grouped_answer("queue-billing", agents_available=1, agents_staffed=3, contacts_in_queue=0),
    )
    reader = metrics(stub, clock, burst=5)
    # When billing is read twice inside the TTL
    first = reader.snapshot("billing")
    clock.now += 4.9
    second = reader.snapshot("billing")
    # Then one call was made, and the second answer is the cached one
    assert first == QueueSnapshot(0.0, 3.0, 4.0, 0.0, "connect")
    assert second == QueueSnapshot(0.0, 3.0, 4.0, 0.0, "cache")
    assert len(stub.requests) == 1
    assert reader.last_problem == ""
    # When the TTL has passed, Then Connect is asked again
    clock.now += 0.2
    assert reader.snapshot("billing") == QueueSnapshot(1.0, 3.0, 0.0, 0.0, "connect")
    assert len(stub.requests) == 2


def test_the_token_bucket_allows_a_burst_then_one_call_per_refill() -> None:
    # Given 1 request per second, a burst of 2, and no cache
    clock = FakeClock()
    stub = StubConnect()
    reader = metrics(stub, clock, rps=1.0, burst=2, ttl=0)
    # When three snapshots are asked for at once
    answers = [reader.snapshot("general") for _ in range(3)]
    # Then two calls are made and the third is refused by our own limit, without a call
    assert [a is not None for a in answers] == [True, True, False]
    assert reader.last_problem == RATE_LIMITED
    assert len(stub.requests) == 2
    # When half a second passes, Then still no token; after a full second, one more call
    clock.now += 0.5
    assert reader.snapshot("general") is None
    clock.now += 0.5
    assert reader.snapshot("general") is not None
    assert reader.snapshot("general") is None
    assert len(stub.requests) == 3
    # When a long idle time passes, Then the bucket holds at most the burst
    clock.now += 3600
    assert [reader.snapshot("general") is not None for _ in range(3)] == [True, True, False]


def test_a_throttled_call_empties_the_bucket_for_a_back_off() -> None:
    # Given Connect throttles the first call, with tokens to spare in the bucket
    clock = FakeClock()
    stub = StubConnect(client_error("ThrottlingException", 429))
    reader = metrics(stub, clock, rps=1.0, burst=5, ttl=0)
    # When a snapshot is asked for
    assert reader.snapshot("general") is None
    # Then it says THROTTLED, and no call is made until the back-off and one refill have passed
    assert (reader.last_problem, reader.last_error) == (THROTTLED, "ThrottlingException")
    clock.now += THROTTLE_BACKOFF_SECONDS + 0.5
    assert reader.snapshot("general") is None
    assert reader.last_problem == RATE_LIMITED
    assert len(stub.requests) == 1
    clock.now += 0.5
    assert reader.snapshot("general") is not None
    assert reader.last_problem == ""


@pytest.mark.parametrize(
    ("failure", "problem", "error"),
    [
        (client_error("TooManyRequestsException", 429), THROTTLED, "TooManyRequestsException"),
        (client_error("InternalServiceException", 500), CONNECT_ERROR, "InternalServiceException"),
        (client_error("AccessDeniedException", 403), CONNECT_ERROR, "AccessDeniedException"),
        (ReadTimeoutError(endpoint_url="https://connect"), CONNECT_ERROR, "ReadTimeoutError"),
        (TimeoutError(), CONNECT_ERROR, "TimeoutError"),
        (RuntimeError("bug"), CONNECT_ERROR, "RuntimeError"),
    ],
)
def test_a_failed_call_is_none_with_a_reason_and_never_raises(
    failure: Exception, problem: str, error: str
) -> None:
    # Given Connect (or the network) fails, When a snapshot is asked for
    reader = metrics(StubConnect(failure), FakeClock())
    snapshot = reader.snapshot("general")
    # Then there is no snapshot, the reason is recorded, and nothing was raised
    assert snapshot is None
    assert (reader.last_problem, reader.last_error) == (problem, error)


def test_a_malformed_answer_is_a_connect_error_not_an_exception() -> None:
    # Given Connect answers something that is not a GetCurrentMetricData document
    reader = metrics(StubConnect({"MetricResults": "nonsense"}), FakeClock())
    # When read, Then it is CONNECT_ERROR, never an exception
    assert reader.snapshot("general") is None
    assert reader.last_problem == CONNECT_ERROR


def test_an_unknown_queue_makes_no_call_and_spends_no_token() -> None:
    # Given a reader with a burst of 1
    stub = StubConnect()
    reader = metrics(stub, FakeClock(), burst=1)
    # When a queue it does not know is asked for
    assert reader.snapshot("nowhere") is None
    # Then it says so without a call, and the known queue still gets the one token
    assert reader.last_problem == UNKNOWN_QUEUE
    assert stub.requests == []
    assert reader.snapshot("general") is not None


def test_failures_are_not_cached() -> None:
    # Given Connect fails once, then answers
    clock = FakeClock()
    stub = StubConnect(client_error("InternalServiceException", 500))
    reader = metrics(stub, clock, burst=2)
    # When asked twice, Then the second call reaches Connect and answers
    assert reader.snapshot("general") is None
    assert reader.snapshot("general") is not None
    assert len(stub.requests) == 2


# --- parse_metric_results -----------------------------------------------------------------------


def test_an_empty_answer_means_unknown_not_zero() -> None:
    # Given Connect has no data for the queue, Then every value is unknown (and so is the wait)
    snapshot = parse_metric_results({"MetricResults": []}, "queue-general")
    assert snapshot == QueueSnapshot(None, None, None, None, "connect")
    assert estimate_wait_seconds(snapshot, 300) is None


def test_null_values_and_other_queues_are_ignored() -> None:
    # Given an answer with another queue first and a null value for ours
    other = grouped_answer("queue-other", agents_available=9)["MetricResults"][0]
    ours = grouped_answer("queue-general", agents_available=None, contacts_in_queue=2, oldest_contact_age=30)
    answer = {"MetricResults": [other, *ours["MetricResults"]]}
    # When parsed for our queue, Then only our values count and null is unknown
    assert parse_metric_results(answer, "queue-general") == QueueSnapshot(None, 0.0, 2.0, 30.0, "connect")


def test_forget_drops_the_cache_and_refills_the_bucket_as_a_new_container_would() -> None:
    # Given a cached billing snapshot and an empty bucket (burst 1)
    clock = FakeClock()
    stub = StubConnect(
        grouped_answer("queue-billing", agents_available=0, agents_staffed=3, contacts_in_queue=4),
        grouped_answer("queue-billing", agents_available=2, agents_staffed=3, contacts_in_queue=0),
    )
    reader = metrics(stub, clock, rps=0.001, burst=1)
    assert reader.snapshot("billing") == QueueSnapshot(0.0, 3.0, 4.0, 0.0, "connect")
    assert reader.snapshot("billing") == QueueSnapshot(0.0, 3.0, 4.0, 0.0, "cache")
    # When the sandbox changes the load and the metrics forget, at the same moment
    reader.forget()
    # Then Connect is asked again (no cache, a token again) and the new figures are seen
    assert reader.snapshot("billing") == QueueSnapshot(2.0, 3.0, 0.0, 0.0, "connect")
    assert len(stub.requests) == 2
