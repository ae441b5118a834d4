"""Connect's test-case document: the testing language, and the wrapper the repo keeps it in.

A test case is the CreateTestCase-shaped wrapper (`Name`, `Description`?, `EntryPoint`, `Content`
as a JSON string or an object, `InitializationData`?), a `DescribeTestCase` answer
(`{"TestCase": {...}}`) or a bare document (`Version`, `Observations`, `Metadata`?). `read` and
`parse` check it against the language's shapes: observations of events (`TestInitiated`,
`MessageReceived`, `FlowActionStarted`, `TestCompleted`) with actions (`SendInstruction`,
`OverrideSystemBehavior`, `Assert`, `TestControl`), chained through `NextObservations`. Anything
wrong is a `TestCaseError`: one line naming the file, the observation (and action) and what is
wrong.

This is the one reader of the form: the local runner (`tandem.flowtest`) runs what it returns, and
synth (`infra.flow_test_cases`) deploys it after its own checks (typed placeholders, queue safety,
the entry flow deployed, size). `Metadata.Tandem` (`LOCAL_METADATA_KEY`) holds what only the local
runner reads; it is kept, as an object, on `TestCase.local`, and its keys are the local runner's to
check. Pure standard library: synth imports it without the simulator.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# "2025-06-21" is the documented Version; the live service is reported to accept only "2019-10-30".
VERSIONS = ("2025-06-21", "2019-10-30")
EVENT_TYPES = ("TestInitiated", "MessageReceived", "FlowActionStarted", "TestCompleted")
# The flow actions whose start a test observes (`FlowActionStarted`) and may override
# (`OverrideSystemBehavior`): the ones the testing language documents.
OBSERVED_ACTIONS = (
    "InvokeLambdaFunction",
    "CheckHoursOfOperation",
    "TransferContactToQueue",
    "ConnectParticipantWithLexBot",
)
OVERRIDABLE_ACTIONS = (*OBSERVED_ACTIONS, "DequeueAndTransferToQueue")
ACTION_TYPES = ("SendInstruction", "OverrideSystemBehavior", "Assert", "TestControl")
MESSAGE_CONTENT = ("Text", "SSML", "PromptId", "Media")
MATCHING = ("Inclusion", "Similarity")
INSTRUCTIONS = ("DtmfInput", "TextUtterance", "Disconnect")
OPERATORS = (
    "Equals",
    "TextStartsWith",
    "TextEndsWith",
    "TextContains",
    "NumberGreaterThan",
    "NumberGreaterOrEqualTo",
    "NumberLessThan",
    "NumberLessOrEqualTo",
    "Exists",
)
COMMANDS = ("EndTest", "LogData")
# What each overridable action's MockResponse may answer (Connect's testing language).
MOCK_RESULTS: Mapping[str, tuple[str, ...]] = {
    "InvokeLambdaFunction": ("ExecutionResult", "Error"),
    "CheckHoursOfOperation": ("ExecutionResult", "Error"),
    "ConnectParticipantWithLexBot": ("ExecutionResult", "Error"),
    "TransferContactToQueue": ("Error",),
    "DequeueAndTransferToQueue": ("Error",),
}
MOCK_ERRORS: Mapping[str, tuple[str, ...]] = {
    "InvokeLambdaFunction": ("TimeLimitExceeded", "NoMatchingError"),
    "CheckHoursOfOperation": ("NoMatchingError",),
    "ConnectParticipantWithLexBot": ("TimeLimitExceeded", "NoMatchingError"),
    "TransferContactToQueue": ("QueueAtCapacity", "NoMatchingError"),
    "DequeueAndTransferToQueue": ("QueueAtCapacity", "NoMatchingError"),
}
HOURS_RESULTS = ("InHours", "OutOfHours")
# EntryPoint.Type → the channel the contact arrives on, and the key of its parameters.
CHANNELS = {"VOICE_CALL": "VOICE", "CHAT": "CHAT"}
ENTRY_PARAMETERS = {"VOICE_CALL": "VoiceCallEntryPointParameters", "CHAT": "ChatEntryPointParameters"}
# The `Metadata` key of Tandem's local-only settings (the service ignores Metadata at run time).
LOCAL_METADATA_KEY = "Tandem"
MAX_FILE_BYTES = 1024 * 1024


class TestCaseError(ValueError):
    """A test case that cannot be used; the message is one line."""

    __test__ = False  # not a pytest class


@dataclass(frozen=True)
class Action:
    identifier: str
    type: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class Observation:
    identifier: str
    event_type: str
    properties: Mapping[str, Any]
    matching: str  # MessageReceived: Inclusion or Similarity
    times: int | None  # EXACTLY n; None for ANY (optional, any number of times)
    actions: tuple[Action, ...]
    next_observations: tuple[str, ...]


@dataclass(frozen=True)
class EntryPoint:
    flow: str  # a flow name, a flow ARN or a {{flow:x}} placeholder, resolved when run
    caller: str
    channel: str  # VOICE or CHAT
    parameters: Mapping[str, Any] = field(default_factory=dict)  # <Type>EntryPointParameters, as written

    @property
    def type(self) -> str:
        """EntryPoint.Type: VOICE_CALL or CHAT."""
        return next(kind for kind, channel in CHANNELS.items() if channel == self.channel)


@dataclass(frozen=True)
class TestCase:
    """One test case, checked; placeholders are still as written (the runner resolves them)."""

    __test__ = False

    name: str
    path: Path
    version: str
    entry: EntryPoint | None  # None: a bare document, the entry point comes from flags
    attributes: Mapping[str, str]
    observations: tuple[Observation, ...]
    local: Mapping[str, Any] = field(default_factory=dict)  # Metadata.Tandem: local-only settings
    raw: Any = field(default=None, compare=False, repr=False)  # the file's JSON, as read
    source: str = ""  # what messages name the file by (the path, unless the reader was told)
    description: str | None = None
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)  # Content
    initialization_data: str | None = None  # InitializationData as JSON text, as written

    def observation(self, identifier: str) -> Observation:
        return next(o for o in self.observations if o.identifier == identifier)


def read(path: Path, *, source: str | None = None) -> TestCase:
    """The test case in `path`; TestCaseError (one line, naming `source` or else the path) when it
    cannot be used."""
    where = source or str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TestCaseError(f"{where}: larger than {MAX_FILE_BYTES // 1024} KB; not a test case")
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as error:
        raise TestCaseError(f"{where}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise TestCaseError(f"{where}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise TestCaseError(f"{where}: not JSON: {error.msg} at line {error.lineno}") from None
    return parse(raw, path, source=source)


def parse(raw: Any, path: Path, *, source: str | None = None) -> TestCase:
    """A test case from parsed JSON: a CreateTestCase / DescribeTestCase-shaped wrapper or a bare
    document."""
    where = source or str(path)
    if isinstance(raw, dict) and isinstance(raw.get("TestCase"), dict):
        raw = raw["TestCase"]  # DescribeTestCase's answer
    if not isinstance(raw, dict):
        raise TestCaseError(f"{where}: expected a JSON object, got {type(raw).__name__}")
    description: str | None = None
    initialization: str | None = None
    if "Content" in raw:
        name = raw.get("Name")
        if not isinstance(name, str) or not name.strip():
            raise TestCaseError(f"{where}: Name must be a non-empty string")
        name = name.strip()  # the name the service keeps, and finds the test case by
        description = raw.get("Description")
        if description is not None and (not isinstance(description, str) or not description.strip()):
            raise TestCaseError(f"{where}: Description must be a non-empty string when given")
        content = raw["Content"]
        if isinstance(content, str):
            try:
                content = json.loads(content)
            except json.JSONDecodeError as error:
                raise TestCaseError(f"{where}: Content is not JSON: {error.msg}") from None
        entry = _entry_point(raw.get("EntryPoint"), where)
        initialization, attributes = _initialization(raw.get("InitializationData"), where)
    elif "Observations" in raw:
        name, content, entry, attributes = path.stem, raw, None, {}
    else:
        raise TestCaseError(
            f"{where}: expected the wrapper form (Name, EntryPoint, Content) or a bare document "
            "(Observations)"
        )
    case = _document(content, where, name, entry, attributes)
    return replace(
        case,
        path=path,
        raw=raw,
        source=where,
        description=description,
        document=content,
        initialization_data=initialization,
    )


def _entry_point(raw: Any, where: str) -> EntryPoint | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise TestCaseError(f"{where}: EntryPoint must be an object")
    kind = raw.get("Type")
    if kind not in CHANNELS:
        raise TestCaseError(f"{where}: EntryPoint.Type {kind!r} is not one of {', '.join(CHANNELS)}")
    key = ENTRY_PARAMETERS[kind]
    parameters = raw.get(key)
    if (
        not isinstance(parameters, dict)
        or not isinstance(parameters.get("FlowId"), str)
        or not parameters["FlowId"]
    ):
        raise TestCaseError(f"{where}: EntryPoint.{key}.FlowId is missing")
    caller = parameters.get("SourcePhoneNumber", "")
    if not isinstance(caller, str):
        raise TestCaseError(f"{where}: EntryPoint.{key}.SourcePhoneNumber must be a string")
    return EntryPoint(parameters["FlowId"], caller, CHANNELS[kind], dict(parameters))


def _initialization(raw: Any, where: str) -> tuple[str | None, dict[str, str]]:
    """InitializationData as JSON text (None when absent) and the contact's initial attributes it
    holds: a JSON string (or object), flat or under "Attributes" (the service's inner layout is not
    documented)."""
    if raw is None or raw == "":
        return None, {}
    data = raw
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            raise TestCaseError(f"{where}: InitializationData is not JSON: {error.msg}") from None
    text = raw if isinstance(raw, str) else json.dumps(raw)
    if isinstance(data, dict) and isinstance(data.get("Attributes"), dict):
        data = data["Attributes"]
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise TestCaseError(f"{where}: InitializationData must map attribute names to strings")
    return text, {str(k): v for k, v in data.items()}


def _document(
    content: Any, where: str, name: str, entry: EntryPoint | None, attributes: Mapping[str, str]
) -> TestCase:
    if not isinstance(content, dict):
        raise TestCaseError(f"{where}: the document must be a JSON object")
    version = content.get("Version")
    if version not in VERSIONS:
        raise TestCaseError(f"{where}: Version {version!r} is not one of {', '.join(VERSIONS)}")
    metadata = content.get("Metadata", {})
    if not isinstance(metadata, dict):
        raise TestCaseError(f"{where}: Metadata must be an object")
    local = metadata.get(LOCAL_METADATA_KEY, {})
    if not isinstance(local, dict):
        raise TestCaseError(f"{where}: Metadata.{LOCAL_METADATA_KEY} must be an object")
    raw_observations = content.get("Observations")
    if not isinstance(raw_observations, list) or not raw_observations:
        raise TestCaseError(f"{where}: Observations must be a non-empty list")
    observations = [
        _observation(item, f"{where}: observation #{i + 1}") for i, item in enumerate(raw_observations)
    ]
    seen: set[str] = set()
    for observation in observations:
        if observation.identifier in seen:
            raise TestCaseError(f"{where}: observation {observation.identifier!r}: Identifier used twice")
        seen.add(observation.identifier)
    for observation in observations:
        for target in observation.next_observations:
            if target not in seen:
                raise TestCaseError(
                    f"{where}: observation {observation.identifier!r}: NextObservations names "
                    f"{target!r}, which is not an observation"
                )
    return TestCase(name, Path(), str(version), entry, dict(attributes), tuple(observations), dict(local))


def _observation(raw: Any, where: str) -> Observation:
    if not isinstance(raw, dict):
        raise TestCaseError(f"{where}: must be an object")
    identifier = raw.get("Identifier")
    if not isinstance(identifier, str) or not identifier:
        raise TestCaseError(f"{where}: Identifier must be a non-empty string")
    where = f"{where.rsplit(': ', 1)[0]}: observation {identifier!r}"
    event = raw.get("Event")
    if not isinstance(event, dict):
        raise TestCaseError(f"{where}: Event must be an object")
    event_type = event.get("Type")
    if event_type not in EVENT_TYPES:
        raise TestCaseError(f"{where}: unknown event type {event_type!r} (known: {', '.join(EVENT_TYPES)})")
    if event.get("Actor", "System") != "System":
        raise TestCaseError(f"{where}: Event.Actor {event.get('Actor')!r}: observed events come from System")
    properties = event.get("Properties", {})
    if not isinstance(properties, dict):
        raise TestCaseError(f"{where}: Event.Properties must be an object")
    matching = _event_properties(str(event_type), properties, event, where)
    times = _usage(raw.get("Usage"), where)
    actions = _actions(raw.get("Actions", []), where)
    transitions = raw.get("Transitions", {})
    following = transitions.get("NextObservations", []) if isinstance(transitions, dict) else None
    if not isinstance(following, list) or not all(isinstance(t, str) for t in following):
        raise TestCaseError(f"{where}: Transitions.NextObservations must be a list of Identifiers")
    return Observation(identifier, str(event_type), properties, matching, times, actions, tuple(following))


def _event_properties(
    event_type: str, properties: Mapping[str, Any], event: Mapping[str, Any], where: str
) -> str:
    """Check an event's Properties; the matching criterion of a MessageReceived."""
    if event_type == "MessageReceived":
        given = [k for k in MESSAGE_CONTENT if k in properties]
        if len(given) != 1:
            raise TestCaseError(f"{where}: MessageReceived needs exactly one of {', '.join(MESSAGE_CONTENT)}")
        if given[0] in ("Text", "SSML", "PromptId") and not isinstance(properties[given[0]], str):
            raise TestCaseError(f"{where}: MessageReceived.{given[0]} must be a string")
        criteria = properties.get("MatchingCriteria", event.get("MatchingCriteria", {"Type": "Inclusion"}))
        kind = criteria.get("Type") if isinstance(criteria, dict) else criteria
        if kind not in MATCHING:
            raise TestCaseError(f"{where}: MatchingCriteria {kind!r} is not one of {', '.join(MATCHING)}")
        return str(kind)
    if event_type == "FlowActionStarted":
        action_type = properties.get("ActionType")
        if action_type not in OBSERVED_ACTIONS:
            raise TestCaseError(
                f"{where}: FlowActionStarted.ActionType {action_type!r} "
                f"is not one of {', '.join(OBSERVED_ACTIONS)}"
            )
        if not isinstance(properties.get("ActionParameters", {}), dict):
            raise TestCaseError(f"{where}: FlowActionStarted.ActionParameters must be an object")
    return ""


def _usage(raw: Any, where: str) -> int | None:
    if raw is None:
        return 1
    kind = raw.get("Type") if isinstance(raw, dict) else None
    if not isinstance(kind, str) or kind.upper() not in ("EXACTLY", "ANY"):
        raise TestCaseError(f"{where}: Usage.Type {kind!r} is not EXACTLY or ANY")
    if kind.upper() == "ANY":
        return None
    times = raw.get("Times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise TestCaseError(f"{where}: Usage.Times must be a whole number of at least 1")
    return times


def _actions(raw: Any, where: str) -> tuple[Action, ...]:
    """The actions in the order they run: from the first, along Transitions.NextAction ("" ends;
    an absent NextAction goes on to the next in the list)."""
    if not isinstance(raw, list):
        raise TestCaseError(f"{where}: Actions must be a list")
    actions: list[Action] = []
    links: dict[str, str | None] = {}
    for item in raw:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("Identifier"), str)
            or not item["Identifier"]
        ):
            raise TestCaseError(f"{where}: every action needs an Identifier")
        action = _action(item, f"{where}, action {item['Identifier']!r}")
        if action.identifier in links:
            raise TestCaseError(f"{where}: action Identifier {action.identifier!r} used twice")
        transitions = item.get("Transitions", {})
        following = transitions.get("NextAction") if isinstance(transitions, dict) else None
        if following is not None and not isinstance(following, str):
            raise TestCaseError(
                f"{where}, action {action.identifier!r}: Transitions.NextAction must be a string"
            )
        links[action.identifier] = following
        actions.append(action)
    by_id = {a.identifier: a for a in actions}
    ordered: list[Action] = []
    position: int | None = 0 if actions else None
    while position is not None:
        action = actions[position]
        if action in ordered:
            raise TestCaseError(f"{where}: actions loop at {action.identifier!r}")
        ordered.append(action)
        following = links[action.identifier]
        if following is None:
            position = position + 1 if position + 1 < len(actions) else None
        elif following == "":
            position = None
        elif following in by_id:
            position = actions.index(by_id[following])
        else:
            raise TestCaseError(
                f"{where}, action {action.identifier!r}: NextAction {following!r} is not an action here"
            )
    unreached = [a.identifier for a in actions if a not in ordered]
    if unreached:
        raise TestCaseError(f"{where}: action(s) {', '.join(unreached)} never reached along NextAction")
    return tuple(ordered)


def _action(raw: Mapping[str, Any], where: str) -> Action:
    kind = raw.get("Type")
    if kind not in ACTION_TYPES:
        raise TestCaseError(f"{where}: unknown action type {kind!r} (known: {', '.join(ACTION_TYPES)})")
    parameters = raw.get("Parameters")
    if not isinstance(parameters, dict):
        raise TestCaseError(f"{where}: Parameters must be an object")
    if kind == "SendInstruction":
        _instruction(parameters, where)
    elif kind == "OverrideSystemBehavior":
        _override(parameters, where)
    elif kind == "Assert":
        _assertion(parameters, where)
    else:
        _control(parameters, where)
    return Action(str(raw["Identifier"]), str(kind), parameters)


def _instruction(parameters: Mapping[str, Any], where: str) -> None:
    instruction = parameters.get("Instruction")
    kind = instruction.get("Type") if isinstance(instruction, dict) else None
    if kind not in INSTRUCTIONS:
        raise TestCaseError(f"{where}: Instruction.Type {kind!r} is not one of {', '.join(INSTRUCTIONS)}")
    assert isinstance(instruction, dict)
    properties = instruction.get("Properties", {})
    if kind == "DtmfInput":
        value = properties.get("Value") if isinstance(properties, dict) else None
        if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
            raise TestCaseError(f'{where}: DtmfInput needs Properties.Value (keys such as "1" or "#")')
    if kind == "TextUtterance":
        text = properties.get("Text", properties.get("SSML")) if isinstance(properties, dict) else None
        if not isinstance(text, str):
            raise TestCaseError(f"{where}: TextUtterance needs Properties.Text or Properties.SSML")


def _override(parameters: Mapping[str, Any], where: str) -> None:
    behavior = parameters.get("Behavior")
    properties = behavior.get("Properties") if isinstance(behavior, dict) else None
    if (
        not isinstance(behavior, dict)
        or behavior.get("Type") != "FlowAction"
        or not isinstance(properties, dict)
    ):
        raise TestCaseError(f'{where}: Behavior must be {{"Type": "FlowAction", "Properties": {{...}}}}')
    target = properties.get("ActionType")
    if target not in OVERRIDABLE_ACTIONS:
        raise TestCaseError(
            f"{where}: cannot override {target!r}; "
            f"the documented targets are {', '.join(OVERRIDABLE_ACTIONS)}"
        )
    if not isinstance(properties.get("ActionParameters", {}), dict):
        raise TestCaseError(f"{where}: ActionParameters must be an object")
    strategy = properties.get("Strategy")
    kind = strategy.get("Type") if isinstance(strategy, dict) else None
    if kind == "SubstituteResource":
        assert isinstance(strategy, dict)
        if not isinstance(strategy.get("SubstituteArn"), str) or not strategy["SubstituteArn"]:
            raise TestCaseError(f"{where}: SubstituteResource needs a SubstituteArn")
        return
    if kind != "MockResponse":
        raise TestCaseError(f"{where}: Strategy.Type {kind!r} is not SubstituteResource or MockResponse")
    assert isinstance(strategy, dict)
    mock_result(str(target), strategy.get("Response"), where)


def mock_result(target: str, response: Any, where: str) -> tuple[str, str, dict[str, Any]]:
    """A MockResponse as (strategy "result" or "error", value, loaded data); TestCaseError if wrong."""
    kind = response.get("Type") if isinstance(response, dict) else None
    allowed = MOCK_RESULTS[target]
    if kind not in allowed:
        raise TestCaseError(
            f"{where}: Response.Type {kind!r} for {target} is not one of {', '.join(allowed)}"
        )
    assert isinstance(response, dict)
    body = response.get(str(kind))
    if not isinstance(body, dict):
        raise TestCaseError(f"{where}: Response.{kind} must be an object")
    if kind == "Error":
        value = body.get("Value")
        if value not in MOCK_ERRORS[target]:
            raise TestCaseError(
                f"{where}: Error.Value {value!r} for {target} is not one of {', '.join(MOCK_ERRORS[target])}"
            )
        return "error", str(value), {}
    if target == "CheckHoursOfOperation":
        value = body.get("Value")
        if value not in HOURS_RESULTS:
            raise TestCaseError(
                f"{where}: ExecutionResult.Value {value!r} is not one of {', '.join(HOURS_RESULTS)}"
            )
        return "result", str(value), {}
    # The documented LoadedData, or the community-reported Value; a JSON string (an object is accepted).
    loaded = body.get("LoadedData", body.get("Value"))
    if isinstance(loaded, str):
        try:
            loaded = json.loads(loaded)
        except json.JSONDecodeError as error:
            raise TestCaseError(f"{where}: ExecutionResult.LoadedData is not JSON: {error.msg}") from None
    if not isinstance(loaded, dict):
        raise TestCaseError(f"{where}: ExecutionResult needs LoadedData, a JSON map")
    return "result", "", loaded


def _assertion(parameters: Mapping[str, Any], where: str) -> None:
    namespace = parameters.get("Namespace")
    if not isinstance(namespace, str) or not namespace.startswith("$."):
        raise TestCaseError(f"{where}: Assert Namespace must be a JSONPath such as $.Attributes.name")
    operator = parameters.get("Operator")
    if operator not in OPERATORS:
        raise TestCaseError(f"{where}: Assert Operator {operator!r} is not one of {', '.join(OPERATORS)}")
    if operator != "Exists" and (
        "Operand" not in parameters or isinstance(parameters["Operand"], (dict, list))
    ):
        raise TestCaseError(f"{where}: Assert {operator} needs an Operand (a string or number)")


def _control(parameters: Mapping[str, Any], where: str) -> None:
    command = parameters.get("Command")
    kind = command.get("Type") if isinstance(command, dict) else None
    if kind not in COMMANDS:
        raise TestCaseError(f"{where}: TestControl Command.Type {kind!r} is not one of {', '.join(COMMANDS)}")
    if kind == "LogData":
        assert isinstance(command, dict)
        properties = command.get("Properties")
        expressions = properties.get("Expressions") if isinstance(properties, dict) else None
        if not isinstance(expressions, dict) or not all(isinstance(v, str) for v in expressions.values()):
            raise TestCaseError(f"{where}: LogData needs Properties.Expressions, labels to JSONPaths")
