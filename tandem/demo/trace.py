"""A simulated call as a person would tell it: what the caller heard and did, what each Lambda said.

`tandem simulate` prints every step of a flow; the demo prints this shorter account instead. Only
the steps a caller or an agent would notice are shown: prompts, key presses and words, Lambda
answers (one line each, by function), transfers, the queue and the callback. Phone numbers are
masked; long prompts are cut to one line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from tandem.flows.simulator import LambdaCall, Prompt, SimulationResult, Step
from tandem.output import mask_phone

LINE_WIDTH = 110
LABEL = 15  # the width of the "who" column
SPOKEN_TYPES = ("MessageParticipant", "MessageParticipantIteratively")
INPUT_TYPES = ("GetParticipantInput", "ConnectParticipantWithLexBot")


def trace_lines(result: SimulationResult) -> Iterator[str]:
    """One line per thing worth telling, in the order it happened."""
    prompts: deque[Prompt] = deque(result.prompts)
    calls: deque[LambdaCall] = deque(result.lambda_calls)
    for step in result.steps:
        prompt = _take(prompts, step)
        if prompt is not None:
            speaker = "agent hears" if prompt.to == "agent" else "Tandem"
            yield _line(speaker, prompt.text)
        if step.said is not None:
            yield _line("caller", _caller_did(step))
        if step.type == "InvokeLambdaFunction":
            call = _take(calls, step)
            if call is not None:
                yield _line(f"λ {call.function}", lambda_summary(call))
        elif step.type == "TransferToFlow":
            yield _line("flow", f"→ {step.note.removeprefix('→ ')}")
        elif step.type == "TransferContactToQueue" and step.branch == "":
            yield _line("queue", step.note)
        elif step.type == "CreateCallbackContact" and step.branch == "NextAction":
            yield _line("callback", step.note)
        elif step.type == "(agent)":
            yield _line("agent", "answers the waiting caller")


def _take(queue: deque[Any], step: Step) -> Any:
    """The next prompt or Lambda call when it belongs to `step` (same flow and action)."""
    if queue and queue[0].flow == step.flow and queue[0].action == step.action:
        return queue.popleft()
    return None


def _caller_did(step: Step) -> str:
    said = step.said or ""
    if not said:
        return "(says nothing)"
    if step.type == "ConnectParticipantWithLexBot":
        intent = step.note.rpartition("→ fake Lex ")[2]
        return f'says "{said}"' + (f"  (fake Lex: {intent})" if intent else "")
    return f"presses {said}"


def _line(who: str, what: str) -> str:
    text = f"    {who:<{LABEL}} {what}"
    return text if len(text) <= LINE_WIDTH else text[: LINE_WIDTH - 1] + "…"


def lambda_summary(call: LambdaCall) -> str:
    """What a function answered, in the words that matter for the call."""
    if call.error:
        return f"failed ({call.error}); the flow takes its error branch"
    response = call.response if isinstance(call.response, dict) else {}
    summarise = _SUMMARIES.get(call.function)
    return summarise(response) if summarise else f"status {response.get('status', '?')}"


def _crm(r: dict[str, Any]) -> str:
    if r.get("status") != "OK":
        return f"{r.get('status', '?')}: caller not known" + (
            " (CRM unavailable)" if r.get("status") == "DEGRADED" else ""
        )
    parts = [f"{r.get('firstName', '?')}, {r.get('tier', '?')}"]
    if r.get("latestOrderId"):
        parts.append(f"order {r['latestOrderId']} {r.get('latestOrderStatus', '')}".strip())
    if r.get("openComplaints", "0") != "0":
        parts.append(f"{r['openComplaints']} open complaint(s)")
    if r.get("recentContacts72h", "0") != "0":
        parts.append(f"{r['recentContacts72h']} call(s) in 72 h")
    return "; ".join(parts)


def _decision(r: dict[str, Any]) -> str:
    reasons = ",".join(r.get("reasons", "").split(",")[:3])
    where = f" → {r['queue']}" if r.get("queue") else ""
    return f"{r.get('route', '?')}{where}  rule {r.get('ruleId', '?')}  ({reasons})"


def _escalation(r: dict[str, Any]) -> str:
    text = f"queue {r.get('queue', '?')}, priority {r.get('priority', '?')}"
    if r.get("estimatedWaitMinutes"):
        text += f", wait ≈ {r['estimatedWaitMinutes']} min"
    if r.get("offerCallback") == "true":
        text += f", offer a callback ({r.get('callbackReason', '')})"
    return text


def _survey(r: dict[str, Any]) -> str:
    if r.get("recorded") == "true":
        return f"CSAT {r.get('csat', '?')} recorded"
    return f"status {r.get('status', '?')}, nothing recorded"


_SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "crm_lookup": _crm,
    "ivr_decision": _decision,
    "escalation": _escalation,
    "survey": _survey,
}


def caller_label(caller: str) -> str:
    return caller if not caller.startswith("+") else mask_phone(caller)
