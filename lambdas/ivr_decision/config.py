"""ivr_decision settings, validated once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple
from zoneinfo import ZoneInfo

from lambdas.documents.config import calendar_time_zone, config_path
from lambdas.shared.config import integer, secret_id, table_name
from lambdas.shared.keyed_hash_secret import SECRET_VAR as KEYED_HASH_SECRET_VAR
from lambdas.shared.tables import INTERACTIONS


class DecisionConfig(NamedTuple):
    config_path: str  # SSM path holding the rules, content, calendar and experiment documents
    interactions_table: str
    time_zone: ZoneInfo  # the instance's time zone; the calendar is read in it
    max_age_seconds: int  # how long a fetched rule set serves before it is checked again
    retry_after_failure_seconds: int  # after a failed fetch, when to try the store again
    budget_ms: int  # store refresh + interaction write, well under the block's limit
    interaction_ttl_days: int
    keyed_hash_secret: str  # ARN (or name) of the secret an experiment's caller unit key derives from

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DecisionConfig:
        env = os.environ if env is None else env
        return cls(
            config_path=config_path(env),
            interactions_table=table_name(env, INTERACTIONS.env_var),
            time_zone=calendar_time_zone(env),
            max_age_seconds=integer(env, "IVR_RULES_MAX_AGE_SECONDS", 60, low=0, high=3600),
            retry_after_failure_seconds=integer(env, "IVR_RULES_RETRY_SECONDS", 5, low=0, high=600),
            budget_ms=integer(env, "DECISION_BUDGET_MS", 1500, low=100, high=7000),
            interaction_ttl_days=integer(env, "INTERACTION_TTL_DAYS", 90, low=1, high=3650),
            keyed_hash_secret=secret_id(env, KEYED_HASH_SECRET_VAR),
        )
