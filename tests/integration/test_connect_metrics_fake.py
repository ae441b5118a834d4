"""Queue metrics through the sandbox: botocore, the sandbox's hooks, and a fake GetCurrentMetricData.

GetCurrentMetricData is faked (`tandem.local.connect_fake`) because moto has no such operation;
everything around it is real: the client validates the request against the Connect model, the
fault hook can answer first, and the sandbox counts every request.
"""

from __future__ import annotations

import json
import os
from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters

from lambdas.escalation.connect_metrics import RATE_LIMITED, THROTTLED, UNKNOWN_QUEUE, ConnectQueueMetrics
from lambdas.escalation.queue_metrics import QueueSnapshot, parse_instance_arn, queue_ids
from lambdas.shared.aws import ClientLimits, make_client
from tandem.local import Sandbox
from tandem.local.faults import Fault

GET_METRICS = "connect.GetCurrentMetricData"
# As the escalation function makes it: one attempt, since a retried metrics call spends shared quota.
LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.6, max_attempts=1)


def connect_calls(box: Sandbox) -> int:
    return box.aws_calls.count(GET_METRICS)


def reader(box: Sandbox, client: Any = None, **options: Any) -> ConnectQueueMetrics:
    """ConnectQueueMetrics configured from the sandbox's environment, as the function would be."""
    instance_id = parse_instance_arn(os.environ["CONNECT_INSTANCE_ARN"])
    ids = queue_ids(json.loads(os.environ["QUEUE_ARNS"]), instance_id)
    return ConnectQueueMetrics(client or make_client("connect-slim", LIMITS), instance_id, ids, **options)


def test_the_sandbox_environment_names_the_demo_instance_and_its_queues(box: Sandbox) -> None:
    # Given a sandbox, Then the environment holds the demo instance and a compact queue map
    assert os.environ["CONNECT_INSTANCE_ARN"] == (
        "arn:aws:connect:us-east-1:123456789012:instance/00000000-0000-4000-8000-000000000000"
    )
    assert json.loads(os.environ["QUEUE_ARNS"]) == box.queue_arns
    assert " " not in os.environ["QUEUE_ARNS"]
    assert set(box.queue_arns) == {"general", "priority", "billing", "complaints", "callback"}
    assert all(
        arn.startswith(os.environ["CONNECT_INSTANCE_ARN"] + "/queue/") for arn in box.queue_arns.values()
    )


def test_the_fake_answers_in_the_real_shape_for_the_requested_queue(box: Sandbox) -> None:
    # Given billing is busy and general is left at the defaults (GetCurrentMetricData is faked)
    box.queue_metrics(
        "billing", agents_available=0, agents_staffed=3, contacts_in_queue=4, oldest_contact_age_seconds=95
    )
    billing_id = box.queue_arns["billing"].rsplit("/", 1)[1]
    general_id = box.queue_arns["general"].rsplit("/", 1)[1]
    # When a plain Connect client asks for both queues, grouped by queue and channel
    answer = box.client("connect").get_current_metric_data(
        InstanceId=parse_instance_arn(os.environ["CONNECT_INSTANCE_ARN"]),
        Filters={"Queues": [billing_id, box.queue_arns["general"]], "Channels": ["VOICE"]},
        Groupings=["QUEUE", "CHANNEL"],
        CurrentMetrics=[
            {"Name": "AGENTS_AVAILABLE", "Unit": "COUNT"},
            {"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"},
            {"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"},
        ],
    )
    # Then botocore parses one result per queue, each with its dimensions and the requested metrics
    by_queue = {r["Dimensions"]["Queue"]["Id"]: r for r in answer["MetricResults"]}
    assert set(by_queue) == {billing_id, general_id}
    assert by_queue[billing_id]["Dimensions"] == {
        "Queue": {"Id": billing_id, "Arn": box.queue_arns["billing"]},
        "Channel": "VOICE",
    }
    values = {c["Metric"]["Name"]: c["Value"] for c in by_queue[billing_id]["Collections"]}
    assert values == {"AGENTS_AVAILABLE": 0.0, "CONTACTS_IN_QUEUE": 4.0, "OLDEST_CONTACT_AGE": 95.0}
    assert by_queue[billing_id]["Collections"][2]["Metric"] == {
        "Name": "OLDEST_CONTACT_AGE",
        "Unit": "SECONDS",
    }
    defaults = {c["Metric"]["Name"]: c["Value"] for c in by_queue[general_id]["Collections"]}
    assert defaults == {"AGENTS_AVAILABLE": 2.0, "CONTACTS_IN_QUEUE": 0.0, "OLDEST_CONTACT_AGE": 0.0}
    assert "DataSnapshotTime" in answer
    assert connect_calls(box) == 1


def test_without_groupings_the_oldest_age_comes_back_in_milliseconds_as_connect_does(box: Sandbox) -> None:
    # Given a queue whose oldest contact waited 24 s (GetCurrentMetricData is faked, with Connect's quirk)
    box.queue_metrics("general", contacts_in_queue=1, oldest_contact_age_seconds=24.113)
    # When asked without groupings
    answer = box.client("connect").get_current_metric_data(
        InstanceId=parse_instance_arn(os.environ["CONNECT_INSTANCE_ARN"]),
        Filters={"Queues": [box.queue_arns["general"]], "Channels": ["VOICE"]},
        CurrentMetrics=[{"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"}],
    )
    # Then one instance aggregate says SECONDS but holds milliseconds, which is why we always group
    (result,) = answer["MetricResults"]
    assert result["Dimensions"] == {}
    assert result["Collections"][0]["Metric"]["Unit"] == "SECONDS"
    assert result["Collections"][0]["Value"] == pytest.approx(24113.0)


def test_another_instance_is_not_found(box: Sandbox) -> None:
    # Given an instance id the sandbox does not have (GetCurrentMetricData is faked)
    metrics = ConnectQueueMetrics(
        make_client("connect", LIMITS), "11111111-0000-4000-8000-000000000000", {"x": "q"}
    )
    # When a snapshot is asked for, Then it fails as Connect would, without raising
    assert metrics.snapshot("x") is None
    assert (metrics.last_problem, metrics.last_error) == ("CONNECT_ERROR", "ResourceNotFoundException")


def test_one_call_per_fresh_snapshot_and_none_from_the_cache(box: Sandbox) -> None:
    # Given priority has two callers waiting (GetCurrentMetricData is faked)
    box.queue_metrics(
        "priority", agents_available=0, agents_staffed=2, contacts_in_queue=2, oldest_contact_age_seconds=40
    )
    metrics = reader(box)
    # When the escalation function reads it twice in a row
    first = metrics.snapshot("priority")
    second = metrics.snapshot("priority")
    # Then Connect was called once, and the second snapshot came from the cache
    assert first == QueueSnapshot(0.0, 2.0, 2.0, 40.0, "connect")
    assert second == QueueSnapshot(0.0, 2.0, 2.0, 40.0, "cache")
    assert connect_calls(box) == 1


def test_a_throttled_connect_gives_no_snapshot_and_no_exception(box: Sandbox) -> None:
    # Given Connect answers 429 ThrottlingException (a real botocore error from the fault hook,
    # which takes precedence over the GetCurrentMetricData fake)
    metrics = reader(box)
    with box.fault(Fault("connect", "GetCurrentMetricData", error_code="ThrottlingException", status=429)):
        # When a snapshot is asked for
        snapshot = metrics.snapshot("general")
    # Then there is none, the reason is THROTTLED, and the one request was counted
    assert snapshot is None
    assert (metrics.last_problem, metrics.last_error) == (THROTTLED, "ThrottlingException")
    assert connect_calls(box) == 1
    # And right after, our own back-off holds the next request back even though Connect recovered
    assert metrics.snapshot("general") is None
    assert metrics.last_problem == RATE_LIMITED
    assert connect_calls(box) == 1


def test_our_rate_limit_refuses_without_a_call(box: Sandbox) -> None:
    # Given a container allowed a burst of 2 and no cache (GetCurrentMetricData is faked)
    metrics = reader(box, burst=2, requests_per_second=0.001, cache_ttl_seconds=0)
    # When three snapshots are asked for at once
    answers = [metrics.snapshot("general") for _ in range(3)]
    # Then two reached Connect and the third was refused here
    assert [a is not None for a in answers] == [True, True, False]
    assert metrics.last_problem == RATE_LIMITED
    assert connect_calls(box) == 2


def test_an_unknown_queue_makes_no_call(box: Sandbox) -> None:
    # Given the configured queues (GetCurrentMetricData is faked)
    metrics = reader(box)
    # When a queue name outside the map is asked for
    assert metrics.snapshot("sales") is None
    # Then nothing was sent
    assert metrics.last_problem == UNKNOWN_QUEUE
    assert connect_calls(box) == 0


def test_setting_metrics_for_an_unknown_queue_is_refused(box: Sandbox) -> None:
    # Given the sandbox's queues, When metrics are set for another name, Then it says which exist
    with pytest.raises(ValueError, match="unknown queue 'sales'; expected one of general"):
        box.queue_metrics("sales", contacts_in_queue=3)


def test_a_null_metric_is_unknown_in_the_snapshot(box: Sandbox) -> None:
    # Given Connect cannot compute the oldest age for callback (null Value; GetCurrentMetricData is faked)
    box.queue_metrics("callback", agents_available=1, oldest_contact_age_seconds=None)
    # When read, Then that value is unknown and the others are kept
    snapshot = reader(box).snapshot("callback")
    assert snapshot == QueueSnapshot(1.0, 5.0, 0.0, None, "connect")


def test_the_fakes_answer_has_only_members_of_the_real_response_shape(box: Sandbox) -> None:
    # Given the request escalation sends (GetCurrentMetricData is faked)
    request = reader(box).request("queue-general")
    # When the fake builds its answer
    answer = box.connect_metrics.answer(request)
    # Then every member and type is one botocore's Connect model defines for the response
    model = botocore.session.get_session().get_service_model("connect")
    validate_parameters(answer, model.operation_model("GetCurrentMetricData").output_shape)
