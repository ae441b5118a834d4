"""A parsed contact record as stored in the call's state item, and read back.

The state keeps the newest version of each segment of a call, so that a segment arriving in a later
batch is classified with the others. Only `ContactRecord`'s fields are stored: codes, times and
durations and the caller's keyed hash, never a phone number or a name. Fields added later (the
deciding rule, variant, experiment, caller and next contact id) read as not set from a state stored
before them, so old states decode unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lambdas.ctr_ingest.contact_record import AgentSegment, Attributes, ContactRecord, QueueSegment


def encode(record: ContactRecord) -> dict[str, Any]:
    queue, agent, attributes = record.queue, record.agent, record.attributes
    return {
        "contactId": record.contact_id,
        "initialContactId": record.initial_contact_id,
        "previousContactId": record.previous_contact_id,
        "nextContactId": record.next_contact_id,
        "channel": record.channel,
        "initiationMethod": record.initiation_method,
        "initiation": _time(record.initiation),
        "lastUpdate": _time(record.last_update),
        "disconnectReason": record.disconnect_reason,
        "queue": None
        if queue is None
        else {
            "name": queue.name,
            "enqueued": _time(queue.enqueued),
            "dequeued": _time(queue.dequeued),
            "duration": queue.duration,
        },
        "agent": None
        if agent is None
        else {
            "connectedAt": _time(agent.connected_at),
            "interaction": agent.interaction,
            "hold": agent.hold,
            "acw": agent.acw,
        },
        "transferredToEndpoint": record.transferred_to_endpoint,
        "attributes": {
            "outcome": attributes.outcome,
            "route": attributes.route,
            "intent": attributes.intent,
            "reasons": list(attributes.reasons),
            "queue": attributes.queue,
            "csat": attributes.csat,
            "rule": attributes.rule,
            "variant": attributes.variant,
            "experiment": attributes.experiment,
        },
        "caller": record.caller,
        "callerByNumber": record.caller_by_number,
    }


def decode(raw: Mapping[str, Any]) -> ContactRecord:
    queue, agent, attributes = raw.get("queue"), raw.get("agent"), raw.get("attributes") or {}
    return ContactRecord(
        contact_id=raw["contactId"],
        initial_contact_id=raw["initialContactId"],
        previous_contact_id=raw.get("previousContactId"),
        channel=raw.get("channel", ""),
        initiation_method=raw.get("initiationMethod", ""),
        initiation=_parse(raw["initiation"]) or datetime.min,
        last_update=_parse(raw["lastUpdate"]) or datetime.min,
        disconnect_reason=raw.get("disconnectReason", ""),
        queue=None
        if queue is None
        else QueueSegment(
            name=queue.get("name", ""),
            enqueued=_parse(queue.get("enqueued")),
            dequeued=_parse(queue.get("dequeued")),
            duration=queue.get("duration"),
        ),
        agent=None
        if agent is None
        else AgentSegment(
            connected_at=_parse(agent.get("connectedAt")),
            interaction=agent.get("interaction"),
            hold=agent.get("hold"),
            acw=agent.get("acw"),
        ),
        transferred_to_endpoint=bool(raw.get("transferredToEndpoint")),
        attributes=Attributes(
            outcome=attributes.get("outcome", ""),
            route=attributes.get("route", ""),
            intent=attributes.get("intent", ""),
            reasons=tuple(attributes.get("reasons") or ()),
            queue=attributes.get("queue", ""),
            csat=attributes.get("csat"),
            # States written before these were kept read as "not set"
            rule=attributes.get("rule", ""),
            variant=attributes.get("variant", ""),
            experiment=attributes.get("experiment", ""),
        ),
        caller=raw.get("caller"),
        next_contact_id=raw.get("nextContactId"),
        caller_by_number=bool(raw.get("callerByNumber")),
    )


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
