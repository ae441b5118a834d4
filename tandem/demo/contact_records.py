"""Contact trace records for simulated calls: what Connect would put on the CTR stream.

`contact_records(result, started=..., rng=...)` turns one `SimulationResult` into the record(s) of
its inbound contact, in the stream's JSON shape (docs/connect-facts.md §3), so the demo can feed the
real ctr_ingest handler. The simulator knows what happened, not how long it took, so the times are
drawn from `rng`: seconds per prompt and answer in the IVR, the queue wait around escalation's
estimate, and an agent's talk, hold and after-contact work. The same result, start and rng state
give the same records.

- Every record carries the flow's final contact attributes (tandemOutcome, route, intent, reasons,
  queue, csat, and the personal ones a real record carries too) and the caller's number in
  `CustomerEndpoint`: ctr_ingest must drop them, so the demo shows it does.
- A call transferred to a queue gets `Queue`; one that then reached an agent gets `Agent`. A
  caller who held and then took a callback in the queue flow was queued, and left the queue without
  an agent. The callback's own contact (InitiationMethod CALLBACK) is not made: the inbound
  contact's tandemOutcome CALLBACK is what counts it.
- Some rated calls get a second, newer version of their record (`POST_CALL_UPDATE_SHARE`), as when
  a rating reaches the contact after the call (a post-call UpdateContactAttributes; see
  docs/connect-facts.md §3.1): the first version has no csat, so counting the older one would be
  visible in the CSAT.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lambdas.shared import kpi
from tandem.flows.simulator import DIALLED_NUMBER, SimulationResult, Step
from tandem.local.kinesis import KINESIS_BATCH, stream_record
from tandem.local.provision import FAKE_ACCOUNT
from tandem.local.sandbox import CONNECT_INSTANCE_ARN

FORMAT_VERSION = "2017-03-10"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # whole seconds, UTC, as the stream writes them
POST_CALL_UPDATE_SHARE = 0.4
# Seconds a caller spends on a block (low, high): hearing a prompt, answering one, talking to a bot.
STEP_SECONDS = {
    "MessageParticipant": (3, 9),
    "MessageParticipantIteratively": (3, 9),
    "GetParticipantInput": (4, 10),
    "ConnectParticipantWithLexBot": (5, 12),
    "InvokeLambdaFunction": (0, 1),
}
TALK_SECONDS = (120, 600)  # 2 to 10 minutes
HOLD_SECONDS = (10, 90)  # when the agent puts the caller on hold at all
HOLD_SHARE = 0.4
ACW_SECONDS = (20, 120)
# A quiet queue (no estimate): a free agent's phone rings and they accept (triangular low, high, mode).
QUIET_WAIT = (2, 45, 8)
HELD_BEFORE_CALLBACK = (40, 150)  # a queue-flow loop or two before the caller takes the callback
AFTER_CALLBACK_SECONDS = (5, 15)  # the confirmation, then the flow hangs up
UPDATE_DELAY_SECONDS = (30, 600)
# The stream's lag behind the record (docs/connect-facts.md §3.1: about 1-2 min after hang-up).
STREAM_LAG_SECONDS = 90


@dataclass(frozen=True)
class _Shape:
    """Where the call went, read from the simulator's steps."""

    ivr_steps: list[Step]  # the caller in the IVR, before any queue
    after_agent_steps: list[Step]  # the caller left on the line after the agent (the survey)
    queued: bool
    reached_agent: bool


def _flow_name(reference: str) -> str:
    return reference.rsplit("/", 1)[-1]


def _shape(result: SimulationResult) -> _Shape:
    transfer = next((i for i, s in enumerate(result.steps) if s.type == "TransferContactToQueue"), None)
    if transfer is None:
        return _Shape(list(result.steps), [], queued=False, reached_agent=False)
    later = result.steps[transfer + 1 :]
    queue_flow = _flow_name(result.hooks.get("CustomerQueue", ""))
    remaining_flow = _flow_name(result.hooks.get("CustomerRemaining", ""))
    # The simulator puts a queued caller through to an agent unless the queue flow hung up on them
    # (after a callback) or a callback replaced the wait.
    hung_up_in_queue = any(s.flow == queue_flow and s.type == "DisconnectParticipant" for s in later)
    reached = result.outcome == "queued" and not hung_up_in_queue
    after = [s for s in later if s.flow == remaining_flow] if reached else []
    return _Shape(result.steps[:transfer], after, queued=True, reached_agent=reached)


def oracle_outcome(result: SimulationResult) -> str:
    """What ctr_ingest should count the call as (one of `kpi.OUTCOMES`): a test oracle, from the
    simulator's view of the call, independent of the records and of the classifier on purpose.

    The demo checks the counters against it; were it the classifier run on these records, a wrong
    rule would agree with itself. self-served and closed end in the IVR (contained); queued
    reaches an agent (transferred); callback is a callback, queued first or not. A call the flow
    marked NOT_CONNECTED is an error. Anything else that never queued (a caller who hung up, a
    guard stop) ended in the IVR.
    """
    shape = _shape(result)
    if result.outcome == "callback":
        return kpi.CALLBACK
    if shape.reached_agent:
        return kpi.TRANSFERRED
    if shape.queued:
        return kpi.ABANDONED
    if result.attributes.get("tandemOutcome") == "NOT_CONNECTED":
        return kpi.ERROR
    return kpi.CONTAINED


def contact_records(
    result: SimulationResult, *, started: datetime, rng: random.Random, caller: str = ""
) -> list[dict[str, Any]]:
    """The call's contact trace record, then (for some rated calls) a newer version of it."""
    if started.tzinfo is None:
        raise ValueError("started must be an aware datetime")
    shape = _shape(result)
    initiated = started.astimezone(UTC).replace(microsecond=0)
    connected = initiated + _s(rng.randint(0, 2))  # the ring before the flow answers
    end = connected + _s(_seconds_on(shape.ivr_steps, rng))
    queue: dict[str, Any] | None = None
    agent: dict[str, Any] | None = None
    last_update = end
    if shape.queued:
        enqueued = end
        wait = _queue_wait(result, shape, rng)
        end = dequeued = enqueued + _s(wait)
        queue = {
            "ARN": result.attributes.get("queueArn") or None,
            "Name": _queue_name(result),
            "EnqueueTimestamp": _time(enqueued),
            "DequeueTimestamp": _time(dequeued),
            "Duration": wait,
        }
        if shape.reached_agent:
            agent, agent_end, acw_end = _agent(dequeued, rng)
            end = agent_end + _s(_seconds_on(shape.after_agent_steps, rng))
            last_update = max(end, acw_end)
        else:
            end += _s(rng.randint(*AFTER_CALLBACK_SECONDS))
    last_update = max(last_update, end)
    attributes = {name: str(value) for name, value in result.attributes.items()}
    record: dict[str, Any] = {
        "AWSAccountId": FAKE_ACCOUNT,
        "AWSContactTraceRecordFormatVersion": FORMAT_VERSION,
        "InstanceARN": CONNECT_INSTANCE_ARN,
        "ContactId": result.contact_id,
        "InitialContactId": None,  # null on the first segment, as on the real stream
        "PreviousContactId": None,
        "NextContactId": None,
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": _time(initiated),
        "ConnectedToSystemTimestamp": _time(connected),
        "DisconnectTimestamp": _time(end),
        "LastUpdateTimestamp": _time(last_update),
        "DisconnectReason": _disconnect_reason(result, shape),
        "CustomerEndpoint": {"Address": caller or result.callback_number or None, "Type": "TELEPHONE_NUMBER"},
        "SystemEndpoint": {"Address": DIALLED_NUMBER, "Type": "TELEPHONE_NUMBER"},
        "Queue": queue,
        "Agent": agent,
        "AgentConnectionAttempts": 1 if agent else 0,
        "Attributes": attributes,
        "TransferredToEndpoint": None,
        "Recording": None,
        "MediaStreams": [{"Type": "AUDIO"}],
    }
    rated = attributes.get("csat", "") in ("1", "2", "3", "4", "5")
    if not (rated and rng.random() < POST_CALL_UPDATE_SHARE):
        return [record]
    first = {**record, "Attributes": {k: v for k, v in attributes.items() if k != "csat"}}
    updated = last_update + _s(rng.randint(*UPDATE_DELAY_SECONDS))
    return [first, {**record, "LastUpdateTimestamp": _time(updated)}]


def _s(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def _seconds_on(steps: Sequence[Step], rng: random.Random) -> int:
    return sum(rng.randint(*STEP_SECONDS[s.type]) for s in steps if s.type in STEP_SECONDS)


def _queue_wait(result: SimulationResult, shape: _Shape, rng: random.Random) -> int:
    estimate = _estimated_wait(result)
    if not shape.reached_agent:  # held, then took a callback: not the whole estimated wait
        held = rng.randint(*HELD_BEFORE_CALLBACK)
        return min(held, estimate) if estimate else held
    if estimate:
        # An estimate is an average: some callers are answered at once, a few wait twice as long.
        return min(round(rng.expovariate(1 / estimate)), 2 * estimate)
    return round(rng.triangular(*QUIET_WAIT))


def _estimated_wait(result: SimulationResult) -> int:
    """Escalation's estimate of the queue wait the caller met (seconds), 0 when it gave none."""
    for call in reversed(result.lambda_calls):
        if call.function == "escalation" and isinstance(call.response, dict):
            text = str(call.response.get("estimatedWaitSeconds", ""))
            if text.isdigit():
                return int(text)
    return 0


def _queue_name(result: SimulationResult) -> str:
    # A callback's result.queue is the callback queue; the caller waited in the working queue.
    if result.outcome == "queued":
        return result.queue
    return result.attributes.get("queue") or result.queue


def _agent(connected: datetime, rng: random.Random) -> tuple[dict[str, Any], datetime, datetime]:
    """The Agent member, when the agent's part of the call ends and when their wrap-up ends."""
    talk = rng.randint(*TALK_SECONDS)
    hold = rng.randint(*HOLD_SECONDS) if rng.random() < HOLD_SHARE else 0
    acw = rng.randint(*ACW_SECONDS)
    number = rng.randint(1, 40)
    hung_up = connected + _s(talk + hold)
    agent = {
        "ARN": f"{CONNECT_INSTANCE_ARN}/agent/agent-{number:04d}",
        "Username": f"agent{number:02d}",  # identifies a person: ctr_ingest must not keep it
        "ConnectedToAgentTimestamp": _time(connected),
        "AgentInteractionDuration": talk,
        "CustomerHoldDuration": hold,
        "NumberOfHolds": 1 if hold else 0,
        "LongestHoldDuration": hold,
        "AfterContactWorkStartTimestamp": _time(hung_up),
        "AfterContactWorkEndTimestamp": _time(hung_up + _s(acw)),
        "AfterContactWorkDuration": acw,
        "RoutingProfile": {"ARN": f"{CONNECT_INSTANCE_ARN}/routing-profile/basic", "Name": "Basic"},
    }
    return agent, hung_up, hung_up + _s(acw)


def _disconnect_reason(result: SimulationResult, shape: _Shape) -> str:
    if shape.reached_agent:
        return "AGENT_DISCONNECT"  # the agent hangs up; the caller stays on for the survey
    last = result.steps[-1].type if result.steps else ""
    return "CONTACT_FLOW_DISCONNECT" if last == "DisconnectParticipant" else "CUSTOMER_DISCONNECT"


def stream_order(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records as the stream carries them: by last update (a later version after the first)."""
    return sorted(records, key=lambda r: str(r["LastUpdateTimestamp"]))


def kinesis_records(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each record as a Kinesis event record (base64 data, its own sequence number), in order."""
    return [kinesis_record(index, StreamedRecord.of(record)) for index, record in enumerate(records)]


@dataclass(frozen=True)
class StreamedRecord:
    """A record as the stream carries it, without the dict: what a long day keeps of each record."""

    last_update: str  # LastUpdateTimestamp, which orders the stream
    contact_id: str  # the partition key
    packed: bytes  # the record's JSON, zlib-compressed: a 10,000-call day keeps ~13,000 of them

    @classmethod
    def of(cls, record: dict[str, Any]) -> StreamedRecord:
        packed = zlib.compress(json.dumps(record).encode())
        return cls(str(record["LastUpdateTimestamp"]), record["ContactId"], packed)

    @property
    def data(self) -> bytes:
        """The record's JSON, as the stream carries it."""
        return zlib.decompress(self.packed)


def kinesis_record(index: int, record: StreamedRecord) -> dict[str, Any]:
    """The stream's `index`-th record as a Kinesis event record."""
    arrival = datetime.strptime(record.last_update, TIME_FORMAT).replace(tzinfo=UTC)
    return stream_record(
        record.data,
        index,
        arrival=arrival.timestamp() + STREAM_LAG_SECONDS,
        partition_key=record.contact_id,
    )


def kinesis_events(items: Sequence[dict[str, Any]], batch: int = KINESIS_BATCH) -> list[dict[str, Any]]:
    """Kinesis event records in Lambda events of at most `batch` records each."""
    return [{"Records": list(items[i : i + batch])} for i in range(0, len(items), batch)]
