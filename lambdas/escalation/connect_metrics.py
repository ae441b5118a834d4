"""A queue's load from Connect's `GetCurrentMetricData`, within our own quota: the second source of
`lambdas/escalation/queue_metrics.py`, used only when the flow passed no queue metrics.

One call per queue and snapshot. Its quota is per account and Region and shared by every caller
(dashboards, wallboards, other functions): 5 requests per second with a burst of 8 (the API
reference's throttling note; repeated in docs/connect-facts.md §4). So `ConnectQueueMetrics` caches
each queue's snapshot for a few seconds and spends its calls from a per-container token bucket (1
per second, burst 2 by default). A throttled answer empties the bucket for a short back-off instead
of being retried. A per-container bucket cannot bound the account-wide rate on its own: N warm
containers can spend N x `requests_per_second`; the cache, the flow's metrics and the function's
concurrency keep N small. The connect client should be made with `ClientLimits(max_attempts=1)`:
retrying a throttled metrics call only spends the shared quota again.

`OLDEST_CONTACT_AGE` always says `Unit: SECONDS`, but the value is in seconds only when the request
has groupings; without groupings it is in milliseconds (botocore's Connect model documentation of
`CurrentMetrics`, e.g. `24113.0` for 24 s; aws/aws-sdk-js#3263). Every request here groups by
`QUEUE` and `CHANNEL`, so the value is taken as seconds; the sandbox's fake reproduces both cases.

Nothing here raises to the caller: a snapshot that cannot be had is None, and `last_problem` says why.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.escalation.queue_metrics import QueueSnapshot, count_of, snapshot_of
from lambdas.shared.cache import TtlCache

# GetCurrentMetricData metric → snapshot field, with the unit the request must name.
CONNECT_METRICS = {
    "AGENTS_AVAILABLE": ("agents_available", "COUNT"),
    "AGENTS_STAFFED": ("agents_staffed", "COUNT"),
    "CONTACTS_IN_QUEUE": ("contacts_in_queue", "COUNT"),
    "OLDEST_CONTACT_AGE": ("oldest_contact_age_seconds", "SECONDS"),
}
CHANNEL = "VOICE"
GROUPINGS = ("QUEUE", "CHANNEL")  # with groupings, OLDEST_CONTACT_AGE is in seconds (see above)
THROTTLE_BACKOFF_SECONDS = 2.0  # after a ThrottlingException, no call until this has passed
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException"})

# Why `ConnectQueueMetrics.snapshot` returned None.
RATE_LIMITED = "RATE_LIMITED"  # our own token bucket is empty: no call was made
THROTTLED = "THROTTLED"  # Connect answered 429
UNKNOWN_QUEUE = "UNKNOWN_QUEUE"  # no queue id configured for that name: no call was made
CONNECT_ERROR = "CONNECT_ERROR"  # any other failure: client error, network, timeout, bad answer


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second; `take()` spends one if there is one."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self._rate = max(float(rate), 0.0)
        self._burst = max(int(burst), 1)
        self._clock = clock
        self._tokens = float(self._burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            if now > self._updated:  # a refill never runs backwards (back-off sets a future time)
                self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
                self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False

    def drain(self, backoff_seconds: float) -> None:
        """No tokens now, and none refilled until `backoff_seconds` from now."""
        with self._lock:
            self._tokens = 0.0
            self._updated = max(self._updated, self._clock() + max(backoff_seconds, 0.0))


class ConnectQueueMetrics:
    """Snapshots of queues from GetCurrentMetricData, cached and rate-limited per container."""

    def __init__(
        self,
        connect_client: Any,
        instance_id: str,
        queue_ids: Mapping[str, str],
        *,
        requests_per_second: float = 1.0,
        burst: int = 2,
        cache_ttl_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = connect_client
        self._instance_id = instance_id
        self._queue_ids = dict(queue_ids)
        self._ttl = cache_ttl_seconds
        self._limits = (requests_per_second, burst, clock)
        self._cache: TtlCache[QueueSnapshot] = TtlCache(max_entries=256, clock=clock)
        self._bucket = TokenBucket(requests_per_second, burst, clock)
        self.last_problem = ""  # RATE_LIMITED, THROTTLED, UNKNOWN_QUEUE, CONNECT_ERROR, or "" when fine
        self.last_error = ""  # the error code or exception type behind THROTTLED / CONNECT_ERROR

    def forget(self) -> None:
        """Drop cached snapshots and refill the rate limiter: what a new container starts with.

        Only the sandbox calls it, when it changes the queues' load, so that the next handoff reads
        the new figures without rebuilding every client of a cold start."""
        requests_per_second, burst, clock = self._limits
        self._cache = TtlCache(max_entries=256, clock=clock)
        self._bucket = TokenBucket(requests_per_second, burst, clock)

    def snapshot(self, queue_name: str) -> QueueSnapshot | None:
        """The queue's snapshot ("cache" when younger than the TTL, else "connect"), or None."""
        self.last_problem, self.last_error = "", ""
        try:
            return self._snapshot(queue_name)
        except Exception as error:  # a bug in parsing must not cost the caller its answer
            self._failed(CONNECT_ERROR, type(error).__name__)
            return None

    def _snapshot(self, queue_name: str) -> QueueSnapshot | None:
        queue_id = self._queue_ids.get(queue_name)
        if not queue_id:
            self._failed(UNKNOWN_QUEUE)
            return None
        hit, cached = self._cache.get(queue_name)
        if hit and cached is not None:
            return cached._replace(source="cache")
        if not self._bucket.take():
            self._failed(RATE_LIMITED)
            return None
        try:
            answer = self._client.get_current_metric_data(**self.request(queue_id))
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in THROTTLING_CODES:
                self._bucket.drain(THROTTLE_BACKOFF_SECONDS)
                self._failed(THROTTLED, code)
                return None
            self._failed(CONNECT_ERROR, code or "ClientError")
            return None
        except (BotoCoreError, TimeoutError, OSError) as error:
            self._failed(CONNECT_ERROR, type(error).__name__)
            return None
        if not isinstance(answer.get("MetricResults"), list):
            self._failed(CONNECT_ERROR, "MalformedReply")  # garbled: not "no data for the queue"
            return None
        snapshot = parse_metric_results(answer, queue_id)
        self._cache.put(queue_name, snapshot, self._ttl)
        return snapshot

    def request(self, queue_id: str) -> dict[str, Any]:
        """The GetCurrentMetricData request for one queue on the voice channel."""
        return {
            "InstanceId": self._instance_id,
            "Filters": {"Queues": [queue_id], "Channels": [CHANNEL]},
            "Groupings": list(GROUPINGS),
            "CurrentMetrics": [{"Name": name, "Unit": unit} for name, (_, unit) in CONNECT_METRICS.items()],
        }

    def _failed(self, problem: str, error: str = "") -> None:
        self.last_problem, self.last_error = problem, error


def parse_metric_results(answer: Mapping[str, Any], queue_id: str) -> QueueSnapshot:
    """The snapshot for `queue_id` in a grouped GetCurrentMetricData answer (source "connect").

    An empty `MetricResults` means Connect has no data for the queue: every field is None, so the
    wait is unknown rather than zero. A null or negative `Value` is None too.
    """
    fields: dict[str, float | None] = dict.fromkeys(field for field, _ in CONNECT_METRICS.values())
    for result in answer.get("MetricResults") or []:
        dimensions = result.get("Dimensions") or {}
        queue = dimensions.get("Queue") or {}
        if queue.get("Id") != queue_id or dimensions.get("Channel", CHANNEL) != CHANNEL:
            continue
        for item in result.get("Collections") or []:
            known = CONNECT_METRICS.get((item.get("Metric") or {}).get("Name", ""))
            if known is not None:
                fields[known[0]] = count_of(item.get("Value"))
        break
    return snapshot_of(fields, "connect")
