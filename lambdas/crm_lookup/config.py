"""crm_lookup settings, validated once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from lambdas.shared.config import ConfigError, choice, integer, required, secret_id, table_name
from lambdas.shared.tables import CUSTOMERS

ADAPTERS = ("dynamodb", "http")


@dataclass(frozen=True)
class LookupConfig:
    adapter: str
    customers_table: str
    http_base_url: str
    http_secret_arn: str
    budget_ms: int  # hard limit for the whole lookup, well under the block's limit
    cache_ttl_seconds: int
    not_found_ttl_seconds: int  # shorter: a new customer should be found soon after signing up
    stale_grace_seconds: int  # how long an expired entry may still answer when the CRM is down
    default_country: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LookupConfig:
        env = os.environ if env is None else env
        adapter = choice(env, "CRM_ADAPTER", "dynamodb", ADAPTERS)
        country = env.get("DEFAULT_COUNTRY", "US").strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ConfigError(
                f"environment variable DEFAULT_COUNTRY must be an ISO country code, got {country!r}"
            )
        return cls(
            adapter=adapter,
            customers_table=table_name(env, CUSTOMERS.env_var) if adapter == "dynamodb" else "",
            http_base_url=base_url(env, "CRM_HTTP_BASE_URL") if adapter == "http" else "",
            http_secret_arn=secret_id(env, "CRM_HTTP_SECRET_ARN") if adapter == "http" else "",
            budget_ms=integer(env, "LOOKUP_BUDGET_MS", 2000, low=100, high=7000),
            cache_ttl_seconds=integer(env, "LOOKUP_CACHE_TTL_SECONDS", 60, low=0, high=3600),
            not_found_ttl_seconds=integer(env, "LOOKUP_NOT_FOUND_TTL_SECONDS", 15, low=0, high=3600),
            stale_grace_seconds=integer(env, "LOOKUP_STALE_GRACE_SECONDS", 900, low=0, high=86400),
            default_country=country,
        )


def base_url(env: Mapping[str, str], name: str) -> str:
    from lambdas.crm_lookup.adapters.http import validate_base_url  # only in http mode

    try:
        return validate_base_url(required(env, name))
    except ValueError as problem:  # ConfigError (missing) is a ValueError too: keep its words
        if isinstance(problem, ConfigError):
            raise
        raise ConfigError(f"environment variable {name}: {problem}") from None
