"""The sandbox's SNS topic, as the CDK app creates it (infra/constructs/alarm_topic.py): where the
experiment guard announces a stop. Tests read what was published through an SQS subscription."""

from __future__ import annotations

from typing import Any

from lambdas.experiment_guard.config import ALARM_TOPIC_VAR

ALARM_TOPIC_NAME = "tandem-alarms"


def create_topics(sns_client: Any) -> dict[str, str]:
    """Create (or find: CreateTopic with the same name is idempotent) every topic; env var → ARN."""
    return {ALARM_TOPIC_VAR: sns_client.create_topic(Name=ALARM_TOPIC_NAME)["TopicArn"]}
