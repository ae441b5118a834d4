"""ctr_ingest settings, validated once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from lambdas.shared.config import integer, required, secret_id, time_zone
from lambdas.shared.keyed_hash_secret import SECRET_VAR as KEYED_HASH_SECRET_VAR
from lambdas.shared.tables import METRICS

TIME_ZONE_VAR = "TIME_ZONE"
SERVICE_LEVEL_VAR = "SERVICE_LEVEL_SECONDS"
REFUSED_QUEUE_VAR = "REFUSED_RECORDS_QUEUE_URL"  # where refused records' raw data goes (refusals.py)
RECONTACT_WINDOW_VAR = "RECONTACT_WINDOW_HOURS"
RECONTACT_WINDOW_HOURS = 72  # a contact is recontacted when its caller starts another within this


@dataclass(frozen=True)
class IngestConfig:
    metrics_table: str
    time_zone: ZoneInfo  # a call's day is its local day in the centre
    service_level_seconds: int  # answered within this many seconds in queue counts toward service level
    refused_queue_url: str
    recontact_window_hours: int
    keyed_hash_secret: str  # ARN (or name) of the secret the caller key derives from

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestConfig:
        env = os.environ if env is None else env
        zone = env.get(TIME_ZONE_VAR, "").strip() or "UTC"
        return cls(
            metrics_table=required(env, METRICS.env_var),
            time_zone=time_zone(zone, f"environment variable {TIME_ZONE_VAR}"),
            service_level_seconds=integer(env, SERVICE_LEVEL_VAR, 20, low=1, high=3600),
            refused_queue_url=required(env, REFUSED_QUEUE_VAR),
            recontact_window_hours=integer(
                env, RECONTACT_WINDOW_VAR, RECONTACT_WINDOW_HOURS, low=1, high=30 * 24
            ),
            keyed_hash_secret=secret_id(env, KEYED_HASH_SECRET_VAR),
        )
