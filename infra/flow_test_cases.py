"""The test cases in flows/tests/ as synth sees them: read, checked, and refused when unsafe.

Pure Python (no CDK), so the rules are unit-testable in milliseconds. Every problem is a
`FlowTestError` whose message is one line naming the file, which `app.py` prints instead of a
traceback.

`flowdoc.testcase` reads each file (the wrapper form, `Name`, `Description`?, `EntryPoint`,
`Content`, `InitializationData`?) and checks the document against the testing language, as the
local runner does. What only synth checks lives here: the wrapper form with an entry point whose
FlowId is a typed `{{flow:<name>}}` placeholder naming a flow in flows/ (`read_test_case`,
`check_document`), well-formed placeholders, and queue safety below. The stack adds the size
limit and unique Names.

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

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from flowdoc import testcase
from flowdoc.placeholders import PLACEHOLDER, PlaceholderError, find_placeholders
from flowdoc.testcase import LOCAL_METADATA_KEY, Action, EntryPoint, Observation, TestCase, TestCaseError
from infra import constants


class FlowTestError(PlaceholderError):
    """A test case synth cannot deploy; the message is one line naming the file."""


# Flow action type → the override (and FlowActionStarted) ActionType naming the same transfer.
QUEUE_TRANSFERS = {
    "TransferContactToQueue": "TransferContactToQueue",
    "DequeueContactAndTransferToQueue": "DequeueAndTransferToQueue",
}
MAX_CONTENT_CHARS = 256_000  # AWS::Connect::TestCase Content
ENTRY_POINT_FORM = (
    "EntryPoint must be {Type: VOICE_CALL or CHAT, <Type>EntryPointParameters: "
    "{FlowId: {{flow:<name>}}}} (synth deploys the wrapper form: Name, EntryPoint, Content)"
)


def read_test_case(path: Path, source: str) -> TestCase:
    """The test case in `path` (messages name it `source`), in the wrapper form with a typed entry
    flow; FlowTestError when unusable."""
    try:
        case = testcase.read(path, source=source)
    except TestCaseError as error:
        raise FlowTestError(str(error)) from None
    typed_entry(case)
    return case


def typed_entry(case: TestCase) -> tuple[EntryPoint, str]:
    """The entry point, and the flow its FlowId placeholder names; FlowTestError when it names none."""
    if case.entry is None:
        raise FlowTestError(f"{case.source}: {ENTRY_POINT_FORM}")
    match = PLACEHOLDER.fullmatch(case.entry.flow)
    if match is None or match["type"] != "flow":
        key = testcase.ENTRY_PARAMETERS[case.entry.type]
        raise FlowTestError(
            f"{case.source}: EntryPoint.{key}.FlowId must be a {{{{flow:<name>}}}} placeholder"
        )
    return case.entry, match["name"]


def check_document(case: TestCase, flows: Mapping[str, object]) -> None:
    """FlowTestError naming the file and the place when the test case, read and checked by
    `read_test_case`, still cannot be deployed: its entry flow is not in `flows`, or a
    placeholder is malformed."""
    _, flow = typed_entry(case)
    if flow not in flows:
        known = ", ".join(sorted(flows)) or "none"
        raise FlowTestError(f"{case.source}: EntryPoint names flow {flow!r}, not in flows/ (known: {known})")
    find_placeholders(deployed_document(case.document), source=case.source)  # malformed ones stop synth here


def deployed_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document as the stack deploys it: without the local runner's `Metadata.Tandem`."""
    metadata = document.get("Metadata")
    if not isinstance(metadata, dict) or LOCAL_METADATA_KEY not in metadata:
        return dict(document)
    kept = {key: value for key, value in metadata.items() if key != LOCAL_METADATA_KEY}
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


def unsafe_transfer(case: TestCase, flows: Mapping[str, object]) -> str:
    """Why `case` could put a real contact in a live queue, or "" when it cannot (module docstring)."""
    _, entry = typed_entry(case)
    transfers = transfers_reachable(entry, flows, case.source)
    if not transfers:
        return ""
    roots = _roots(case)
    for observation in roots:
        started = observation.properties.get("ActionType")
        ends = any(_ends_test(action) for action in observation.actions)
        if observation.event_type == "FlowActionStarted" and started in QUEUE_TRANSFERS.values() and ends:
            return ""
    covered: dict[str, int] = {}
    for observation in roots:
        if observation.event_type != "TestInitiated":
            continue
        for action in observation.actions:
            kind = _safe_queue_override(action)
            if kind:
                covered[kind] = covered.get(kind, 0) + 1
    for flow_type, count in sorted(transfers.items()):
        kind = QUEUE_TRANSFERS[flow_type]
        if covered.get(kind, 0) < count:
            return (
                f"{case.source}: can reach {count} {flow_type} block(s) (flow {entry} and the "
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


def _roots(case: TestCase) -> list[Observation]:
    """The observations active at the start: those no other observation leads to."""
    targets = {t for o in case.observations for t in o.next_observations}
    return [o for o in case.observations if o.identifier not in targets]


def _ends_test(action: Action) -> bool:
    command = action.parameters.get("Command")
    return action.type == "TestControl" and isinstance(command, dict) and command.get("Type") == "EndTest"


def _safe_queue_override(action: Action) -> str:
    """The transfer ActionType a safe override covers, or "" (the reader checked the shape)."""
    if action.type != "OverrideSystemBehavior":
        return ""
    properties = action.parameters["Behavior"]["Properties"]
    kind = properties["ActionType"]
    pinned = properties.get("ActionParameters", {})
    strategy = properties["Strategy"]
    if kind not in QUEUE_TRANSFERS.values() or "QueueId" in pinned:
        return ""
    test_queues = {f"{{{{queue:{name}}}}}" for name in constants.TEST_QUEUE_NAMES}
    if strategy["Type"] == "SubstituteResource" and strategy["SubstituteArn"] in test_queues:
        return str(kind)
    if strategy["Type"] == "MockResponse" and strategy["Response"]["Type"] == "Error":
        return str(kind)
    return ""


def test_case_files(tests_dir: Path) -> Iterator[tuple[Path, str]]:
    """(path, source) for every *.json in `tests_dir`, in name order (none when it is absent)."""
    if not tests_dir.is_dir():
        return
    for path in sorted(tests_dir.glob("*.json")):
        yield path, f"{tests_dir.parent.name}/{tests_dir.name}/{path.name}"
