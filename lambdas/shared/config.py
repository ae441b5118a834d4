"""Typed configuration read once from the environment, with errors that name the variable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable and the problem."""


SECRET_ID = re.compile(r"^[A-Za-z0-9/_+=.@:-]{1,2048}$")  # a Secrets Manager name or ARN


def required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required")
    return value


TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")  # DynamoDB's rule for a table name


def table_name(env: Mapping[str, str], name: str) -> str:
    """A required DynamoDB table name: a typo fails here, named, not as a failed write per call."""
    value = required(env, name)
    if not TABLE_NAME.match(value):
        raise ConfigError(
            f"environment variable {name} must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -), "
            f"got {value!r}"
        )
    return value


def integer(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"environment variable {name} must be between {low} and {high}, got {value}")
    return value


def choice(env: Mapping[str, str], name: str, default: str, options: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in options:
        raise ConfigError(f"environment variable {name} must be one of {', '.join(options)}, got {value!r}")
    return value


def time_zone(name: str, where: str) -> ZoneInfo:
    # Imported here: crm_lookup and survey, which share this module, need no time zone, and
    # importing zoneinfo reads the interpreter's build configuration (sysconfig) at every cold start.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where} must be an IANA time zone such as America/New_York, got {name!r}"
        ) from None


def secret_id(env: Mapping[str, str], name: str) -> str:
    value = required(env, name)
    if not SECRET_ID.match(value):
        raise ConfigError(f"environment variable {name} must be a Secrets Manager secret ARN or name")
    return value
