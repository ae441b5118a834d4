"""The block handlers: one function per action type the simulator models, keyed by type in
`HANDLERS`. Each reads the action's parameters, reads and changes the contact, and answers with a
`Next` (the branch to take and a note); the engine does the rest."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from flowdoc.jsonpath import resolve_value
from tandem.flows import fake_lex
from tandem.flows.simulator.config import Override
from tandem.flows.simulator.contact import Contact, FlowKind, Next
from tandem.flows.simulator.flows import (
    FLOW_IN_ARN,
    INPUT_TIMEOUT,
    NEXT,
    NO_MATCHING_CONDITION,
    NO_MATCHING_ERROR,
    Flow,
    to_number,
)
from tandem.flows.simulator.results import CLAIMED_OUTCOMES, OUTCOME_ATTRIBUTE, LambdaCall
from tandem.local.sandbox import UnknownFunction

MAX_LAMBDA_SECONDS = 8.0
DEFAULT_LAMBDA_SECONDS = 3.0
MAX_RESPONSE_BYTES = 32 * 1024
MAX_ATTRIBUTE_BYTES = 32 * 1024

FUNCTION_IN_ARN = re.compile(r":function:([^:/\s]+)")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")  # a dialable number (Connect: E.164)

Handler = Callable[[Contact, Flow, dict[str, Any], FlowKind], Next]


def _parameters(action: dict[str, Any]) -> dict[str, Any]:
    parameters = action.get("Parameters")
    return parameters if isinstance(parameters, dict) else {}


def _noop(note: str) -> Handler:
    def handle(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
        return Next(NEXT, note)

    return handle


def _logging(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    return Next(NEXT, f"flow logging {_parameters(action).get('FlowLoggingBehavior', '')}".strip())


def _voice(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    parameters = _parameters(action)
    voice = contact.value(parameters.get("TextToSpeechVoice", ""))
    engine = contact.value(parameters.get("TextToSpeechEngine", ""))
    return Next(NEXT, f"voice {voice} {engine}".strip())


def _message(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    text = contact.say(flow, action, _parameters(action), kind)
    return Next(NEXT, f'"{text}"' if text else "nothing to play")


def _message_iteratively(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    messages = _parameters(action).get("Messages") or []
    played = [contact.say(flow, action, m, kind) for m in messages if isinstance(m, dict)]
    return Next(None, f"plays {len(played)} message(s) until an agent answers")


def started_parameters(contact: Contact, action: dict[str, Any]) -> dict[str, Any]:
    """The parameters Connect reports as an observed action starts (testing language
    `FlowActionStarted.ActionParameters`), resolved against the contact now."""
    parameters = _parameters(action)
    action_type = action.get("Type")
    if action_type == "InvokeLambdaFunction":
        return {"LambdaFunctionARN": contact.value(parameters.get("LambdaFunctionARN", ""))}
    if action_type == "CheckHoursOfOperation":
        hours = contact.value(parameters.get("HoursOfOperationId", ""))
        return {"HoursOfOperationId": hours} if hours else {}
    if action_type == "ConnectParticipantWithLexBot":
        bot = parameters.get("LexV2Bot") or parameters.get("LexBot") or {}
        alias = contact.value(bot.get("AliasArn") or bot.get("Name") or "") if isinstance(bot, dict) else ""
        return {"LexV2Bot": {"AliasArn": alias}}
    if action_type in ("TransferContactToQueue", "DequeueAndTransferToQueue"):
        queue = contact.value(parameters.get("QueueId", "")) or contact.queue_arn
        agent = contact.value(parameters.get("AgentId", ""))
        return {"QueueId": queue, **({"AgentId": agent} if agent else {})}
    return {}


def _invoke_lambda(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    parameters = _parameters(action)
    arn = contact.value(parameters.get("LambdaFunctionARN", ""))
    override = contact.overridden("InvokeLambdaFunction", {"LambdaFunctionARN": arn})
    substitute = override.value if override is not None and override.strategy == "substitute" else ""
    arn = substitute or arn
    match = FUNCTION_IN_ARN.search(arn)
    function = match.group(1) if match else arn
    attributes = parameters.get("LambdaInvocationAttributes")
    resolved = resolve_value(contact.namespace, attributes) if isinstance(attributes, dict) else {}
    action_id = str(action.get("Identifier"))

    def failed(reason: str, response: Any = None) -> Next:
        contact.lambda_calls.append(LambdaCall(flow.name, action_id, function, resolved, response, reason))
        return Next(NO_MATCHING_ERROR, f"{function or '(no function)'}: {reason}")

    if override is not None and not substitute:
        return _mocked_lambda(contact, override, LambdaCall(flow.name, action_id, function, resolved, None))
    if not function:
        return failed("the function ARN resolves to nothing")
    limit = to_number(str(parameters.get("InvocationTimeLimitSeconds", DEFAULT_LAMBDA_SECONDS)))
    limit = min(limit if limit and limit > 0 else DEFAULT_LAMBDA_SECONDS, MAX_LAMBDA_SECONDS)
    fault = contact.lambda_faults.get(function)
    if fault == "error":
        return failed("the handler raised an error (injected)")
    started = time.perf_counter()
    try:
        response: Any = contact.box.invoke(function, lambda_event(contact.namespace, resolved))
    except UnknownFunction:
        return failed("no such function in the sandbox")
    except Exception as error:
        return failed(f"the handler raised {type(error).__name__}: {error}")
    elapsed = time.perf_counter() - started
    if fault == "timeout":
        return failed(f"timed out: ran past InvocationTimeLimitSeconds {limit:g} (injected)", response)
    if elapsed > limit:
        return failed(f"timed out: {elapsed:.1f} s > InvocationTimeLimitSeconds {limit:g}", response)
    validation = parameters.get("ResponseValidation")
    response_type = (
        validation.get("ResponseType", "STRING_MAP") if isinstance(validation, dict) else "STRING_MAP"
    )
    if fault == "invalid":
        answer = response if isinstance(response, dict) else {}
        response = [response] if response_type == "JSON" else {**answer, "injected": {"nested": "map"}}
    injected = " (injected)" if fault == "invalid" else ""
    if not isinstance(response, dict):
        return failed(f"the response is {type(response).__name__}, not a map{injected}", response)
    if response_type != "JSON" and not all(
        isinstance(k, str) and isinstance(v, str) for k, v in response.items()
    ):
        return failed(f"the response is not a flat string map (STRING_MAP){injected}", response)
    try:
        size = len(json.dumps(response, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        return failed("the response is not JSON", response)
    if size >= MAX_RESPONSE_BYTES:
        return failed(f"the response is {size} bytes (32 KB or more)", response)
    contact.namespace["External"] = response
    contact.lambda_calls.append(LambdaCall(flow.name, action_id, function, resolved, response))
    status = response.get("status", "")
    instead = " (substituted)" if substitute else ""
    return Next(NEXT, f"{function} answered{' ' + str(status) if status else ''}{instead}")


def _mocked_lambda(contact: Contact, override: Override, call: LambdaCall) -> Next:
    """A Lambda block whose answer a harness gives: the handler is not called."""
    if override.strategy == "error":
        reason = f"mocked error {override.value} (the handler is not called)"
        contact.lambda_calls.append(replace(call, error=reason, mocked=True))
        return Next(NO_MATCHING_ERROR, f"{call.function}: {reason}")
    loaded = dict(override.data)
    contact.namespace["External"] = loaded
    contact.lambda_calls.append(replace(call, response=loaded, mocked=True))
    return Next(NEXT, f"{call.function}: mocked result (the handler is not called)")


def lambda_event(namespace: Mapping[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """The event Connect sends a Lambda block: the contact's data and the block's parameters."""
    queue = namespace.get("Queue") or {}
    customer = namespace.get("CustomerEndpoint") or {}
    system = namespace.get("SystemEndpoint") or {}
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": dict(namespace["Attributes"]),
                "Channel": namespace["Channel"],
                "ContactId": namespace["ContactId"],
                "InitialContactId": namespace["InitialContactId"],
                "PreviousContactId": namespace["PreviousContactId"],
                "InitiationMethod": namespace["InitiationMethod"],
                "InstanceARN": namespace["InstanceARN"],
                "CustomerEndpoint": dict(customer) if customer else None,
                "SystemEndpoint": dict(system) if system else None,
                "Queue": {"ARN": queue["ARN"], "Name": queue["Name"], "OutboundCallerId": None}
                if queue
                else None,
                "LanguageCode": namespace["LanguageCode"],
                "MediaStreams": {"Customer": {"Audio": None}},
            },
            "Parameters": parameters,
        },
    }


def _update_attributes(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    parameters = _parameters(action)
    given = parameters.get("Attributes")
    if not isinstance(given, dict):
        return Next(NO_MATCHING_ERROR, "no Attributes")
    values = {str(k): contact.value(v) if isinstance(v, str) else json.dumps(v) for k, v in given.items()}
    merged = {**contact.attributes, **values}
    if len(json.dumps(merged, ensure_ascii=False).encode("utf-8")) > MAX_ATTRIBUTE_BYTES:
        return Next(NO_MATCHING_ERROR, "contact attributes would pass 32 KB; none set")
    contact.attributes.update(values)
    note = ", ".join(f"{k}={v}" for k, v in values.items())
    if parameters.get("TargetContact") == "Related":
        note += " (TargetContact Related: applied to this contact)"
    claimed = values.get(OUTCOME_ATTRIBUTE)
    if claimed:
        outcome = CLAIMED_OUTCOMES.get(claimed.upper())
        if outcome:
            contact.claim(outcome)
        else:
            contact.warnings.append(
                f"{flow.name}: {OUTCOME_ATTRIBUTE}={claimed!r} is not one of {', '.join(CLAIMED_OUTCOMES)}"
            )
    return Next(NEXT, note)


def _update_flow_attributes(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    given = _parameters(action).get("FlowAttributes")
    if not isinstance(given, dict):
        return Next(NO_MATCHING_ERROR, "no FlowAttributes")
    store = contact.namespace["FlowAttributes"]
    for name, spec in given.items():
        raw = spec.get("Value", "") if isinstance(spec, dict) else spec
        store[str(name)] = contact.value(raw)
    return Next(NEXT, ", ".join(f"{n}={store[str(n)]}" for n in given))


def _compare(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    value = contact.value(_parameters(action).get("ComparisonValue", ""))
    label = contact.select(action, value, flow)
    return Next(label or NO_MATCHING_CONDITION, f"value {value!r}")


def _get_input(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    parameters = _parameters(action)
    prompt = contact.say(flow, action, parameters, kind)
    heard = f'"{prompt}"; ' if prompt else ""
    if contact.channel != "VOICE":
        return Next(NO_MATCHING_ERROR, f"{heard}DTMF input works on voice contacts only")
    pressed = contact.next_input(kind, flow, action, prompt)
    if not pressed:
        return Next(
            INPUT_TIMEOUT, f"{heard}{'no input left' if pressed is None else 'silence'}: timed out", said=""
        )
    if str(parameters.get("StoreInput", "False")).lower() == "true":
        digits = pressed
        terminator = (parameters.get("DTMFConfiguration") or {}).get("InputTerminationSequence") or "#"
        if isinstance(terminator, str) and terminator and digits.endswith(terminator):
            digits = digits[: -len(terminator)]
        validation = parameters.get("InputValidation") or {}
        phone = validation.get("PhoneNumberValidation") if isinstance(validation, dict) else None
        if isinstance(phone, dict) and phone.get("NumberFormat", "E164") == "E164" and not E164.match(digits):
            contact.namespace["StoredCustomerInput"] = ""
            return Next("InvalidPhoneNumber", f"{heard}{digits!r} is not an E.164 number", said=pressed)
        custom = validation.get("CustomValidation") if isinstance(validation, dict) else None
        if isinstance(custom, dict) and (maximum := to_number(str(custom.get("MaximumLength", "")))):
            digits = digits[: int(maximum)]
        contact.namespace["StoredCustomerInput"] = digits
        return Next(NEXT, f"{heard}stored {digits!r}", said=pressed)
    label = contact.select(action, pressed, flow)
    return Next(label or NO_MATCHING_CONDITION, f"{heard}pressed {pressed!r}", said=pressed)


def _lex(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    parameters = _parameters(action)
    prompt = contact.say(flow, action, parameters, kind)
    heard = f'"{prompt}"; ' if prompt else ""
    bot = parameters.get("LexV2Bot") or parameters.get("LexBot") or {}
    alias = contact.value(bot.get("AliasArn") or bot.get("Name") or "") if isinstance(bot, dict) else ""
    override = contact.overridden("ConnectParticipantWithLexBot", {"LexV2Bot": {"AliasArn": alias}})
    if override is not None and override.strategy == "substitute":
        alias = override.value
    if override is not None and override.strategy == "error":
        return Next(NO_MATCHING_ERROR, f"{heard}mocked error {override.value}")
    if override is not None and override.strategy == "result":
        intent = str(override.data.get("IntentName") or override.data.get("intent") or "")
        contact.namespace["Lex"] = {"IntentName": intent, "SessionAttributes": dict(override.data)}
        label = contact.select(action, intent, flow)
        return Next(label or NO_MATCHING_CONDITION, f"{heard}mocked bot answer: intent {intent or '(none)'}")
    if not alias:
        return Next(NO_MATCHING_ERROR, f"{heard}no Lex bot configured (the alias resolves to nothing)")
    said = contact.next_input(kind, flow, action, prompt)
    if not said:
        return Next(
            INPUT_TIMEOUT, f"{heard}{'no input left' if said is None else 'silence'}: timed out", said=""
        )
    turn = fake_lex.classify(said)
    session = parameters.get("LexSessionAttributes")
    session_values = resolve_value(contact.namespace, session) if isinstance(session, dict) else {}
    contact.namespace["Lex"] = turn.namespace(session_values)
    note = f'{heard}said "{said}" → fake Lex {turn.intent} {turn.confidence:.2f} {turn.sentiment}'
    label = contact.select(action, turn.intent, flow)
    return Next(label or NO_MATCHING_CONDITION, note, said=said)  # an intent no condition names: Default


def _loop(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    count = to_number(contact.value(_parameters(action).get("LoopCount", "0"))) or 0.0
    count = int(min(max(count, 0), 100))
    key = (flow.name, str(action.get("Identifier")))
    done = contact.loops.get(key, 0)
    if done < count:
        contact.loops[key] = done + 1
        value, note = "ContinueLooping", f"iteration {done + 1} of {count}"
    else:
        contact.loops[key] = 0
        value, note = "DoneLooping", f"done after {count}"
    return Next(contact.select(action, value, flow) or NEXT, note)


def _check_hours(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    hours: str = contact.hours
    how = "simulated"
    override = contact.overridden("CheckHoursOfOperation", started_parameters(contact, action))
    if override is not None and override.strategy == "error":
        return Next(NO_MATCHING_ERROR, f"mocked error {override.value}")
    if override is not None and override.strategy == "result":
        hours, how = ("open" if override.value == "InHours" else "closed"), f"mocked {override.value}"
    if override is not None and override.strategy == "substitute":
        hours, how = hours_of(override.value), f"substituted {override.value.rsplit('/', 1)[-1]}"
    value = "True" if hours == "open" else "False"
    return Next(contact.select(action, value, flow) or NEXT, f"hours {hours} ({how})")


def hours_of(arn: str) -> str:
    """Whether substitute hours are open or closed: locally, hours named *closed* (e.g.
    `{{hours:always_closed}}`) are closed at any moment, any other hours open."""
    return "closed" if "closed" in arn.rsplit("/", 1)[-1].lower() else "open"


def _metrics(contact: Contact, queue_arn: str, channel: str) -> dict[str, Any]:
    load = contact.queue_load
    queue: dict[str, Any] = {
        "Name": contact.queue_name_of(queue_arn) if queue_arn else "",
        "ARN": queue_arn,
        "Size": _count(load.contacts_in_queue),
        "OldestContactAge": _count(load.oldest_contact_age_seconds),
    }
    if channel:  # Connect estimates a wait only for one channel
        queue["EstimatedWaitTime"] = str(max(contact.queue_wait_seconds or 0, 0))
    metrics: dict[str, Any] = {"Queue": queue}
    if load.agents_staffed:  # no agents: no agent metrics
        metrics["Agents"] = {
            "Online": {"Count": _count(load.agents_staffed)},
            "Available": {"Count": _count(load.agents_available)},
            "Staffed": {"Count": _count(load.agents_staffed)},
        }
    return metrics


def _count(value: float | None) -> str:
    return "" if value is None else str(int(value))


def _get_metrics(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    parameters = _parameters(action)
    queue_arn = contact.value(parameters.get("QueueId", "")) or contact.queue_arn
    metrics = _metrics(contact, queue_arn, contact.value(parameters.get("QueueChannel", "")))
    contact.namespace["Metrics"] = metrics
    agents = metrics.get("Agents", {}).get("Available", {}).get("Count", "none")
    note = f"queue {metrics['Queue']['Name'] or '(none)'}: {metrics['Queue']['Size']} waiting, oldest "
    return Next(NEXT, note + f"{metrics['Queue']['OldestContactAge']} s, {agents} agents available")


CHECK_METRICS = {
    "NumberOfAgentsAvailable": "agents_available",
    "NumberOfAgentsStaffed": "agents_staffed",
    "NumberOfAgentsOnline": "agents_staffed",
    "OldestContactInQueueAgeSeconds": "oldest_contact_age_seconds",
    "NumberOfContactsInQueue": "contacts_in_queue",
}


def _check_metrics(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    metric = str(_parameters(action).get("MetricType", ""))
    attribute = CHECK_METRICS.get(metric)
    if attribute is None:
        return Next(NO_MATCHING_ERROR, f"unknown MetricType {metric!r}")
    value = _count(getattr(contact.queue_load, attribute))
    return Next(contact.select(action, value, flow) or NO_MATCHING_CONDITION, f"{metric} = {value}")


def _target_queue(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    parameters = _parameters(action)
    if parameters.get("AgentId"):
        agent = contact.value(parameters["AgentId"])
        if not agent:
            return Next(NO_MATCHING_ERROR, "AgentId resolves to nothing")
        contact.queue_arn, contact.queue_name = agent, f"agent:{agent.rsplit('/', 1)[-1]}"
    else:
        arn = contact.value(parameters.get("QueueId", ""))
        if not arn:
            return Next(NO_MATCHING_ERROR, "QueueId resolves to nothing")
        contact.queue_arn, contact.queue_name = arn, contact.queue_name_of(arn)
        if arn not in contact.resources.queue_arns.values():
            contact.warnings.append(
                f"{flow.name}: queue {arn!r} is not a sandbox queue; kept as {contact.queue_name!r}"
            )
    contact.namespace["Queue"] = {"ARN": contact.queue_arn, "Name": contact.queue_name}
    return Next(NEXT, f"working queue {contact.queue_name}")


def _routing(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    parameters = _parameters(action)
    if "QueuePriority" in parameters:
        priority = to_number(contact.value(parameters["QueuePriority"]))
        if priority is None or priority < 1:
            return Next(
                NO_MATCHING_ERROR, f"QueuePriority {parameters['QueuePriority']!r} is not a number > 0"
            )
        contact.priority = int(priority)
        return Next(NEXT, f"priority {contact.priority}")
    if "QueueTimeAdjustmentSeconds" in parameters:
        return Next(
            NEXT, f"queue time adjusted by {contact.value(parameters['QueueTimeAdjustmentSeconds'])} s"
        )
    return Next(NEXT, "no routing change")


def _event_hooks(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    hooks = _parameters(action).get("EventHooks")
    if not isinstance(hooks, dict) or not hooks:
        return Next(NO_MATCHING_ERROR, "no EventHooks")
    set_now = {}
    for hook, reference in hooks.items():
        value = contact.value(reference)
        contact.hooks[str(hook)] = value
        found = FLOW_IN_ARN.search(value)
        set_now[str(hook)] = found.group(1) if found else value or "(nothing)"
    return Next(NEXT, ", ".join(f"{h} → {v}" for h, v in set_now.items()))


def _callback_number(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    number = contact.value(_parameters(action).get("CallbackNumber", ""))
    if not E164.match(number):
        return Next("InvalidCallbackNumber", f"{number!r} is not a dialable E.164 number")
    contact.callback_number = number
    return Next(NEXT, f"callback number {number}")


def _create_callback(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    parameters = _parameters(action)
    number = contact.callback_number or contact.namespace["CustomerEndpoint"].get("Address", "")
    if not E164.match(number):
        return Next(NO_MATCHING_ERROR, "no dialable callback number")
    queue_arn = contact.value(parameters.get("QueueId", "")) or contact.queue_arn
    if not queue_arn:
        return Next(NO_MATCHING_ERROR, "no queue for the callback")
    contact.callback_number = number
    contact.outcome_queue = contact.queue_name_of(queue_arn)
    contact.claim("callback")
    delay = contact.value(parameters.get("InitialCallDelaySeconds", ""))
    return Next(NEXT, f"callback in queue {contact.outcome_queue}" + (f" after {delay} s" if delay else ""))


def _transfer_to_queue(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    override = contact.overridden("TransferContactToQueue", started_parameters(contact, action))
    if override is not None and override.strategy == "error":
        return Next(override.value, f"mocked error {override.value}")
    if override is not None and override.strategy == "substitute":
        contact.queue_arn, contact.queue_name = override.value, contact.queue_name_of(override.value)
        contact.namespace["Queue"] = {"ARN": contact.queue_arn, "Name": contact.queue_name}
    if not contact.queue_arn:
        return Next(NO_MATCHING_ERROR, "no working queue set")
    contact.outcome_queue = contact.queue_name
    contact.claim("queued")
    return Next(None, f"queued in {contact.queue_name} at priority {contact.priority}", enters_queue=True)


def _transfer_to_flow(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    reference = contact.value(_parameters(action).get("ContactFlowId", ""))
    target = contact.find_flow(reference) if reference else None
    if target is None:
        return Next(NO_MATCHING_ERROR, f"no flow found for {reference!r}")
    return Next(NEXT, f"→ {target.name}", flow=target)


def _disconnect(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    # The flow hangs up on the caller: a disconnect flow set for this contact would speak to no one,
    # so it is not run (it runs when the agent hangs up with the caller still on the line).
    contact.disconnected = True
    return Next(None, "disconnect")


def _end_flow(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    return Next(None, "end of flow")


def _contact_data(contact: Contact, flow: Flow, action: dict[str, Any], kind: FlowKind) -> Next:
    parameters = _parameters(action)
    changed = []
    for name in ("LanguageCode", "Name", "Description", "CustomerId"):
        if name in parameters:
            contact.namespace[name] = contact.value(parameters[name])
            changed.append(f"{name}={contact.namespace[name]}")
    return Next(NEXT, ", ".join(changed))


HANDLERS: dict[str, Handler] = {
    "UpdateFlowLoggingBehavior": _logging,
    "UpdateContactTextToSpeechVoice": _voice,
    "MessageParticipant": _message,
    "MessageParticipantIteratively": _message_iteratively,
    "InvokeLambdaFunction": _invoke_lambda,
    "UpdateContactAttributes": _update_attributes,
    "UpdateFlowAttributes": _update_flow_attributes,
    "Compare": _compare,
    "GetParticipantInput": _get_input,
    "ConnectParticipantWithLexBot": _lex,
    "Loop": _loop,
    "CheckHoursOfOperation": _check_hours,
    "GetMetricData": _get_metrics,
    "CheckMetricData": _check_metrics,
    "UpdateContactTargetQueue": _target_queue,
    "UpdateContactRoutingBehavior": _routing,
    "UpdateContactEventHooks": _event_hooks,
    "UpdateContactCallbackNumber": _callback_number,
    "CreateCallbackContact": _create_callback,
    "TransferContactToQueue": _transfer_to_queue,
    "TransferToFlow": _transfer_to_flow,
    "DisconnectParticipant": _disconnect,
    "EndFlowExecution": _end_flow,
    "EndFlowModuleExecution": _end_flow,
    "UpdateContactData": _contact_data,
    "UpdateContactRecordingBehavior": _noop("recording settings: no effect in the simulator"),
    "UpdateContactRecordingAndAnalyticsBehavior": _noop("recording settings: no effect in the simulator"),
    "UpdateContactMediaStreamingBehavior": _noop("media streaming: no effect in the simulator"),
    "TagContact": _noop("tags: no effect in the simulator"),
}
MODELLED_TYPES = frozenset(HANDLERS)
