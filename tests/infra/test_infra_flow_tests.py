"""The test cases' own stack: reading and checking flows/tests/*.json at synth, the queue-safety
rule, and the synthesized TandemFlowTests template (its own stack, never the flows' stack)."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from infra_support import NEW_INSTANCE_CONTEXT, REPO_ROOT, cdk_json_context, resolve_join_named

from infra import constants
from infra.config import ConfigError, TandemConfig
from infra.flow_sources import load_flows
from infra.flow_test_cases import FlowTestError, check_document, read_test_case, unsafe_transfer

FLOWS = load_flows(REPO_ROOT / "flows")
SUBSTITUTE_TEST_QUEUE: dict[str, Any] = {
    "Identifier": "use-the-test-queue",
    "Type": "OverrideSystemBehavior",
    "Parameters": {
        "ActionType": "OverrideSystemBehavior",
        "Behavior": {
            "Type": "FlowAction",
            "Properties": {
                "ActionType": "TransferContactToQueue",
                "Strategy": {"Type": "SubstituteResource", "SubstituteArn": "{{queue:test}}"},
            },
        },
    },
    "Transitions": {"NextAction": ""},
}
END_TEST: dict[str, Any] = {
    "Identifier": "end",
    "Type": "TestControl",
    "Parameters": {"ActionType": "TestControl", "Command": {"Type": "EndTest"}},
    "Transitions": {"NextAction": ""},
}


def document(*, overrides: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Press 0 for a person (inbound_main's transfer is in reach), overrides registered at start."""
    return {
        "Version": "2025-06-21",
        "Metadata": {},
        "Observations": [
            {
                "Identifier": "start",
                "Event": {
                    "Identifier": "start",
                    "Type": "TestInitiated",
                    "Actor": "System",
                    "Properties": {},
                },
                "Actions": copy.deepcopy(overrides if overrides is not None else [SUBSTITUTE_TEST_QUEUE]),
                "Transitions": {"NextObservations": ["greeting"]},
            },
            {
                "Identifier": "greeting",
                "Event": {
                    "Identifier": "greeting",
                    "Type": "MessageReceived",
                    "Actor": "System",
                    "Properties": {"Text": "press", "MatchingCriteria": {"Type": "Inclusion"}},
                },
                "Actions": [
                    {
                        "Identifier": "press-0",
                        "Type": "SendInstruction",
                        "Parameters": {
                            "ActionType": "SendInstruction",
                            "Actor": "Customer",
                            "Instruction": {"Type": "DtmfInput", "Properties": {"Value": "0"}},
                        },
                        "Transitions": {"NextAction": ""},
                    }
                ],
                "Transitions": {"NextObservations": ["queued"]},
            },
            {
                "Identifier": "queued",
                "Event": {
                    "Identifier": "queued",
                    "Type": "FlowActionStarted",
                    "Actor": "System",
                    "Properties": {"ActionType": "TransferContactToQueue"},
                },
                "Actions": [copy.deepcopy(END_TEST)],
            },
        ],
    }


def wrapper(
    doc: dict[str, Any], *, flow: str = "inbound_main", name: str = "press 0 for a person"
) -> dict[str, Any]:
    return {
        "Name": name,
        "Description": "Caller asks for a person",
        "EntryPoint": {
            "Type": "VOICE_CALL",
            "VoiceCallEntryPointParameters": {"FlowId": f"{{{{flow:{flow}}}}}"},
        },
        "Content": json.dumps(doc),
        "InitializationData": {"hours": "{{hours:always_open}}"},
    }


def case_from(tmp_path: Path, top: object, stem: str = "case") -> Any:
    path = tmp_path / f"{stem}.json"
    path.write_text(json.dumps(top), encoding="utf-8")
    return read_test_case(path, f"flows/tests/{stem}.json")


def problem_of(tmp_path: Path, doc: dict[str, Any]) -> str:
    case = case_from(tmp_path, wrapper(doc))
    check_document(case, FLOWS)
    return unsafe_transfer(case, FLOWS)


# --- queue safety -------------------------------------------------------------------------------


def test_a_substituted_test_queue_makes_the_transfer_safe(tmp_path: Path) -> None:
    assert problem_of(tmp_path, document()) == ""


def test_a_case_that_can_reach_a_live_queue_is_refused_naming_the_file(tmp_path: Path) -> None:
    doc = document(overrides=[])
    doc["Observations"][2]["Actions"] = []  # no EndTest on the transfer either

    problem = problem_of(tmp_path, doc)

    assert problem.startswith("flows/tests/case.json: can reach 1 TransferContactToQueue block(s)")
    assert "live agent" in problem


def test_an_end_test_on_the_transfer_is_safe_only_when_active_from_the_start(tmp_path: Path) -> None:
    # Chained after the greeting: if the greeting never matches, the transfer happens unwatched.
    chained = document(overrides=[])
    assert problem_of(tmp_path, chained) != ""
    # A root observation on the transfer ends the test whenever the transfer starts.
    root = document(overrides=[])
    root["Observations"][1]["Transitions"] = {"NextObservations": []}
    assert problem_of(tmp_path, root) == ""


def test_a_mocked_queue_error_is_safe(tmp_path: Path) -> None:
    mock = copy.deepcopy(SUBSTITUTE_TEST_QUEUE)
    mock["Parameters"]["Behavior"]["Properties"]["Strategy"] = {
        "Type": "MockResponse",
        "Response": {"Type": "Error", "Error": {"Value": "QueueAtCapacity"}},
    }
    doc = document(overrides=[mock])
    doc["Observations"][2]["Actions"] = []
    assert problem_of(tmp_path, doc) == ""


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p: p["Strategy"].update(SubstituteArn="{{queue:general}}"), id="a-live-queue"),
        pytest.param(
            lambda p: p.update(ActionParameters={"QueueId": "{{queue:general}}"}), id="pinned-queue"
        ),
    ],
)
def test_overrides_that_do_not_protect_every_transfer_do_not_count(tmp_path: Path, change: Any) -> None:
    override = copy.deepcopy(SUBSTITUTE_TEST_QUEUE)
    change(override["Parameters"]["Behavior"]["Properties"])
    doc = document(overrides=[override])
    doc["Observations"][2]["Actions"] = []
    assert "0 safe override(s)" in problem_of(tmp_path, doc)


def test_a_transfer_in_a_flow_the_entry_flow_names_counts(tmp_path: Path) -> None:
    # post_call_survey has no transfer; inbound_main, which names it, does: entry flow matters.
    doc = document(overrides=[])
    doc["Observations"][2]["Actions"] = []
    case = case_from(tmp_path, wrapper(doc, flow="post_call_survey"))
    assert unsafe_transfer(case, FLOWS) == ""
    flows = {
        **FLOWS,
        "post_call_survey": {"Actions": [{"Type": "TransferToFlow", "P": "{{flow:inbound_main}}"}]},
    }
    assert unsafe_transfer(case, flows) != ""


# --- the document ------------------------------------------------------------------------------
# flowdoc.testcase reads and checks it, for the local runner too (tests/flowtest/test_document.py);
# here: that synth refuses what it refuses, in one line naming the file, and what only synth checks.


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.pop("EntryPoint"), "EntryPoint must be"),
        (lambda t: t["EntryPoint"]["VoiceCallEntryPointParameters"].update(FlowId="abc"), "FlowId must be a"),
        (lambda t: t.update(Name=" "), "Name must be a non-empty string"),
        (lambda t: t.update(Content="{not json"), "Content is not JSON"),
        (lambda t: t.update(InitializationData="{oops"), "InitializationData is not JSON"),
        (lambda t: t.pop("Content"), "expected the wrapper form"),
    ],
)
def test_a_bad_wrapper_is_one_line_naming_the_file(tmp_path: Path, edit: Any, expected: str) -> None:
    top = wrapper(document())
    edit(top)
    with pytest.raises(FlowTestError) as caught:
        case_from(tmp_path, top)
    message = str(caught.value)
    assert message.startswith("flows/tests/case.json: ") and expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(Version="2020-01-01"), "Version '2020-01-01' is not one of"),
        (
            lambda d: d["Observations"][1]["Event"].update(Type="AgentJoined"),
            "observation 'greeting': unknown event type 'AgentJoined'",
        ),
        (
            lambda d: d["Observations"][0]["Actions"][0].update(Type="Wait"),
            "observation 'start', action 'use-the-test-queue': unknown action type",
        ),
        (
            lambda d: d["Observations"][0]["Transitions"].update(NextObservations=["nope"]),
            "NextObservations names 'nope'",
        ),
        (lambda d: d["Observations"][2].update(Identifier="start"), "Identifier used twice"),
        (
            lambda d: d["Observations"][1]["Event"]["Properties"].update(Text="{{queue}}"),
            "malformed placeholder",
        ),
    ],
)
def test_an_invalid_document_is_one_line_naming_the_file(tmp_path: Path, edit: Any, expected: str) -> None:
    doc = document()
    edit(doc)
    with pytest.raises(FlowTestError if "placeholder" not in expected else ValueError) as caught:
        check_document(case_from(tmp_path, wrapper(doc)), FLOWS)
    assert str(caught.value).startswith("flows/tests/case.json") and expected in str(caught.value)


def test_synth_refuses_what_the_testing_language_refuses_not_only_the_outline(tmp_path: Path) -> None:
    # A strategy the language has no word for: CloudFormation would only find out at deploy time.
    doc = document()
    doc["Observations"][0]["Actions"][0]["Parameters"]["Behavior"]["Properties"]["Strategy"]["Type"] = "Guess"
    with pytest.raises(FlowTestError) as caught:
        case_from(tmp_path, wrapper(doc))
    assert str(caught.value) == (
        "flows/tests/case.json: observation 'start', action 'use-the-test-queue': "
        "Strategy.Type 'Guess' is not SubstituteResource or MockResponse"
    )


def test_a_bare_document_runs_locally_but_synth_needs_the_wrapper(tmp_path: Path) -> None:
    with pytest.raises(FlowTestError, match=r"^flows/tests/case.json: EntryPoint must be .* wrapper form"):
        case_from(tmp_path, document())


def test_an_entry_flow_that_is_not_deployed_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FlowTestError, match="names flow 'nowhere', not in flows/"):
        check_document(case_from(tmp_path, wrapper(document(), flow="nowhere")), FLOWS)


# --- context -----------------------------------------------------------------------------------


def test_context_defaults_and_choices() -> None:
    nothing: dict[str, object] = {}
    default = TandemConfig.from_context(nothing.get)
    assert (default.flow_tests, default.flow_test_status, default.flow_test_version) == (
        True,
        "PUBLISHED",
        constants.DEFAULT_FLOW_TEST_VERSION,
    )
    context: dict[str, object] = {
        "flowTests": "false",
        "flowTestStatus": "saved",
        "flowTestVersion": "2025-06-21",
    }
    chosen = TandemConfig.from_context(context.get)
    assert (chosen.flow_tests, chosen.flow_test_status, chosen.flow_test_version) == (
        False,
        "SAVED",
        "2025-06-21",
    )
    with pytest.raises(ConfigError, match="context flowTestStatus must be one of published, saved"):
        TandemConfig.from_context({"flowTestStatus": "live"}.get)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="context flowTests must be true or false"):
        TandemConfig.from_context({"flowTests": "yes"}.get)  # type: ignore[arg-type]


# --- synth -------------------------------------------------------------------------------------


def flows_with_tests(tmp_path: Path, cases: dict[str, dict[str, Any]]) -> Path:
    flows_dir = tmp_path / "flows"
    shutil.copytree(REPO_ROOT / "flows", flows_dir, ignore=shutil.ignore_patterns("tests"))
    (flows_dir / "tests").mkdir()
    for stem, top in cases.items():
        (flows_dir / "tests" / f"{stem}.json").write_text(json.dumps(top), encoding="utf-8")
    return flows_dir


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    from infra.application import STACK_NAME, create_app

    tmp = tmp_path_factory.mktemp("flow-tests")
    chat = wrapper(document(overrides=[]), flow="post_call_survey", name="survey over chat")
    chat["EntryPoint"] = {"Type": "CHAT", "ChatEntryPointParameters": {"FlowId": "{{flow:post_call_survey}}"}}
    chat.pop("InitializationData")
    flows_dir = flows_with_tests(tmp, {"person": wrapper(document()), "survey_chat": chat})
    app, _ = create_app(
        {**cdk_json_context(), **NEW_INSTANCE_CONTEXT}, outdir=str(tmp / "out"), flows_dir=flows_dir
    )
    assembly = app.synth()
    return {
        name: assembly.get_stack_by_name(name).template
        for name in (STACK_NAME, constants.FLOW_TEST_STACK_NAME)
    }


def of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def test_the_test_cases_are_in_their_own_stack(synthesized: dict[str, dict[str, Any]]) -> None:
    main, tests = synthesized["Tandem"], synthesized[constants.FLOW_TEST_STACK_NAME]
    assert of_type(main, "AWS::Connect::TestCase") == []
    assert len(of_type(tests, "AWS::Connect::TestCase")) == 2
    # Nothing the flows or functions are made of lives in the tests' stack.
    for kind in ("AWS::Connect::ContactFlow", "AWS::Lambda::Function", "AWS::Connect::Instance"):
        assert of_type(tests, kind) == [], kind
    assert len(of_type(tests, "AWS::Connect::Queue")) == len(constants.TEST_QUEUE_NAMES)
    hours = {
        h["Properties"]["Name"]: h["Properties"]["Config"]
        for h in of_type(tests, "AWS::Connect::HoursOfOperation")
    }
    assert hours["Tandem Flow Tests Always Closed"] == []
    assert len(hours["Tandem Flow Tests Always Open"]) == 7
    assert all(
        c["StartTime"] == c["EndTime"] == {"Hours": 0, "Minutes": 0}
        for c in hours["Tandem Flow Tests Always Open"]
    )


def test_each_test_case_is_resolved_published_and_enters_its_flow_by_id(
    synthesized: dict[str, dict[str, Any]],
) -> None:
    tests = synthesized[constants.FLOW_TEST_STACK_NAME]
    cases = {c["Properties"]["Name"]: c["Properties"] for c in of_type(tests, "AWS::Connect::TestCase")}
    person = cases["press 0 for a person"]
    assert person["Status"] == "PUBLISHED"
    text, tokens = resolve_join_named(person["Content"])
    content = json.loads(text)
    assert "{{" not in text
    assert content["Version"] == constants.DEFAULT_FLOW_TEST_VERSION  # the file says 2025-06-21
    # The substitute queue is this stack's own test queue.
    strategy = content["Observations"][0]["Actions"][0]["Parameters"]["Behavior"]["Properties"]["Strategy"]
    queue_id = next(k for k, r in tests["Resources"].items() if r["Type"] == "AWS::Connect::Queue")
    assert tokens[strategy["SubstituteArn"]] == {"Fn::GetAtt": [queue_id, "QueueArn"]}
    flow_id = person["EntryPoint"]["VoiceCallEntryPointParameters"]["FlowId"]
    assert flow_id["Fn::Select"][0] == 1
    assert flow_id["Fn::Select"][1]["Fn::Split"][0] == "/contact-flow/"
    # The flow lives in the other stack, read from its outputs (a weak reference, not an export).
    assert "Fn::GetStackOutput" in json.dumps(flow_id) and "Fn::ImportValue" not in json.dumps(tests)
    assert "HoursAlwaysOpen" in json.dumps(person["InitializationData"])
    chat = cases["survey over chat"]["EntryPoint"]
    assert chat["Type"] == "CHAT" and "Fn::Select" in chat["ChatEntryPointParameters"]["FlowId"]


def test_an_unsafe_or_unresolvable_case_stops_synth_naming_the_file(tmp_path: Path) -> None:
    from infra.application import create_app

    unsafe = document(overrides=[])
    unsafe["Observations"][2]["Actions"] = []
    leftover = document()
    leftover["Observations"][1]["Event"]["Properties"]["Text"] = "{{queue:nowhere}}"
    for stem, doc, expected in (
        ("unsafe", unsafe, "flows/tests/unsafe.json: can reach 1 TransferContactToQueue"),
        ("leftover", leftover, "flows/tests/leftover.json: unknown placeholder {{queue:nowhere}}"),
    ):
        flows_dir = flows_with_tests(tmp_path / stem, {stem: wrapper(doc)})
        with pytest.raises(ValueError) as caught:
            create_app(
                {**cdk_json_context(), **NEW_INSTANCE_CONTEXT},
                outdir=str(tmp_path / "o"),
                flows_dir=flows_dir,
            )
        assert str(caught.value).startswith(expected), str(caught.value)


def test_flow_tests_off_means_no_tests_stack(tmp_path: Path) -> None:
    from infra.application import create_app

    app, _ = create_app({**cdk_json_context(), "flowTests": False}, outdir=str(tmp_path))
    assert app.node.try_find_child(constants.FLOW_TEST_STACK_NAME) is None


def test_a_local_only_case_is_not_deployed(tmp_path: Path) -> None:
    """A case with block faults (`Metadata.Tandem.Faults`) has no cloud form: the stack leaves it
    out, and does not hold it to the queue-safety rule it would never meet."""
    from infra.flow_tests_stack import _read_all

    local = document(overrides=[])  # unsafe if deployed: the transfer is neither mocked nor ended
    local["Observations"][2]["Actions"] = []
    local["Metadata"] = {constants.LOCAL_METADATA_KEY: {"Faults": ["inbound_main/greet-by-name"]}}
    flows_dir = flows_with_tests(
        tmp_path, {"deployed": wrapper(document()), "local": wrapper(local, name="a local-only case")}
    )
    assert sorted(_read_all(flows_dir / "tests", FLOWS)) == ["deployed"]
