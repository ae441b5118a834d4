"""A customer's own CRM behind a REST URL (contract: docs/crm-http-contract.md).

Standard library only (urllib): requests/urllib3 would add cold-start import time and bundle
size to a function that is on the caller's critical path. Every attempt is bounded by the
lookup's deadline, transient failures are retried with jitter while the budget allows, and a
module-level circuit breaker skips a CRM that keeps failing so callers are not each made to
wait for its timeouts.

Nothing here logs, and no exception message carries the phone number, a name or the token:
messages are fixed text plus field names and status codes.
"""

from __future__ import annotations

import functools
import http.client
import json
import re
import ssl
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any, Final, Protocol
from urllib.parse import urlencode, urlsplit

from lambdas.crm_lookup.model import CrmUnavailable, CustomerRecord, Order, normalise_tier
from lambdas.shared.budget import BudgetExceeded, Deadline
from lambdas.shared.resilience import HALF_OPEN, OPEN, CircuitBreaker, retry_call

USER_AGENT: Final = "tandem-crm-lookup"
# A customer record is a few hundred bytes; anything far larger is not the documented schema
# and must not be buffered into a 128 MB Lambda.
MAX_BODY_BYTES: Final = 64 * 1024
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})
RETRYABLE_STATUSES: Final = frozenset({408, 429})  # plus every 5xx

_E164 = re.compile(r"\+[1-9]\d{1,14}")

# One breaker per warm container, shared by every adapter instance built in it, so failures
# seen by one invocation protect the next ones.
DEFAULT_BREAKER = CircuitBreaker(failure_threshold=5, recovery_timeout_seconds=30.0)


class TokenProvider(Protocol):
    """Where the bearer token comes from; `SecretTokenProvider` in production."""

    def token(self) -> str: ...

    def invalidate(self, rejected: str | None = None) -> None: ...


class _Transient(Exception):
    """A failure worth retrying (throttled, 5xx, timeout, connection error)."""


class HttpCrmAdapter:
    """`CrmAdapter` for a CRM (or a thin facade in front of one) that serves
    `GET {base_url}/customers?phone=<E.164>` as documented in docs/crm-http-contract.md."""

    name: str = "http"

    def __init__(
        self,
        base_url: str,
        token_provider: TokenProvider,
        *,
        connect_timeout: float = 0.3,
        read_timeout: float = 0.8,
        attempts: int = 2,
        breaker: CircuitBreaker | None = None,
        opener: urllib.request.OpenerDirector | None = None,
        base_delay_seconds: float = 0.05,
        max_delay_seconds: float = 0.25,
    ) -> None:
        if connect_timeout <= 0 or read_timeout <= 0:
            raise ValueError("connect_timeout and read_timeout must be positive")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.base_url = validate_base_url(base_url)
        self._tokens = token_provider
        self._connect_timeout = float(connect_timeout)
        self._read_timeout = float(read_timeout)
        self._attempts = attempts
        self._base_delay = base_delay_seconds
        self._max_delay = max_delay_seconds
        self.breaker = breaker if breaker is not None else DEFAULT_BREAKER
        loopback = urlsplit(self.base_url).hostname in LOOPBACK_HOSTS
        self._opener = opener or build_opener(self._connect_timeout, use_env_proxy=not loopback)

    def find_by_phone(self, e164: str, deadline: Deadline) -> CustomerRecord | None:
        if not _E164.fullmatch(e164):
            raise ValueError("find_by_phone expects an E.164 number")  # never echo the input
        if deadline.expired():
            raise CrmUnavailable("no time left in the budget for a CRM request")
        # Peek first, so an open breaker costs neither a request nor a Secrets Manager read.
        state = self.breaker.state
        if state == OPEN:
            raise CrmUnavailable("CRM circuit open: skipping the request after repeated failures")
        # Read the token before taking a half-open trial slot: a Secrets Manager failure says
        # nothing about the CRM's health and must not count against its breaker.
        token = self._tokens.token()
        if not self.breaker.allow():
            raise CrmUnavailable("CRM circuit open: a trial request is already in flight")
        # A half-open trial probes a CRM that was failing: one request, no retry storm.
        attempts = 1 if state == HALF_OPEN else self._attempts
        url = f"{self.base_url}/customers?{urlencode({'phone': e164})}"
        try:
            record = retry_call(
                lambda: self._attempt(url, token, deadline),
                attempts=attempts,
                base_delay_seconds=self._base_delay,
                max_delay_seconds=self._max_delay,
                deadline=deadline,
                is_retryable=_is_transient,
                attempt_timeout_seconds=self._read_timeout,
            )
        except _Transient as error:
            self.breaker.record_failure()
            raise CrmUnavailable(str(error)) from error
        except BudgetExceeded as error:
            self.breaker.record_failure()
            raise CrmUnavailable("no time left in the budget for a CRM request") from error
        except BaseException:
            self.breaker.record_failure()
            raise
        # A definite "no such customer" is a healthy answer too.
        self.breaker.record_success()
        return record

    def _attempt(self, url: str, token: str, deadline: Deadline) -> CustomerRecord | None:
        remaining = deadline.remaining_seconds()
        if remaining <= 0:
            raise CrmUnavailable("no time left in the budget for a CRM request")
        request = urllib.request.Request(  # noqa: S310 - scheme validated in validate_base_url
            url,
            method="GET",
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        try:
            with self._opener.open(request, timeout=min(self._read_timeout, remaining)) as response:
                status = int(response.status)
                body = response.read(MAX_BODY_BYTES + 1) if status == 200 else b""
        except urllib.error.HTTPError as error:
            error.close()  # frees the connection; error bodies are not read
            self._raise_for_status(error.code, token)
            return None  # 404: the CRM has no such customer
        except urllib.error.URLError as error:
            if isinstance(error.reason, ssl.SSLCertVerificationError):
                raise CrmUnavailable("CRM TLS certificate verification failed") from None
            raise _Transient(f"CRM request failed: {_describe(error.reason)}") from error
        except (OSError, http.client.HTTPException) as error:
            # Timeouts while reading, resets, a connection closed mid-response. Described by
            # type only: some of these messages quote the request line, which holds the number.
            raise _Transient(f"CRM request failed: {_describe(error)}") from None
        if status != 200:
            raise CrmUnavailable(f"CRM returned unexpected HTTP {status}")
        if len(body) > MAX_BODY_BYTES:
            raise CrmUnavailable(f"malformed CRM response: body larger than {MAX_BODY_BYTES} bytes")
        return parse_customer_response(body)

    def _raise_for_status(self, status: int, token: str) -> None:
        """Raise for every status except 404, which is the documented "not found"."""
        if status == 404:
            return
        if status in (401, 403):
            # Most likely the secret was rotated and this container still holds the old token:
            # drop it so the next lookup rereads the secret. Retrying now with the same token
            # would only be rejected again.
            self._tokens.invalidate(token)
            raise CrmUnavailable(f"CRM rejected the credentials (HTTP {status})")
        if status in RETRYABLE_STATUSES or 500 <= status <= 599:
            raise _Transient(f"CRM returned HTTP {status}")
        # Other 4xx, and 3xx (redirects are not followed: that would send the token elsewhere).
        raise CrmUnavailable(f"CRM returned unexpected HTTP {status}")


def _is_transient(error: Exception) -> bool:
    return isinstance(error, _Transient)


def _describe(error: object) -> str:
    return type(error).__name__ if isinstance(error, BaseException) else "connection error"


def validate_base_url(base_url: str) -> str:
    """The base URL without a trailing slash; `ValueError` naming the problem otherwise."""
    url = base_url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises on a malformed port
    except ValueError:
        raise ValueError("CRM base URL is not a valid URL") from None
    scheme = parts.scheme.lower()
    if not host:
        raise ValueError("CRM base URL must be an absolute https:// URL with a host name")
    if parts.username is not None or parts.password is not None:
        # Never echo the URL here: it holds a credential.
        raise ValueError("CRM base URL must not contain credentials; the token comes from Secrets Manager")
    if parts.query or parts.fragment:
        raise ValueError("CRM base URL must not have a query string or fragment")
    if scheme == "https" or (scheme == "http" and host in LOOPBACK_HOSTS):
        return url.rstrip("/")
    raise ValueError(
        "CRM base URL must use https:// (plain http is allowed only for 127.0.0.1 or localhost, "
        f"in tests); got {scheme or 'no scheme'}://{host}"
    )


# Response parsing. Strict about types: a facade that drifts from the contract should fail
# loudly in its first test, not quietly tell the IVR that a VIP has no open complaints.


def parse_customer_response(body: bytes) -> CustomerRecord:
    """A 200 body as a `CustomerRecord`; `CrmUnavailable("malformed CRM response: <field>")`."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise CrmUnavailable("malformed CRM response: body is not JSON") from None
    if not isinstance(document, dict):
        raise CrmUnavailable("malformed CRM response: body is not a JSON object")
    customer_id = _required_str(document, "customerId")
    if not customer_id.strip():
        raise _malformed("customerId")
    tier = document.get("tier")
    if tier is not None and not isinstance(tier, str):
        raise _malformed("tier")
    complaints = document.get("openComplaints")
    # bool is an int subclass; true/false is a type error here, not 1/0.
    if type(complaints) is not int or complaints < 0:
        raise _malformed("openComplaints")
    return CustomerRecord(
        customer_id=customer_id,
        first_name=_required_str(document, "firstName"),
        tier=normalise_tier(tier),
        language=_optional_str(document, "language"),
        latest_order=_parse_order(document),
        open_complaints=complaints,
        contact_times=_parse_contacts(document),
    )


def _malformed(field: str) -> CrmUnavailable:
    return CrmUnavailable(f"malformed CRM response: {field}")


def _required_str(document: dict[str, Any], key: str, prefix: str = "") -> str:
    value = document.get(key)
    if not isinstance(value, str):
        raise _malformed(prefix + key)
    return value


def _optional_str(document: dict[str, Any], key: str, prefix: str = "") -> str:
    value = document.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _malformed(prefix + key)
    return value


def _parse_order(document: dict[str, Any]) -> Order | None:
    if "latestOrder" not in document:
        raise _malformed("latestOrder")
    order = document["latestOrder"]
    if order is None:
        return None
    if not isinstance(order, dict):
        raise _malformed("latestOrder")
    order_id = _required_str(order, "id", "latestOrder.")
    if not order_id.strip():
        raise _malformed("latestOrder.id")
    return Order(
        order_id=order_id,
        status=_required_str(order, "status", "latestOrder."),
        placed_at=_optional_str(order, "placedAt", "latestOrder."),
        eta=_optional_str(order, "eta", "latestOrder."),
    )


def _parse_contacts(document: dict[str, Any]) -> tuple[datetime, ...]:
    contacts = document.get("recentContacts")
    if not isinstance(contacts, list):
        raise _malformed("recentContacts")
    moments = []
    for index, value in enumerate(contacts):
        moment = parse_timestamp(value) if isinstance(value, str) else None
        if moment is None:
            raise _malformed(f"recentContacts[{index}]")
        moments.append(moment)
    return tuple(moments)


def parse_timestamp(text: str) -> datetime | None:
    """An ISO-8601 timestamp as an aware UTC datetime (a trailing Z is accepted; a timestamp
    without an offset is taken as UTC); None when it does not parse."""
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# Transport: urllib with a connect timeout separate from the read timeout, no redirects.


class _ConnectTimeoutMixin:
    """Connect (TCP and TLS handshake) under `connect_timeout`, then read under the request's
    own timeout. urllib has one timeout for both, and a CRM that is down should be given up on
    sooner than one that is slow to answer."""

    timeout: Any
    sock: Any
    _connect_timeout: float

    def connect(self) -> None:
        read_timeout = self.timeout
        if not isinstance(read_timeout, int | float):  # opened without a timeout: leave as is
            super().connect()  # type: ignore[misc]
            return
        self.timeout = min(self._connect_timeout, read_timeout)
        try:
            super().connect()  # type: ignore[misc]
        finally:
            self.timeout = read_timeout
        self.sock.settimeout(read_timeout)


class _HTTPConnection(_ConnectTimeoutMixin, http.client.HTTPConnection):
    def __init__(self, *args: Any, connect_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connect_timeout = connect_timeout


class _HTTPSConnection(_ConnectTimeoutMixin, http.client.HTTPSConnection):
    def __init__(self, *args: Any, connect_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connect_timeout = connect_timeout


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, connect_timeout: float) -> None:
        super().__init__()
        self._connect_timeout = connect_timeout

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        factory = functools.partial(_HTTPConnection, connect_timeout=self._connect_timeout)
        return self.do_open(factory, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, connect_timeout: float) -> None:
        super().__init__(context=ssl.create_default_context())
        self._connect_timeout = connect_timeout

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        factory = functools.partial(_HTTPSConnection, connect_timeout=self._connect_timeout)
        return self.do_open(factory, req, context=self._context)  # type: ignore[attr-defined]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib follows redirects with the Authorization header attached, even to another host;
    a CRM URL that redirects is a misconfiguration to surface, not to follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def build_opener(connect_timeout: float, *, use_env_proxy: bool = True) -> urllib.request.OpenerDirector:
    """The opener the adapter uses; env proxies (HTTPS_PROXY) apply except for loopback tests."""
    proxies = urllib.request.ProxyHandler() if use_env_proxy else urllib.request.ProxyHandler({})
    return urllib.request.build_opener(
        proxies, _HTTPHandler(connect_timeout), _HTTPSHandler(connect_timeout), _NoRedirects()
    )
