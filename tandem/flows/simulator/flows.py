"""A flow as the simulator runs it: found, loaded, placeholders resolved to local fakes, indexed by
action, with its transitions named (a condition's label, an ErrorType) and its conditions decided."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowdoc.document import FlowLoadError, load_flow
from flowdoc.placeholders import substitute_known
from tandem.flows.simulator.config import FLOWS_DIR
from tandem.local.provision import DEFAULT_REGION, FAKE_ACCOUNT
from tandem.local.sandbox import CONNECT_INSTANCE_ARN

# Branch names besides a condition's label ("Equals 1") and the other ErrorTypes.
NEXT = "NextAction"
NO_MATCHING_ERROR = "NoMatchingError"
NO_MATCHING_CONDITION = "NoMatchingCondition"
INPUT_TIMEOUT = "InputTimeLimitExceeded"


class FlowNotFound(ValueError):
    """The flow to simulate cannot be found or read; the message is one line."""


class FlowRefused(FlowNotFound):
    """The flow file is there but cannot be run: unreadable, not a flow, or its actions share an
    Identifier (which one a transition means would be a guess); the message is one line."""


@dataclass(frozen=True)
class Flow:
    name: str
    path: Path
    start: str
    actions: dict[str, dict[str, Any]]
    transitions: frozenset[tuple[str, str]]
    unresolved: tuple[str, ...] = ()  # placeholders of unknown types, left as written


@dataclass(frozen=True)
class LocalResources:
    """What the repo's placeholders resolve to in a simulation."""

    queue_arns: Mapping[str, str]
    settings: Mapping[str, str]

    def value(self, kind: str, name: str) -> str | None:
        if kind == "lambda":
            return f"arn:aws:lambda:{DEFAULT_REGION}:{FAKE_ACCOUNT}:function:{name}"
        if kind == "queue":
            return self.queue_arns.get(name, f"{CONNECT_INSTANCE_ARN}/queue/queue-{name}")
        if kind == "flow":
            return flow_arn(name)
        if kind == "hours":
            return f"{CONNECT_INSTANCE_ARN}/operating-hours/hours-{name}"
        if kind == "setting":
            return self.settings.get(name, "")
        if kind == "lex":
            return lex_alias_arn(name)
        return None

    def key(self) -> tuple[Any, ...]:
        return (tuple(sorted(self.queue_arns.items())), tuple(sorted(self.settings.items())))


# The flow id in a flow ARN: what `flow_arn` builds, or a real one.
FLOW_IN_ARN = re.compile(r"/contact-flow/([^/\s]+)$")


# `{{lex:x}}` locally: an alias of the fake Lex bot (tandem.flows.fake_lex answers any alias).
LOCAL_BOT_ID = "FAKEBOT000"
LEX_ALIAS_IN_ARN = re.compile(
    rf"^arn:aws:lex:{DEFAULT_REGION}:{FAKE_ACCOUNT}:bot-alias/{LOCAL_BOT_ID}/(?P<name>[A-Za-z0-9_-]+)$"
)


def lex_alias_arn(name: str) -> str:
    """The fake ARN a `{{lex:name}}` placeholder stands for."""
    return f"arn:aws:lex:{DEFAULT_REGION}:{FAKE_ACCOUNT}:bot-alias/{LOCAL_BOT_ID}/{name}"


def local_placeholder(value: str) -> str:
    """`value` written back as the placeholder it resolves from locally, where it is one (a fake
    Lex alias); else `value` itself."""
    found = LEX_ALIAS_IN_ARN.match(value)
    return f"{{{{lex:{found['name']}}}}}" if found else value


def flow_arn(name: str) -> str:
    """The fake ARN a `{{flow:name}}` placeholder stands for."""
    return f"{CONNECT_INSTANCE_ARN}/contact-flow/{name}"


_FLOW_CACHE: dict[tuple[Any, ...], Flow] = {}


def load(path: Path, resources: LocalResources) -> Flow:
    """The flow at `path`, placeholders resolved, indexed by action id (cached by file and mtime)."""
    try:
        stat = path.stat()
    except OSError as error:
        raise FlowRefused(f"{path}: cannot read the flow: {error.strerror or error}") from error
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, resources.key())
    cached = _FLOW_CACHE.get(key)
    if cached is not None:
        return cached
    try:
        loaded = load_flow(path).require()
    except FlowLoadError as error:
        raise FlowRefused(str(error)) from error
    resolved, unknown = substitute_known(loaded.document, resources.value)
    document = resolved if isinstance(resolved, dict) else {}
    actions: dict[str, dict[str, Any]] = {}
    transitions: set[tuple[str, str]] = set()
    for action in document.get("Actions") or []:
        if not isinstance(action, dict) or not isinstance(action.get("Identifier"), str):
            continue
        actions[action["Identifier"]] = action
        transitions.update((action["Identifier"], branch) for branch, _ in branches(action))
    flow = Flow(
        loaded.name,
        path,
        str(document.get("StartAction", "")),
        actions,
        frozenset(transitions),
        unknown,
    )
    if len(_FLOW_CACHE) > 256:
        _FLOW_CACHE.clear()
    _FLOW_CACHE[key] = flow
    return flow


def condition_label(condition: Any) -> str:
    """A condition's branch name: "Equals 1", "NumberGreaterThan 600"."""
    inner = condition.get("Condition") if isinstance(condition, dict) else None
    if isinstance(inner, dict) and "Operator" in inner:
        operands = inner.get("Operands") or []
        shown = ",".join(str(o) for o in operands) if isinstance(operands, list) else str(operands)
        return f"{inner['Operator']} {shown}".rstrip()
    return json.dumps(inner, sort_keys=True, separators=(",", ":"))


def branches(action: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """(branch name, target) for every transition of an action."""
    transitions = action.get("Transitions")
    if not isinstance(transitions, dict):
        return
    if isinstance(transitions.get(NEXT), str):
        yield NEXT, transitions[NEXT]
    for condition in transitions.get("Conditions") or []:
        if isinstance(condition, dict) and isinstance(condition.get(NEXT), str):
            yield condition_label(condition), condition[NEXT]
    for error in transitions.get("Errors") or []:
        if isinstance(error, dict) and isinstance(error.get(NEXT), str):
            yield str(error.get("ErrorType", "")), error[NEXT]


def matches(operator: str, operands: Any, value: str) -> bool | None:
    """Whether `value` satisfies a condition; None for an operator Connect does not have."""
    candidates = [str(o) for o in operands] if isinstance(operands, list) else [str(operands)]
    if operator == "Equals":
        return value in candidates
    if operator == "TextStartsWith":
        return any(value.startswith(o) for o in candidates)
    if operator == "TextEndsWith":
        return any(value.endswith(o) for o in candidates)
    if operator == "TextContains":
        return any(o in value for o in candidates)
    compare = _NUMBER_OPERATORS.get(operator)
    if compare is None:
        return None
    number = to_number(value)
    if number is None:
        return False
    limits = [to_number(o) for o in candidates]
    return any(limit is not None and compare(number, limit) for limit in limits)


_NUMBER_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "NumberGreaterThan": lambda a, b: a > b,
    "NumberGreaterOrEqualTo": lambda a, b: a >= b,
    "NumberLessThan": lambda a, b: a < b,
    "NumberLessOrEqualTo": lambda a, b: a <= b,
}


def to_number(text: str) -> float | None:
    """`text` as a finite number, or None."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def find_flow_file(flow: str | Path, flows_dir: Path = FLOWS_DIR) -> Path:
    """The file for a flow name in `flows_dir` (`inbound_main`) or a path; FlowNotFound otherwise."""
    path = Path(flow)
    if path.is_file():
        return path
    named = flows_dir / f"{flow}.json"
    if "/" not in str(flow) and named.is_file():
        return named
    if os.path.lexists(path):
        return path  # a directory, a device ...: `load` refuses it in one line
    known = ", ".join(sorted(p.stem for p in flows_dir.glob("*.json"))) or "none"
    raise FlowNotFound(f"{flow}: no such file, and no flow of that name in {flows_dir} (known: {known})")


def is_condition(branch: str) -> bool:
    """Whether a branch name is a condition's label ("Equals 1"), not NextAction or an ErrorType."""
    return " " in branch or branch.startswith("{")
