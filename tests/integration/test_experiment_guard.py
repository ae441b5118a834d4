"""The experiment guard in the sandbox, end to end: contact records of a harmful challenger counted
by the real ctr_ingest, the guard's scheduled look writes the stop and announces it on the alarm
topic (read through an SQS subscription, in moto), and ivr_decision serves the champion once its
documents' refresh interval has passed. A second look neither stops nor announces again.

The decision clocks are pinned (`box.clock`); the documents store's age moves by hand
(test_ivr_experiment.py's `experiment_box`), never by sleeping.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lambdas.documents.storage_format import encode_document, stop_parameter_name
from lambdas.policy.experiment import read_stop
from tandem.cli import main
from tandem.local import Sandbox
from tandem.local.faults import Fault
from tandem.rules_store import SANDBOX_CONFIG_PATH
from tests.integration.test_experiment_status import _call
from tests.integration.test_ingest import lines
from tests.integration.test_ivr_experiment import (
    EVERYONE,
    experiment_box,
    hours_question,
    push_experiment,
)
from tests.unit.ivr_support import experiment_json

__all__ = ["experiment_box"]  # the fixture, shared with test_ivr_experiment.py

EXPERIMENT = "deflect-2026-12"  # experiment_json's id, and the records' experimentId
# The guard's daily look after the 25th (00:30 in New York): the 23rd to the 26th are read.
AFTER_THE_25TH = datetime(2026, 11, 26, 5, 30, tzinfo=UTC)
SCHEDULED_EVENT = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-26T05:30:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/tandem-experiment-guard"],
    "detail": {},
}
# Enough calls for the mSPRT's evidence to pass 1 / (alpha / 3 guardrails) = 60 on so large a harm:
# with 40 an arm its likelihood ratio is about 27 (the mixture is tuned to harms near the margin).
CALLS_PER_ARM = 120
RETURNING_CALLERS = 75
ARMS = ("champion", "challenger")


def harmful_calls() -> list[Any]:
    """120 self-served calls an arm on the 24th; 75 of the challenger's callers ring back on the 25th
    (their first calls are recontacted: 75 of 195 challenger calls against none of the champion's)."""
    made = [_call(n, "champion", "2026-11-24", queued=False) for n in range(CALLS_PER_ARM)]
    made += [_call(1000 + n, "challenger", "2026-11-24", queued=False) for n in range(CALLS_PER_ARM)]
    made += [
        _call(2000 + n, "challenger", "2026-11-25", queued=False, caller=1000 + n)
        for n in range(RETURNING_CALLERS)
    ]
    return made


@pytest.fixture
def harmed(
    experiment_box: tuple[Sandbox, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Sandbox, Any]:
    """The experiment pushed (every contact in the challenger) and its calls counted by ctr_ingest."""
    box, past_max_age = experiment_box
    push_experiment(box, unit="contact", share=EVERYONE)
    past_max_age()
    monkeypatch.setattr("tandem.local.sandbox", lambda **_: contextlib.nullcontext(box))
    path = tmp_path / "calls.jsonl"
    path.write_text(lines(harmful_calls()))
    assert main(["ingest", str(path), "--format", "json"]) == 0
    return box, past_max_age


def subscribe(box: Sandbox) -> str:
    """An SQS queue subscribed to the alarm topic (raw delivery): what the guard publishes lands there."""
    sqs = box.client("sqs")
    url = sqs.create_queue(QueueName="alarm-topic-reader")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    box.client("sns").subscribe(
        TopicArn=box.topic_arns["ALARM_TOPIC_ARN"],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "false"},
    )
    return str(url)


def published(box: Sandbox, url: str) -> list[dict[str, Any]]:
    messages = box.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def guard(box: Sandbox, at: datetime = AFTER_THE_25TH) -> dict[str, Any]:
    with box.clock(at):
        return box.invoke("experiment_guard", SCHEDULED_EVENT)


def test_a_harmful_challenger_is_stopped_announced_and_served_the_champion(harmed: Any) -> None:
    box, past_max_age = harmed
    url = subscribe(box)
    # Given the challenger decides for every contact
    assert box.invoke("ivr_decision", hours_question("call-before"))["variant"] == "challenger"
    # When the guard's scheduled look runs after the 25th
    summary = guard(box)
    # Then it stopped the experiment on its recontact guardrail, with the figures it judged by
    assert (summary["experimentId"], summary["action"], summary["guardrail"]) == (
        EXPERIMENT,
        "stopped",
        "recontactRate",
    )
    challenger_calls = CALLS_PER_ARM + RETURNING_CALLERS
    assert summary["contacts"] == {"champion": CALLS_PER_ARM, "challenger": challenger_calls}
    (recontacts,) = [g for g in summary["guardrails"] if g["metric"] == "recontactRate"]
    assert recontacts["champion"] == {"value": 0.0, "trials": CALLS_PER_ARM}
    assert recontacts["challenger"] == {"value": round(75 / 195, 4), "trials": challenger_calls}
    assert recontacts["likelihoodRatio"] >= recontacts["threshold"] == 60.0
    assert (summary["stopWritten"], summary["notified"]) == (True, True)
    # And its AWS calls were the read, one Query of the counters, the stop and the announcement
    calls = box.last.aws_calls
    assert calls.count("dynamodb.Query") == 1
    assert calls[-2:] == ["ssm.PutParameter", "sns.Publish"]
    # And the stop parameter names the experiment, the guardrail and when
    value = box.client("ssm").get_parameter(Name=stop_parameter_name(SANDBOX_CONFIG_PATH))["Parameter"][
        "Value"
    ]
    stop = read_stop(value)
    assert (stop.experiment_id, stop.stopped_at, stop.guardrail) == (
        EXPERIMENT,
        "2026-11-26T05:30:00Z",
        "recontactRate",
    )
    # And one message on the alarm topic names the experiment, the guardrail and the figures
    (message,) = published(box, url)
    assert message["Subject"] == f"Tandem experiment {EXPERIMENT} stopped on its recontactRate guardrail"
    assert f"stopped experiment {EXPERIMENT} at 2026-11-26T05:30:00Z" in message["Message"]
    assert "Champion: 0 of 120; challenger: 0.3846 of 195." in message["Message"]
    # And no caller's number is in the message or the guard's log line
    assert "+1202555" not in message["Message"]
    (line,) = [entry for entry in box.last.log_lines if entry.get("message") == "experiment guard"]
    assert "+1202555" not in json.dumps(line) and line["action"] == "stopped"
    # And ivr_decision keeps what it read until its refresh interval passes, then serves the champion
    assert box.invoke("ivr_decision", hours_question("call-within"))["variant"] == "challenger"
    past_max_age()
    answer = box.invoke("ivr_decision", hours_question("call-after"))
    assert (answer["variant"], answer["experimentId"]) == ("champion", "")


def test_a_stopped_experiment_is_not_stopped_or_announced_again(harmed: Any) -> None:
    box, _ = harmed
    url = subscribe(box)
    assert guard(box)["action"] == "stopped"
    first = box.client("ssm").get_parameter(Name=stop_parameter_name(SANDBOX_CONFIG_PATH))["Parameter"]
    # When the next day's look runs
    summary = guard(box, datetime(2026, 11, 27, 5, 30, tzinfo=UTC))
    # Then it reads the stop and does nothing more: no counters read, nothing written or published
    assert summary["action"] == "already-stopped"
    assert box.last.aws_calls and set(box.last.aws_calls) == {"ssm.GetParametersByPath"}
    again = box.client("ssm").get_parameter(Name=stop_parameter_name(SANDBOX_CONFIG_PATH))["Parameter"]
    assert again["Version"] == first["Version"]
    assert len(published(box, url)) == 1


def test_a_harmless_challenger_runs_on(
    experiment_box: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    box, _ = experiment_box
    push_experiment(box, unit="contact", share=EVERYONE)
    monkeypatch.setattr("tandem.local.sandbox", lambda **_: contextlib.nullcontext(box))
    path = tmp_path / "calls.jsonl"
    # Both arms alike: 120 calls each, a tenth of each arm's callers ringing back the next day
    calls = [_call(n, ARMS[n % 2], "2026-11-24", queued=False) for n in range(240)]
    calls += [_call(3000 + n, ARMS[n % 2], "2026-11-25", queued=False, caller=n) for n in range(24)]
    path.write_text(lines(calls))
    assert main(["ingest", str(path), "--format", "json"]) == 0
    summary = guard(box)
    assert (summary["action"], summary["guardrail"]) == ("running", "")
    assert summary["contacts"] == {"champion": 132, "challenger": 132}
    # And it did look: the evidence is far from its threshold
    (recontacts,) = [g for g in summary["guardrails"] if g["metric"] == "recontactRate"]
    assert recontacts["likelihoodRatio"] is not None and recontacts["likelihoodRatio"] < 1
    assert "ssm.PutParameter" not in box.last.aws_calls


def test_no_experiment_is_nothing_to_do(box: Sandbox) -> None:
    assert guard(box)["action"] == "none"
    assert box.last.aws_calls == ["ssm.GetParametersByPath"] * len(box.last.aws_calls)
    # Whatever the event: the schedule's content is not needed, and no event makes it raise
    for event in (None, "text", [], {"detail": None}):
        with box.clock(AFTER_THE_25TH):
            assert box.invoke("experiment_guard", event)["action"] == "none"


def test_a_refused_experiment_document_is_an_error_not_no_experiment(box: Sandbox) -> None:
    # Given an experiment document in the store that ivr_decision would refuse (a share of 1.5):
    # ivr_decision keeps serving an earlier valid version, which the guard cannot know
    broken = json.dumps(experiment_json(share=1.5), separators=(",", ":"))
    ssm = box.client("ssm")
    for name, value in encode_document(SANDBOX_CONFIG_PATH, "experiment", broken).items():
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    summary = guard(box)
    assert summary["action"] == "error"
    assert summary["problem"] == (
        "the store's experiment document is refused: experiment.share: must be above 0 and below 1, got 1.5"
    )


def test_a_failed_read_is_a_one_line_error_and_writes_no_stop(harmed: Any) -> None:
    box, _ = harmed
    with box.fault(Fault("dynamodb", "Query")):
        summary = guard(box)
    assert (summary["action"], summary["error_type"]) == ("error", "ClientError")
    assert "ssm.PutParameter" not in box.last.aws_calls
    (line,) = [entry for entry in box.last.log_lines if entry.get("message") == "experiment guard failed"]
    assert line["level"] == "ERROR"
    assert any(m.get("GuardErrors") == [1.0] or m.get("GuardErrors") == 1.0 for m in box.last.metrics)
    # And the next look, with the table back, stops it
    assert guard(box)["action"] == "stopped"


def test_a_configuration_error_is_reported_not_raised(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALARM_TOPIC_ARN", "not-a-topic")
    box.cold_start("experiment_guard")
    summary = guard(box)
    assert summary["action"] == "error"
    assert (
        summary["problem"]
        == "environment variable ALARM_TOPIC_ARN must be an SNS topic ARN, got 'not-a-topic'"
    )
