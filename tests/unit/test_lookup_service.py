"""The lookup logic with injected ports: no AWS, no network."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from lambdas.crm_lookup.adapters.dynamodb import record_from_items
from lambdas.crm_lookup.config import LookupConfig
from lambdas.crm_lookup.model import CrmUnavailable, CustomerRecord, Order
from lambdas.crm_lookup.service import lookup_caller, speakable_name, status_code
from lambdas.shared.budget import Deadline
from lambdas.shared.cache import TtlCache
from lambdas.shared.config import ConfigError
from lambdas.shared.event import parse_contact_event
from lambdas.shared.response import Status

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CONFIG = LookupConfig.from_env({"CUSTOMERS_TABLE": "customers"})
ANA = CustomerRecord(
    customer_id="C1",
    first_name="Ana",
    tier="gold",
    language="en-US",
    latest_order=Order("1042", "SHIPPED"),
    open_complaints=1,
    contact_times=(NOW - timedelta(hours=80), NOW - timedelta(hours=5), NOW - timedelta(hours=1)),
)


class FakeAdapter:
    name = "fake"

    def __init__(
        self, answer: CustomerRecord | None = None, error: Exception | None = None, delay: float = 0.0
    ) -> None:
        self.answer, self.error, self.delay, self.calls = answer, error, delay, 0

    def find_by_phone(self, e164: str, deadline: Deadline) -> CustomerRecord | None:
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        if self.error:
            raise self.error
        return self.answer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def event(address: str = "+12025550101", **parameters: str) -> object:
    return parse_contact_event(
        {
            "Details": {
                "ContactData": {
                    "ContactId": "c",
                    "Channel": "VOICE",
                    "CustomerEndpoint": {"Address": address, "Type": "TELEPHONE_NUMBER"},
                },
                "Parameters": parameters,
            }
        }
    )


def run(
    adapter: FakeAdapter,
    cache: TtlCache | None = None,
    address: str = "+12025550101",  # type: ignore[type-arg]
    budget_ms: int = 1000,
    **parameters: str,
):  # type: ignore[no-untyped-def]
    return lookup_caller(
        event(address, **parameters),
        adapter=adapter,
        cache=cache if cache is not None else TtlCache(),  # type: ignore[arg-type]
        config=CONFIG,
        deadline=Deadline.after_ms(budget_ms),
        now=NOW,
    )


def test_a_known_caller_gets_what_the_flow_needs() -> None:
    outcome = run(FakeAdapter(ANA))
    assert outcome.status is Status.OK
    assert outcome.fields["customerId"] == "C1"
    assert outcome.fields["firstName"] == "Ana"
    assert outcome.fields["tier"] == "gold"
    assert outcome.fields["latestOrderStatus"] == "SHIPPED"
    assert outcome.fields["openComplaints"] == 1
    assert outcome.fields["recentContacts72h"] == 2  # the 80-hour-old contact is outside the window
    assert outcome.source == "fake"


def test_the_second_lookup_is_served_from_the_cache() -> None:
    adapter, cache = FakeAdapter(ANA), TtlCache()  # type: ignore[var-annotated]
    run(adapter, cache)
    outcome = run(adapter, cache)
    assert adapter.calls == 1
    assert outcome.source == "cache"


def test_an_unknown_number_is_not_found_and_cached_briefly() -> None:
    adapter, cache = FakeAdapter(None), TtlCache()  # type: ignore[var-annotated]
    assert run(adapter, cache).status is Status.NOT_FOUND
    assert run(adapter, cache).status is Status.NOT_FOUND
    assert adapter.calls == 1


def test_withheld_callers_never_reach_the_crm() -> None:
    adapter = FakeAdapter(ANA)
    outcome = run(adapter, address="anonymous")
    assert outcome.status is Status.NOT_FOUND
    assert outcome.fields["callerType"].value == "WITHHELD"
    assert adapter.calls == 0


def test_an_unreadable_number_is_invalid_input_with_unknown_caller_defaults() -> None:
    outcome = run(FakeAdapter(ANA), address="12")
    assert outcome.status is Status.INVALID_INPUT
    assert outcome.fields["tier"] == "standard"
    assert outcome.fields["customerFound"] is False


def test_the_flow_may_pass_the_number_in_national_format() -> None:
    adapter = FakeAdapter(ANA)
    assert run(adapter, address="anonymous", callerNumber="(202) 555-0101").status is Status.OK


def test_a_crm_failure_is_degraded_not_an_error() -> None:
    outcome = run(FakeAdapter(error=CrmUnavailable("down")))
    assert outcome.status is Status.DEGRADED
    assert outcome.fields["degradedReason"] == "CRM_UNAVAILABLE"
    assert outcome.fields["tier"] == "standard"


def test_a_slow_crm_is_abandoned_at_the_budget() -> None:
    started = time.monotonic()
    outcome = run(FakeAdapter(ANA, delay=1.0), budget_ms=100)
    assert time.monotonic() - started < 0.8
    assert outcome.status is Status.DEGRADED
    assert outcome.fields["degradedReason"] == "TIMEOUT"


def test_a_recently_known_customer_is_still_recognised_while_the_crm_is_down() -> None:
    clock = Clock()
    cache: TtlCache[CustomerRecord | None] = TtlCache(clock=clock)
    run(FakeAdapter(ANA), cache)
    clock.now += CONFIG.cache_ttl_seconds + 1  # expired, inside the stale grace
    outcome = run(FakeAdapter(error=CrmUnavailable("down")), cache)
    assert outcome.status is Status.DEGRADED
    assert outcome.fields["firstName"] == "Ana"
    assert outcome.fields["stale"] is True
    assert outcome.source == "stale-cache"


@pytest.mark.parametrize(
    ("raw", "spoken"),
    [
        ("Ana", "Ana"),
        ("Sam O'Neill", "Sam O'Neill"),
        ("Chloé", "Chloé"),
        ("<b>Eve</b>", "b Eve b"),
        ("x" * 80, "x" * 40),
        ("", ""),
    ],
)
def test_names_are_made_safe_to_speak(raw: str, spoken: str) -> None:
    assert speakable_name(raw) == spoken


def test_items_assemble_into_one_customer_with_the_latest_order() -> None:
    items = [
        {"pk": "CUSTOMER#C2", "sk": "PROFILE", "customerId": "C2", "firstName": "Ben", "tier": "GOLD"},
        {
            "pk": "CUSTOMER#C2",
            "sk": "ORDER#2026-11-01#1",
            "orderId": "1",
            "status": "delivered",
            "placedAt": "2026-11-01",
        },
        {
            "pk": "CUSTOMER#C2",
            "sk": "ORDER#2026-11-20#2",
            "orderId": "2",
            "status": "shipped",
            "placedAt": "2026-11-20",
        },
        {"pk": "CUSTOMER#C2", "sk": "COMPLAINT#a", "status": "OPEN"},
        {"pk": "CUSTOMER#C2", "sk": "COMPLAINT#b", "status": "CLOSED"},
        {"pk": "CUSTOMER#C2", "sk": "CONTACT#2026-11-23T10:00:00+00:00", "at": "2026-11-23T10:00:00+00:00"},
        {"pk": "CUSTOMER#C2", "sk": "CONTACT#bad", "at": "not a time"},
    ]
    record = record_from_items(items)
    assert record is not None
    assert record.tier == "gold"
    assert record.latest_order == Order("2", "shipped", "2026-11-20", "")
    assert record.open_complaints == 1
    assert len(record.contact_times) == 1


def test_no_profile_means_no_customer_and_shared_numbers_resolve_stably() -> None:
    assert record_from_items([{"pk": "CUSTOMER#C9", "sk": "ORDER#x"}]) is None
    items = [
        {"pk": "CUSTOMER#C9", "sk": "PROFILE", "customerId": "C9", "tier": "vip"},
        {"pk": "CUSTOMER#C3", "sk": "PROFILE", "customerId": "C3", "tier": "gold"},
    ]
    assert record_from_items(items).customer_id == "C3"  # type: ignore[union-attr]
    assert record_from_items(list(reversed(items))).customer_id == "C3"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "CUSTOMERS_TABLE is required"),
        ({"CRM_ADAPTER": "salesforce"}, "CRM_ADAPTER must be one of dynamodb, http"),
        ({"CRM_ADAPTER": "http"}, "CRM_HTTP_BASE_URL is required"),
        (
            {"CUSTOMERS_TABLE": "customers", "LOOKUP_BUDGET_MS": "fast"},
            "LOOKUP_BUDGET_MS must be a whole number",
        ),
        (
            {"CUSTOMERS_TABLE": "customers", "LOOKUP_BUDGET_MS": "9000"},
            "LOOKUP_BUDGET_MS must be between 100 and 7000",
        ),
        (
            {"CUSTOMERS_TABLE": "customers", "DEFAULT_COUNTRY": "USA"},
            "DEFAULT_COUNTRY must be an ISO country code",
        ),
        ({"CUSTOMERS_TABLE": "my customers"}, "CUSTOMERS_TABLE must be a DynamoDB table name"),
        (
            {"CRM_ADAPTER": "http", "CRM_HTTP_BASE_URL": "ftp://crm", "CRM_HTTP_SECRET_ARN": "crm-token"},
            "CRM_HTTP_BASE_URL: CRM base URL must use https://",
        ),
        (
            {"CRM_ADAPTER": "http", "CRM_HTTP_BASE_URL": "https://crm", "CRM_HTTP_SECRET_ARN": "a secret"},
            "CRM_HTTP_SECRET_ARN must be a Secrets Manager secret ARN or name",
        ),
    ],
)
def test_configuration_errors_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LookupConfig.from_env(env)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("SHIPPED", "SHIPPED"),
        ("shipped", "SHIPPED"),
        ("In transit", "IN_TRANSIT"),
        ("out-for-delivery", "OUT_FOR_DELIVERY"),
        ("", ""),
    ],
)
def test_order_statuses_become_one_comparable_code(raw: str, code: str) -> None:
    assert status_code(raw) == code
