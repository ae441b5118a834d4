"""The HTTP CRM adapter against a real HTTP server on 127.0.0.1, with the token from moto.

Every test talks to a live socket (no urllib mocking), so timeouts, resets and the wire format
are the real ones. Breakers are per test with an injected clock; the module-level default
breaker is never touched.
"""

from __future__ import annotations

import json
import socket
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdas.crm_lookup.adapters.base import CrmAdapter
from lambdas.crm_lookup.adapters.http import (
    MAX_BODY_BYTES,
    HttpCrmAdapter,
    parse_customer_response,
    validate_base_url,
)
from lambdas.crm_lookup.adapters.secrets import SecretTokenProvider
from lambdas.crm_lookup.model import CrmUnavailable, CustomerRecord, Order
from lambdas.shared.aws import ClientLimits, make_client
from lambdas.shared.budget import Deadline
from lambdas.shared.resilience import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from tests.integration.crm_http_server import (
    CrmHttpServer,
    Reply,
    close,
    json_reply,
    malformed_json,
    not_found,
    ok,
    reset,
    slow,
    status,
)

PHONE = "+447700900123"  # Ofcom drama range: never a real subscriber
REGION = "eu-west-2"
TOKEN = "tk_live_0123456789abcdef"
RECORD = {
    "customerId": "C-1042",
    "firstName": "Ana",
    "tier": "Gold",
    "language": "pt-BR",
    "latestOrder": {"id": "1042", "status": "SHIPPED", "placedAt": "2024-05-01", "eta": "2024-05-06"},
    "openComplaints": 1,
    "recentContacts": ["2024-05-02T10:00:00Z", "2024-05-03T09:30:00+02:00", "2024-05-03T12:00:00"],
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class StaticTokens:
    """A token provider that counts reads and invalidations."""

    def __init__(self, token: str = TOKEN) -> None:
        self.value = token
        self.reads = 0
        self.invalidated: list[str | None] = []

    def token(self) -> str:
        self.reads += 1
        return self.value

    def invalidate(self, rejected: str | None = None) -> None:
        self.invalidated.append(rejected)


@pytest.fixture
def crm_server() -> Iterator[CrmHttpServer]:
    with CrmHttpServer() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, recovery_timeout_seconds=30, clock=clock)


def adapter_for(
    server: CrmHttpServer,
    breaker: CircuitBreaker,
    tokens: Any = None,
    **options: Any,
) -> HttpCrmAdapter:
    options.setdefault("base_delay_seconds", 0.005)
    options.setdefault("max_delay_seconds", 0.01)
    return HttpCrmAdapter(server.url, tokens or StaticTokens(), breaker=breaker, **options)


def budget(seconds: float = 2.0) -> Deadline:
    return Deadline.after_ms(seconds * 1000)


def full_text(error: BaseException) -> str:
    """The exception with its whole cause chain, as a log line with a traceback would show it."""
    return "".join(traceback.format_exception(error))


# --- Found, not found, request shape ------------------------------------------------------


def test_found_customer_is_parsed_from_the_documented_schema(
    crm_server: CrmHttpServer, breaker: CircuitBreaker
) -> None:
    # Given the CRM knows the caller
    crm_server.script(ok(RECORD))
    adapter = adapter_for(crm_server, breaker)
    # When the adapter looks the number up
    record = adapter.find_by_phone(PHONE, budget())
    # Then every documented field is mapped, tier normalised, timestamps aware UTC
    assert record is not None
    assert record.customer_id == "C-1042"
    assert record.first_name == "Ana"
    assert record.tier == "gold"
    assert record.language == "pt-BR"
    assert record.latest_order is not None
    assert (record.latest_order.order_id, record.latest_order.status) == ("1042", "SHIPPED")
    assert (record.latest_order.placed_at, record.latest_order.eta) == ("2024-05-01", "2024-05-06")
    assert record.open_complaints == 1
    assert record.contact_times == (
        datetime(2024, 5, 2, 10, 0, tzinfo=UTC),
        datetime(2024, 5, 3, 7, 30, tzinfo=UTC),
        datetime(2024, 5, 3, 12, 0, tzinfo=UTC),
    )
    assert record.recent_contacts(now=datetime(2024, 5, 4, tzinfo=UTC)) == 3
    assert breaker.state == CLOSED


def test_request_carries_the_urlencoded_number_and_the_documented_headers(
    crm_server: CrmHttpServer, breaker: CircuitBreaker
) -> None:
    crm_server.script(ok(RECORD))
    adapter_for(crm_server, breaker).find_by_phone(PHONE, budget())
    (request,) = crm_server.requests
    assert request.method == "GET"
    assert request.path == "/customers"
    assert request.raw_query == "phone=%2B447700900123"  # "+" must not arrive as a space
    assert request.query == {"phone": [PHONE]}
    assert request.header("Authorization") == f"Bearer {TOKEN}"
    assert request.header("Accept") == "application/json"
    assert request.header("User-Agent") == "tandem-crm-lookup"


def test_base_url_path_is_kept_and_a_trailing_slash_ignored(
    crm_server: CrmHttpServer, breaker: CircuitBreaker
) -> None:
    adapter = HttpCrmAdapter(crm_server.url + "/api/v1/", StaticTokens(), breaker=breaker)
    adapter.find_by_phone(PHONE, budget())
    assert crm_server.requests[0].path == "/api/v1/customers"


def test_optional_fields_may_be_absent_or_null(crm_server: CrmHttpServer, breaker: CircuitBreaker) -> None:
    minimal: dict[str, Any] = {
        "customerId": "C-7",
        "firstName": "",
        "tier": None,
        "latestOrder": {"id": "9", "status": "PROCESSING"},
        "openComplaints": 0,
        "recentContacts": [],
        "someFutureField": {"ignored": True},
    }
    crm_server.script(ok(minimal))
    record = adapter_for(crm_server, breaker).find_by_phone(PHONE, budget())
    assert record == CustomerRecord(
        customer_id="C-7",
        first_name="",
        tier="standard",
        language="",
        latest_order=Order(order_id="9", status="PROCESSING", placed_at="", eta=""),
        open_complaints=0,
        contact_times=(),
    )


def test_unknown_tier_is_standard(crm_server: CrmHttpServer, breaker: CircuitBreaker) -> None:
    crm_server.script(ok({**RECORD, "tier": "platinum"}))
    record = adapter_for(crm_server, breaker).find_by_phone(PHONE, budget())
    assert record is not None
    assert record.tier == "standard"


def test_not_found_is_none_and_counts_as_success_for_the_breaker(
    crm_server: CrmHttpServer, breaker: CircuitBreaker
) -> None:
    # Given one failure already counted
    crm_server.script(status(500), not_found())
    adapter = adapter_for(crm_server, breaker, attempts=1)
    with pytest.raises(CrmUnavailable):
        adapter.find_by_phone(PHONE, budget())
    assert breaker.consecutive_failures == 1
    # When the CRM answers 404
    result = adapter.find_by_phone(PHONE, budget())
    # Then the caller is unknown, and the failure streak is over
    assert result is None
    assert breaker.consecutive_failures == 0


def test_adapter_satisfies_the_crm_adapter_protocol(
    crm_server: CrmHttpServer, breaker: CircuitBreaker
) -> None:
    adapter: CrmAdapter = adapter_for(crm_server, breaker)
    assert adapter.name == "http"


# --- Retries ------------------------------------------------------------------------------


@pytest.mark.parametrize("first", [status(500), status(503), status(429), status(502), reset(), close()])
def test_transient_failure_then_success_is_retried(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, first: Reply
) -> None:
    crm_server.script(first, ok(RECORD))
    record = adapter_for(crm_server, breaker, attempts=2).find_by_phone(PHONE, budget())
    assert record is not None
    assert record.customer_id == "C-1042"
    assert crm_server.request_count == 2
    assert breaker.consecutive_failures == 0


@pytest.mark.parametrize("attempts", [1, 2, 3])
def test_persistent_5xx_gives_up_after_attempts(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, attempts: int
) -> None:
    crm_server.always(status(503))
    adapter = adapter_for(crm_server, breaker, attempts=attempts)
    with pytest.raises(CrmUnavailable, match="HTTP 503"):
        adapter.find_by_phone(PHONE, budget())
    assert crm_server.request_count == attempts
    assert breaker.consecutive_failures == 1  # one lookup, one failure, however many attempts


def test_persistent_resets_give_up_after_attempts(crm_server: CrmHttpServer, breaker: CircuitBreaker) -> None:
    crm_server.always(reset())
    with pytest.raises(CrmUnavailable, match="CRM request failed"):
        adapter_for(crm_server, breaker, attempts=2).find_by_phone(PHONE, budget())
    assert crm_server.request_count == 2


def test_connection_refused_is_unavailable(breaker: CircuitBreaker) -> None:
    # Given a port nobody listens on any more
    with CrmHttpServer() as gone:
        url = gone.url
    adapter = HttpCrmAdapter(url, StaticTokens(), breaker=breaker, attempts=2, base_delay_seconds=0.001)
    with pytest.raises(CrmUnavailable, match="ConnectionRefusedError"):
        adapter.find_by_phone(PHONE, budget())


@pytest.mark.parametrize("code", [400, 405, 410, 422, 204, 301, 302])
def test_unexpected_status_is_unavailable_and_not_retried(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, code: int
) -> None:
    crm_server.always(Reply(status=code, headers=(("Location", "http://127.0.0.1:9/elsewhere"),)))
    with pytest.raises(CrmUnavailable, match=f"unexpected HTTP {code}"):
        adapter_for(crm_server, breaker, attempts=3).find_by_phone(PHONE, budget())
    assert crm_server.request_count == 1


def test_redirects_are_not_followed_so_the_token_never_leaves(
    crm_server: CrmHttpServer, breaker: CircuitBreaker
) -> None:
    with CrmHttpServer() as elsewhere:
        crm_server.always(Reply(status=307, headers=(("Location", elsewhere.url + "/customers"),)))
        with pytest.raises(CrmUnavailable):
            adapter_for(crm_server, breaker).find_by_phone(PHONE, budget())
        assert elsewhere.request_count == 0


# --- Auth ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [401, 403])
def test_rejected_credentials_are_not_retried_and_invalidate_the_token(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, code: int
) -> None:
    tokens = StaticTokens()
    crm_server.always(status(code))
    with pytest.raises(CrmUnavailable, match=f"rejected the credentials \\(HTTP {code}\\)"):
        adapter_for(crm_server, breaker, tokens, attempts=3).find_by_phone(PHONE, budget())
    assert crm_server.request_count == 1
    assert tokens.invalidated == [TOKEN]


# --- Time budget --------------------------------------------------------------------------


@pytest.mark.slow
def test_slow_crm_is_given_up_on_within_the_budget(
    crm_server: CrmHttpServer, breaker: CircuitBreaker
) -> None:
    # Given a CRM that takes 1.5 s and a 0.5 s budget
    crm_server.always(slow(1.5, then=ok(RECORD)))
    adapter = adapter_for(crm_server, breaker, read_timeout=0.8, attempts=3)
    started = time.monotonic()
    # When the adapter looks up the caller
    with pytest.raises(CrmUnavailable, match="TimeoutError"):
        adapter.find_by_phone(PHONE, budget(0.5))
    elapsed = time.monotonic() - started
    # Then it gives up at the deadline (the read timeout shrinks to the budget) without a retry
    assert elapsed < 0.5 + 0.25  # correctness bound: deadline plus scheduling slack
    assert crm_server.request_count == 1


@pytest.mark.slow
def test_timeouts_are_retried_while_the_budget_allows(
    crm_server: CrmHttpServer, breaker: CircuitBreaker
) -> None:
    # Given 0.2 s attempts, a 1 s budget and a CRM that is slow twice
    crm_server.always(slow(0.6, then=ok(RECORD)))
    adapter = adapter_for(crm_server, breaker, read_timeout=0.2, attempts=2)
    started = time.monotonic()
    with pytest.raises(CrmUnavailable):
        adapter.find_by_phone(PHONE, budget(1.0))
    # Then both attempts ran, each cut at its own timeout
    assert crm_server.request_count == 2
    assert time.monotonic() - started < 1.0 + 0.25


@pytest.mark.slow
def test_a_slow_first_attempt_then_a_fast_one_succeeds(
    crm_server: CrmHttpServer, breaker: CircuitBreaker
) -> None:
    crm_server.script(slow(0.5, then=ok(RECORD)), ok(RECORD))
    adapter = adapter_for(crm_server, breaker, read_timeout=0.15, attempts=2)
    record = adapter.find_by_phone(PHONE, budget(1.0))
    assert record is not None
    assert crm_server.request_count == 2


@pytest.mark.slow
def test_no_retry_is_started_that_could_not_finish(
    crm_server: CrmHttpServer, breaker: CircuitBreaker
) -> None:
    # Given a first attempt that times out after 0.3 s of a 0.5 s budget, with 0.3 s attempts
    crm_server.always(slow(1.0))
    adapter = adapter_for(crm_server, breaker, read_timeout=0.3, attempts=3)
    with pytest.raises(CrmUnavailable):
        adapter.find_by_phone(PHONE, budget(0.5))
    # Then the 0.2 s left is not enough for another attempt
    assert crm_server.request_count == 1


def test_connect_has_its_own_shorter_timeout(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a record of the timeout each TCP connect is made with
    real = socket.create_connection
    connect_timeouts: list[float] = []

    def recording(address: Any, timeout: Any = None, *args: Any, **kwargs: Any) -> socket.socket:
        connect_timeouts.append(timeout)
        return real(address, timeout, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", recording)
    crm_server.script(ok(RECORD))
    # When the adapter (connect 0.1 s, read 0.7 s) makes a request
    adapter_for(crm_server, breaker, connect_timeout=0.1, read_timeout=0.7).find_by_phone(PHONE, budget())
    # Then connecting was bounded by the connect timeout, not the read timeout
    assert connect_timeouts == [pytest.approx(0.1)]


def test_expired_budget_sends_nothing(crm_server: CrmHttpServer, breaker: CircuitBreaker) -> None:
    with pytest.raises(CrmUnavailable, match="no time left"):
        adapter_for(crm_server, breaker).find_by_phone(PHONE, Deadline(at=time.monotonic() - 1))
    assert crm_server.request_count == 0


# --- Malformed responses ------------------------------------------------------------------


def without(key: str) -> dict[str, Any]:
    return {name: value for name, value in RECORD.items() if name != key}


MALFORMED: list[tuple[str, Any, str]] = [
    ("missing customerId", without("customerId"), "customerId"),
    ("numeric customerId", {**RECORD, "customerId": 1042}, "customerId"),
    ("blank customerId", {**RECORD, "customerId": " "}, "customerId"),
    ("missing firstName", without("firstName"), "firstName"),
    ("null firstName", {**RECORD, "firstName": None}, "firstName"),
    ("numeric tier", {**RECORD, "tier": 3}, "tier"),
    ("list language", {**RECORD, "language": ["pt"]}, "language"),
    ("string complaints", {**RECORD, "openComplaints": "1"}, "openComplaints"),
    ("boolean complaints", {**RECORD, "openComplaints": True}, "openComplaints"),
    ("negative complaints", {**RECORD, "openComplaints": -1}, "openComplaints"),
    ("float complaints", {**RECORD, "openComplaints": 1.5}, "openComplaints"),
    ("missing complaints", without("openComplaints"), "openComplaints"),
    ("missing latestOrder", without("latestOrder"), "latestOrder"),
    ("string latestOrder", {**RECORD, "latestOrder": "1042"}, "latestOrder"),
    ("numeric order id", {**RECORD, "latestOrder": {"id": 1042, "status": "SHIPPED"}}, "latestOrder.id"),
    ("order without status", {**RECORD, "latestOrder": {"id": "1042"}}, "latestOrder.status"),
    ("numeric eta", {**RECORD, "latestOrder": {"id": "1", "status": "S", "eta": 5}}, "latestOrder.eta"),
    ("missing recentContacts", without("recentContacts"), "recentContacts"),
    ("string recentContacts", {**RECORD, "recentContacts": "2024-05-02"}, "recentContacts"),
    ("numeric contact", {**RECORD, "recentContacts": [1714644000]}, "recentContacts[0]"),
    (
        "unparseable contact",
        {**RECORD, "recentContacts": ["2024-05-02T10:00:00Z", "yesterday"]},
        "recentContacts[1]",
    ),
    ("array body", [RECORD], "not a JSON object"),
    ("null body", None, "not a JSON object"),
]


@pytest.mark.parametrize(
    ("document", "field"), [(d, f) for _, d, f in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_wrong_types_are_unavailable_naming_the_field_and_not_retried(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, document: Any, field: str
) -> None:
    crm_server.always(ok(document))
    with pytest.raises(CrmUnavailable, match="malformed CRM response") as caught:
        adapter_for(crm_server, breaker, attempts=3).find_by_phone(PHONE, budget())
    assert field in str(caught.value)
    # A wrong answer is not a transient one: asking again returns the same wrong answer.
    assert crm_server.request_count == 1
    # Names never reach the message, even when a neighbouring field is the broken one.
    assert "Ana" not in full_text(caught.value)
    assert breaker.consecutive_failures == 1


@pytest.mark.parametrize(
    "body",
    [malformed_json().body, b"", b"<html>502 Bad Gateway</html>", b"\xff\xfe\x00garbage", b"[" * 60_000],
    ids=["truncated", "empty", "html", "binary", "deeply nested"],
)
def test_malformed_json_is_unavailable(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, body: bytes
) -> None:
    crm_server.always(Reply(status=200, body=body))
    with pytest.raises(CrmUnavailable, match="malformed CRM response"):
        adapter_for(crm_server, breaker, attempts=2).find_by_phone(PHONE, budget())
    assert crm_server.request_count == 1


def test_oversized_body_is_refused(crm_server: CrmHttpServer, breaker: CircuitBreaker) -> None:
    crm_server.always(ok({**RECORD, "padding": "x" * MAX_BODY_BYTES}))
    with pytest.raises(CrmUnavailable, match="larger than"):
        adapter_for(crm_server, breaker).find_by_phone(PHONE, budget())


def test_parse_accepts_exactly_the_wire_bytes() -> None:
    record = parse_customer_response(json.dumps(RECORD).encode())
    assert record.customer_id == "C-1042"


# --- Circuit breaker ----------------------------------------------------------------------


def test_breaker_opens_after_threshold_and_short_circuits_without_requests(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, clock: FakeClock
) -> None:
    tokens = StaticTokens()
    crm_server.always(status(500))
    adapter = adapter_for(crm_server, breaker, tokens, attempts=2)
    # Given three failed lookups (threshold 3), each making two attempts
    for _ in range(3):
        with pytest.raises(CrmUnavailable, match="HTTP 500"):
            adapter.find_by_phone(PHONE, budget())
    assert breaker.state == OPEN
    assert crm_server.request_count == 6
    reads = tokens.reads
    # When more callers arrive before the recovery timeout
    clock.advance(29)
    for _ in range(5):
        with pytest.raises(CrmUnavailable, match="circuit open"):
            adapter.find_by_phone(PHONE, budget())
    # Then not one request reached the CRM, nor was the secret read
    assert crm_server.request_count == 6
    assert tokens.reads == reads


def test_breaker_half_opens_after_recovery_and_a_good_trial_closes_it(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, clock: FakeClock
) -> None:
    crm_server.script(*[status(503)] * 3, ok(RECORD), ok(RECORD))
    adapter = adapter_for(crm_server, breaker, attempts=1)
    for _ in range(3):
        with pytest.raises(CrmUnavailable):
            adapter.find_by_phone(PHONE, budget())
    assert breaker.state == OPEN
    # When the recovery timeout passes
    clock.advance(30)
    assert breaker.state == HALF_OPEN
    # Then one trial request goes through and, succeeding, closes the breaker
    assert adapter.find_by_phone(PHONE, budget()) is not None
    assert breaker.state == CLOSED
    assert adapter.find_by_phone(PHONE, budget()) is not None
    assert crm_server.request_count == 5


def test_failed_trial_is_a_single_request_and_reopens(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, clock: FakeClock
) -> None:
    crm_server.always(status(503))
    adapter = adapter_for(crm_server, breaker, attempts=3)
    for _ in range(3):
        with pytest.raises(CrmUnavailable):
            adapter.find_by_phone(PHONE, budget())
    before = crm_server.request_count
    clock.advance(30)
    with pytest.raises(CrmUnavailable, match="HTTP 503"):
        adapter.find_by_phone(PHONE, budget())
    # A recovering CRM gets one probe, not a burst of retries
    assert crm_server.request_count == before + 1
    assert breaker.state == OPEN
    with pytest.raises(CrmUnavailable, match="circuit open"):
        adapter.find_by_phone(PHONE, budget())
    assert crm_server.request_count == before + 1


def test_breaker_trial_in_flight_rejects_other_callers(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, clock: FakeClock
) -> None:
    crm_server.always(status(500))
    adapter = adapter_for(crm_server, breaker, attempts=1)
    for _ in range(3):
        with pytest.raises(CrmUnavailable):
            adapter.find_by_phone(PHONE, budget())
    clock.advance(30)
    assert breaker.allow()  # another invocation's trial is in flight
    with pytest.raises(CrmUnavailable, match="trial request is already in flight"):
        adapter.find_by_phone(PHONE, budget())
    assert crm_server.request_count == 3


# --- Token from Secrets Manager (moto) -----------------------------------------------------


@pytest.fixture
def secretsmanager(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        # The client the Lambda makes: explicit timeouts and retries (lambdas.shared.aws).
        yield make_client("secretsmanager", ClientLimits(connect_timeout=0.3, read_timeout=0.5))


def count_secret_reads(client: Any) -> list[str]:
    """Every GetSecretValue the client sends (before-send runs inside botocore's retry loop)."""
    reads: list[str] = []
    client.meta.events.register(
        "before-send.secrets-manager.GetSecretValue", lambda **_: reads.append("GetSecretValue")
    )
    return reads


def create_secret(client: Any, value: str) -> str:
    return str(client.create_secret(Name="tandem/crm-token", SecretString=value)["ARN"])


@pytest.mark.parametrize(
    "secret_string", [TOKEN, json.dumps({"token": TOKEN}), f'  {{"token": "{TOKEN}"}}\n']
)
def test_auth_header_carries_the_token_from_secrets_manager(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, secretsmanager: Any, secret_string: str
) -> None:
    # Given the token stored raw or as {"token": ...}
    provider = SecretTokenProvider(create_secret(secretsmanager, secret_string), secretsmanager)
    crm_server.always(ok(RECORD))
    # When the adapter looks up a caller
    adapter_for(crm_server, breaker, provider).find_by_phone(PHONE, budget())
    # Then the CRM sees that token as a bearer token
    assert crm_server.requests[0].header("Authorization") == f"Bearer {TOKEN}"


def test_token_is_cached_across_lookups(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, secretsmanager: Any
) -> None:
    reads = count_secret_reads(secretsmanager)
    provider = SecretTokenProvider(create_secret(secretsmanager, TOKEN), secretsmanager)
    crm_server.always(ok(RECORD))
    adapter = adapter_for(crm_server, breaker, provider)
    adapter.find_by_phone(PHONE, budget())
    adapter.find_by_phone(PHONE, budget())
    assert crm_server.request_count == 2
    assert reads == ["GetSecretValue"]


def test_rotation_is_picked_up_after_the_ttl(secretsmanager: Any, clock: FakeClock) -> None:
    reads = count_secret_reads(secretsmanager)
    arn = create_secret(secretsmanager, "old-token")
    provider = SecretTokenProvider(arn, secretsmanager, ttl_seconds=300, clock=clock)
    assert provider.token() == "old-token"
    secretsmanager.put_secret_value(SecretId=arn, SecretString=json.dumps({"token": "new-token"}))
    clock.advance(299)
    assert provider.token() == "old-token"  # still inside the TTL
    clock.advance(1)
    assert provider.token() == "new-token"
    assert len(reads) == 2


def test_401_after_rotation_rereads_the_secret_once(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, secretsmanager: Any
) -> None:
    reads = count_secret_reads(secretsmanager)
    arn = create_secret(secretsmanager, "old-token")
    provider = SecretTokenProvider(arn, secretsmanager)
    adapter = adapter_for(crm_server, breaker, provider)
    crm_server.always(ok(RECORD))
    adapter.find_by_phone(PHONE, budget())
    # Given the secret was rotated and the CRM now refuses the old token
    secretsmanager.put_secret_value(SecretId=arn, SecretString="new-token")
    crm_server.script(status(401))
    with pytest.raises(CrmUnavailable, match="HTTP 401"):
        adapter.find_by_phone(PHONE, budget())
    # When the next caller arrives
    adapter.find_by_phone(PHONE, budget())
    # Then it carries the new token, read once more from Secrets Manager
    assert crm_server.requests[-1].header("Authorization") == "Bearer new-token"
    assert len(reads) == 2


def test_a_token_the_crm_keeps_refusing_is_not_reread_on_every_call(
    crm_server: CrmHttpServer, secretsmanager: Any, clock: FakeClock
) -> None:
    reads = count_secret_reads(secretsmanager)
    provider = SecretTokenProvider(create_secret(secretsmanager, "wrong-token"), secretsmanager, clock=clock)
    breaker = CircuitBreaker(failure_threshold=100, clock=clock)
    crm_server.always(status(401))
    adapter = adapter_for(crm_server, breaker, provider)
    for _ in range(4):
        with pytest.raises(CrmUnavailable):
            adapter.find_by_phone(PHONE, budget())
    # The first refusal drops the cache once; the reread gives the same token, which stays cached.
    assert len(reads) == 2


@pytest.mark.parametrize(
    ("secret_string", "problem"),
    [
        ("   ", "is empty"),  # SecretString has a minimum length of 1, so blank is the empty case
        (json.dumps({"apiKey": TOKEN}), 'no "token" key (keys: apiKey)'),
        (json.dumps({"token": 12345}), '"token" must be a non-empty string'),
        (json.dumps({"token": ""}), '"token" must be a non-empty string'),
        (json.dumps([TOKEN]), "must be a JSON object"),
        ('{"token": "' + TOKEN, "does not parse"),
        (f"Bearer {TOKEN}", "without spaces or control characters"),
        (f"{TOKEN}\r\nX-Injected: 1", "without spaces or control characters"),
    ],
)
def test_malformed_secret_is_unavailable_naming_the_problem_not_the_value(
    secretsmanager: Any, secret_string: str, problem: str
) -> None:
    arn = create_secret(secretsmanager, secret_string)
    with pytest.raises(CrmUnavailable) as caught:
        SecretTokenProvider(arn, secretsmanager).token()
    message = full_text(caught.value)
    assert problem in str(caught.value)
    assert arn in str(caught.value)
    assert TOKEN not in message


def test_binary_secret_is_unavailable(secretsmanager: Any) -> None:
    arn = str(secretsmanager.create_secret(Name="tandem/binary", SecretBinary=b"\x00\x01")["ARN"])
    with pytest.raises(CrmUnavailable, match="no SecretString"):
        SecretTokenProvider(arn, secretsmanager).token()


def test_missing_secret_is_unavailable_and_no_request_is_sent(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, secretsmanager: Any
) -> None:
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:tandem/absent-AbCdEf"
    adapter = adapter_for(crm_server, breaker, SecretTokenProvider(arn, secretsmanager))
    with pytest.raises(CrmUnavailable, match="ResourceNotFoundException"):
        adapter.find_by_phone(PHONE, budget())
    assert crm_server.request_count == 0
    # Secrets Manager's trouble is not the CRM's: the breaker does not count it.
    assert breaker.consecutive_failures == 0


def test_unreachable_secrets_manager_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    # No moto here: point the client at a closed local port so nothing leaves the machine.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with CrmHttpServer() as gone:
        url = gone.url
    client = boto3.client(
        "secretsmanager",
        region_name=REGION,
        endpoint_url=url,
        config=ClientLimits(connect_timeout=0.2, read_timeout=0.2, max_attempts=1).botocore_config(),
    )
    with pytest.raises(CrmUnavailable, match="EndpointConnectionError"):
        SecretTokenProvider("arn:aws:secretsmanager:eu-west-2:123456789012:secret:x", client).token()


# --- Privacy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        status(500),
        status(429),
        status(401),
        status(400),
        reset(),
        close(),
        malformed_json(),
        ok({**RECORD, "openComplaints": "many"}),
        json_reply(200, {"customerId": "C-1", "firstName": "Ana", "phone": PHONE, "tier": 1}),
    ],
    ids=["500", "429", "401", "400", "reset", "close", "malformed", "wrong type", "echoed phone"],
)
def test_errors_never_carry_the_phone_number_or_name(
    crm_server: CrmHttpServer, breaker: CircuitBreaker, reply: Reply
) -> None:
    crm_server.always(reply)
    with pytest.raises(CrmUnavailable) as caught:
        adapter_for(crm_server, breaker).find_by_phone(PHONE, budget())
    text = full_text(caught.value)  # message and every chained cause
    assert PHONE not in text
    assert PHONE[1:] not in text
    assert "%2B447700900123" not in text
    assert "Ana" not in text


def test_non_e164_input_is_refused_without_echoing_it(
    crm_server: CrmHttpServer, breaker: CircuitBreaker
) -> None:
    with pytest.raises(ValueError) as caught:
        adapter_for(crm_server, breaker).find_by_phone("07700 900123", budget())
    assert "900123" not in str(caught.value)
    assert crm_server.request_count == 0


# --- Construction -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://crm.example.com",
        "https://crm.example.com/api/v1/",
        "http://127.0.0.1:8080",
        "http://localhost",
    ],
)
def test_valid_base_urls(url: str) -> None:
    assert validate_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://crm.example.com", "must use https://"),
        ("ftp://crm.example.com", "must use https://"),
        ("crm.example.com/api", "absolute https:// URL"),
        ("", "absolute https:// URL"),
        ("https://crm.example.com/api?key=1", "query string"),
        ("https://crm.example.com:99999", "not a valid URL"),
    ],
)
def test_invalid_base_urls_are_refused_with_a_clear_message(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        HttpCrmAdapter(url, StaticTokens())


def test_credentials_in_the_base_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError, match="must not contain credentials") as caught:
        HttpCrmAdapter("https://svc:hunter2@crm.example.com", StaticTokens())
    assert "hunter2" not in str(caught.value)


def test_default_breaker_is_shared_per_container() -> None:
    first = HttpCrmAdapter("https://crm.example.com", StaticTokens())
    second = HttpCrmAdapter("https://crm.example.com", StaticTokens())
    assert first.breaker is second.breaker
