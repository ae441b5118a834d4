"""Running the repo's test cases in Amazon Connect's cloud, reported as the local runner reports.

`run_cloud(entries, client, instance_id, options)` runs test cases already found or created in the
instance (`tandem.flowtest.deployed`): it starts executions keeping at most `max_in_flight` (the
service runs 5 at once and queues the rest, up to 100 including the running ones), polls each
one's GetTestCaseExecutionSummary until it ends or its budget runs out (the service's 5-minute
limit plus a margin), stops an execution still running then (StopTestCaseExecution), reads its
ListTestCaseExecutionRecords and turns them into the local runner's `TestResult`, so
`tandem.flowtest.report` prints, writes JSON and JUnit for both runs alike.

Every call goes through `Backoff`: on throttling or a quota error (ThrottlingException,
ServiceQuotaExceededException, LimitExceededException) it sleeps a full-jitter exponential delay
and tries again, a bounded number of times. The clock, the sleep and the jitter are injected, so
tests never wait or read the wall clock.

Records to observations: a record whose `ObservationId` names an observation of the file and whose
Status is PASSED is a match; FAILED is a failure naming the observation, what it expected and
what the service says (the record's `Message`/`Reason` when it has one). When the execution did
not pass, every EXACTLY observation without a PASSED record fails as the service's timeout does.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from flowdoc.testcase import TestCase
from tandem.flowtest.runner import Matched, TestResult, _expectation

SERVICE_LIMIT_SECONDS = 300  # a simulation lasts at most 5 minutes
BUDGET_MARGIN_SECONDS = 30  # start-up and the last records arriving
MAX_IN_FLIGHT = 5  # the service runs 5 executions at once
POLL_SECONDS = 5.0
RETRYABLE = ("ThrottlingException", "ServiceQuotaExceededException", "LimitExceededException")
RUNNING = ("INITIATED", "IN_PROGRESS")


class CloudError(RuntimeError):
    """A call the service refused (after retries); the message is one line."""


@dataclass
class Backoff:
    """Retries throttled or over-quota calls with full-jitter exponential backoff."""

    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    attempts: int = 8
    base_seconds: float = 1.0
    cap_seconds: float = 30.0
    retries: int = 0  # how many times a call was retried, for the report

    def call(self, operation: Callable[..., Any], **request: Any) -> Any:
        for attempt in range(self.attempts):
            try:
                return operation(**request)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code not in RETRYABLE or attempt == self.attempts - 1:
                    raise CloudError(_describe(operation, error, attempt + 1)) from None
                self.retries += 1
                self.sleep(self.jitter() * min(self.cap_seconds, self.base_seconds * 2**attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")


def _describe(operation: Callable[..., Any], error: ClientError, attempts: int) -> str:
    name = getattr(operation, "__name__", "call")
    detail = error.response.get("Error", {})
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    problems = error.response.get("Problems") or []  # InvalidTestCaseException's list
    said = [str(detail.get("Message", "")).strip()]
    said += [str(p.get("message", "")).strip() for p in problems if isinstance(p, dict)]
    text = "; ".join(" ".join(s.split()) for s in said if s)
    return f"{name}: {detail.get('Code', 'error')}" + (f": {text}" if text else "") + tried


@dataclass(frozen=True)
class CloudOptions:
    budget_seconds: float = SERVICE_LIMIT_SECONDS + BUDGET_MARGIN_SECONDS
    poll_seconds: float = POLL_SECONDS
    max_in_flight: int = MAX_IN_FLIGHT


@dataclass(frozen=True)
class Entry:
    """A test case of the repo and its id in the instance."""

    case: TestCase
    test_case_id: str
    notes: tuple[str, ...] = ()  # e.g. the deployed test case differs from the file


@dataclass
class _Execution:
    entry: Entry
    execution_id: str
    started: float
    status: str = "INITIATED"
    summary: dict[str, Any] = field(default_factory=dict)


def run_cloud(
    entries: Sequence[Entry],
    client: Any,
    instance_id: str,
    options: CloudOptions = CloudOptions(),
    *,
    backoff: Backoff | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[list[TestResult], list[str]]:
    """Run `entries` in the cloud (module docstring): results in the entries' order, and one line
    per test case that could not be run."""
    backoff = backoff or Backoff()
    pending = list(entries)
    running: list[_Execution] = []
    results: dict[int, TestResult] = {}
    problems: list[str] = []
    order = {id(entry): index for index, entry in enumerate(entries)}
    while pending or running:
        while pending and len(running) < options.max_in_flight:
            entry = pending.pop(0)
            try:
                answer = backoff.call(
                    client.start_test_case_execution, InstanceId=instance_id, TestCaseId=entry.test_case_id
                )
            except CloudError as error:
                problems.append(f"{entry.case.path}: {error}")
                continue
            execution = _Execution(entry, answer["TestCaseExecutionId"], clock())
            execution.status = answer.get("Status", "INITIATED")
            running.append(execution)
        for execution in list(running):
            ids = _ids(instance_id, execution)
            try:
                summary = backoff.call(client.get_test_case_execution_summary, **ids)
                execution.status, execution.summary = summary.get("Status", ""), summary
                over = clock() - execution.started >= options.budget_seconds
                if execution.status in RUNNING and not over:
                    continue
                if execution.status in RUNNING:
                    backoff.call(client.stop_test_case_execution, **ids)
                records = _records(client, backoff, ids)
            except CloudError as error:
                running.remove(execution)
                problems.append(f"{execution.entry.case.path}: {error}")
                continue
            running.remove(execution)
            seconds = clock() - execution.started
            timed_out = execution.status in RUNNING
            result = result_from_records(
                execution.entry.case,
                execution.status,
                records,
                seconds,
                timed_out=timed_out,
                budget=options.budget_seconds,
                summary=execution.summary,
            )
            result.notes[:0] = execution.entry.notes
            results[order[id(execution.entry)]] = result
        if running:
            backoff.sleep(options.poll_seconds)
    return [results[i] for i in sorted(results)], problems


def _ids(instance_id: str, execution: _Execution) -> dict[str, str]:
    return {
        "InstanceId": instance_id,
        "TestCaseId": execution.entry.test_case_id,
        "TestCaseExecutionId": execution.execution_id,
    }


def _records(client: Any, backoff: Backoff, ids: dict[str, str]) -> list[dict[str, Any]]:
    """Every execution record, following NextToken (the operation has no paginator)."""
    records: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = backoff.call(
            client.list_test_case_execution_records, **ids, **({"NextToken": token} if token else {})
        )
        records.extend(page.get("ExecutionRecords", []))
        token = page.get("NextToken")
        if not token:
            return records


def result_from_records(
    case: TestCase,
    status: str,
    records: Sequence[dict[str, Any]],
    seconds: float,
    *,
    timed_out: bool = False,
    budget: float = SERVICE_LIMIT_SECONDS + BUDGET_MARGIN_SECONDS,
    summary: dict[str, Any] | None = None,
) -> TestResult:
    """The local runner's TestResult for one cloud execution (module docstring)."""
    by_id = {o.identifier: o for o in case.observations}
    matched: list[Matched] = []
    failures: list[str] = []
    events: list[str] = []
    passed_ids: set[str] = set()
    completion = ""
    for record in sorted(records, key=lambda r: str(r.get("Timestamp", ""))):
        detail = _record_detail(record.get("Record"))
        identifier = record.get("ObservationId", "")
        state = record.get("Status", "")
        events.append(f"{identifier or detail.get('Type', 'record')}: {state}".strip(": "))
        if detail.get("Type") == "COMPLETION":
            completion = _completion(detail)
        observation = by_id.get(identifier)
        if observation is None:
            continue
        if state == "PASSED":
            passed_ids.add(identifier)
            matched.append(Matched(identifier, _expectation(observation)))
        elif state == "FAILED":
            said = _message(detail)
            failures.append(
                f"observation {identifier!r} failed in the cloud: expected {_expectation(observation)}"
                + (f"; the service: {said}" if said else "")
            )
    if timed_out:
        failures.insert(
            0,
            f"the execution did not finish within the {budget:.0f} s budget "
            "(the service's 5-minute limit plus a margin): stopped",
        )
    if status != "PASSED":
        for observation in case.observations:
            failed = any(f"observation {observation.identifier!r}" in f for f in failures)
            if observation.identifier in passed_ids or failed or observation.times is None:
                continue
            failures.append(
                f"observation {observation.identifier!r} never matched: expected {_expectation(observation)}"
            )
        if not failures:
            failures.append(
                f"the execution ended {status or 'without a status'}"
                + (f": {completion}" if completion else "")
            )
    notes = []
    counts = (summary or {}).get("ObservationSummary") or {}
    if counts:
        notes.append(
            f"the service: {counts.get('ObservationsPassed', 0)} of {counts.get('TotalObservations', 0)} "
            f"observations passed, {counts.get('ObservationsFailed', 0)} failed ({status})"
        )
    if completion and status == "PASSED":
        notes.append(f"completion: {completion}")
    return TestResult(case.name, case.path, matched, failures, None, events, {}, seconds, notes)


def _record_detail(raw: Any) -> dict[str, Any]:
    """The record's JSON (a string in the API); {} when it is not an object."""
    if isinstance(raw, dict):
        return raw
    try:
        detail = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}


def _message(detail: dict[str, Any]) -> str:
    for key in ("Message", "Reason", "FailureReason", "Error"):
        value = detail.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return ""


def _completion(detail: dict[str, Any]) -> str:
    reason = detail.get("CompletionReason")
    if not isinstance(reason, dict):
        return ""
    parts = [str(reason.get("Type", "")), _message(reason)]
    return " — ".join(p for p in parts if p)
