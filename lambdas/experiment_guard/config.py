"""experiment_guard settings, validated once per container."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import NamedTuple
from zoneinfo import ZoneInfo

from lambdas.documents.config import calendar_time_zone, config_path
from lambdas.shared.config import ConfigError, required, table_name
from lambdas.shared.tables import METRICS

ALARM_TOPIC_VAR = "ALARM_TOPIC_ARN"
TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")


class GuardConfig(NamedTuple):
    config_path: str  # SSM path of the documents; the stop is `<path>/experiment-stop`
    metrics_table: str  # the counters ctr_ingest writes
    time_zone: ZoneInfo  # the centre's zone: the counters' days are its days
    alarm_topic_arn: str  # where a stop is announced

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GuardConfig:
        env = os.environ if env is None else env
        topic = required(env, ALARM_TOPIC_VAR)
        if not TOPIC_ARN.match(topic):
            raise ConfigError(
                f"environment variable {ALARM_TOPIC_VAR} must be an SNS topic ARN, got {topic!r}"
            )
        return cls(
            config_path=config_path(env),
            metrics_table=table_name(env, METRICS.env_var),
            time_zone=calendar_time_zone(env),
            alarm_topic_arn=topic,
        )
