"""A fake of Connect's `GetCurrentMetricData` for the sandbox, because moto has no such operation.

moto 5.2 implements only Connect's instance CRUD and tagging; every other Connect call, this one
included, answers 404 "Not yet implemented". So the sandbox registers `ConnectMetricsFake` in
botocore's `before-send` chain (like `faults.py`, and after it, so an injected fault such as a
`ThrottlingException` still wins). It answers `connect.GetCurrentMetricData` itself, in the real
REST-JSON response shape, with the values set for each requested queue, and lets every other
request through untouched. Requests still pass the client's parameter validation, retries and
the sandbox's call counting, since the hook sits where moto's own does.

What it models, and what it does not:

- Each queue id (or queue ARN) in `Filters.Queues` gets the values set with `set()`, or the
  defaults (2 available, 5 staffed, 0 waiting, 0 s oldest); a value set to None comes back null,
  as Connect does when it cannot compute a metric.
- Grouped by QUEUE: one result per queue, with `Dimensions.Queue{Id, Arn}` (and `Channel` when
  grouped by CHANNEL too). Not grouped: one instance aggregate with empty dimensions, the sums of
  the counts, and the oldest age in **milliseconds** though the unit says SECONDS, as Connect does.
- An instance id other than the configured one answers `ResourceNotFoundException` (404).
- Not modelled: routing-profile filters and groupings, pagination (`NextToken` is never set),
  `MetricId`, and the metrics other than the four counts and ages below (they come back 0).

The values live in this process (the `Sandbox` object), also when attached to `tandem sandbox up`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse

EVENT = "before-send.connect.GetCurrentMetricData"
PATH_PREFIX = "/metrics/current/"


@dataclass(frozen=True)
class QueueValues:
    agents_available: float | None = 2
    agents_staffed: float | None = 5
    contacts_in_queue: float | None = 0
    oldest_contact_age_seconds: float | None = 0

    def metric(self, name: str) -> float | None:
        return {
            "AGENTS_AVAILABLE": self.agents_available,
            "AGENTS_STAFFED": self.agents_staffed,
            "CONTACTS_IN_QUEUE": self.contacts_in_queue,
            "OLDEST_CONTACT_AGE": self.oldest_contact_age_seconds,
        }.get(name, 0.0)


DEFAULT_VALUES = QueueValues()


class ConnectMetricsFake:
    def __init__(self, *, instance_id: str, region: str, account: str) -> None:
        self.instance_id = instance_id
        self._region = region
        self._account = account
        self._values: dict[str, QueueValues] = {}  # queue id → values
        self._lock = threading.Lock()

    def set(self, queue_id: str, values: QueueValues) -> None:
        with self._lock:
            self._values[queue_id] = values

    def values(self, queue_id: str) -> QueueValues:
        with self._lock:
            return self._values.get(queue_id, DEFAULT_VALUES)

    def queue_arn(self, queue_id: str) -> str:
        return f"arn:aws:connect:{self._region}:{self._account}:instance/{self.instance_id}/queue/{queue_id}"

    def before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        if event_name != EVENT:
            return None
        instance = unquote(urlsplit(request.url).path.removeprefix(PATH_PREFIX))
        if instance not in (self.instance_id, self._instance_arn()):
            return _error(request, 404, "ResourceNotFoundException", f"instance {instance} not found")
        body = json.loads(request.body or b"{}")
        return _json(request, 200, self.answer(body))

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """The response document for a GetCurrentMetricData request body."""
        queues = [_queue_id(entry) for entry in body.get("Filters", {}).get("Queues", [])]
        channels = body.get("Filters", {}).get("Channels") or ["VOICE"]
        groupings = body.get("Groupings") or []
        metrics = [m for m in body.get("CurrentMetrics", []) if "Name" in m]
        if "QUEUE" in groupings:
            results = [
                self._result(self.values(queue), metrics, queue, channel if "CHANNEL" in groupings else None)
                for queue in queues
                for channel in (channels if "CHANNEL" in groupings else [None])
            ]
        else:
            results = [self._aggregate([self.values(q) for q in queues], metrics)] if queues else []
        return {
            "MetricResults": results,
            "DataSnapshotTime": time.time(),
            "ApproximateTotalCount": len(results),
        }

    def _result(
        self, values: QueueValues, metrics: list[dict[str, Any]], queue: str, channel: str | None
    ) -> dict[str, Any]:
        dimensions: dict[str, Any] = {"Queue": {"Id": queue, "Arn": self.queue_arn(queue)}}
        if channel is not None:
            dimensions["Channel"] = channel
        return {"Dimensions": dimensions, "Collections": _collections(values, metrics)}

    def _aggregate(self, all_values: list[QueueValues], metrics: list[dict[str, Any]]) -> dict[str, Any]:
        def total(name: str) -> float | None:
            numbers = [v.metric(name) for v in all_values]
            present = [n for n in numbers if n is not None]
            if not present:
                return None
            if name == "OLDEST_CONTACT_AGE":  # ungrouped: milliseconds, though the unit says SECONDS
                return max(present) * 1000.0
            return float(sum(present))

        merged = {m["Name"]: total(m["Name"]) for m in metrics}
        return {
            "Dimensions": {},
            "Collections": [
                {"Metric": {"Name": m["Name"], "Unit": m.get("Unit", "COUNT")}, "Value": merged[m["Name"]]}
                for m in metrics
            ],
        }

    def _instance_arn(self) -> str:
        return f"arn:aws:connect:{self._region}:{self._account}:instance/{self.instance_id}"


def _collections(values: QueueValues, metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "Metric": {"Name": m["Name"], "Unit": m.get("Unit", "COUNT")},
            "Value": _number(values.metric(m["Name"])),
        }
        for m in metrics
    ]


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)


def _queue_id(entry: str) -> str:
    """A queue id from a Filters.Queues entry, which may be an id or a queue ARN."""
    return entry.rsplit("/queue/", 1)[1] if "/queue/" in entry else entry


def _json(request: Any, status: int, document: dict[str, Any]) -> AWSResponse:
    headers = {"Content-Type": "application/json", "x-amzn-RequestId": "tandem-sandbox-connect-fake"}
    return AWSResponse(request.url, status, headers, MockRawResponse(json.dumps(document)))  # type: ignore[arg-type]


def _error(request: Any, status: int, code: str, message: str) -> AWSResponse:
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": code,
        "x-amzn-RequestId": "tandem-sandbox-connect-fake",
    }
    body = json.dumps({"message": message})
    return AWSResponse(request.url, status, headers, MockRawResponse(body))  # type: ignore[arg-type]
