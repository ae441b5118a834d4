"""Scripted calls through the repo's inbound flow: the demo's calls, the scenario tests' cases.

Each `Scenario` is one caller: who calls (a demo customer, an unknown or a withheld number), what
they press or say, in order, and the conditions of the call (hours, queue wait, language, the CRM
down). `place_call` runs it through `flows/inbound_main.json` with `tandem.flows.simulator`, on the
real handlers in the sandbox. `expect` states what must come of it; the scenario tests hold the
flows and handlers to it, and the demo shows it.

Speech goes to the simulator's FAKE Lex bot (a keyword table), so a scenario that speaks sets the
`lexBotAliasArn` setting to `FAKE_LEX_ALIAS_ARN`; the others use the keypad, as a deployment without
a bot does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tandem.flows.simulator import FLOWS_DIR, Hours, LambdaFault, SimulationConfig, SimulationResult, simulate
from tandem.local import Sandbox
from tandem.local.demo_data import UNKNOWN_NUMBER

INBOUND_FLOW = "inbound_main"
FAKE_LEX_ALIAS_ARN = "arn:aws:lex:us-east-1:123456789012:bot-alias/FAKEBOT000/FAKEALIAS0"
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

DEMO_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "order-status",
        "order status, self-served",
        "+12025550105",
        ("1", "1", "5"),
        Expect("self-served", SELF_SERVED_RATED, route="SELF_SERVICE", heard="order 1046 has shipped"),
    ),
    Scenario(
        "return-policy",
        "return-policy question",
        "+12025550102",
        ("2", "1", "4"),
        Expect("self-served", SELF_SERVED_RATED, route="SELF_SERVICE", heard="return"),
    ),
    Scenario(
        "asks-for-person",
        "explicit request for a person (speech)",
        "+12025550104",
        ("can I speak to a real person please", "5"),
        Expect("queued", HANDED_OVER_RATED, queue="general", route="AGENT"),
        speech=True,
    ),
    Scenario(
        "angry-repeat",
        "angry repeat caller (speech)",
        "+12025550107",
        ("this is ridiculous, I want to complain about my order again", "2"),
        Expect("queued", HANDED_OVER_RATED, queue="complaints", route="AGENT"),
        speech=True,
    ),
    Scenario(
        "vip-complaint",
        "VIP complaint",
        "+12025550103",
        ("5", "4"),
        Expect("queued", HANDED_OVER_RATED, queue="priority", route="AGENT"),
    ),
    Scenario(
        "after-hours",
        "after hours, declines the callback",
        "+12025550102",
        ("0", ""),
        Expect("closed", HANDED_OVER, route="CALLBACK", heard="call again when we're open"),
        hours="closed",
    ),
    Scenario(
        "long-queue-callback",
        "long queue, takes a callback",
        "+12025550106",
        ("6", "1"),
        # escalation again when the caller takes the callback: it claims the number
        Expect(
            "callback", (*HANDED_OVER, "escalation"), queue="callback", route="AGENT", heard="call you back"
        ),
        queue_wait_seconds=LONG_WAIT_SECONDS,
    ),
    Scenario(
        "holds-then-callback",
        "holds in a long queue, then takes a callback",
        "+12025550109",
        ("4", "2", "1"),
        Expect(
            "callback",
            (*HANDED_OVER, "escalation"),  # the queue flow claims the number too
            queue="callback",
            route="CALLBACK",
            heard="you've been waiting a while",
        ),
        queue_wait_seconds=LONG_WAIT_SECONDS,
    ),
    Scenario(
        "withheld-number",
        "withheld number, opening hours",
        "anonymous",
        ("3", "1", "5"),
        Expect("self-served", SELF_SERVED_RATED, route="SELF_SERVICE"),
    ),
    Scenario(
        "crm-down",
        "CRM down, order status",
        "+12025550108",
        ("1", "3"),
        Expect("queued", HANDED_OVER_RATED, queue="general", route="AGENT"),
        crm_down=True,
    ),
    Scenario(
        "two-failed-attempts",
        "two failed self-service attempts",
        "+12025550110",
        ("3", "2", "2", "2", "3", "4"),
        Expect(
            "queued",
            (*LOOKUP_DECIDE, "ivr_decision", "ivr_decision", "escalation", "survey"),
            queue="general",
            route="AGENT",
        ),
    ),
    Scenario(
        "unknown-order-status",
        "unknown caller, order status",
        UNKNOWN_NUMBER,
        ("1", "4"),
        Expect("queued", HANDED_OVER_RATED, queue="general", route="AGENT"),
    ),
    Scenario(
        "vietnamese",
        "Vietnamese caller, opening hours",
        "+84912345678",
        ("3", "1", "5"),
        Expect("self-served", SELF_SERVED_RATED, route="SELF_SERVICE"),
        language="vi-VN",
    ),
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
