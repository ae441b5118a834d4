"""escalation settings, validated once per container."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import NamedTuple
from zoneinfo import ZoneInfo

from lambdas.documents.config import calendar_time_zone, config_path
from lambdas.shared.config import ConfigError, integer, required, secret_id, table_name
from lambdas.shared.keyed_hash_secret import SECRET_VAR as KEYED_HASH_SECRET_VAR
from lambdas.shared.tables import INTERACTIONS

# Connect ids are UUIDs; any id-like text is accepted so a hand-written sandbox id also works.
QUEUE_ARN = re.compile(
    r"^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance/[0-9A-Za-z-]{1,100}/queue/[0-9A-Za-z-]{1,100}$"
)
INSTANCE_ARN = re.compile(r"^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance/[0-9A-Za-z-]{1,100}$")


class EscalationConfig(NamedTuple):
    config_path: str
    interactions_table: str
    time_zone: ZoneInfo
    instance_arn: str
    queue_arns: Mapping[str, str]  # queue name → queue ARN, resolved by CDK
    max_age_seconds: int
    retry_after_failure_seconds: int
    budget_ms: int
    interaction_ttl_days: int
    metrics_requests_per_second: float  # this container's share of the GetCurrentMetricData quota
    keyed_hash_secret: str  # ARN (or name) of the secret the callback claim's key derives from

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EscalationConfig:
        env = os.environ if env is None else env
        instance_arn = required(env, "CONNECT_INSTANCE_ARN")
        if not INSTANCE_ARN.match(instance_arn):
            raise ConfigError(
                "environment variable CONNECT_INSTANCE_ARN must be a Connect instance ARN, "
                f"got {instance_arn!r}"
            )
        return cls(
            config_path=config_path(env),
            interactions_table=table_name(env, INTERACTIONS.env_var),
            time_zone=calendar_time_zone(env),
            instance_arn=instance_arn,
            queue_arns=queue_arns(env.get("QUEUE_ARNS", "")),
            max_age_seconds=integer(env, "IVR_RULES_MAX_AGE_SECONDS", 60, low=0, high=3600),
            retry_after_failure_seconds=integer(env, "IVR_RULES_RETRY_SECONDS", 5, low=0, high=600),
            budget_ms=integer(env, "ESCALATION_BUDGET_MS", 1500, low=100, high=7000),
            interaction_ttl_days=integer(env, "INTERACTION_TTL_DAYS", 90, low=1, high=3650),
            metrics_requests_per_second=integer(env, "METRICS_REQUESTS_PER_MINUTE", 60, low=1, high=600) / 60,
            keyed_hash_secret=secret_id(env, KEYED_HASH_SECRET_VAR),
        )


def queue_arns(raw: str) -> dict[str, str]:
    """QUEUE_ARNS: a JSON object of queue name → queue ARN; one sentence says what is wrong."""
    try:
        value = json.loads(raw) if raw.strip() else None
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not value:
        raise ConfigError("environment variable QUEUE_ARNS must be a JSON object of queue name → queue ARN")
    for name, arn in value.items():
        if not isinstance(arn, str) or not QUEUE_ARN.match(arn):
            raise ConfigError(
                f"environment variable QUEUE_ARNS: queue {name!r} has no valid queue ARN ({arn!r})"
            )
    return dict(value)
