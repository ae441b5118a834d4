"""Connect-facing entry point: `lambdas.crm_lookup.handler.lambda_handler`.

Thin on purpose: parse, call `lookup_caller`, log and count, map to the flat response.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from lambdas.crm_lookup.adapters.base import CrmAdapter
from lambdas.crm_lookup.adapters.dynamodb import DynamoDbCrmAdapter
from lambdas.crm_lookup.config import LookupConfig
from lambdas.crm_lookup.model import CustomerRecord
from lambdas.crm_lookup.normalize import Caller, CallerKind
from lambdas.crm_lookup.service import lookup_caller, unknown_caller_fields
from lambdas.shared.aws import ClientLimits, make_client
from lambdas.shared.budget import Deadline
from lambdas.shared.cache import TtlCache
from lambdas.shared.clock import Clock, utc_now
from lambdas.shared.connect_handler import run_connect_handler
from lambdas.shared.container import Container
from lambdas.shared.event import ContactEvent
from lambdas.shared.observability import MetricUnit, get_logger, get_metrics
from lambdas.shared.response import Status, flat_response

SERVICE = "crm_lookup"
# Two attempts of 0.3 s connect + 0.6 s read stay inside the default 2 s lookup budget.
DYNAMODB_LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.6, max_attempts=2)

logger = get_logger(SERVICE)
metrics = get_metrics(SERVICE)


@dataclass(frozen=True)
class LookupDeps:
    config: LookupConfig
    adapter: CrmAdapter
    cache: TtlCache[CustomerRecord | None]
    # Recent contacts are counted back from this moment; the sandbox leaves it on the wall clock,
    # where the demo data it reads was seeded.
    clock: Clock = utc_now


def build_deps() -> LookupDeps:
    config = LookupConfig.from_env()
    adapter: CrmAdapter
    if config.adapter == "http":
        # Imported only in HTTP mode, so the embedded default pays nothing for it at cold start.
        from lambdas.crm_lookup.adapters.http import HttpCrmAdapter
        from lambdas.crm_lookup.adapters.secrets import SecretTokenProvider

        tokens = SecretTokenProvider(config.http_secret_arn, make_client("secretsmanager"))
        adapter = HttpCrmAdapter(config.http_base_url, tokens)
    else:
        adapter = DynamoDbCrmAdapter(make_client("dynamodb-slim", DYNAMODB_LIMITS), config.customers_table)
    return LookupDeps(config=config, adapter=adapter, cache=TtlCache(max_entries=2048))


CONTAINER = Container(build_deps)
CONTAINER.warm()  # clients are created in the init phase, which runs at full CPU


def lambda_handler(event: Any, context: Any) -> dict[str, str]:
    return run_connect_handler(
        event, context, logger=logger, metrics=metrics, logic=_lookup, fallback=_fallback
    )


def _lookup(event: ContactEvent, context: Any) -> dict[str, str]:
    started = time.perf_counter()
    deps = CONTAINER.get()  # a ConfigError becomes DEGRADED/CONFIG in run_connect_handler
    deadline = Deadline.after_ms(deps.config.budget_ms, context)
    outcome = lookup_caller(
        event,
        adapter=deps.adapter,
        cache=deps.cache,
        config=deps.config,
        deadline=deadline,
        now=deps.clock(),
    )
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    # One line per lookup; a WARNING when the CRM failed, naming the problem (never the number)
    log = logger.warning if outcome.status is Status.DEGRADED else logger.info
    log(
        "crm lookup",
        extra={
            "status": outcome.status.value,
            "caller_type": outcome.caller.kind.value,
            "phone_country": outcome.caller.country,
            "source": outcome.source,
            "tier": outcome.fields.get("tier", ""),
            "problem": outcome.problem,
            "elapsed_ms": elapsed_ms,
        },
    )
    metrics.add_metric(name="CrmLookups", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="CrmLookupLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
    if outcome.source == "cache":
        metrics.add_metric(name="CrmCacheHits", unit=MetricUnit.Count, value=1)
    if outcome.status is Status.DEGRADED:
        metrics.add_metric(name="CrmDegraded", unit=MetricUnit.Count, value=1)
    return flat_response(outcome.status, outcome.fields)


def _fallback(status: Status, reason: str) -> dict[str, str]:
    fields = unknown_caller_fields(Caller(CallerKind.INVALID))
    fields["degradedReason" if status is Status.DEGRADED else "invalidReason"] = reason
    return flat_response(status, fields)
