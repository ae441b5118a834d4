"""`tandem test record`: a simulated call on the real handlers becomes a test case.

The recordings are checked against the run they come from (the order of what the caller heard
and did, the Lambdas, the queue), and the demo's scripted calls in flows/tests/ are checked to be
exactly what recording each scripted call gives today (so the files and the demo's calls agree).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from tandem.cli import main
from tandem.demo.scenarios import DEMO_SCENARIOS, FAKE_LEX_ALIAS_ARN, place_call, scenario, scripted
from tandem.flows.simulator import SimulationConfig, simulate
from tandem.flowtest.conditions import LocalConditions
from tandem.flowtest.record import RecordError, Recording, date_free, record
from tandem.local import Sandbox
from tests.conftest import REPO

TESTS_DIR = REPO / "flows" / "tests"


def _observations(case: dict[str, Any]) -> list[dict[str, Any]]:
    return case["Content"]["Observations"]  # type: ignore[no-any-return]


def _kinds(case: dict[str, Any]) -> list[str]:
    kinds = []
    for observation in _observations(case):
        event = observation["Event"]
        properties = event["Properties"]
        if event["Type"] == "FlowActionStarted":
            parameters = properties["ActionParameters"]
            kinds.append(parameters.get("LambdaFunctionARN") or parameters.get("QueueId"))
        elif event["Type"] == "MessageReceived":
            presses = [
                a["Parameters"]["Instruction"]["Properties"]
                for a in observation["Actions"]
                if a["Type"] == "SendInstruction"
            ]
            kinds.append("message" + "".join(f" <{p.get('Value') or p.get('Text')}>" for p in presses))
        else:
            kinds.append(event["Type"])
    return kinds


def test_a_recorded_call_observes_what_the_caller_heard_and_did_in_order(box: Sandbox) -> None:
    result = place_call(box, scenario("order-status"))
    case = record(result, Recording("order-status", "inbound_main", "+12025550105"))

    assert case["EntryPoint"] == {
        "Type": "VOICE_CALL",
        "VoiceCallEntryPointParameters": {
            "FlowId": "{{flow:inbound_main}}",
            "SourcePhoneNumber": "+12025550105",
        },
    }
    assert _kinds(case) == [
        "TestInitiated",
        "{{lambda:crm_lookup}}",
        "message <1>",
        "{{lambda:ivr_decision}}",
        "message <1>",
        "message <5>",
        "{{lambda:survey}}",
        "message",
        "TestCompleted",
    ]
    observations = _observations(case)
    # Chained in order; the last one ends the chain.
    for current, following in itertools.pairwise(observations):
        assert current["Transitions"]["NextObservations"] == [following["Identifier"]]
    assert observations[-1]["Transitions"]["NextObservations"] == []
    assert len({o["Identifier"] for o in observations}) == len(observations)
    # Prompts heard in a row are one message: the greeting and the menu, the answer and its question.
    menu = observations[2]["Event"]["Properties"]
    assert menu["Text"].startswith("Hello ") and "press 1" in menu["Text"]
    assert menu["MatchingCriteria"] == {"Type": "Inclusion"}
    # The answer names the order's date, which the sandbox's data sets from the day it starts: the
    # expected text stops before it, so the case holds on any day.
    answer = observations[4]["Event"]["Properties"]["Text"]
    assert answer == "Your order 1046 has shipped and should arrive by"
    assert any(text.startswith(answer + " ") and text[len(answer) + 1].isupper() for text in result.heard)
    heard = " ".join(result.heard)
    assert all(
        o["Event"]["Properties"]["Text"] in heard
        for o in observations
        if o["Event"]["Type"] == "MessageReceived"
    )
    outcome = observations[-1]["Actions"][0]["Parameters"]
    assert outcome == {
        "Namespace": "$.Attributes.tandemOutcome",
        "Operator": "Equals",
        "Operand": "SELF_SERVED",
    }
    assert case["Content"]["Version"] == "2025-06-21" and case["Content"]["Metadata"] == {}


def test_a_queued_call_observes_the_transfer_and_asserts_the_queue(box: Sandbox) -> None:
    result = place_call(box, scenario("vip-complaint"))
    case = record(result, Recording("vip", "inbound_main", "+12025550103"))
    transfer = next(o for o in _observations(case) if "{{queue:" in json.dumps(o["Event"]))
    assert transfer["Event"]["Properties"]["ActionParameters"] == {"QueueId": "{{queue:priority}}"}
    assert transfer["Actions"][0]["Parameters"] == {
        "Namespace": "$.Queue.Name",
        "Operator": "Equals",
        "Operand": "priority",
    }
    # The whisper goes to the agent, not the caller: no observation carries it.
    assert not any(w in json.dumps(case) for w in result.whispered)


def test_speech_is_a_text_utterance_and_the_setting_a_local_condition(box: Sandbox) -> None:
    result = place_call(box, scenario("asks-for-person"))
    conditions = LocalConditions(settings={"lexBotAliasArn": FAKE_LEX_ALIAS_ARN})
    case = record(result, Recording("speech", "inbound_main", "+12025550104", conditions=conditions))
    said = [
        a["Parameters"]["Instruction"]
        for o in _observations(case)
        for a in o["Actions"]
        if a["Type"] == "SendInstruction"
    ]
    assert said[0] == {
        "Type": "TextUtterance",
        "Properties": {"Text": "can I speak to a real person please", "LanguageCode": "en-US"},
    }
    assert said[1] == {"Type": "DtmfInput", "Properties": {"Value": "5"}}
    assert case["Content"]["Metadata"] == {"Tandem": {"Settings": {"lexBotAliasArn": "{{lex:fake_bot}}"}}}


def test_injected_faults_become_single_use_mocked_errors_in_call_order(box: Sandbox) -> None:
    config = SimulationConfig(
        caller="+12025550110", inputs=("3", "2", "2", "2"), lambda_faults={"ivr_decision": "timeout"}
    )
    result = simulate("inbound_main", box=box, config=config)
    failed = [c for c in result.lambda_calls if c.function == "ivr_decision"]
    assert failed and all("(injected)" in c.error for c in failed)
    case = record(
        result,
        Recording("t", "inbound_main", "+12025550110", lambda_faults={"ivr_decision": "timeout"}),
    )
    actions = _observations(case)[0]["Actions"]
    # First the tests' queue in place of the live one (the stack deploys no case without it), then
    # one mocked error per failed call.
    guard, *overrides = actions
    assert guard["Parameters"]["Behavior"]["Properties"]["Strategy"] == {
        "Type": "SubstituteResource",
        "SubstituteArn": "{{queue:test}}",
    }
    assert guard["Transitions"]["NextAction"] == overrides[0]["Identifier"]
    assert len(overrides) == len(failed)
    properties = overrides[0]["Parameters"]["Behavior"]["Properties"]
    assert properties["ActionParameters"] == {"LambdaFunctionARN": "{{lambda:ivr_decision}}"}
    assert properties["Strategy"]["Response"] == {"Type": "Error", "Error": {"Value": "TimeLimitExceeded"}}
    assert [a["Transitions"]["NextAction"] for a in overrides][-1] == ""


def test_a_fault_without_a_testing_language_equivalent_is_refused(box: Sandbox) -> None:
    result = simulate(
        "inbound_main", box=box, config=SimulationConfig(lambda_faults={"crm_lookup": "invalid"})
    )
    with pytest.raises(RecordError, match="crm_lookup=invalid: the testing language has no equivalent"):
        record(
            result, Recording("t", "inbound_main", "+12025550101", lambda_faults={"crm_lookup": "invalid"})
        )


def test_a_withheld_caller_has_no_source_number_and_a_chat_no_phone(box: Sandbox) -> None:
    result = place_call(box, scenario("withheld-number"))
    case = record(
        result, Recording("w", "inbound_main", "anonymous", conditions=LocalConditions(withheld=True))
    )
    assert case["EntryPoint"]["VoiceCallEntryPointParameters"] == {"FlowId": "{{flow:inbound_main}}"}
    assert case["Content"]["Metadata"] == {"Tandem": {"Caller": "anonymous"}}
    chat = record(result, Recording("c", "inbound_main", "+12025550101", channel="CHAT"))
    assert chat["EntryPoint"] == {
        "Type": "CHAT",
        "ChatEntryPointParameters": {"FlowId": "{{flow:inbound_main}}"},
    }


def _record_cli(argv: list[str]) -> int:
    return main(["test", "record", *argv])


def test_the_command_writes_a_file_and_keeps_an_existing_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "case.json"
    argv = ["inbound_main", "--caller", "+12025550105", "--input", "1", "--input", "1", "--input", "5"]
    assert _record_cli([*argv, "--name", "order status", "--output", str(out)]) == 0
    case = json.loads(out.read_text(encoding="utf-8"))
    assert case["Name"] == "order status" and len(_observations(case)) == 9
    assert _record_cli([*argv, "--name", "again", "--output", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert _record_cli([*argv, "--name", "bad/name"]) == 2
    assert _record_cli(["inbound_main", "--fail", "crm_lookup=invalid", "--name", "x"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("tandem test record: --fail crm_lookup=invalid")


@pytest.mark.parametrize("name", [s.name for s in DEMO_SCENARIOS])
def test_each_scripted_call_has_its_test_case_as_recorded_today(box: Sandbox, name: str) -> None:
    call = scenario(name)
    path = TESTS_DIR / f"demo-{name}.json"
    kept = json.loads(path.read_text(encoding="utf-8"))
    settings = {"lexBotAliasArn": FAKE_LEX_ALIAS_ARN} if call.speech else {}
    conditions = LocalConditions(
        hours=call.hours,
        queue_wait_seconds=call.queue_wait_seconds,
        settings=settings,
        crm_down=call.crm_down,
        language_code=call.language,
        withheld=not call.caller.startswith("+"),
    )
    recording = Recording(
        kept["Name"],
        "inbound_main",
        call.caller,
        conditions=conditions,
        description=kept.get("Description", ""),
    )
    assert record(place_call(box, call), recording) == kept


def test_a_scripted_call_is_set_up_from_its_test_case(tmp_path: Path) -> None:
    # The demo's calls have one source: change the file, and the scenario changes with it.
    source = json.loads((TESTS_DIR / "demo-crm-down.json").read_text(encoding="utf-8"))
    observations = source["Content"]["Observations"]
    press = next(a for o in observations for a in o["Actions"] if a["Type"] == "SendInstruction")
    press["Parameters"]["Instruction"]["Properties"]["Value"] = "2"
    source["Content"]["Metadata"] = {
        "Tandem": {"Hours": "closed", "Caller": "anonymous", "LanguageCode": "vi-VN"}
    }
    source["Description"] = "The demo's scripted call: something else."
    (tmp_path / "demo-crm-down.json").write_text(json.dumps(source), encoding="utf-8")
    expect = scenario("crm-down").expect
    changed = scripted("crm-down", expect, cases_dir=tmp_path)
    assert changed.inputs[0] == "2" and changed.title == "something else"
    assert (changed.hours, changed.caller, changed.language, changed.crm_down) == (
        "closed",
        "anonymous",
        "vi-VN",
        False,
    )
    kept = scripted("crm-down", expect)
    assert kept == scenario("crm-down") and kept.crm_down and kept.caller == "+12025550108"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "Your order 1046 has shipped and should arrive by Saturday, December 5. Did that help?",
            "Your order 1046 has shipped and should arrive by",
        ),
        ("Placed 2026-11-20, it is on its way.", "Placed"),
        ("December 24: we close early.", "we close early"),
        ("Thanks for calling.", "Thanks for calling."),
    ],
)
def test_a_recorded_message_stops_before_a_date(text: str, kept: str) -> None:
    assert date_free(text) == kept
