"""ivr_decision settings, validated once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from lambdas.shared.config import ConfigError, integer, required, table_name, time_zone
from lambdas.shared.tables import INTERACTIONS

CONFIG_PATH_VAR = "IVR_CONFIG_PATH"
TIME_ZONE_VAR = "TIME_ZONE"


@dataclass(frozen=True)
class DecisionConfig:
    config_path: str  # SSM path holding the rules, content and calendar documents
    interactions_table: str
    time_zone: ZoneInfo  # the instance's time zone; the calendar is read in it
    max_age_seconds: int  # how long a fetched rule set serves before it is checked again
    retry_after_failure_seconds: int  # after a failed fetch, when to try the store again
    budget_ms: int  # store refresh + interaction write, well under the block's limit
    interaction_ttl_days: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DecisionConfig:
        env = os.environ if env is None else env
        path = config_path(env)
        zone_name = env.get(TIME_ZONE_VAR, "").strip() or "UTC"
        return cls(
            config_path=path,
            interactions_table=table_name(env, INTERACTIONS.env_var),
            time_zone=time_zone(zone_name, f"environment variable {TIME_ZONE_VAR}"),
            max_age_seconds=integer(env, "IVR_RULES_MAX_AGE_SECONDS", 60, low=0, high=3600),
            retry_after_failure_seconds=integer(env, "IVR_RULES_RETRY_SECONDS", 5, low=0, high=600),
            budget_ms=integer(env, "DECISION_BUDGET_MS", 1500, low=100, high=7000),
            interaction_ttl_days=integer(env, "INTERACTION_TTL_DAYS", 90, low=1, high=3650),
        )


def config_path(env: Mapping[str, str]) -> str:
    """IVR_CONFIG_PATH, the SSM path of the documents (ivr_decision's and escalation's)."""
    path = required(env, CONFIG_PATH_VAR)
    if not path.startswith("/") or path.endswith("/") or "//" in path or any(c.isspace() for c in path):
        raise ConfigError(
            f"environment variable {CONFIG_PATH_VAR} must be an SSM path like /tandem/ivr, got {path!r}"
        )
    return path
