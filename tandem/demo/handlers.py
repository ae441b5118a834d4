"""`tandem demo --handlers`: each handler on its own, with the events a flow would send it."""

from __future__ import annotations

from typing import Any

from tandem.demo.decisions import (
    DECISION_HEADERS,
    HANDOFF_HEADERS,
    decision_rows,
    handoff_rows,
    run_decisions,
)
from tandem.demo.events import UK_LINE, DemoCall, contact_event
from tandem.local import Sandbox, sandbox
from tandem.local.demo_data import UNKNOWN_NUMBER
from tandem.output import emit_json, mask_phone, table

DEMO_CALLS = (
    DemoCall("known gold caller (E.164)", "+12025550101"),
    DemoCall("VIP with an open complaint", "+12025550103"),
    DemoCall("same gold caller again (cache)", "+12025550101"),
    DemoCall("unknown number", UNKNOWN_NUMBER),
    DemoCall("withheld number", "anonymous"),
    DemoCall("national format, spaces and punctuation", "+12025550107", caller_param="(202) 555-0107"),
    DemoCall(
        "UK national format on a UK line", "+447700900123", caller_param="07700 900123", dialled=UK_LINE
    ),
    DemoCall(
        "chat contact, no phone", "c0a8f3e2-chat-participant", channel="CHAT", endpoint_type="CONNECT_CHAT"
    ),
    DemoCall("CRM down, caller cached a moment ago", "+12025550101", outage=True),
    DemoCall("CRM down, new caller", "+12025550102", outage=True),
)


def run_calls(box: Sandbox) -> list[dict[str, Any]]:
    results = []
    for index, call in enumerate(DEMO_CALLS, start=1):
        event = contact_event(call, index)
        if call.outage:
            with box.crm_outage():
                response = box.invoke("crm_lookup", event)
        else:
            response = box.invoke("crm_lookup", event)
        results.append(
            {
                "scenario": call.label,
                "caller": mask_phone(call.caller_param or call.address),
                "channel": call.channel,
                "response": response,
                "awsCalls": box.last.aws_calls,
            }
        )
    return results


def run(output_format: str = "table") -> int:
    with sandbox() as box:
        results = run_calls(box)
        decisions = run_decisions(box)
    if output_format == "json":
        emit_json({"calls": results, "decisions": decisions})
        return 0
    print(
        "Tandem demo: CRM lookups on the local sandbox (moto; no AWS account, nothing leaves this machine)\n"
    )
    rows = []
    for result in results:
        r = result["response"]
        order = f"{r.get('latestOrderId')} {r.get('latestOrderStatus')}".strip()
        rows.append(
            [
                result["scenario"],
                result["caller"],
                r["status"],
                r.get("firstName", ""),
                r.get("tier", ""),
                r.get("openComplaints", ""),
                r.get("recentContacts72h", ""),
                order,
                r.get("crmSource", ""),
                len(result["awsCalls"]),
            ]
        )
    print(
        table(
            [
                "scenario",
                "caller",
                "status",
                "firstName",
                "tier",
                "complaints",
                "calls72h",
                "latest order",
                "source",
                "AWS calls",
            ],
            rows,
        )
    )
    print("\nWhat the flow receives as $.External for the first caller:")
    emit_json(results[0]["response"])
    print(
        "\nIVR decisions: crm_lookup, then ivr_decision with what the caller said or pressed "
        "(as of Monday 10:00 New York, except where the scenario says otherwise)\n"
    )
    print(table(DECISION_HEADERS, decision_rows(decisions)))
    print(
        "\nHandoffs: escalation for every caller who needs a person "
        "(8 waiting, 6 agents staffed, none free)\n"
    )
    print(table(HANDOFF_HEADERS, handoff_rows(decisions)))
    print("\nWhat the flow receives from ivr_decision for the VIP complaint:")
    emit_json(next(d["response"] for d in decisions if d["scenario"].startswith("VIP")))
    return 0
