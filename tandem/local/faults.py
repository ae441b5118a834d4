"""Real fault injection for the sandbox: AWS answers with an error, or slowly, on demand.

moto never throttles or fails, so the sandbox registers one hook inside botocore's send path
(`before-send`, ahead of moto's own). While a fault is active the hook answers matching
requests itself, after an optional real delay, so client timeouts, SDK retries and the
handlers' budgets all behave as they would against a failing service.

Once its sandbox has closed, every request that still reaches the injector (one held by a slow
fault, or an SDK retry of it, from a client a late daemon thread still uses) is answered with an
error the SDK does not retry, never sent on: it would otherwise land in whatever moto runs by then
(the next test's sandbox) or go nowhere the sandbox controls.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse


@dataclass(frozen=True)
class Fault:
    service: str  # botocore service id, hyphenated: "dynamodb", "secrets-manager", "ssm"
    operation: str | None = None  # None: every operation of the service
    error_code: str | None = "ServiceUnavailable"  # None: delay only, then let moto answer
    status: int = 503
    delay_seconds: float = 0.0
    payload: str | None = None  # with error_code None: answer this body with `status` (a malformed reply)

    def matches(self, service: str, operation: str) -> bool:
        return service == self.service and self.operation in (None, operation)


FAULTED_URL = "https://fault-injected.tandem.invalid/"
SANDBOX_CLOSED = "SandboxClosed"  # a 400 no SDK retries


class FaultInjector:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._closed = False
        self.injected = 0  # requests answered or delayed by a fault

    def close(self) -> None:
        """The sandbox is gone: requests still held by a delay are answered with an error."""
        with self._lock:
            self._closed = True

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def remove(self, fault: Fault) -> None:
        with self._lock:
            self._faults.remove(fault)

    def before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        _hook, service, operation = event_name.split(".", 2)
        with self._lock:
            fault = next((f for f in self._faults if f.matches(service, operation)), None)
        if self._closed:
            fault = Fault(service, operation, error_code=SANDBOX_CLOSED, status=400)
        if fault is None:
            return None
        self.injected += 1
        if fault.delay_seconds:
            time.sleep(fault.delay_seconds)
            if self._closed:
                fault = Fault(service, operation, error_code=SANDBOX_CLOSED, status=400)
        if fault.error_code is None and fault.payload is None:
            return None
        if fault.payload is not None:  # a reply the client cannot parse
            body = fault.payload
            headers: dict[str, str] = {"Content-Type": "application/x-amz-json-1.0"}
        else:
            body = json.dumps({"__type": fault.error_code, "message": "injected by the Tandem sandbox"})
            headers = {
                "x-amzn-ErrorType": str(fault.error_code),
                "Content-Type": "application/x-amz-json-1.0",
            }
        answered_url = request.url
        if fault.payload is None:
            # botocore runs every before-send hook and keeps the first answer, so moto's hook would
            # still carry out the request (a failed PutItem would write). Pointing the request at a
            # host no backend serves makes moto decline it; the error below is what the client sees.
            request.url = FAULTED_URL
        # A malformed reply is left to be carried out: the service did the work, the reply is garbled.
        return AWSResponse(answered_url, fault.status, headers, MockRawResponse(body))  # type: ignore[arg-type]
