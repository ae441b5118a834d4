"""What escalation's two operations share: configuration, clients, the clock, logging and metrics.

Built once per container (`lambdas.escalation.handler.CONTAINER`) and passed to each operation.
The keyed-hash secret, the key for callback claims, is read in the init phase
(`KeyedHashSecret`); `callback_hasher` reads it again when a call needs it after a failure.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lambdas.documents.store import DocumentStore, StoreReporter, open_store
from lambdas.escalation.config import EscalationConfig
from lambdas.escalation.queue_metrics import QueueSnapshot, parse_instance_arn, queue_ids
from lambdas.shared.aws import ClientLimits, LazyClient, make_client
from lambdas.shared.budget import Deadline
from lambdas.shared.clock import Clock, utc_now
from lambdas.shared.keyed_hash import KeyedHasher
from lambdas.shared.keyed_hash_secret import KeyedHashSecret
from lambdas.shared.observability import MetricUnit, get_logger, get_metrics, single_metric

if TYPE_CHECKING:
    from lambdas.escalation.connect_metrics import ConnectQueueMetrics

SERVICE = "escalation"
CONNECT_LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.6, max_attempts=1)
DYNAMODB_LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.5, max_attempts=2)
SECRETS_LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.5, max_attempts=1)
DOCUMENTS = ("escalation", "calendar")
# The keyed-hash secret is read in the init phase within HASH_KEY_INIT_BUDGET_MS (Secrets Manager
# answers in tens of ms). After a failure it is read again at most every HASH_KEY_RETRY_SECONDS,
# by a call that needs it, within HASH_KEY_BUDGET_MS of that call's budget: the rest is kept for
# the handoff or claim write, so a slow Secrets Manager never costs the record of the call.
HASH_KEY_INIT_BUDGET_MS = 1000
HASH_KEY_BUDGET_MS = 300
HASH_KEY_RETRY_SECONDS = 10

logger = get_logger(SERVICE)
metrics = get_metrics(SERVICE)
REPORTER = StoreReporter(logger, metrics, subject="policy", metric_prefix="Policy")


@dataclass(frozen=True)
class EscalationDeps:
    config: EscalationConfig
    store: DocumentStore
    queue_metrics: ConnectMetrics
    dynamodb: Any
    hash_secret: KeyedHashSecret
    clock: Clock = utc_now  # plans "as of" this moment (closing time, holidays); the sandbox pins it


def build_deps() -> EscalationDeps:
    config = EscalationConfig.from_env()
    instance_id = parse_instance_arn(config.instance_arn)
    queues = queue_ids(config.queue_arns, instance_id)
    hash_secret = KeyedHashSecret(
        make_client("secretsmanager-slim", SECRETS_LIMITS),
        config.keyed_hash_secret,
        retry_after_seconds=HASH_KEY_RETRY_SECONDS,
    )
    # Read while the store is read, so the two waits on the network overlap; joined before the
    # container is built, so the secret is still read once, in the init phase (a failure is
    # retried when a call needs the key).
    with hash_secret.read_meanwhile(HASH_KEY_INIT_BUDGET_MS):
        opening = open_store(
            config.config_path,
            DOCUMENTS,
            max_age_seconds=config.max_age_seconds,
            retry_after_failure_seconds=config.retry_after_failure_seconds,
            init_budget_ms=config.budget_ms,
            reporter=REPORTER,
        )
        dynamodb = make_client("dynamodb-slim", DYNAMODB_LIMITS)  # built while the store answers
        store = opening.open()
    queue_metrics = ConnectMetrics(
        instance_id, queues, requests_per_second=config.metrics_requests_per_second
    )
    return EscalationDeps(config, store, queue_metrics, dynamodb, hash_secret)


class ConnectMetrics:
    """The container's `ConnectQueueMetrics`, made by the first handoff whose flow passed no queue
    metrics (its module, cache and rate limiter included): with the recommended wiring, no handoff
    does, and no cold start pays for it. Its Connect client is made on first use too."""

    def __init__(self, instance_id: str, queues: Mapping[str, str], *, requests_per_second: float) -> None:
        self._instance_id = instance_id
        self._queues = dict(queues)
        self._requests_per_second = requests_per_second
        self._reader: ConnectQueueMetrics | None = None
        self._making = threading.Lock()

    def snapshot(self, queue_name: str) -> QueueSnapshot | None:
        return self._made().snapshot(queue_name)

    @property
    def last_problem(self) -> str:
        return "" if self._reader is None else self._reader.last_problem

    @property
    def last_error(self) -> str:
        return "" if self._reader is None else self._reader.last_error

    def forget(self) -> None:
        """As `ConnectQueueMetrics.forget`: nothing to forget before the first snapshot."""
        if self._reader is not None:
            self._reader.forget()

    def _made(self) -> ConnectQueueMetrics:
        with self._making:  # a budget's worker may still be making it for a timed-out call
            if self._reader is None:
                from lambdas.escalation.connect_metrics import ConnectQueueMetrics

                self._reader = ConnectQueueMetrics(
                    LazyClient("connect-slim", CONNECT_LIMITS),
                    self._instance_id,
                    self._queues,
                    requests_per_second=self._requests_per_second,
                )
            return self._reader


def callback_hasher(deps: EscalationDeps, deadline: Deadline) -> tuple[KeyedHasher | None, str]:
    """The key for the number's claim, or None and why not (logged once, counted by reason)."""
    hasher = deps.hash_secret.hasher(deadline.sooner(HASH_KEY_BUDGET_MS))
    if hasher is not None:
        return hasher, ""
    problem = deps.hash_secret.problem or "UNAVAILABLE"
    logger.warning(
        "callback de-duplication unavailable",
        extra={"problem": problem, "error_type": deps.hash_secret.error_type or problem},
    )
    with single_metric(name="CallbackDedupeUnavailable", unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name="reason", value=problem)
    return None, problem
