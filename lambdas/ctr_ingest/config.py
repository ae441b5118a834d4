"""ctr_ingest settings, validated once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from lambdas.shared.config import integer, required, time_zone
from lambdas.shared.tables import METRICS

TIME_ZONE_VAR = "TIME_ZONE"
SERVICE_LEVEL_VAR = "SERVICE_LEVEL_SECONDS"
REFUSED_QUEUE_VAR = "REFUSED_RECORDS_QUEUE_URL"  # where refused records' raw data goes (refusals.py)


@dataclass(frozen=True)
class IngestConfig:
    metrics_table: str
    time_zone: ZoneInfo  # a call's day is its local day in the centre
    service_level_seconds: int  # answered within this many seconds in queue counts toward service level
    refused_queue_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestConfig:
        env = os.environ if env is None else env
        zone = env.get(TIME_ZONE_VAR, "").strip() or "UTC"
        return cls(
            metrics_table=required(env, METRICS.env_var),
            time_zone=time_zone(zone, f"environment variable {TIME_ZONE_VAR}"),
            service_level_seconds=integer(env, SERVICE_LEVEL_VAR, 20, low=1, high=3600),
            refused_queue_url=required(env, REFUSED_QUEUE_VAR),
        )
