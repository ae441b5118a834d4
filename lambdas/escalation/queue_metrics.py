"""How busy a queue is right now: from the flow when it says, else from Connect, within our own quota.

Two sources, in order of preference:

1. The flow. A "Get queue metrics" block (`$.Metrics.*`) costs no API quota, so when the flow
   passes `agentsAvailable`, `agentsStaffed`, `contactsInQueue` and `oldestContactAgeSeconds`,
   `snapshot_from_flow` reads them and nothing is called.
2. Connect's `GetCurrentMetricData` (`lambdas/escalation/connect_metrics.py`), only when the flow
   passed none: that module is imported by the first handoff that needs it, so a container whose
   flow passes the metrics (the recommended wiring) never compiles it.

This module also reads the instance and queue ARNs the configuration names, and estimates the wait.
Nothing here raises to the caller: a snapshot that cannot be had is None.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

# The flow's parameter names, as `context.queue_values` passes them.
FLOW_PARAMETERS = {
    "agents_available": "agentsAvailable",
    "agents_staffed": "agentsStaffed",
    "contacts_in_queue": "contactsInQueue",
    "oldest_contact_age_seconds": "oldestContactAgeSeconds",
}
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"
_ID = r"[A-Za-z0-9][A-Za-z0-9-]{0,99}"
_INSTANCE_ARN = re.compile(rf"^arn:aws(?:-[a-z]+)*:connect:{_REGION}:\d{{12}}:instance/({_ID})$")
_QUEUE_ARN = re.compile(rf"^arn:aws(?:-[a-z]+)*:connect:{_REGION}:\d{{12}}:instance/({_ID})/queue/({_ID})$")
_SHOWN = 120  # characters of a rejected value quoted in an error


class QueueSnapshot(NamedTuple):
    """A queue's load at one moment; None where the source did not say."""

    agents_available: float | None
    agents_staffed: float | None
    contacts_in_queue: float | None
    oldest_contact_age_seconds: float | None
    source: str  # "flow" | "connect" | "cache" | "none"


class QueueRef(NamedTuple):
    instance_id: str
    queue_id: str


def parse_instance_arn(arn: str) -> str:
    """The instance id of `arn:aws:connect:<region>:<account>:instance/<instance-id>`."""
    match = _INSTANCE_ARN.match(arn) if isinstance(arn, str) else None
    if match is None:
        raise ValueError(
            "an instance ARN must look like arn:aws:connect:<region>:<account>:instance/<instance-id>, "
            f"not {_shown(arn)}"
        )
    return match.group(1)


def parse_queue_arn(arn: str) -> QueueRef:
    """(instance id, queue id) of `arn:aws:connect:<region>:<account>:instance/<id>/queue/<id>`."""
    match = _QUEUE_ARN.match(arn) if isinstance(arn, str) else None
    if match is None:
        raise ValueError(
            "a queue ARN must look like "
            f"arn:aws:connect:<region>:<account>:instance/<instance-id>/queue/<queue-id>, not {_shown(arn)}"
        )
    return QueueRef(match.group(1), match.group(2))


def queue_ids(queue_arns: Mapping[str, str], instance_id: str) -> dict[str, str]:
    """Queue name → queue id, checking every queue belongs to `instance_id`; ValueError otherwise."""
    ids: dict[str, str] = {}
    for name, arn in queue_arns.items():
        ref = parse_queue_arn(arn)
        if ref.instance_id != instance_id:
            raise ValueError(
                f"queue {name!r} belongs to instance {ref.instance_id}, not to the configured {instance_id}"
            )
        ids[name] = ref.queue_id
    return ids


def snapshot_from_flow(values: Mapping[str, str]) -> QueueSnapshot | None:
    """The metrics the flow passed (non-negative finite numbers); None when it passed none usable.

    A malformed value (not a number, negative, NaN, infinite) counts as missing, so one bad
    parameter never discards the others.
    """
    fields = {name: count_of(values.get(parameter)) for name, parameter in FLOW_PARAMETERS.items()}
    if all(value is None for value in fields.values()):
        return None
    return snapshot_of(fields, "flow")


def estimate_wait_seconds(snapshot: QueueSnapshot | None, average_handle_seconds: float) -> float | None:
    """A deliberately simple, explainable estimate of how long the next caller would wait.

    - None when nothing is known (no snapshot, or neither the queue length nor the oldest age).
    - 0 when an agent is available and nobody is waiting.
    - Otherwise `max(oldest_contact_age, (contacts_in_queue + 1) * average_handle_seconds / agents)`
      with `agents = agents_staffed or agents_available or 1` (at least 1).

    Why this shape: the caller joins behind `contacts_in_queue` others, and the queue drains about
    one contact per `average_handle_seconds` per staffed agent, so the second term is the time
    until everyone ahead (and the caller) is picked up. The oldest contact's age is what the queue
    is demonstrably making people wait right now; when it is longer, the drain term is too
    optimistic (agents slower or busier than assumed), so the larger of the two wins. A missing
    count or age counts as 0, and with no agent staffed the estimate assumes one will be (opening
    hours are decided elsewhere). It ignores agents finishing mid-call, skills, priorities and
    abandonment on purpose, so the number can be explained to an operator in one sentence and
    checked by hand. Connect's own
    prediction is `ESTIMATED_WAIT_TIME` (GetCurrentMetricData with QUEUE+CHANNEL grouping) or, per
    contact, `GetContactMetrics`; either can replace this where the account has it.
    """
    if snapshot is None:
        return None
    if snapshot.contacts_in_queue is None and snapshot.oldest_contact_age_seconds is None:
        return None
    waiting = snapshot.contacts_in_queue or 0.0
    oldest = snapshot.oldest_contact_age_seconds or 0.0
    # The count says whether anyone waits; only without it does the oldest age decide.
    nobody_waits = waiting == 0 if snapshot.contacts_in_queue is not None else oldest == 0
    if (snapshot.agents_available or 0) > 0 and nobody_waits:
        return 0.0
    agents = max(snapshot.agents_staffed or snapshot.agents_available or 1, 1)
    handle = average_handle_seconds if math.isfinite(average_handle_seconds) else 0.0
    return max(oldest, (waiting + 1) * max(handle, 0.0) / agents)


def snapshot_of(fields: Mapping[str, float | None], source: str) -> QueueSnapshot:
    return QueueSnapshot(
        agents_available=fields.get("agents_available"),
        agents_staffed=fields.get("agents_staffed"),
        contacts_in_queue=fields.get("contacts_in_queue"),
        oldest_contact_age_seconds=fields.get("oldest_contact_age_seconds"),
        source=source,
    )


def count_of(value: Any) -> float | None:
    """A non-negative finite number from a flow string or an API double; None otherwise."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
