"""The demo's scripted calls through flows/inbound_main.json, on the real handlers in the sandbox.

Each call runs in a fresh sandbox; the flows' coverage by the calls is printed at the end of the run
(tests/flows/coverage_report.py). Targeted tests check what a call leaves behind: the stored survey,
the queue and priority, the callback, what the caller heard.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from lambdas.shared.tables import INTERACTIONS
from tandem.demo.scenarios import (
    DEMO_SCENARIOS,
    HANDED_OVER,
    LONG_WAIT_SECONDS,
    Scenario,
    decision_route,
    mismatches,
    place_call,
    scenario,
)
from tandem.flows.simulator import LambdaCall, SimulationResult
from tandem.local import Sandbox
from tests.conftest import REPO
from tests.flows.coverage_report import FlowRecord, ScenarioCoverage, repo_flow, report

# What each demo call must come to, written out here rather than read from the scenarios' `Expect`,
# so an expectation loosened in tandem/demo/scenarios.py does not loosen the test with it.
LOOKUP, DECIDE, ESCALATE, SURVEY = "crm_lookup", "ivr_decision", "escalation", "survey"
EXPECTED: dict[str, tuple[str, tuple[str, ...], str]] = {
    # name: (outcome, Lambda functions called in order, queue)
    "order-status": ("self-served", (LOOKUP, DECIDE, SURVEY), ""),
    "return-policy": ("self-served", (LOOKUP, DECIDE, SURVEY), ""),
    "asks-for-person": ("queued", (LOOKUP, DECIDE, ESCALATE, SURVEY), "general"),
    "angry-repeat": ("queued", (LOOKUP, DECIDE, ESCALATE, SURVEY), "complaints"),
    "vip-complaint": ("queued", (LOOKUP, DECIDE, ESCALATE, SURVEY), "priority"),
    "after-hours": ("closed", (LOOKUP, DECIDE, ESCALATE), ""),
    # escalation twice: the handoff, then the claim when the caller takes the callback
    "long-queue-callback": ("callback", (LOOKUP, DECIDE, ESCALATE, ESCALATE), "callback"),
    "holds-then-callback": ("callback", (LOOKUP, DECIDE, ESCALATE, ESCALATE), "callback"),
    "withheld-number": ("self-served", (LOOKUP, DECIDE, SURVEY), ""),
    "crm-down": ("queued", (LOOKUP, DECIDE, ESCALATE, SURVEY), "general"),
    "two-failed-attempts": ("queued", (LOOKUP, DECIDE, DECIDE, DECIDE, ESCALATE, SURVEY), "general"),
    "unknown-order-status": ("queued", (LOOKUP, DECIDE, ESCALATE, SURVEY), "general"),
    "vietnamese": ("self-served", (LOOKUP, DECIDE, SURVEY), ""),
}
DEMO_OUTCOMES = {"self-served", "queued", "callback", "closed"}
CALLBACK_OFFER = re.compile(r"to get a call back", re.IGNORECASE)


def scenario_id(call: Scenario) -> str:
    return call.name


def functions(result: SimulationResult) -> list[str]:
    return [c.function for c in result.lambda_calls]


def calls_to(result: SimulationResult, function: str) -> list[LambdaCall]:
    return [c for c in result.lambda_calls if c.function == function]


def step_types(result: SimulationResult) -> list[str]:
    return [s.type for s in result.steps]


def callback_offers(result: SimulationResult) -> list[str]:
    """The prompts, in any flow, that offer the caller a callback."""
    return [p.text for p in result.prompts if CALLBACK_OFFER.search(p.text)]


def contact_items(box: Sandbox, result: SimulationResult) -> dict[str, dict[str, Any]]:
    """The contact's partition of the Interactions table (moto), by sort key, as plain values."""
    pk, sk = INTERACTIONS.partition_key.name, INTERACTIONS.sort_key.name  # type: ignore[union-attr]
    answer = box.client("dynamodb").query(
        TableName=box.table_names[INTERACTIONS.env_var],
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": pk},
        ExpressionAttributeValues={":pk": {"S": f"CONTACT#{result.contact_id}"}},
    )
    plain = TypeDeserializer()
    items = [{k: plain.deserialize(v) for k, v in item.items()} for item in answer["Items"]]
    return {item[sk]: item for item in items}


# --- every demo call ----------------------------------------------------------------------------


def test_the_expectations_here_are_the_demo_scenarios_own() -> None:
    """Given the demo's scenarios, Then this file states an outcome for each, the same as the scenario's."""
    assert {s.name for s in DEMO_SCENARIOS} == set(EXPECTED)
    for call in DEMO_SCENARIOS:
        assert (call.expect.outcome, call.expect.lambdas, call.expect.queue) == EXPECTED[call.name], call.name


@pytest.mark.parametrize("call", DEMO_SCENARIOS, ids=scenario_id)
def test_a_demo_call_comes_to_what_the_demo_promises(
    box: Sandbox, scenario_coverage: ScenarioCoverage, call: Scenario
) -> None:
    """Given one demo caller in a fresh sandbox, When the call runs through the inbound flow,
    Then it ends as promised, after exactly the Lambda calls promised, in the promised queue, and a
    caller who rated the call finds their rating in the Interactions table."""
    result = place_call(box, call)
    scenario_coverage.add(call.name, result)
    outcome, lambdas, queue = EXPECTED[call.name]

    assert result.stopped == ""
    assert result.outcome == outcome
    assert functions(result) == list(lambdas)
    assert result.queue == queue
    assert [(c.function, c.error) for c in result.lambda_calls if c.error] == []  # no error branch
    assert result.warnings == []  # every action the call met is modelled by the simulator
    if call.expect.route:
        assert decision_route(result) == call.expect.route
    assert result.inputs_left == []  # the flow asked for every key the caller was scripted to press
    assert mismatches(call, result) == []
    assert_survey_stored(box, call, result)


def assert_survey_stored(box: Sandbox, call: Scenario, result: SimulationResult) -> None:
    """A rated call: survey stored the caller's last key press, once, with the routing codes.
    A call that was not rated: no survey item at all."""
    items = contact_items(box, result)
    surveys = [sk for sk in items if sk.startswith("SURVEY#")]
    if SURVEY not in EXPECTED[call.name][1]:
        assert surveys == []
        return
    rating = call.inputs[-1]
    [survey] = calls_to(result, SURVEY)
    assert survey.parameters["csat"] == rating
    assert survey.response == {"csat": rating, "recorded": "true", "status": "OK"}
    assert surveys == [f"SURVEY#{result.contact_id}"]
    stored = items[surveys[0]]
    assert stored["csat"] == Decimal(rating)
    assert stored["route"] == call.expect.route
    assert stored["queue"] == EXPECTED[call.name][2]
    assert stored["intent"] == calls_to(result, DECIDE)[-1].response["intent"]


def test_the_scenario_set_reaches_every_outcome_the_demo_promises(box: Sandbox) -> None:
    """Given the demo's calls placed one after another in one sandbox, as `tandem demo` places them,
    Then each still meets its expectations, and together they reach self-served, queued, callback, closed."""
    results = {call.name: place_call(box, call) for call in DEMO_SCENARIOS}

    assert {name: mismatches(scenario(name), r) for name, r in results.items()} == {
        name: [] for name in results
    }
    assert {r.outcome for r in results.values()} == DEMO_OUTCOMES


def test_mismatches_names_every_expectation_a_call_misses(box: Sandbox) -> None:
    """Given a real call and copies of its scenario each expecting one thing wrongly,
    Then `mismatches` reports exactly that one thing, so a scenario cannot pass by accident."""
    call = scenario("order-status")
    result = place_call(box, call)
    assert mismatches(call, result) == []
    wrong = {
        "outcome": replace(call.expect, outcome="queued"),
        "Lambda calls": replace(call.expect, lambdas=HANDED_OVER),
        "queue": replace(call.expect, queue="general"),
        "route": replace(call.expect, route="AGENT"),
        "never heard": replace(call.expect, heard="your refund is on its way"),
    }

    for named, expect in wrong.items():
        found = mismatches(replace(call, expect=expect), result)
        assert len(found) == 1 and named in found[0], (named, found)
    assert "'self-served'" in mismatches(replace(call, expect=wrong["outcome"]), result)[0]


def test_the_coverage_report_merges_what_each_worker_sends() -> None:
    """Given two xdist workers' coverage, sent as JSON, When the controller merges them,
    Then the report counts their union against each repo flow's transitions and actions."""
    inbound = repo_flow("inbound_main")
    assert inbound is not None
    one, two = sorted(inbound.transitions)[:2]
    workers = [ScenarioCoverage(), ScenarioCoverage()]
    for worker, name, transition in zip(workers, ("a", "b"), (one, two), strict=True):
        worker.scenarios.add(name)
        record = worker.flows.setdefault("inbound_main", FlowRecord())
        record.transitions |= inbound.transitions
        record.taken.add(transition)
        record.visited.add(transition[0])
    controller = ScenarioCoverage()
    for worker in workers:
        controller.merge_json(json.loads(json.dumps(worker.to_json())))

    assert controller.scenarios == {"a", "b"}
    assert controller.flows["inbound_main"].taken == {one, two}
    heading, lines = report(controller)
    assert "(2 of " in heading
    [row] = [line for line in lines if line.startswith("inbound_main")]
    unvisited = len(set(inbound.actions) - {one[0], two[0]})
    assert f"2/{len(inbound.transitions)}" in row
    assert f"{unvisited} of {len(inbound.actions)} actions never visited" in row
    assert [line.split()[0] for line in lines[1:]] == [
        "inbound_main",
        "customer_queue",
        "agent_whisper",
        "post_call_survey",
    ]
    assert all(line.endswith("never entered") for line in lines[2:])


# --- what the calls leave behind ------------------------------------------------------------------


def test_the_after_hours_caller_who_declines_the_callback_is_never_queued(box: Sandbox) -> None:
    """Given a caller after hours who asks for a person and lets the callback offer time out,
    Then the call is closed: no queue, no callback, no agent, no survey."""
    result = place_call(box, scenario("after-hours"))

    assert result.outcome == "closed"
    assert "TransferContactToQueue" not in step_types(result)
    assert "CreateCallbackContact" not in step_types(result)
    assert (result.queue, result.priority, result.callback_number) == ("", None, "")
    assert SURVEY not in functions(result)
    assert {s.flow for s in result.steps} == {"inbound_main"}  # neither the whisper nor the survey ran
    [escalation] = calls_to(result, ESCALATE)  # offered, never claimed: the caller did not take it
    assert escalation.response["offerCallback"] == "true"  # the callback was offered...
    assert len(callback_offers(result)) == 1
    assert [s.branch for s in result.steps if s.type == "GetParticipantInput"][-1] == "InputTimeLimitExceeded"
    assert result.heard[-1] == (  # ...and declined by silence
        "Sorry, there's no one here to take your call right now. Please call again when we're open."
    )
    assert not [sk for sk in contact_items(box, result) if sk.startswith("SURVEY#")]


def test_an_after_hours_caller_who_accepts_gets_a_callback(box: Sandbox) -> None:
    """Given the same after-hours caller pressing 1 at the offer,
    Then a callback is created for their number."""
    call = replace(scenario("after-hours"), inputs=("0", "1"))
    result = place_call(box, call)

    assert (result.outcome, result.queue, result.callback_number) == ("callback", "callback", call.caller)
    assert "TransferContactToQueue" not in step_types(result)


def test_a_caller_who_declined_the_callback_is_offered_it_again_on_the_next_call(box: Sandbox) -> None:
    """Given an after-hours caller who declined the callback, When they call again that night and
    press 1 at the offer, Then they get the callback (nothing was scheduled the first time)."""
    declined = place_call(box, scenario("after-hours"))
    assert declined.outcome == "closed"
    call = replace(scenario("after-hours"), inputs=("0", "1"))
    again = place_call(box, call)

    assert calls_to(again, ESCALATE)[0].response["offerCallback"] == "true"
    assert calls_to(again, ESCALATE)[1].response["callbackClaimed"] == "true"
    assert (again.outcome, again.queue, again.callback_number) == ("callback", "callback", call.caller)


def test_a_caller_with_a_callback_booked_is_not_offered_a_second_one(box: Sandbox) -> None:
    """Given a caller who took a callback, When they call again within the window and ask for a
    person, Then no second callback is offered: they are queued (the first one still stands)."""
    first = place_call(box, scenario("long-queue-callback"))
    assert first.outcome == "callback"
    again = place_call(box, replace(scenario("long-queue-callback"), inputs=("6", "4")))
    handoff = calls_to(again, ESCALATE)[0].response
    assert (handoff["offerCallback"], handoff["callbackPending"]) == ("false", "true")
    assert not callback_offers(again)
    assert (again.outcome, again.queue) == ("queued", "priority")


def test_the_long_queue_caller_gets_a_callback_on_their_own_number(box: Sandbox) -> None:
    """Given a caller facing a 25-minute queue who presses 1 at the offer,
    Then a callback is created on the callback queue for the calling number, and nobody is queued."""
    call = scenario("long-queue-callback")
    result = place_call(box, call)

    assert result.outcome == "callback"
    assert result.queue == "callback"
    assert result.callback_number == call.caller == "+12025550106"
    assert step_types(result).count("CreateCallbackContact") == 1
    assert "TransferContactToQueue" not in step_types(result)
    assert SURVEY not in functions(result)
    escalation, claim = calls_to(result, ESCALATE)
    assert claim.parameters["operation"] == "claimCallback"
    assert claim.response["callbackClaimed"] == "true"
    assert escalation.response["offerCallback"] == "true"
    assert escalation.response["callbackQueue"] == "callback"
    assert escalation.response["estimatedWaitSeconds"] == str(LONG_WAIT_SECONDS)
    assert not [sk for sk in contact_items(box, result) if sk.startswith("SURVEY#")]


def test_the_vip_complaint_is_queued_ahead_of_the_unknown_caller(box: Sandbox) -> None:
    """Given a VIP with a complaint and an unknown caller asking about an order,
    Then the VIP waits in the priority queue at a higher routing priority (a lower number)."""
    vip = place_call(box, scenario("vip-complaint"))
    unknown = place_call(box, scenario("unknown-order-status"))

    assert (vip.outcome, vip.queue, vip.priority) == ("queued", "priority", 1)
    assert (unknown.outcome, unknown.queue, unknown.priority) == ("queued", "general", 5)
    assert vip.priority < unknown.priority  # Connect routes priority 1 before 5
    # The flow applied what escalation decided.
    assert calls_to(vip, ESCALATE)[0].response["priority"] == str(vip.priority)
    assert calls_to(unknown, ESCALATE)[0].response["priority"] == str(unknown.priority)


def test_the_crm_down_call_is_degraded_yet_reaches_a_person(box: Sandbox) -> None:
    """Given the CRM's table failing, When a known customer calls about an order,
    Then crm_lookup answers DEGRADED (not an error), and the caller is queued and reaches an agent."""
    call = scenario("crm-down")
    result = place_call(box, call)

    [lookup] = calls_to(result, LOOKUP)
    assert lookup.error == ""
    assert lookup.response["status"] == "DEGRADED"
    assert lookup.response["degradedReason"] == "CRM_UNAVAILABLE"
    assert lookup.response["customerFound"] == "false"
    assert result.attributes["crmStatus"] == "DEGRADED"
    assert "CRM_UNAVAILABLE" in calls_to(result, DECIDE)[-1].response["reasons"].split(",")
    assert (result.outcome, result.queue) == ("queued", "general")
    assert any("CRM was unavailable" in text for text in result.whispered)  # an agent picked up, warned

    # The outage was the cause, and it ended with the call: the same caller is found now.
    later = place_call(box, replace(call, crm_down=False))
    assert calls_to(later, LOOKUP)[0].response["status"] == "OK"
    assert calls_to(later, LOOKUP)[0].response["customerFound"] == "true"


def test_the_vietnamese_caller_hears_the_answer_in_vietnamese(box: Sandbox) -> None:
    """Given a Vietnamese call asking for the opening hours, Then the answer spoken is the Vietnamese one."""
    content = json.loads((REPO / "lambdas/documents/defaults/content.json").read_text(encoding="utf-8"))
    hours = content["answers"]["OPENING_HOURS"]
    result = place_call(box, scenario("vietnamese"))

    decision = calls_to(result, DECIDE)[-1].response
    assert decision["language"] == "vi"
    assert decision["answer"] == hours["vi"]
    assert hours["vi"] in result.heard
    assert hours["en"] not in result.heard


def test_the_withheld_caller_is_offered_no_callback(box: Sandbox) -> None:
    """Given a caller who withholds their number,
    Then crm_lookup tells it apart and no callback is offered."""
    result = place_call(box, scenario("withheld-number"))

    assert calls_to(result, LOOKUP)[0].response["callerType"] == "WITHHELD"
    assert callback_offers(result) == []
    assert result.callback_number == ""
    assert result.heard[0] == "Thanks for calling."  # no name to greet


def test_a_withheld_caller_on_a_long_queue_is_queued_without_a_callback_offer(box: Sandbox) -> None:
    """Given the withheld caller asking for a person while the queue waits 25 minutes (where a known
    caller is offered a callback), Then no flow offers one: the caller is queued and holds."""
    call = replace(scenario("withheld-number"), inputs=("0", "3"), queue_wait_seconds=LONG_WAIT_SECONDS)
    result = place_call(box, call)

    [escalation] = calls_to(result, ESCALATE)
    assert escalation.response["callbackPossible"] == "false"
    assert escalation.response["offerCallback"] == "false"
    assert "customer_queue" in {s.flow for s in result.steps}  # the hold flow ran, and offered nothing
    assert callback_offers(result) == []
    assert "CreateCallbackContact" not in step_types(result)
    assert (result.outcome, result.queue, result.callback_number) == ("queued", "general", "")


def test_the_third_decision_knows_of_the_two_failed_attempts(box: Sandbox) -> None:
    """Given a caller who twice says self-service did not help, Then the third ivr_decision call is
    told of two failed attempts and sends the caller to a person, one priority step ahead."""
    result = place_call(box, scenario("two-failed-attempts"))

    decisions = calls_to(result, DECIDE)
    assert len(decisions) == 3
    assert decisions[2].parameters["failedAttempts"] == "2"
    assert [int(d.parameters["failedAttempts"] or 0) for d in decisions] == [0, 1, 2]
    assert [d.response["route"] for d in decisions] == ["SELF_SERVICE", "SELF_SERVICE", "AGENT"]
    assert decisions[2].response["ruleId"] == "self-service-failed"
    assert result.attributes["failedAttempts"] == "2"
    # The flow keeps who decided, the last decision's, next to its rule (its contact record carries them)
    assert (result.attributes["ruleId"], result.attributes["variant"]) == ("self-service-failed", "champion")
    assert result.attributes["experimentId"] == ""
    assert (result.outcome, result.queue, result.priority) == ("queued", "general", 4)
