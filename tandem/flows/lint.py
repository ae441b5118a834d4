"""Static checks for Amazon Connect flow-language documents (`tandem flows lint`).

Each rule is one function from a parsed flow to findings; `RULES` lists them in the order they
run. What a rule knows about Connect (terminal actions, required error branches, limits) sits in
the tables below, taken from the flow-language reference, so a new fact is a new row rather than
new code. Placeholder types come from `infra.flow_placeholders` and names from the repo itself
(`infra.constants`, `lambdas/*/handler.py`, `flows/*.json`), so the linter and synth agree.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tandem.flows.document import FLOW_VERSION, Finding, LoadedFlow, Severity

REPO = Path(__file__).resolve().parents[2]

MAX_ACTIONS = 250
MAX_IDENTIFIER_CHARS = 50
FORBIDDEN_IDENTIFIER_CHARS = frozenset("%:()\\/=$,;[]{}")
RESERVED_IDENTIFIERS = frozenset(
    {
        "__proto__",
        "constructor",
        "__defineGetter__",
        "__defineSetter__",
        "toString",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
        "valueOf",
    }
)

# Actions that end the flow ("Transitions": {}).
TERMINAL_TYPES = frozenset(
    {"DisconnectParticipant", "EndFlowExecution", "TransferContactToAgent", "EndFlowModuleExecution"}
)
# Loop prompts in queue and hold flows play until the contact leaves them; exports give them no
# transitions, so they may end a flow too.
MAY_END_TYPES = TERMINAL_TYPES | {"MessageParticipantIteratively"}

# Action types documented in the flow-language reference or seen in public exports; anything else
# is reported (info) and otherwise checked like any action.
KNOWN_TYPES = MAY_END_TYPES | {
    "CheckHoursOfOperation",
    "CheckMetricData",
    "Compare",
    "CompleteOutboundCall",
    "ConnectParticipantWithLexBot",
    "CreateCallbackContact",
    "CreateTask",
    "CreateWisdomSession",
    "DequeueContactAndTransferToQueue",
    "GetMetricData",
    "GetParticipantInput",
    "InvokeFlowModule",
    "InvokeLambdaFunction",
    "Loop",
    "MessageParticipant",
    "ShowView",
    "TagContact",
    "TransferContactToQueue",
    "TransferParticipantToThirdParty",
    "TransferToFlow",
    "UpdateContactAttributes",
    "UpdateContactCallbackNumber",
    "UpdateContactData",
    "UpdateContactEventHooks",
    "UpdateContactMediaStreamingBehavior",
    "UpdateContactRecordingBehavior",
    "UpdateContactRoutingBehavior",
    "UpdateContactTargetQueue",
    "UpdateContactTextToSpeechVoice",
    "UpdateFlowAttributes",
    "UpdateFlowLoggingBehavior",
    "UpdatePreviousContactParticipantState",
    "Wait",
}

# InvokeLambdaFunction's InvocationTimeLimitSeconds ceiling by InvocationType.
LAMBDA_TIME_LIMITS = {"SYNCHRONOUS": 8, "ASYNCHRONOUS": 60}


def _always(_parameters: Mapping[str, Any]) -> bool:
    return True


def _digits_menu(parameters: Mapping[str, Any]) -> bool:
    return str(parameters.get("StoreInput", "False")).lower() != "true"


@dataclass(frozen=True)
class RequiredBranch:
    action_type: str
    error_type: str
    rule: str
    severity: Severity
    why: str
    applies: Callable[[Mapping[str, Any]], bool] = _always


REQUIRED_BRANCHES = (
    RequiredBranch(
        "InvokeLambdaFunction",
        "NoMatchingError",
        "lambda-error-branch",
        "error",
        "a failed, slow or misunderstood function would leave the caller nowhere to go",
    ),
    RequiredBranch(
        "Compare", "NoMatchingCondition", "compare-no-match", "error", "a value no condition matches"
    ),
    RequiredBranch(
        "GetParticipantInput",
        "NoMatchingCondition",
        "input-no-match",
        "error",
        "a key no condition matches (StoreInput False)",
        _digits_menu,
    ),
    RequiredBranch(
        "TransferContactToQueue", "QueueAtCapacity", "queue-at-capacity", "warning", "a full queue"
    ),
)

# Literal ARN → the placeholder to use instead: (ARN service, text in the resource, type).
ARN_PLACEHOLDER_HINTS = (
    ("lambda", ":function:", "lambda"),
    ("connect", "/queue/", "queue"),
    ("connect", "/contact-flow/", "flow"),
    ("connect", "/operating-hours/", "hours"),
)

_ARN = re.compile(r"\barn:aws[a-z-]*:(?P<service>[a-z0-9-]*):[^:\s]*:(?P<account>[^:\s]*):", re.IGNORECASE)
_ACCOUNT = re.compile(r"^\d{12}$")
_DELIMITED = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_WELL_FORMED = re.compile(r"^(?P<type>[a-z]+):(?P<name>[A-Za-z0-9_-]+)$")
_STRAY_DELIMITER = re.compile(r"\{\{|\}\}")
# Other tools' placeholders: Fn::Sub / pipeline `${X}` and `%Name%` (cdk template constructs).
_FOREIGN = re.compile(r"\$\{[^}\s]*\}?|%[A-Za-z_][A-Za-z0-9_.-]*%")


@dataclass(frozen=True)
class Catalog:
    """Placeholder types, and the names each type may take (types not in `names` are unchecked)."""

    types: tuple[str, ...]
    names: Mapping[str, frozenset[str]]


def _lambda_names(root: Path) -> frozenset[str]:
    return frozenset(p.parent.name for p in (root / "lambdas").glob("*/handler.py"))


def _flow_names(root: Path) -> frozenset[str]:
    return frozenset(p.stem for p in (root / "flows").glob("*.json"))


# Types whose names come from the repo's files; any other type `t` takes `infra.constants.T_NAMES`
# when that exists (QUEUE_NAMES, HOURS_NAMES ...), and is not name-checked when it does not.
NAME_SOURCES: dict[str, Callable[[Path], frozenset[str]]] = {"lambda": _lambda_names, "flow": _flow_names}


def repo_catalog(root: Path = REPO) -> Catalog:
    """Placeholder types as synth knows them today, with the names this repo defines."""
    from infra import constants, flow_placeholders

    types = tuple(flow_placeholders.PLACEHOLDER_TYPES)
    names: dict[str, frozenset[str]] = {}
    for kind in types:
        if kind in NAME_SOURCES:
            names[kind] = NAME_SOURCES[kind](root)
            continue
        known = getattr(constants, f"{kind.upper()}_NAMES", None)
        if known is not None:
            names[kind] = frozenset(known)
    return Catalog(types, names)


@dataclass(frozen=True)
class Flow:
    """A loaded flow prepared for the rules."""

    loaded: LoadedFlow
    catalog: Catalog
    actions: tuple[tuple[int, dict[str, Any]], ...]  # (position in Actions, action) for each object
    ids: Mapping[str, int]  # Identifier → position of its first action

    @property
    def document(self) -> dict[str, Any]:
        return self.loaded.document

    def finding(self, rule: str, severity: Severity, message: str, position: int = -1) -> Finding:
        return Finding(self.loaded.source, self.label(position), rule, severity, message, position)

    def label(self, position: int) -> str:
        if position < 0:
            return ""
        action = _list(self.document.get("Actions"))[position]
        identifier = action.get("Identifier") if isinstance(action, dict) else None
        return identifier if isinstance(identifier, str) and identifier else f"Actions[{position}]"

    def of_type(self, action_type: str) -> Iterator[tuple[int, dict[str, Any]]]:
        return ((i, a) for i, a in self.actions if a.get("Type") == action_type)

    def scopes(self) -> Iterator[tuple[int, str, Any]]:
        """(position, path, node) for what may hold environment values: each action's Parameters,
        and the designer Metadata (synth resolves and checks that too), per action where it can."""
        for position, action in self.actions:
            if "Parameters" in action:
                yield position, "Parameters", action["Parameters"]
        metadata = self.document.get("Metadata")
        if not isinstance(metadata, dict):
            if metadata is not None:
                yield -1, "Metadata", metadata
            return
        for key, node in _dict(metadata.get("ActionMetadata")).items():
            yield self.ids.get(key, -1), f"Metadata.ActionMetadata.{key}", node
        yield -1, "Metadata", {k: v for k, v in metadata.items() if k != "ActionMetadata"}


def lint_flow(loaded: LoadedFlow, catalog: Catalog | None = None) -> list[Finding]:
    """Every finding for one loaded flow, in document order (document-level first)."""
    if loaded.problems:
        return list(loaded.problems)
    actions = tuple(
        (i, a) for i, a in enumerate(_list(loaded.document.get("Actions"))) if isinstance(a, dict)
    )
    ids: dict[str, int] = {}
    for position, action in actions:
        identifier = action.get("Identifier")
        if isinstance(identifier, str):
            ids.setdefault(identifier, position)
    flow = Flow(loaded, catalog or repo_catalog(), actions, ids)
    findings = [finding for rule in RULES for finding in rule(flow)]
    return sorted(findings, key=lambda f: f.position)


# --- rules -------------------------------------------------------------------------------------


def check_structure(flow: Flow) -> Iterator[Finding]:
    raw = flow.document.get("Actions")
    if not isinstance(raw, list):
        what = "missing" if raw is None else f"a {type(raw).__name__}, not a list"
        yield flow.finding("structure", "error", f"Actions is {what}")
        return
    for position, action in enumerate(raw):
        if not isinstance(action, dict):
            yield flow.finding("structure", "error", "action is not a JSON object", position)
            continue
        if not isinstance(action.get("Type"), str):
            yield flow.finding("structure", "error", "Type is missing or not a string", position)
        for key in ("Parameters", "Transitions"):
            if key in action and not isinstance(action[key], dict):
                yield flow.finding("structure", "error", f"{key} is not a JSON object", position)
        transitions = action.get("Transitions")
        for key in ("Conditions", "Errors"):
            if isinstance(transitions, dict) and not isinstance(transitions.get(key, []), list):
                yield flow.finding("structure", "error", f"Transitions.{key} is not a list", position)


def check_version(flow: Flow) -> Iterator[Finding]:
    version = flow.document.get("Version")
    if version != FLOW_VERSION:
        found = "missing" if version is None else repr(version)
        yield flow.finding("version", "error", f"Version is {found}; expected {FLOW_VERSION!r}")


def check_start_action(flow: Flow) -> Iterator[Finding]:
    start = flow.document.get("StartAction")
    if start is None:
        yield flow.finding("start-action", "error", "StartAction is missing")
    elif not isinstance(start, str) or start not in flow.ids:
        yield flow.finding("start-action", "error", f"StartAction {start!r} names no action")


def check_identifiers(flow: Flow) -> Iterator[Finding]:
    for position, action in flow.actions:
        problem = _identifier_problem(action.get("Identifier"))
        if problem:
            yield flow.finding("identifier-invalid", "error", problem, position)


def check_duplicate_identifiers(flow: Flow) -> Iterator[Finding]:
    for position, action in flow.actions:
        identifier = action.get("Identifier")
        if isinstance(identifier, str) and flow.ids[identifier] != position:
            message = f"Identifier {identifier!r} is also used by Actions[{flow.ids[identifier]}]"
            yield flow.finding("identifier-duplicate", "error", message, position)


def check_action_count(flow: Flow) -> Iterator[Finding]:
    count = len(_list(flow.document.get("Actions")))
    if count > MAX_ACTIONS:
        yield flow.finding(
            "too-many-actions", "error", f"{count} actions; a flow holds at most {MAX_ACTIONS}"
        )


def check_targets(flow: Flow) -> Iterator[Finding]:
    for position, action in flow.actions:
        for label, target in _targets(action):
            if not isinstance(target, str) or target not in flow.ids:
                message = f"{label} goes to {target!r}, which names no action"
                yield flow.finding("unknown-target", "error", message, position)


def check_reachable(flow: Flow) -> Iterator[Finding]:
    start = flow.document.get("StartAction")
    if not isinstance(start, str) or start not in flow.ids:
        return  # reported by check_start_action
    by_position = dict(flow.actions)
    reached = {flow.ids[start]}
    pending = deque(reached)
    while pending:
        for _, target in _targets(by_position[pending.popleft()]):
            position = flow.ids.get(target) if isinstance(target, str) else None
            if position is not None and position not in reached:
                reached.add(position)
                pending.append(position)
    for position, _ in flow.actions:
        if position not in reached:
            yield flow.finding("unreachable", "warning", "not reachable from StartAction", position)


def check_dead_ends(flow: Flow) -> Iterator[Finding]:
    for position, action in flow.actions:
        kind = action.get("Type")
        if isinstance(kind, str) and kind not in MAY_END_TYPES and not list(_targets(action)):
            # An action type the table does not know might end a flow; say so, but do not fail.
            severity: Severity = "error" if kind in KNOWN_TYPES else "warning"
            message = f"{kind} has no transitions, so the contact stops here; add a NextAction"
            yield flow.finding("dead-end", severity, message, position)


def check_required_branches(flow: Flow) -> Iterator[Finding]:
    for required in REQUIRED_BRANCHES:
        for position, action in flow.of_type(required.action_type):
            if required.applies(_dict(action.get("Parameters"))) and required.error_type not in _errors(
                action
            ):
                message = f"no {required.error_type} error branch for {required.why}"
                yield flow.finding(required.rule, required.severity, message, position)


def check_lambda_time_limit(flow: Flow) -> Iterator[Finding]:
    for position, action in flow.of_type("InvokeLambdaFunction"):
        parameters = _dict(action.get("Parameters"))
        invocation = str(parameters.get("InvocationType", "SYNCHRONOUS"))
        limit = LAMBDA_TIME_LIMITS.get(invocation, LAMBDA_TIME_LIMITS["SYNCHRONOUS"])
        problem = _time_limit_problem(parameters.get("InvocationTimeLimitSeconds"), limit)
        if problem:
            message = f"InvocationTimeLimitSeconds {problem} ({invocation.lower()} calls: 1 to {limit} s)"
            yield flow.finding("lambda-timeout", "error", message, position)


def check_literal_arns(flow: Flow) -> Iterator[Finding]:
    for position, path, text in _scope_strings(flow):
        for match in _ARN.finditer(text):
            account = match["account"]
            hint = _placeholder_hint(match["service"].lower(), text, flow.catalog.types)
            if _ACCOUNT.match(account):
                message = f"literal ARN for account {account} at {path}; use a {hint} placeholder"
                yield flow.finding("literal-arn", "error", message, position)
            else:
                message = f"literal ARN {match.group(0)}… at {path}; use a {hint} placeholder"
                yield flow.finding("literal-arn", "warning", message, position)


def check_placeholders(flow: Flow) -> Iterator[Finding]:
    for position, path, text in _scope_strings(flow):
        for match in _DELIMITED.finditer(text):
            problem = _placeholder_problem(match.group(0), match.group(1), flow.catalog)
            if problem:
                rule, message = problem
                yield flow.finding(rule, "error", f"{message} at {path}", position)
        stray = _STRAY_DELIMITER.search(_DELIMITED.sub("", text))
        if stray:
            message = f"stray {stray.group(0)!r} at {path}; expected {{{{type:name}}}}"
            yield flow.finding("placeholder-malformed", "error", message, position)


def check_foreign_placeholders(flow: Flow) -> Iterator[Finding]:
    for position, path, text in _scope_strings(flow):
        found = list(dict.fromkeys(m.group(0) for m in _FOREIGN.finditer(text)))
        if found:
            shown = ", ".join(found[:3]) + (" …" if len(found) > 3 else "")
            message = f"{shown} at {path} is another tool's placeholder; nothing here resolves it"
            yield flow.finding("foreign-placeholder", "error", message, position)


def check_action_types(flow: Flow) -> Iterator[Finding]:
    for position, action in flow.actions:
        kind = action.get("Type")
        if isinstance(kind, str) and kind not in KNOWN_TYPES:
            message = f"action type {kind!r} is not in the linter's table; only generic checks apply"
            yield flow.finding("unknown-action-type", "info", message, position)


def check_string_values(flow: Flow) -> Iterator[Finding]:
    for position, action in flow.actions:
        for path, value in _leaves(_dict(action.get("Parameters")), "Parameters"):
            if not isinstance(value, str):
                message = f"{path} is {json.dumps(value)}, not a string; write {_as_string(value)!r}"
                yield flow.finding("non-string-value", "warning", message, position)


RULES: tuple[Callable[[Flow], Iterable[Finding]], ...] = (
    check_structure,
    check_version,
    check_start_action,
    check_action_count,
    check_identifiers,
    check_duplicate_identifiers,
    check_action_types,
    check_targets,
    check_reachable,
    check_dead_ends,
    check_required_branches,
    check_lambda_time_limit,
    check_string_values,
    check_literal_arns,
    check_placeholders,
    check_foreign_placeholders,
)


# --- helpers -----------------------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _targets(action: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(label, target) for every transition out of an action."""
    transitions = _dict(action.get("Transitions"))
    if "NextAction" in transitions:
        yield "NextAction", transitions["NextAction"]
    for index, condition in enumerate(_list(transitions.get("Conditions"))):
        if isinstance(condition, dict) and "NextAction" in condition:
            yield f"Conditions[{index}]", condition["NextAction"]
    for error in _list(transitions.get("Errors")):
        if isinstance(error, dict) and "NextAction" in error:
            yield f"Errors[{error.get('ErrorType', '?')}]", error["NextAction"]


def _errors(action: Mapping[str, Any]) -> set[str]:
    errors = _list(_dict(action.get("Transitions")).get("Errors"))
    return {
        e["ErrorType"]
        for e in errors
        if isinstance(e, dict) and isinstance(e.get("ErrorType"), str) and "NextAction" in e
    }


def _identifier_problem(identifier: Any) -> str:
    if not isinstance(identifier, str) or not identifier:
        return "Identifier is missing or not a non-empty string"
    if len(identifier) > MAX_IDENTIFIER_CHARS:
        return f"Identifier is {len(identifier)} characters; at most {MAX_IDENTIFIER_CHARS}"
    forbidden = sorted(set(identifier) & FORBIDDEN_IDENTIFIER_CHARS)
    if forbidden:
        return f"Identifier {identifier!r} contains forbidden {' '.join(forbidden)}"
    if identifier in RESERVED_IDENTIFIERS:
        return f"Identifier {identifier!r} is a reserved name"
    return ""


def _time_limit_problem(value: Any, limit: int) -> str:
    if value is None:
        return "is missing"
    try:
        seconds = float(str(value))
    except ValueError:
        return f"is {value!r}, not a number"
    if not seconds.is_integer():
        return f"is {value!r}, not a whole number of seconds"
    if not 0 < seconds <= limit:
        return f"is {value!r}, outside the limit"
    return ""


def _placeholder_problem(text: str, inside: str, catalog: Catalog) -> tuple[str, str] | None:
    """(rule, message) for a `{{...}}` that synth could not resolve, or None."""
    parts = _WELL_FORMED.match(inside)
    if parts is None:
        return "placeholder-malformed", f"malformed placeholder {text!r} (expected {{{{type:name}}}})"
    kind, name = parts["type"], parts["name"]
    if kind not in catalog.types:
        return (
            "placeholder-type",
            f"unknown placeholder type {kind!r} (one of {', '.join(catalog.types)}) in {text}",
        )
    known = catalog.names.get(kind)
    if known is not None and name not in known:
        return (
            "placeholder-name",
            f"no {kind} named {name!r} (known: {', '.join(sorted(known)) or 'none'}) in {text}",
        )
    return None


def _placeholder_hint(service: str, text: str, types: tuple[str, ...]) -> str:
    for arn_service, marker, kind in ARN_PLACEHOLDER_HINTS:
        if service == arn_service and marker in text and kind in types:
            return f"{{{{{kind}:name}}}}"
    return "{{type:name}}"


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, text) for every string under node, object keys included."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}"
            yield child, str(key)
            yield from _strings(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")


def _scope_strings(flow: Flow) -> Iterator[tuple[int, str, str]]:
    for position, root, node in flow.scopes():
        for path, text in _strings(node, root):
            yield position, path, text


def _leaves(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, value) for every value under node that is neither an object nor a list."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, f"{path}[{index}]")
    else:
        yield path, node


def _as_string(value: Any) -> str:
    """How a flow-language document writes `value`: "True"/"False", "8", ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    return json.dumps(value)
