"""survey settings, validated once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from lambdas.shared.config import integer, table_name
from lambdas.shared.tables import INTERACTIONS


@dataclass(frozen=True)
class SurveyConfig:
    interactions_table: str
    budget_ms: int  # the one write, well under the block's limit
    interaction_ttl_days: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SurveyConfig:
        env = os.environ if env is None else env
        return cls(
            interactions_table=table_name(env, INTERACTIONS.env_var),
            budget_ms=integer(env, "SURVEY_BUDGET_MS", 1500, low=100, high=7000),
            interaction_ttl_days=integer(env, "INTERACTION_TTL_DAYS", 90, low=1, high=3650),
        )
