"""ctr_ingest in the synthesized template: the Kinesis mapping, its failure handling, its grants."""

from __future__ import annotations

import json
from typing import Any

import pytest
from infra_support import Synthesized, function_named, role_statements

from infra import constants

pytestmark = pytest.mark.slow

XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def metrics_id(synth: Synthesized) -> str:
    return next(k for k in synth.resources("AWS::DynamoDB::Table") if k.startswith("DataMetrics"))


def queue_id(synth: Synthesized, name: str) -> str:
    [found] = [k for k in synth.resources("AWS::SQS::Queue") if k.startswith(f"CtrPipeline{name}")]
    return found


def test_ctr_ingest_reads_the_ctr_stream_with_partial_failures_bisecting_and_a_failure_queue(
    each_mode: Synthesized,
) -> None:
    function_id, fn = function_named(each_mode, "ctr_ingest")
    [mapping] = [
        m["Properties"]
        for m in each_mode.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    [stream_id] = each_mode.resources("AWS::Kinesis::Stream")
    failures = queue_id(each_mode, "IngestFailures")
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == constants.CTR_MAX_RETRIES
    assert mapping["MaximumRecordAgeInSeconds"] == constants.CTR_MAX_RECORD_AGE_HOURS * 3600
    assert mapping["BatchSize"] == constants.CTR_BATCH_SIZE
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [failures, "Arn"]}}}
    queue = each_mode.template["Resources"][failures]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    # A background function: its own timeout, not the flow blocks' 3 s
    assert fn["Properties"]["Timeout"] == constants.CTR_INGEST_TIMEOUT_SECONDS
    assert fn["Properties"]["Environment"]["Variables"]["METRICS_TABLE"] == {"Ref": metrics_id(each_mode)}
    assert fn["Properties"]["Environment"]["Variables"]["RECONTACT_WINDOW_HOURS"] == str(
        constants.RECONTACT_WINDOW_HOURS
    )
    assert "KeyedHashSecret" in json.dumps(
        fn["Properties"]["Environment"]["Variables"]["KEYED_HASH_SECRET_ARN"]
    )
    assert fn["Properties"]["Environment"]["Variables"]["SERVICE_LEVEL_SECONDS"] == str(
        constants.SERVICE_LEVEL_SECONDS
    )


def test_ctr_ingest_may_read_states_and_write_counters_in_the_metrics_table_only(
    each_mode: Synthesized,
) -> None:
    statements = role_statements(each_mode, "ctr_ingest")
    dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))]
    assert dynamodb == [
        {
            "Action": ["dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [metrics_id(each_mode), "Arn"]},
        }
    ]
    # The stream is read through the mapping's grant; the failure queue is written by Lambda's service
    for statement in statements:
        for action in as_list(statement["Action"]):
            assert "*" not in action, statement
            assert action.split(":")[0] in {"dynamodb", "kinesis", "sqs", "logs", "xray", "secretsmanager"}, (
                statement
            )
            if action.startswith("secretsmanager:"):  # the keyed-hash secret, read only
                assert action == "secretsmanager:GetSecretValue", statement
                assert "KeyedHashSecret" in json.dumps(statement["Resource"]), statement
            if action.startswith("sqs:"):
                assert action in {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}, statement


def test_refused_records_go_to_an_encrypted_tls_only_queue_with_a_retention_period(
    each_mode: Synthesized,
) -> None:
    refused = queue_id(each_mode, "RefusedRecords")
    queue = each_mode.template["Resources"][refused]["Properties"]
    # Encrypted at rest (SQS-managed keys, as the on-failure queue), kept 14 days, 1 MiB messages
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == constants.CTR_REFUSED_RETENTION_DAYS * 24 * 3600
    assert queue["MaximumMessageSize"] == constants.SQS_MAX_MESSAGE_BYTES
    # TLS only: the queue policy denies any request not over TLS, and allows nothing
    [policy] = [
        p["Properties"]["PolicyDocument"]
        for p in each_mode.resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": refused}]
    ]
    assert [s["Effect"] for s in policy["Statement"]] == ["Deny"]
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # ctr_ingest finds it through its environment
    _, fn = function_named(each_mode, "ctr_ingest")
    assert fn["Properties"]["Environment"]["Variables"]["REFUSED_RECORDS_QUEUE_URL"] == {"Ref": refused}


def test_ctr_ingest_may_only_send_to_the_refused_records_queue(each_mode: Synthesized) -> None:
    statements = role_statements(each_mode, "ctr_ingest")
    refused = {"Fn::GetAtt": [queue_id(each_mode, "RefusedRecords"), "Arn"]}
    reaching = [s for s in statements if s["Resource"] == refused]
    # SendMessageBatch is authorised as sqs:SendMessage: no receive, delete, purge or attributes
    assert reaching == [{"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": refused}]


def test_connect_cannot_invoke_ctr_ingest(each_mode: Synthesized) -> None:
    function_id, _ = function_named(each_mode, "ctr_ingest")
    arn = {"Fn::GetAtt": [function_id, "Arn"]}
    permissions = [
        p
        for p in each_mode.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == arn
    ]
    assert permissions == []
