"""boto3 clients with timeouts and retries that fit inside a Connect block's time limit.

botocore's defaults (60 s connect and read timeouts; legacy mode's 10 DynamoDB attempts on older
runtimes) far exceed the 8 s block limit, so every client states its own.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

# boto3 and botocore are imported once per container and live as long as it does. Freezing them
# keeps the collections that the handler's own imports trigger from rescanning them all, a real
# share of a cold start (see Container.warm and docs/decision_log.md).
gc.freeze()


@dataclass(frozen=True)
class ClientLimits:
    connect_timeout: float = 0.5
    read_timeout: float = 1.0
    max_attempts: int = 2  # total attempts, the first included

    def worst_case_seconds(self) -> float:
        """Upper bound of one call: every attempt times out; standard-mode backoff ≤ 1 s each."""
        attempts = self.max_attempts
        return attempts * (self.connect_timeout + self.read_timeout) + (attempts - 1) * 1.0

    def botocore_config(self) -> Config:
        return Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            # `total_max_attempts` counts the first request; botocore's `max_attempts` would not.
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
        )


# Trimmed service models (see infra/slim_models.py): "ssm-slim" is SSM with one operation.
SLIM_MODELS = Path(__file__).resolve().parent / "slim_models"


def make_client(service: str, limits: ClientLimits | None = None) -> Any:
    config = (limits or ClientLimits()).botocore_config()
    if service.endswith("-slim"):
        _register_slim_models()
    return boto3.client(service, config=config)  # type: ignore[call-overload]


class LazyClient:
    """A client created on first use: for calls most invocations never make (escalation's
    GetCurrentMetricData when the flow already passed its queue metrics), so the container's
    init does not pay for it."""

    def __init__(self, service: str, limits: ClientLimits | None = None) -> None:
        self._service = service
        self._limits = limits
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = make_client(self._service, self._limits)
        return getattr(self._client, name)


def _register_slim_models() -> None:
    # On the default session, so the sandbox's hooks (fault injection, call counting) still apply.
    # Appended, not prepended: only the "-slim" names live there, full services resolve as before.
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    loader = boto3.DEFAULT_SESSION._session.get_component("data_loader")  # type: ignore[union-attr]
    if str(SLIM_MODELS) not in loader.search_paths:
        loader.search_paths.append(str(SLIM_MODELS))
        # The loader caches which services exist; forget that list (only) so it sees the new path.
        for key in [
            k for k in loader._cache if k[0] in ("list_available_services", "determine_latest_version")
        ]:
            del loader._cache[key]
