"""Who is calling: pure logic over injected ports (adapter, cache, clock, deadline)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lambdas.crm_lookup.adapters.base import CrmAdapter
from lambdas.crm_lookup.config import LookupConfig
from lambdas.crm_lookup.model import CrmUnavailable, CustomerRecord
from lambdas.crm_lookup.normalize import Caller, CallerKind, normalise_caller
from lambdas.shared.budget import BudgetExceeded, Deadline, run_within
from lambdas.shared.cache import TtlCache
from lambdas.shared.event import ContactEvent
from lambdas.shared.response import Status

SPEAKABLE_NAME = re.compile(r"[^\w '\-]+", re.UNICODE)
MAX_NAME_CHARS = 40


@dataclass(frozen=True)
class LookupOutcome:
    status: Status
    fields: dict[str, Any]
    caller: Caller
    source: str  # where the answer came from: cache, dynamodb, http, stale-cache, none
    problem: str = ""  # TIMEOUT or CRM_UNAVAILABLE when degraded


def caller_of(event: ContactEvent, config: LookupConfig) -> Caller:
    """The flow may pass the number explicitly (`callerNumber`); otherwise use the endpoint."""
    endpoint = event.customer_endpoint
    address = event.parameters.get("callerNumber") or (endpoint.address if endpoint else "")
    return normalise_caller(
        address,
        endpoint_type=endpoint.type if endpoint else "TELEPHONE_NUMBER",
        channel=event.channel or "VOICE",
        default_country=config.default_country,
        dialled_number=event.system_endpoint.address if event.system_endpoint else "",
    )


def lookup_caller(
    event: ContactEvent,
    *,
    adapter: CrmAdapter,
    cache: TtlCache[CustomerRecord | None],
    config: LookupConfig,
    deadline: Deadline,
    now: datetime,
) -> LookupOutcome:
    caller = caller_of(event, config)
    if not caller.lookup_possible:
        status = Status.INVALID_INPUT if caller.kind is CallerKind.INVALID else Status.NOT_FOUND
        return LookupOutcome(status, unknown_caller_fields(caller), caller, source="none")

    hit, cached = cache.get(caller.e164)
    if hit:
        return _answer(cached, caller, now, source="cache")

    try:
        record = run_within(deadline, lambda: adapter.find_by_phone(caller.e164, deadline))
    except (BudgetExceeded, CrmUnavailable) as failure:
        problem = "TIMEOUT" if isinstance(failure, BudgetExceeded) else "CRM_UNAVAILABLE"
        return _degraded(caller, cache, now, problem)

    ttl = config.cache_ttl_seconds if record else config.not_found_ttl_seconds
    cache.put(caller.e164, record, ttl, config.stale_grace_seconds if record else 0)
    return _answer(record, caller, now, source=adapter.name)


def _answer(record: CustomerRecord | None, caller: Caller, now: datetime, source: str) -> LookupOutcome:
    if record is None:
        return LookupOutcome(Status.NOT_FOUND, unknown_caller_fields(caller), caller, source=source)
    return LookupOutcome(Status.OK, customer_fields(record, caller, now, source), caller, source=source)


def _degraded(
    caller: Caller, cache: TtlCache[CustomerRecord | None], now: datetime, problem: str
) -> LookupOutcome:
    """Answer with what is known: a recently cached customer if there is one, else the caller."""
    hit, stale = cache.get_stale(caller.e164)
    if hit and stale is not None:
        fields = customer_fields(stale, caller, now, source="stale-cache")
        fields["stale"] = True
    else:
        fields = unknown_caller_fields(caller)
    fields["degradedReason"] = problem
    return LookupOutcome(
        Status.DEGRADED, fields, caller, source="stale-cache" if hit else "none", problem=problem
    )


def customer_fields(record: CustomerRecord, caller: Caller, now: datetime, source: str) -> dict[str, Any]:
    order = record.latest_order
    return {
        "customerFound": True,
        "customerId": record.customer_id,
        "firstName": speakable_name(record.first_name),
        "tier": record.tier,
        "language": record.language,
        "latestOrderId": order.order_id if order else "",
        "latestOrderStatus": status_code(order.status) if order else "",
        "latestOrderEta": order.eta if order else "",
        "openComplaints": record.open_complaints,
        "recentContacts72h": record.recent_contacts(now),
        "callerType": caller.kind,
        "phoneCountry": caller.country,
        "crmSource": source,
    }


def unknown_caller_fields(caller: Caller) -> dict[str, Any]:
    """Defaults a flow can branch on when the caller is not (or cannot be) identified."""
    return {
        "customerFound": False,
        "customerId": "",
        "firstName": "",
        "tier": "standard",
        "language": "",
        "latestOrderId": "",
        "latestOrderStatus": "",
        "latestOrderEta": "",
        "openComplaints": 0,
        "recentContacts72h": 0,
        "callerType": caller.kind,
        "phoneCountry": caller.country,
        "crmSource": "none",
    }


def status_code(status: str) -> str:
    """Order statuses as one comparable code, whatever the CRM's spelling: "in transit" → IN_TRANSIT."""
    return "_".join(re.sub(r"[^\w ]+", " ", status or "").upper().split())


def speakable_name(name: str) -> str:
    """A first name text-to-speech can say: letters, spaces, hyphens and apostrophes only."""
    cleaned = " ".join(SPEAKABLE_NAME.sub(" ", name or "").replace("_", " ").split())
    return cleaned[:MAX_NAME_CHARS]
