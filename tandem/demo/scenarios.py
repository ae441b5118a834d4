"""Scripted calls through the repo's inbound flow: the demo's calls, the scenario tests' cases.

Each `Scenario` is one caller: who calls (a demo customer, an unknown or a withheld number), what
they press or say, in order, and the conditions of the call (hours, queue wait, language, the CRM
down). `place_call` runs it through `flows/inbound_main.json` with `tandem.flows.simulator`, on the
real handlers in the sandbox. `expect` states what must come of it; the scenario tests hold the
flows and handlers to it, and the demo shows it. The demo's calls are its test cases: each is set
up by `flows/tests/demo-<name>.json` (`scripted`), which `tandem test` runs and the demo places.

Speech goes to the simulator's FAKE Lex bot (a keyword table), so a scenario that speaks sets the
`lexBotAliasArn` setting to `FAKE_LEX_ALIAS_ARN`; the others use the keypad, as a deployment without
a bot does.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tandem.flows.simulator import FLOWS_DIR, Hours, LambdaFault, SimulationConfig, SimulationResult, simulate
from tandem.flows.simulator.flows import lex_alias_arn
from tandem.local import Sandbox

INBOUND_FLOW = "inbound_main"
FAKE_LEX_ALIAS_ARN = lex_alias_arn("fake_bot")  # `{{lex:fake_bot}}` in the test cases
LONG_WAIT_SECONDS = 1500  # 25 minutes: past escalation's 10-minute callback threshold


@dataclass(frozen=True)
class Expect:
    """What must come of a scenario."""

    outcome: str  # one of simulator.OUTCOMES
    lambdas: tuple[str, ...]  # the functions the flow calls, in order
    queue: str = ""  # the queue (the callback's queue for a callback), "" when none
    route: str = ""  # ivr_decision's route, "" when the decision is not the point
    heard: str = ""  # a phrase the caller hears (case-insensitive), "" to skip


@dataclass(frozen=True)
class Scenario:
    name: str  # a short id: "order-status"
    title: str  # what the demo prints
    caller: str  # +E164 or "anonymous"
    inputs: tuple[str, ...]  # key presses or words, in order ("" is silence)
    expect: Expect
    hours: Hours = "open"
    queue_wait_seconds: int | None = None
    language: str = "en-US"
    crm_down: bool = False
    speech: bool = False  # talk to the (fake) Lex bot instead of the keypad


LOOKUP_DECIDE = ("crm_lookup", "ivr_decision")
SELF_SERVED_RATED = (*LOOKUP_DECIDE, "survey")
HANDED_OVER = (*LOOKUP_DECIDE, "escalation")
HANDED_OVER_RATED = (*HANDED_OVER, "survey")

CASES_DIR = FLOWS_DIR / "tests"
CASE_PREFIX = "demo-"  # flows/tests/demo-<name>.json: the scripted call <name>
TITLE_PREFIX = "The demo's scripted call: "


def case_path(name: str, cases_dir: Path = CASES_DIR) -> Path:
    """The test case of the scripted call `name`."""
    return cases_dir / f"{CASE_PREFIX}{name}.json"


def scripted(name: str, expect: Expect, cases_dir: Path = CASES_DIR) -> Scenario:
    """The scripted call `name` as its test case in flows/tests/ sets it up (the one source of the
    caller, what they press or say, and the call's conditions), with what must come of it.

    The caller's inputs are the case's SendInstruction values in order; a silence the case leaves
    unanswered is the input block timing out, as an input list that has run out does.
    """
    from tandem.flowtest import read
    from tandem.flowtest.conditions import read_conditions

    path = case_path(name, cases_dir)
    case = read(path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    content = raw["Content"] if isinstance(raw["Content"], dict) else json.loads(raw["Content"])
    local = read_conditions(content.get("Metadata"))
    inputs = tuple(
        str(instruction.get("Value", instruction.get("Text", "")))
        for observation in case.observations
        for action in observation.actions
        if action.type == "SendInstruction"
        for instruction in [action.parameters["Instruction"].get("Properties", {})]
    )
    title = str(raw.get("Description", name)).removeprefix(TITLE_PREFIX).rstrip(".")
    return Scenario(
        name=name,
        title=title,
        caller="anonymous" if local.withheld or case.entry is None else case.entry.caller,
        inputs=inputs,
        expect=expect,
        hours="closed" if local.hours == "closed" else "open",
        queue_wait_seconds=local.queue_wait_seconds,
        language=local.language_code,
        crm_down=local.crm_down,
        speech=local.settings.get("lexBotAliasArn") == FAKE_LEX_ALIAS_ARN,
    )


DEMO_SCENARIOS: tuple[Scenario, ...] = (
    scripted(
        "order-status",
        Expect("self-served", SELF_SERVED_RATED, route="SELF_SERVICE", heard="order 1046 has shipped"),
    ),
    scripted("return-policy", Expect("self-served", SELF_SERVED_RATED, route="SELF_SERVICE", heard="return")),
    scripted("asks-for-person", Expect("queued", HANDED_OVER_RATED, queue="general", route="AGENT")),
    scripted("angry-repeat", Expect("queued", HANDED_OVER_RATED, queue="complaints", route="AGENT")),
    scripted("vip-complaint", Expect("queued", HANDED_OVER_RATED, queue="priority", route="AGENT")),
    scripted(
        "after-hours", Expect("closed", HANDED_OVER, route="CALLBACK", heard="call again when we're open")
    ),
    scripted(
        "long-queue-callback",
        # escalation again when the caller takes the callback: it claims the number
        Expect(
            "callback", (*HANDED_OVER, "escalation"), queue="callback", route="AGENT", heard="call you back"
        ),
    ),
    scripted(
        "holds-then-callback",
        Expect(
            "callback",
            (*HANDED_OVER, "escalation"),  # the queue flow claims the number too
            queue="callback",
            route="CALLBACK",
            heard="you've been waiting a while",
        ),
    ),
    scripted("withheld-number", Expect("self-served", SELF_SERVED_RATED, route="SELF_SERVICE")),
    scripted("crm-down", Expect("queued", HANDED_OVER_RATED, queue="general", route="AGENT")),
    scripted(
        "two-failed-attempts",
        Expect(
            "queued",
            (*LOOKUP_DECIDE, "ivr_decision", "ivr_decision", "escalation", "survey"),
            queue="general",
            route="AGENT",
        ),
    ),
    scripted("unknown-order-status", Expect("queued", HANDED_OVER_RATED, queue="general", route="AGENT")),
    scripted("vietnamese", Expect("self-served", SELF_SERVED_RATED, route="SELF_SERVICE")),
)


def scenario(name: str) -> Scenario:
    """The demo scenario called `name`; KeyError names the known ones."""
    for candidate in DEMO_SCENARIOS:
        if candidate.name == name:
            return candidate
    known = ", ".join(s.name for s in DEMO_SCENARIOS)
    raise KeyError(f"no scenario {name!r} (known: {known})")


def place_call(
    box: Sandbox,
    call: Scenario,
    *,
    flows_dir: Path = FLOWS_DIR,
    lambda_faults: Mapping[str, LambdaFault] | None = None,
) -> SimulationResult:
    """Run `call` through the inbound flow on the real handlers in `box` (`lambda_faults`: simulate)."""
    config = SimulationConfig(
        caller=call.caller,
        inputs=call.inputs,
        hours=call.hours,
        queue_wait_seconds=call.queue_wait_seconds,
        language=call.language,
        flows_dir=flows_dir,
        settings=speech_settings(call.speech),
        lambda_faults=lambda_faults or {},
    )
    return call_inbound(box, config, crm_down=call.crm_down)


def speech_settings(speech: bool) -> dict[str, str]:
    """The deployment settings of a call that speaks (the fake Lex bot) or uses the keypad."""
    return {"lexBotAliasArn": FAKE_LEX_ALIAS_ARN} if speech else {}


def call_inbound(box: Sandbox, config: SimulationConfig, *, crm_down: bool = False) -> SimulationResult:
    """One call through the inbound flow; the CRM answers 503 throughout when `crm_down`."""
    outage = box.crm_outage() if crm_down else contextlib.nullcontext()
    with outage:
        return simulate(INBOUND_FLOW, box=box, config=config)


def last_answer(result: SimulationResult, function: str) -> dict[str, Any]:
    """What `function` answered last in the call, {} when it was not called or failed."""
    for call in reversed(result.lambda_calls):
        if call.function == function and isinstance(call.response, dict):
            return call.response
    return {}


def decision_route(result: SimulationResult) -> str:
    """The route of ivr_decision's last answer in the call, "" when it gave none."""
    return str(last_answer(result, "ivr_decision").get("route", ""))


def decision_rule(result: SimulationResult) -> str:
    return str(last_answer(result, "ivr_decision").get("ruleId", ""))


def decision_variant(result: SimulationResult) -> str:
    """The variant of ivr_decision's last answer (`champion` until experiments exist), "" when none."""
    return str(last_answer(result, "ivr_decision").get("variant", ""))


def rating(result: SimulationResult) -> int | None:
    """The CSAT the survey recorded in the call, None when there was none."""
    answer = last_answer(result, "survey")
    return int(answer["csat"]) if answer.get("recorded") == "true" else None


def mismatches(call: Scenario, result: SimulationResult) -> list[str]:
    """How `result` differs from what `call` expects; [] when it meets every expectation."""
    expect, found = call.expect, []
    if result.outcome != expect.outcome:
        found.append(f"outcome {result.outcome!r}, expected {expect.outcome!r}")
    called = tuple(c.function for c in result.lambda_calls)
    if called != expect.lambdas:
        found.append(f"Lambda calls {list(called)}, expected {list(expect.lambdas)}")
    if result.queue != expect.queue:
        found.append(f"queue {result.queue!r}, expected {expect.queue!r}")
    if expect.route and decision_route(result) != expect.route:
        found.append(f"route {decision_route(result)!r}, expected {expect.route!r}")
    if expect.heard and not any(expect.heard.lower() in text.lower() for text in result.heard):
        found.append(f"the caller never heard {expect.heard!r}")
    if result.stopped:
        found.append(f"stopped: {result.stopped}")
    return found
