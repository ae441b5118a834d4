"""boto3 clients with timeouts and retries that fit inside a Connect block's time limit.

botocore's defaults (60 s connect and read timeouts; legacy mode's 10 DynamoDB attempts on older
runtimes) far exceed the 8 s block limit, so every client states its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config


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


def make_client(service: str, limits: ClientLimits | None = None) -> Any:
    return boto3.client(service, config=(limits or ClientLimits()).botocore_config())  # type: ignore[call-overload]
