"""Static checks for Amazon Connect flow-language documents (`tandem flows lint`).

Each rule is one function from a parsed flow to findings; `RULES` lists them in the order they
run. What a rule knows about Connect (terminal actions, required error branches, limits) sits in
the tables below, taken from the flow-language reference, so a new fact is a new row rather than
new code. The placeholder grammar and its types come from `flowdoc.placeholders` (synth's own) and
names from the repo itself (`infra.constants`, `lambdas/*/handler.py`, `flows/*.json`), so the
linter and synth agree.
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from flowdoc import placeholders
from flowdoc.document import (
    DESCRIBE_MODULE_WRAPPER,
    FLOW_VERSION,
    Finding,
    LoadedFlow,
    Severity,
    duplicate_identifiers,
    duplicate_message,
)
from flowdoc.placeholders import DELIMITED, WELL_FORMED, stray_delimiter
from flowdoc.walk import strings

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

# Where "all parameter values are strings" holds, so a number or boolean is a mistake: each
# top-level parameter of an action in the table ("*"), and the values of the maps Connect hands on
# as strings (contact, flow, Lambda and Lex attributes). Objects nested anywhere else are other
# services' payloads, typed as those services define: a view's `ViewData` holds the booleans and
# numbers the designer itself writes (`"Copyable": true`), routing criteria hold numbers.
STRING_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "*": (("*",),),
    "UpdateContactAttributes": (("Attributes", "*"),),
    "InvokeLambdaFunction": (("LambdaInvocationAttributes", "*"),),
    "ConnectParticipantWithLexBot": (("LexSessionAttributes", "*"),),
    "UpdateFlowAttributes": (("FlowAttributes", "*", "Value"),),
}

# Flow types (AWS::Connect::ContactFlow Type) in which the caller sits in the flow until it moves
# them on; an endless loop there is a caller stuck in silence. Queue, hold and whisper flows are
# ended from outside (an agent answers, the whisper ends) and modules run inside another flow.
CALLER_FLOW_TYPES = frozenset({"CONTACT_FLOW", "AGENT_TRANSFER", "QUEUE_TRANSFER"})
MODULE = "MODULE"
# Blocks that wait for the caller, the agent or an event (or play a prompt for as long as it
# lasts): a loop through one of them is a menu or a hold loop, not a spin.
WAITING_TYPES = frozenset(
    {
        "GetParticipantInput",
        "ConnectParticipantWithLexBot",
        "Wait",
        "MessageParticipant",
        "MessageParticipantIteratively",
        "ShowView",
        "TransferParticipantToThirdParty",
    }
)
# Blocks whose success takes the contact out of this flow: a loop through one of them ends there.
LEAVING_TYPES = TERMINAL_TYPES | {
    "TransferToFlow",
    "TransferContactToQueue",
    "DequeueContactAndTransferToQueue",
    "CompleteOutboundCall",
}


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
    ("connect", "/prompt/", "prompt"),
    ("lex", ":bot-alias/", "lex"),
)

_ARN = re.compile(r"\barn:aws[a-z-]*:(?P<service>[a-z0-9-]*):[^:\s]*:(?P<account>[^:\s]*):", re.IGNORECASE)
_ACCOUNT = re.compile(r"^\d{12}$")
# Other tools' placeholders, and how a message names each system.
FOREIGN_SYSTEMS = (
    (re.compile(r"\$\{[^}\s]*\}?"), "${X} substitution"),  # Fn::Sub, Terraform, envsubst
    (re.compile(r"%[A-Za-z_][A-Za-z0-9_.-]*%"), "%X% tokens"),  # string replacement at deploy
)
MUSTACHE = "{{x.y}} templating"
# Where Tandem's typed `{{type:name}}` form is required by default: the flows it deploys.
STRICT_PLACEHOLDER_DIRS = (REPO / "flows",)


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
    from infra import constants

    types = tuple(placeholders.PLACEHOLDER_TYPES)
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
    flow_type: str = "CONTACT_FLOW"  # see flow_type_of
    strict_placeholders: bool = False  # Tandem's {{type:name}} is the only placeholder allowed

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


def lint_flow(
    loaded: LoadedFlow,
    catalog: Catalog | None = None,
    *,
    strict_placeholders: bool | None = None,
    flow_type: str | None = None,
) -> list[Finding]:
    """Every finding for one loaded flow, in document order (document-level first).

    `strict_placeholders` defaults to whether the file is in the repo's `flows/`; `flow_type` to
    what `flow_type_of` finds.
    """
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
    strict = is_deployed_flow(loaded.path) if strict_placeholders is None else strict_placeholders
    kind = flow_type_of(loaded) if flow_type is None else flow_type
    flow = Flow(loaded, catalog or repo_catalog(), actions, ids, kind, strict)
    findings = [finding for rule in RULES for finding in rule(flow)]
    return sorted(findings, key=lambda f: f.position)


def is_deployed_flow(path: Path) -> bool:
    """Whether `path` is one of the flows Tandem deploys (under the repo's `flows/`)."""
    resolved = path.resolve()
    return any(resolved.is_relative_to(folder) for folder in STRICT_PLACEHOLDER_DIRS)


def flow_type_of(loaded: LoadedFlow, root: Path = REPO) -> str:
    """The flow's type (`CONTACT_FLOW`, `CUSTOMER_QUEUE` ..., `MODULE`), or "" when it is known
    only not to be a caller-facing flow. In order: a wrapper's `Type`, the designer's
    `Metadata.type` (`customerQueue`), `infra.constants.FLOW_TYPES` for the repo's flows, blocks
    that only some types may hold; otherwise `CONTACT_FLOW`, Connect's default type."""
    from infra import constants

    if loaded.origin == DESCRIBE_MODULE_WRAPPER:
        return MODULE
    declared = loaded.wrapper.get("Type")
    if isinstance(declared, str) and declared.strip():
        return declared.strip().upper()
    designer = _dict(loaded.document.get("Metadata")).get("type")
    if isinstance(designer, str) and designer.strip():
        snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", designer.strip()).upper()
        return MODULE if snake.endswith("MODULE") else snake
    if loaded.path.resolve().parent == (root / "flows").resolve():
        return constants.FLOW_TYPES.get(loaded.path.stem, constants.DEFAULT_FLOW_TYPE)
    kinds = {a.get("Type") for a in _list(loaded.document.get("Actions")) if isinstance(a, dict)}
    if "EndFlowModuleExecution" in kinds:
        return MODULE
    if kinds & {"EndFlowExecution", "MessageParticipantIteratively", "DequeueContactAndTransferToQueue"}:
        return ""  # a queue, hold or whisper flow: Connect allows these blocks only there
    return constants.DEFAULT_FLOW_TYPE


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
    for position, identifier, first in duplicate_identifiers(flow.document):
        yield flow.finding(
            "identifier-duplicate", "error", duplicate_message(identifier, first, position), position
        )


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
    reached = _reachable(flow)
    for position, _ in flow.actions:
        if position not in reached:
            yield flow.finding("unreachable", "warning", "not reachable from StartAction", position)


def check_endless_loops(flow: Flow) -> Iterator[Finding]:
    """A loop the caller can never leave and never hears anything in: a→b→a between two blocks
    that neither wait nor play anything. Checked over the strongly connected components of the
    transition graph. A component "has an exit" when any transition of any of its blocks —
    NextAction, a condition or an error branch — names a block outside it, or names no block at
    all (reported as unknown-target), or when one of its blocks moves the contact out of the flow
    on success (a transfer). Components holding a block the table does not know, or a module, are
    not judged: either may wait or leave."""
    if flow.flow_type not in CALLER_FLOW_TYPES:
        return
    graph: dict[int, list[int]] = {}
    exits: set[int] = set()
    for position, action in flow.actions:
        targets = [flow.ids.get(t) if isinstance(t, str) else None for _, t in _targets(action)]
        graph[position] = [t for t in targets if t is not None]
        if None in targets:
            exits.add(position)
    reached = _reachable(flow)
    by_position = dict(flow.actions)
    for component in strongly_connected(graph):
        members = set(component)
        if not members & reached or (len(members) == 1 and component[0] not in graph[component[0]]):
            continue
        kinds = {by_position[m].get("Type") for m in members}
        if members & exits or any(t not in members for m in members for t in graph[m]):
            continue
        if kinds & (WAITING_TYPES | LEAVING_TYPES | {"InvokeFlowModule"}) or not kinds <= KNOWN_TYPES:
            continue
        first = min(members)
        cycle = " → ".join(flow.label(m) for m in sorted(members)[:5]) + (" …" if len(members) > 5 else "")
        message = (
            f"endless loop: {cycle} has no way out and no block that waits for the caller or an event; "
            "the contact would spin here in silence"
        )
        yield flow.finding("endless-loop", "error", message, first)


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
            if account == "aws" or _is_placeholder(account):
                continue  # AWS-managed (views, prompts), or templated: the placeholder rules speak
            hint = _placeholder_hint(match["service"].lower(), text, flow.catalog.types)
            if _ACCOUNT.match(account):
                message = f"literal ARN for account {account} at {path}; use a {hint} placeholder"
                yield flow.finding("literal-arn", "error", message, position)
            else:
                message = f"literal ARN {match.group(0)}… at {path}; use a {hint} placeholder"
                yield flow.finding("literal-arn", "warning", message, position)


def check_placeholders(flow: Flow) -> Iterator[Finding]:
    for position, path, text in _scope_strings(flow):
        for match in DELIMITED.finditer(text):
            if not flow.strict_placeholders and not _typed_attempt(match.group(1), flow.catalog):
                continue  # another system's {{x.y}}: counted by check_foreign_placeholders
            problem = _placeholder_problem(match.group(0), match.group(1), flow.catalog)
            if problem:
                rule, message = problem
                yield flow.finding(rule, "error", f"{message} at {path}", position)
        stray = stray_delimiter(text)
        if stray:
            message = f"stray {stray.group(0)!r} at {path}; expected {{{{type:name}}}}"
            yield flow.finding("placeholder-malformed", "error", message, position)


def check_foreign_placeholders(flow: Flow) -> Iterator[Finding]:
    """Other deploy systems' placeholders. In a flow Tandem deploys (strict) each is an error: synth
    would ship it unresolved. Elsewhere — a flow another team exports — they are that team's
    business: one warning per file, naming each system and how many values use it."""
    values: Counter[str] = Counter()
    for position, path, text in _scope_strings(flow):
        found = [system for pattern, system in FOREIGN_SYSTEMS if pattern.search(text)]
        if any(not _typed_attempt(m.group(1), flow.catalog) for m in DELIMITED.finditer(text)):
            found.append(MUSTACHE)
        if not found:
            continue
        if not flow.strict_placeholders:
            values.update(found)
            continue
        texts = [m.group(0) for pattern, _ in FOREIGN_SYSTEMS for m in pattern.finditer(text)]
        if texts:
            shown = ", ".join(list(dict.fromkeys(texts))[:3]) + (" …" if len(set(texts)) > 3 else "")
            message = f"{shown} at {path} is another tool's placeholder; nothing here resolves it"
            yield flow.finding("foreign-placeholder", "error", message, position)
    if values:
        systems = ", ".join(
            f"{count:,} {'value uses' if count == 1 else 'values use'} {system}"
            for system, count in values.most_common()
        )
        message = f"{systems} (another deploy system); not resolved by Tandem"
        yield flow.finding("foreign-placeholders", "warning", message)


def check_action_types(flow: Flow) -> Iterator[Finding]:
    for position, action in flow.actions:
        kind = action.get("Type")
        if isinstance(kind, str) and kind not in KNOWN_TYPES:
            message = f"action type {kind!r} is not in the linter's table; only generic checks apply"
            yield flow.finding("unknown-action-type", "info", message, position)


def check_string_values(flow: Flow) -> Iterator[Finding]:
    for position, action in flow.actions:
        kind = action.get("Type")
        if kind not in KNOWN_TYPES:
            continue  # a block the table does not know may well take typed values
        parameters = _dict(action.get("Parameters"))
        for pattern in STRING_PATHS["*"] + STRING_PATHS.get(str(kind), ()):
            for path, value in _at(parameters, pattern, "Parameters"):
                if not isinstance(value, str | dict | list):
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
    check_endless_loops,
    check_dead_ends,
    check_required_branches,
    check_lambda_time_limit,
    check_string_values,
    check_literal_arns,
    check_placeholders,
    check_foreign_placeholders,
)


# --- helpers -----------------------------------------------------------------------------------

Node = TypeVar("Node", bound=Hashable)  # Python 3.11: no `def f[T]` syntax yet


def strongly_connected(graph: Mapping[Node, Sequence[Node]]) -> list[list[Node]]:
    """The strongly connected components of `graph` (node → successors), by Tarjan's algorithm,
    without recursion: a hostile file may chain thousands of actions (and tests/import_graph.py
    walks a whole source tree with it). A successor missing from `graph` has no successors."""
    index: dict[Node, int] = {}
    low: dict[Node, int] = {}
    stack: list[Node] = []
    on_stack: set[Node] = set()
    components: list[list[Node]] = []
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(graph.get(successor, []))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[Node] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def _reachable(flow: Flow) -> set[int]:
    """Positions reachable from StartAction (empty when it names no action)."""
    start = flow.document.get("StartAction")
    if not isinstance(start, str) or start not in flow.ids:
        return set()
    by_position = dict(flow.actions)
    reached = {flow.ids[start]}
    pending = deque(reached)
    while pending:
        for _, target in _targets(by_position[pending.popleft()]):
            position = flow.ids.get(target) if isinstance(target, str) else None
            if position is not None and position not in reached:
                reached.add(position)
                pending.append(position)
    return reached


def _typed_attempt(inside: str, catalog: Catalog) -> bool:
    """Whether `{{inside}}` is meant as Tandem's `{{type:name}}` (well formed or not), rather than
    another system's templating such as `{{contactFlows.RulesEngineError.arn}}`."""
    head = re.match(r"\s*([A-Za-z]*)", inside)
    return ":" in inside or bool(head and head.group(1) in catalog.types)


def _is_placeholder(text: str) -> bool:
    return "{{" in text or any(pattern.search(text) for pattern, _ in FOREIGN_SYSTEMS)


def _at(node: Any, pattern: tuple[str, ...], path: str) -> Iterator[tuple[str, Any]]:
    """(path, value) for each value at `pattern` (keys, "*" for any) under the object `node`."""
    if not pattern:
        yield path, node
        return
    if not isinstance(node, dict):
        return
    key, rest = pattern[0], pattern[1:]
    for name in node if key == "*" else [key] if key in node else []:
        yield from _at(node[name], rest, f"{path}.{name}")


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
    parts = WELL_FORMED.match(inside)
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


def _scope_strings(flow: Flow) -> Iterator[tuple[int, str, str]]:
    for position, root, node in flow.scopes():
        for path, text in strings(node, root):
            yield position, path, text


def _as_string(value: Any) -> str:
    """How a flow-language document writes `value`: "True"/"False", "8", ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    return json.dumps(value)
