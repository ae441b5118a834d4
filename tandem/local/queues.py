"""The sandbox's SQS queues, as the CDK app creates them (infra/constructs/metrics_pipeline.py)."""

from __future__ import annotations

from typing import Any

from infra.constants import CTR_REFUSED_RETENTION_DAYS, SQS_MAX_MESSAGE_BYTES
from lambdas.ctr_ingest.config import REFUSED_QUEUE_VAR

REFUSED_QUEUE_NAME = "tandem-refused-records"


def create_queues(sqs_client: Any) -> dict[str, str]:
    """Create (or find: CreateQueue with the same attributes is idempotent) every queue; env var → URL."""
    answer = sqs_client.create_queue(
        QueueName=REFUSED_QUEUE_NAME,
        Attributes={
            "SqsManagedSseEnabled": "true",
            "MessageRetentionPeriod": str(CTR_REFUSED_RETENTION_DAYS * 24 * 3600),
            "MaximumMessageSize": str(SQS_MAX_MESSAGE_BYTES),
        },
    )
    return {REFUSED_QUEUE_VAR: answer["QueueUrl"]}
