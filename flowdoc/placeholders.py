"""The `{{type:name}}` placeholder grammar, and resolving placeholders in a flow document.

Flows in `flows/` never hold environment-specific ARNs; they name what they need, e.g.
`{{lambda:crm_lookup}}` or `{{queue:general}}` (or an optional deployment setting such as
`{{setting:lexBotAliasArn}}`), and the flows construct swaps in CDK tokens or the setting's value.
This is the one definition of the grammar: synth (`resolve_placeholders`, strict: a placeholder
whose type or name is unknown, or anything placeholder-like left over, is an error naming the file
and the text, because a flow with a dangling reference only fails at deploy time or mid-call), the
linter (`DELIMITED`, `WELL_FORMED`, `stray_delimiter`) and the simulator (`substitute_known`,
lenient: it runs flows other teams wrote) all read it from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from flowdoc.walk import map_strings, strings

# lambda, queue, flow, hours: ARNs of resources the stack creates. setting: a value from CDK
# context (infra.constants.SETTING_NAMES), e.g. {{setting:lexBotAliasArn}}, "" when not set.
# prompt, lex: prompts and Lex V2 bot aliases a flow imported from the designer refers to
# (`tandem flows import`); synth refuses them until the stack names such resources.
PLACEHOLDER_TYPES = ("lambda", "queue", "flow", "hours", "setting", "prompt", "lex")

_TYPE = r"[a-z]+"
_NAME = r"[A-Za-z0-9_-]+"
# Anything between double braces: a placeholder, a malformed one, or another tool's {{x.y}}.
DELIMITED = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
# What a well-formed placeholder holds between its braces.
WELL_FORMED = re.compile(rf"^(?P<type>{_TYPE}):(?P<name>{_NAME})$")
# A whole well-formed placeholder inside any text.
PLACEHOLDER = re.compile(rf"\{{\{{(?P<type>{_TYPE}):(?P<name>{_NAME})\}}\}}")
STRAY_DELIMITER = re.compile(r"\{\{|\}\}")
# Leftovers that look like an unresolved placeholder: stray delimiters, or Fn::Sub-style ${X}
# copied from another template. Connect's own `$.Attributes.x` references never match.
_LEFTOVER = re.compile(rf"{STRAY_DELIMITER.pattern}|\$\{{")
_LITERAL_ARN = re.compile(r"\barn:aws[a-z-]*:", re.IGNORECASE)


class PlaceholderError(ValueError):
    """A flow cannot be resolved; the message names the file, the location and the text."""


@dataclass(frozen=True)
class Placeholder:
    type: str
    name: str
    text: str  # as written, e.g. "{{lambda:crm_lookup}}"
    path: str  # JSON location, e.g. "Actions[1].Parameters.LambdaFunctionARN"


def find_placeholders(document: object, *, source: str) -> list[Placeholder]:
    """Every well-formed placeholder in the document; malformed ones raise PlaceholderError."""
    found: list[Placeholder] = []
    for path, text in strings(document):
        found.extend(_parse(text, path, source))
    return found


def resolve_placeholders(document: object, values: Mapping[str, Mapping[str, str]], *, source: str) -> object:
    """A copy of `document` with each `{{type:name}}` replaced by `values[type][name]`.

    Values are opaque strings (CDK tokens in the stack, plain ARNs in tests). Literal ARNs are
    rejected too: they tie a flow to one account and bypass the checks above.
    """

    def resolve_string(text: str, path: str) -> str:
        if _LITERAL_ARN.search(text):
            raise PlaceholderError(
                f"{source}: literal ARN at {path}; use a {{{{type:name}}}} placeholder instead"
            )
        for placeholder in _parse(text, path, source):
            known = values.get(placeholder.type, {})
            if placeholder.name not in known:
                names = ", ".join(sorted(known)) or "none"
                raise PlaceholderError(
                    f"{source}: unknown placeholder {placeholder.text} at {path}: "
                    f"no {placeholder.type} named {placeholder.name!r} (known: {names})"
                )
            text = text.replace(placeholder.text, known[placeholder.name])
        return text

    return map_strings(document, resolve_string)


def substitute_known(
    document: object, value_of: Callable[[str, str], str | None]
) -> tuple[object, tuple[str, ...]]:
    """A copy of `document` with each well-formed placeholder that `value_of(type, name)` answers
    replaced, and the placeholders it did not answer (sorted, once each), left as written.

    Never raises: local tools run flows other teams wrote, whose templating is not ours to judge.
    """
    unknown: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        value = value_of(match["type"], match["name"])
        if value is None:
            unknown.add(match.group(0))
            return match.group(0)
        return value

    resolved = map_strings(
        document, lambda text, _path: PLACEHOLDER.sub(replace, text) if "{{" in text else text
    )
    return resolved, tuple(sorted(unknown))


def stray_delimiter(text: str) -> re.Match[str] | None:
    """A `{{` or `}}` outside every `{{...}}` pair in `text`, or None."""
    return STRAY_DELIMITER.search(DELIMITED.sub("", text))


def find_reference_cycle(references: Mapping[str, set[str]]) -> list[str] | None:
    """A cycle in flow → referenced flows, e.g. ["a", "b", "a"], or None.

    CloudFormation cannot create two flows that each need the other's ARN (nor a flow that needs
    its own), so the flows construct refuses such sets at synth.
    """
    state: dict[str, str] = {}  # "visiting" or "done"

    def visit(flow: str, trail: list[str]) -> list[str] | None:
        if state.get(flow) == "visiting":
            return [*trail[trail.index(flow) :], flow]
        if state.get(flow) == "done":
            return None
        state[flow] = "visiting"
        for target in sorted(references.get(flow, set())):
            cycle = visit(target, [*trail, flow])
            if cycle:
                return cycle
        state[flow] = "done"
        return None

    for flow in sorted(references):
        cycle = visit(flow, [])
        if cycle:
            return cycle
    return None


def _parse(text: str, path: str, source: str) -> Iterator[Placeholder]:
    for match in DELIMITED.finditer(text):
        well_formed = WELL_FORMED.match(match.group(1))
        if well_formed is None:
            raise PlaceholderError(
                f"{source}: malformed placeholder {match.group(0)!r} at {path}; "
                f"expected {{{{type:name}}}} with type one of {', '.join(PLACEHOLDER_TYPES)}"
            )
        if well_formed["type"] not in PLACEHOLDER_TYPES:
            raise PlaceholderError(
                f"{source}: unknown placeholder type {well_formed['type']!r} in {match.group(0)} at "
                f"{path}; expected one of {', '.join(PLACEHOLDER_TYPES)}"
            )
        yield Placeholder(well_formed["type"], well_formed["name"], match.group(0), path)
    rest = DELIMITED.sub("", text)
    leftover = _LEFTOVER.search(rest)
    if leftover:
        fragment = rest[max(0, leftover.start() - 20) : leftover.end() + 20]
        raise PlaceholderError(
            f"{source}: malformed placeholder {fragment!r} at {path}; expected {{{{type:name}}}}"
        )
