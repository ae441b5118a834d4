"""The test cases in flows/tests/ as synth sees them: read, checked, and refused when unsafe.

Pure Python (no CDK), so the rules are unit-testable in milliseconds. Every problem is a
`FlowTestError` whose message is one line naming the file, which `app.py` prints instead of a
traceback.

A file is the wrapper form: `{"Name", "Description"?, "EntryPoint": {"Type": "VOICE_CALL" | "CHAT",
"VoiceCallEntryPointParameters" | "ChatEntryPointParameters": {"FlowId": "{{flow:<name>}}"}},
"Content": <document, as a JSON string or an object>, "InitializationData"?: <string or object>}`.
`read_test_case` is the only reader of that form here; the document itself is checked for what
CloudFormation would otherwise discover at deploy time (structure, types, references).

Queue safety (`unsafe_transfer`): a cloud run is a real contact, and a contact put in a queue
can reach a live agent. Synth refuses a test case whose entry flow, or any flow it names through a
`{{flow:...}}` placeholder, holds a queue transfer, unless the test case either
- ends the test on the transfer: a root observation (active from the start) on
  `FlowActionStarted` for the transfer's action type whose actions include `TestControl` `EndTest`;
- or overrides every transfer block from a root `TestInitiated` observation, one override per
  block (an override is single use): `SubstituteResource` with a test queue the tests' stack
  creates (`{{queue:<TEST_QUEUE_NAMES>}}`), or a `MockResponse` `Error`. An override that pins a
  `QueueId` does not count: synth cannot tell which queue a block transfers to (the working queue
  is set at run time, often from a function's answer).
The rule is conservative on purpose: a transfer block anywhere in the flows counts as reachable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowdoc.placeholders import PLACEHOLDER, PlaceholderError, find_placeholders
from infra import constants


class FlowTestError(PlaceholderError):
    """A test case synth cannot deploy; the message is one line naming the file."""


TEST_VERSIONS = ("2019-10-30", "2025-06-21")
ENTRY_POINT_TYPES = {"VOICE_CALL": "VoiceCallEntryPointParameters", "CHAT": "ChatEntryPointParameters"}
EVENT_TYPES = ("TestInitiated", "TestCompleted", "MessageReceived", "FlowActionStarted")
ACTION_TYPES = ("SendInstruction", "OverrideSystemBehavior", "Assert", "TestControl")
# Flow action type → the override (and FlowActionStarted) ActionType naming the same transfer.
QUEUE_TRANSFERS = {
    "TransferContactToQueue": "TransferContactToQueue",
    "DequeueContactAndTransferToQueue": "DequeueAndTransferToQueue",
}
MAX_CONTENT_CHARS = 256_000  # AWS::Connect::TestCase Content


@dataclass(frozen=True)
class TestCaseFile:
    source: str  # e.g. "tests/menu_press_1.json", for messages
    name: str
    description: str | None
    entry_type: str  # VOICE_CALL or CHAT
    entry_parameters: dict[str, Any]  # as written, FlowId still a placeholder
    entry_flow: str  # the flow the FlowId placeholder names
    document: dict[str, Any]
    initialization_data: str | None  # JSON text


def read_test_case(path: Path, source: str) -> TestCaseFile:
    """The wrapper form of one file (see the module docstring); FlowTestError when unusable."""
    try:
        top = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise FlowTestError(f"{source}: not readable JSON: {str(error).splitlines()[0]}") from None
    if not isinstance(top, dict) or "Content" not in top:
        raise FlowTestError(f"{source}: expected the wrapper form {{Name, EntryPoint, Content}}")
    name = top.get("Name")
    if not isinstance(name, str) or not name.strip():
        raise FlowTestError(f"{source}: Name must be a non-empty string")
    description = top.get("Description")
    if description is not None and (not isinstance(description, str) or not description.strip()):
        raise FlowTestError(f"{source}: Description must be a non-empty string when given")
    content = top["Content"]
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError as error:
            raise FlowTestError(f"{source}: Content is not JSON: {str(error).splitlines()[0]}") from None
    if not isinstance(content, dict):
        raise FlowTestError(f"{source}: Content must be a test-case document (a JSON object)")
    entry_type, parameters, flow = _entry_point(top.get("EntryPoint"), source)
    init = top.get("InitializationData")
    if init is not None and not isinstance(init, str):
        init = json.dumps(init)
    if isinstance(init, str):
        try:
            json.loads(init)
        except ValueError:
            raise FlowTestError(f"{source}: InitializationData must be JSON") from None
    return TestCaseFile(source, name.strip(), description, entry_type, parameters, flow, content, init)


def _entry_point(entry: Any, source: str) -> tuple[str, dict[str, Any], str]:
    if not isinstance(entry, dict) or entry.get("Type") not in ENTRY_POINT_TYPES:
        raise FlowTestError(
            f"{source}: EntryPoint must be {{Type: VOICE_CALL or CHAT, <Type>EntryPointParameters: "
            "{FlowId: {{flow:<name>}}}}"
        )
    key = ENTRY_POINT_TYPES[entry["Type"]]
    parameters = entry.get(key)
    flow_id = parameters.get("FlowId") if isinstance(parameters, dict) else None
    match = PLACEHOLDER.fullmatch(flow_id) if isinstance(flow_id, str) else None
    if match is None or match["type"] != "flow":
        raise FlowTestError(f"{source}: EntryPoint.{key}.FlowId must be a {{{{flow:<name>}}}} placeholder")
    assert isinstance(parameters, dict)
    return entry["Type"], parameters, match["name"]


def check_document(case: TestCaseFile, flows: Mapping[str, object]) -> None:
    """FlowTestError naming the file and the place when the document is not a deployable test case."""
    source, document = case.source, case.document
    if case.entry_flow not in flows:
        known = ", ".join(sorted(flows)) or "none"
        raise FlowTestError(
            f"{source}: EntryPoint names flow {case.entry_flow!r}, not in flows/ (known: {known})"
        )
    if document.get("Version") not in TEST_VERSIONS:
        raise FlowTestError(f"{source}: Version must be one of {', '.join(TEST_VERSIONS)}")
    observations = document.get("Observations")
    if not isinstance(observations, list) or not observations:
        raise FlowTestError(f"{source}: Observations must be a non-empty list")
    seen: set[str] = set()
    for index, observation in enumerate(observations):
        _check_observation(observation, f"{source}: Observations[{index}]", seen)
    for index, observation in enumerate(observations):
        for target in _next_observations(observation):
            if target not in seen:
                raise FlowTestError(
                    f"{source}: Observations[{index}] leads to {target!r}, which no observation is"
                )
    find_placeholders(deployed_document(document), source=source)  # malformed ones stop synth here


def deployed_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document as the stack deploys it: without the local runner's `Metadata.Tandem`."""
    metadata = document.get("Metadata")
    if not isinstance(metadata, dict) or constants.LOCAL_METADATA_KEY not in metadata:
        return dict(document)
    kept = {key: value for key, value in metadata.items() if key != constants.LOCAL_METADATA_KEY}
    return {**document, "Metadata": kept}


def local_only(local: Any) -> list[str]:
    """The `Metadata.Tandem` keys (`local`, that block) that make a case local-only: none when
    the case can run in the cloud."""
    if not isinstance(local, dict):
        return []
    return [key for key in constants.LOCAL_ONLY_KEYS if local.get(key)]


def document_local_only(document: Mapping[str, Any]) -> list[str]:
    """`local_only` of a test-case document's `Metadata.Tandem`."""
    metadata = document.get("Metadata")
    return local_only(metadata.get(constants.LOCAL_METADATA_KEY) if isinstance(metadata, dict) else None)


def _check_observation(observation: Any, where: str, seen: set[str]) -> None:
    if not isinstance(observation, dict) or not isinstance(observation.get("Identifier"), str):
        raise FlowTestError(f"{where} must be an object with a string Identifier")
    if observation["Identifier"] in seen:
        raise FlowTestError(f"{where}: Identifier {observation['Identifier']!r} is used twice")
    seen.add(observation["Identifier"])
    event = observation.get("Event")
    if not isinstance(event, dict) or event.get("Type") not in EVENT_TYPES:
        raise FlowTestError(f"{where}.Event.Type must be one of {', '.join(EVENT_TYPES)}")
    actions = observation.get("Actions", [])
    if not isinstance(actions, list):
        raise FlowTestError(f"{where}.Actions must be a list")
    for number, action in enumerate(actions):
        if not isinstance(action, dict) or action.get("Type") not in ACTION_TYPES:
            raise FlowTestError(f"{where}.Actions[{number}].Type must be one of {', '.join(ACTION_TYPES)}")


def unsafe_transfer(case: TestCaseFile, flows: Mapping[str, object]) -> str:
    """Why `case` could put a real contact in a live queue, or "" when it cannot (module docstring)."""
    transfers = transfers_reachable(case.entry_flow, flows, case.source)
    if not transfers:
        return ""
    roots = _roots(case.document)
    for observation in roots:
        event = observation.get("Event") or {}
        started = (event.get("Properties") or {}).get("ActionType") if isinstance(event, dict) else None
        ends = any(_ends_test(action) for action in observation.get("Actions") or [])
        if event.get("Type") == "FlowActionStarted" and started in QUEUE_TRANSFERS.values() and ends:
            return ""
    covered: dict[str, int] = {}
    for observation in roots:
        if (observation.get("Event") or {}).get("Type") != "TestInitiated":
            continue
        for action in observation.get("Actions") or []:
            kind = _safe_queue_override(action)
            if kind:
                covered[kind] = covered.get(kind, 0) + 1
    for flow_type, count in sorted(transfers.items()):
        kind = QUEUE_TRANSFERS[flow_type]
        if covered.get(kind, 0) < count:
            return (
                f"{case.source}: can reach {count} {flow_type} block(s) (flow {case.entry_flow} and the "
                f"flows it names) with {covered.get(kind, 0)} safe override(s): a cloud run could reach "
                f"a live agent. Override each from TestInitiated ({kind}: SubstituteResource with "
                f"{{{{queue:{constants.TEST_QUEUE_NAMES[0]}}}}} or MockResponse Error), or end the test "
                f"on FlowActionStarted {kind} with TestControl EndTest"
            )
    return ""


def transfers_reachable(entry: str, flows: Mapping[str, object], source: str) -> dict[str, int]:
    """Flow action type → how many queue-transfer blocks the entry flow and the flows it names hold."""
    pending, visited = [entry], set()
    counts: dict[str, int] = {}
    while pending:
        name = pending.pop()
        if name in visited or name not in flows:
            continue
        visited.add(name)
        document = flows[name]
        actions = document.get("Actions") if isinstance(document, dict) else None
        for action in actions if isinstance(actions, list) else []:
            kind = action.get("Type") if isinstance(action, dict) else None
            if kind in QUEUE_TRANSFERS:
                counts[kind] = counts.get(kind, 0) + 1
        pending += [p.name for p in find_placeholders(document, source=source) if p.type == "flow"]
    return counts


def _next_observations(observation: Mapping[str, Any]) -> list[str]:
    transitions = observation.get("Transitions")
    following = transitions.get("NextObservations") if isinstance(transitions, dict) else None
    return [t for t in following if isinstance(t, str)] if isinstance(following, list) else []


def _roots(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The observations active at the start: those no other observation leads to."""
    observations = [o for o in document.get("Observations") or [] if isinstance(o, dict)]
    targets = {t for o in observations for t in _next_observations(o)}
    return [o for o in observations if o.get("Identifier") not in targets]


def _ends_test(action: Any) -> bool:
    parameters = action.get("Parameters") if isinstance(action, dict) else None
    command = parameters.get("Command") if isinstance(parameters, dict) else None
    return (
        action.get("Type") == "TestControl" and isinstance(command, dict) and command.get("Type") == "EndTest"
    )


def _safe_queue_override(action: Any) -> str:
    """The transfer ActionType a safe override covers, or ""."""
    parameters = action.get("Parameters") if isinstance(action, dict) else None
    behavior = parameters.get("Behavior") if isinstance(parameters, dict) else None
    properties = behavior.get("Properties") if isinstance(behavior, dict) else None
    if action.get("Type") != "OverrideSystemBehavior" or not isinstance(properties, dict):
        return ""
    kind = properties.get("ActionType")
    pinned = properties.get("ActionParameters")
    strategy = properties.get("Strategy")
    if kind not in QUEUE_TRANSFERS.values() or not isinstance(strategy, dict):
        return ""
    if isinstance(pinned, dict) and "QueueId" in pinned:
        return ""
    test_queues = {f"{{{{queue:{name}}}}}" for name in constants.TEST_QUEUE_NAMES}
    if strategy.get("Type") == "SubstituteResource" and strategy.get("SubstituteArn") in test_queues:
        return str(kind)
    response = strategy.get("Response")
    if (
        strategy.get("Type") == "MockResponse"
        and isinstance(response, dict)
        and response.get("Type") == "Error"
    ):
        return str(kind)
    return ""


def test_case_files(tests_dir: Path) -> Iterator[tuple[Path, str]]:
    """(path, source) for every *.json in `tests_dir`, in name order (none when it is absent)."""
    if not tests_dir.is_dir():
        return
    for path in sorted(tests_dir.glob("*.json")):
        yield path, f"{tests_dir.parent.name}/{tests_dir.name}/{path.name}"
