"""What a function that reads the documents is told by its environment: where they are, and the
time zone their calendar is read in. ivr_decision and escalation read the same store."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from lambdas.shared.config import ConfigError, required, time_zone

CONFIG_PATH_VAR = "IVR_CONFIG_PATH"
TIME_ZONE_VAR = "TIME_ZONE"


def config_path(env: Mapping[str, str]) -> str:
    """IVR_CONFIG_PATH, the SSM path of the documents (ivr_decision's and escalation's)."""
    path = required(env, CONFIG_PATH_VAR)
    if not path.startswith("/") or path.endswith("/") or "//" in path or any(c.isspace() for c in path):
        raise ConfigError(
            f"environment variable {CONFIG_PATH_VAR} must be an SSM path like /tandem/ivr, got {path!r}"
        )
    return path


def calendar_time_zone(env: Mapping[str, str]) -> ZoneInfo:
    """TIME_ZONE, the instance's time zone (UTC when unset); the calendar is read in it."""
    return time_zone(env.get(TIME_ZONE_VAR, "").strip() or "UTC", f"environment variable {TIME_ZONE_VAR}")
