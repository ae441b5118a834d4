"""Reading test cases: both Versions, the wrapper and bare forms, and one line for anything wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tandem.flowtest import TestCaseError, parse, read
from tests.flowtest.support import (
    check,
    control,
    document,
    dtmf,
    initiated,
    instruction,
    message,
    mock_error,
    mock_result,
    observation,
    override,
    started,
    wrapper,
)

FILE = Path("flows/tests/x.json")


def menu_document(**kwargs: Any) -> dict[str, Any]:
    return document(
        observation("start", initiated(), [], ["menu"]),
        observation("menu", message("press 0"), [dtmf("press", "0")]),
        **kwargs,
    )


@pytest.mark.parametrize("version", ["2025-06-21", "2019-10-30"])
def test_both_versions_are_read(version: str) -> None:
    case = parse(wrapper(menu_document(version=version)), FILE)
    assert case.version == version
    assert [o.identifier for o in case.observations] == ["start", "menu"]


def test_content_as_a_json_string_or_an_object_reads_the_same() -> None:
    as_object = parse(wrapper(menu_document()), FILE)
    as_string = parse(wrapper(json.dumps(menu_document())), FILE)
    assert as_object.observations == as_string.observations
    assert as_object.entry is not None and as_object.entry.flow == "{{flow:inbound_main}}"
    assert as_object.entry.caller == "+12025550101" and as_object.entry.channel == "VOICE"


def test_describe_test_case_answer_and_bare_document() -> None:
    described = parse({"TestCase": wrapper(menu_document(), name="menu")}, FILE)
    assert described.name == "menu"
    bare = parse(menu_document(), FILE)
    assert bare.entry is None and bare.name == "x"


@pytest.mark.parametrize(
    ("data", "attributes"),
    [
        ('{"tier": "gold"}', {"tier": "gold"}),
        ('{"Attributes": {"tier": "gold"}}', {"tier": "gold"}),
        ("", {}),
    ],
)
def test_initialization_data_seeds_attributes(data: str, attributes: dict[str, str]) -> None:
    assert parse(wrapper(menu_document(), attributes=data), FILE).attributes == attributes


def test_usage_defaults_to_once_and_any_is_optional() -> None:
    case = parse(
        document(
            observation("a", message("x")),
            observation("b", message("y"), usage={"Type": "EXACTLY", "Times": 2}),
            observation("c", message("z"), usage={"Type": "ANY"}),
        ),
        FILE,
    )
    assert [o.times for o in case.observations] == [1, 2, None]


def test_actions_follow_next_action() -> None:
    reordered = parse(
        document(
            observation(
                "a",
                message("x"),
                [dtmf("one", "1", following="three"), dtmf("two", "2"), dtmf("three", "3", following="two")],
            )
        ),
        FILE,
    )
    assert [a.identifier for a in reordered.observations[0].actions] == ["one", "three", "two"]
    with pytest.raises(TestCaseError, match="action\\(s\\) first never reached along NextAction"):
        parse(
            document(
                observation("a", message("x"), [dtmf("second", "2"), dtmf("first", "1", following="second")])
            ),
            FILE,
        )


def one(*actions: dict[str, Any], event: dict[str, Any] | None = None) -> dict[str, Any]:
    return document(observation("obs", event or message("x"), list(actions)))


MALFORMED = [
    (document(observation("obs", message("x")), version="2020-01-01"), "Version '2020-01-01' is not one of"),
    ({"Version": "2025-06-21", "Observations": []}, "Observations must be a non-empty list"),
    (
        one(event={"Type": "PromptPlayed", "Properties": {}}),
        "observation 'obs': unknown event type 'PromptPlayed'",
    ),
    (
        one(event={"Type": "MessageReceived", "Properties": {}}),
        "observation 'obs': MessageReceived needs exactly one",
    ),
    (
        one(
            event={
                "Type": "MessageReceived",
                "Properties": {"Text": "x", "MatchingCriteria": {"Type": "Fuzzy"}},
            }
        ),
        "observation 'obs': MatchingCriteria 'Fuzzy'",
    ),
    (one(event=started("PlayPrompt")), "observation 'obs': FlowActionStarted.ActionType 'PlayPrompt'"),
    (
        one({"Identifier": "a", "Type": "Wait", "Parameters": {}}),
        "observation 'obs', action 'a': unknown action type 'Wait'",
    ),
    (one(instruction("a", {"Type": "Dance"})), "action 'a': Instruction.Type 'Dance'"),
    (
        one(instruction("a", {"Type": "DtmfInput", "Properties": {}})),
        "action 'a': DtmfInput needs Properties.Value",
    ),
    (
        one(override("a", "UpdateContactAttributes", mock_error("NoMatchingError"))),
        "action 'a': cannot override 'UpdateContactAttributes'",
    ),
    (
        one(override("a", "TransferContactToQueue", mock_result({"x": "1"}))),
        "action 'a': Response.Type 'ExecutionResult' for TransferContactToQueue",
    ),
    (one(override("a", "InvokeLambdaFunction", mock_error("Boom"))), "action 'a': Error.Value 'Boom'"),
    (one(check("a", "$.Attributes.x", "Matches", "1")), "action 'a': Assert Operator 'Matches'"),
    (one(check("a", "Attributes.x", "Equals", "1")), "action 'a': Assert Namespace must be a JSONPath"),
    (one(check("a", "$.Attributes.x", "Equals")), "action 'a': Assert Equals needs an Operand"),
    (one(control("a", {"Type": "Pause"})), "action 'a': TestControl Command.Type 'Pause'"),
    (one(dtmf("a", "1", following="nowhere")), "action 'a': NextAction 'nowhere' is not an action here"),
    (document(observation("obs", message("x"), following=["ghost"])), "NextObservations names 'ghost'"),
    (
        document(observation("obs", message("x")), observation("obs", message("y"))),
        "'obs': Identifier used twice",
    ),
    (
        document(observation("obs", message("x"), usage={"Type": "exactly", "Times": 0})),
        "Usage.Times must be",
    ),
    (menu_document(metadata={"Tandem": {"Colour": "blue"}}), "Metadata.Tandem: unknown key 'Colour'"),
    (wrapper(menu_document()) | {"Name": ""}, "Name must be a non-empty string"),
    (wrapper("{not json"), "Content is not JSON"),
    (wrapper(menu_document()) | {"EntryPoint": {"Type": "EMAIL"}}, "EntryPoint.Type 'EMAIL'"),
    (
        wrapper(menu_document(), attributes='{"n": 1}'),
        "InitializationData must map attribute names to strings",
    ),
    ([1, 2], "expected a JSON object, got list"),
]


@pytest.mark.parametrize(("raw", "expected"), MALFORMED, ids=[m[1][:40] for m in MALFORMED])
def test_malformed_is_one_line_naming_file_observation_and_problem(raw: Any, expected: str) -> None:
    with pytest.raises(TestCaseError) as caught:
        parse(raw, FILE)
    message_text = str(caught.value)
    assert "\n" not in message_text
    assert message_text.startswith(f"{FILE}: ")
    assert expected in message_text


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"{", "not JSON"), (b"\xff\xfe\x00", "not UTF-8 text"), (b'"text"', "expected a JSON object")],
)
def test_unreadable_files_are_one_line(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(TestCaseError, match=expected) as caught:
        read(path)
    assert "\n" not in str(caught.value)


def test_synth_and_the_local_runner_read_each_repo_case_the_same() -> None:
    # Given every test case the repo keeps (imported here: infra's reader is synth's)
    from infra.flow_test_cases import read_test_case
    from tandem.flowtest import find_cases

    paths = find_cases()
    assert paths
    for path in paths:
        # When synth and the local runner read it / Then they hold the same checked test case
        synth, local = read_test_case(path, str(path)), read(path)
        assert synth == local, path
        assert synth.entry is not None and synth.entry.parameters["FlowId"].startswith("{{flow:")
