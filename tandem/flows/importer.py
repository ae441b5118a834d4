"""Bring flows exported from the Connect designer into the repo's typed-placeholder form.

`tandem flows import` reads an export (a raw flow-language document or a `DescribeContactFlow` /
`Content` wrapper, whatever `flowdoc.document.load_flow` reads) and swaps each literal ARN of a
Lambda, queue, flow, hours, prompt or Lex bot alias for a `{{type:name}}` placeholder. The type
comes from the ARN itself (`tandem.flows.lint.ARN_PLACEHOLDER_HINTS`, the linter's own table); the
name comes from one of two places, never from a guess:

- the map (`--map FILE`): a JSON object whose keys are ARNs (or any other exact value, such as
  another tool's `%QueueArn%` token) and whose values are a name (`"crm_lookup"`, type from the
  ARN) or a placeholder body (`"setting:lexBotAliasArn"`, required when the key is not an ARN);
- the export's own metadata: the designer keeps what it showed next to each action in
  `Metadata.ActionMetadata[<Identifier>]`, either as `{"id": <ARN>, "text": <name>}` (queues,
  flows, hours, prompts) or as `parameters.<Parameter>.displayName` mirroring the action's
  `Parameters.<Parameter>` (Lambdas, Lex bots, event hooks).

A display name becomes a placeholder name in lower_snake_case ("Basic Hours" → `basic_hours`).
An ARN with no type, no name, two names, or a name another ARN already holds is reported as
`Unnamed` and the flow is not converted. AWS-managed ARNs (account `aws`) are the same in every
account and stay as they are. `resolve` with the `values` of an `ImportedFlow` gives back the export.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowdoc.document import FlowLoadError, load_flow
from flowdoc.placeholders import PLACEHOLDER_TYPES, WELL_FORMED
from flowdoc.walk import map_strings, strings
from tandem.flows.lint import ARN_PLACEHOLDER_HINTS, MODULE, flow_type_of

# An ARN inside any text; tolerant of another tool's templating in the region, account or resource
# (`arn:aws:connect:${REGION}:${ACCT_ID}:instance/.../queue/${Q:sales:Q}`), which is still an ARN
# to replace as a whole.
ARN = re.compile(
    r"arn:aws[a-z-]*:(?P<service>[a-z0-9-]+):(?P<region>[^:\s\"]*):(?P<account>[^:\s\"]*):"
    r"(?P<resource>[^\s\",;)]+)"
)
_KIND_NAMES = {"lambda": "Lambda function", "hours": "hours of operation", "lex": "Lex bot alias"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_NAME = re.compile(r"[^A-Za-z0-9]+")
_FLOW_STEM = re.compile(r"^[a-z][a-z0-9_]*$")  # what infra's flows construct deploys


class FlowImportError(ValueError):
    """An export or map that cannot be used at all; the message is one line naming the file."""


@dataclass(frozen=True)
class Unnamed:
    """A value the importer will not turn into a placeholder, and why."""

    file: str
    path: str  # first location in the document
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.text}: {self.reason}"


@dataclass
class ImportedFlow:
    source: Path
    stem: str  # the output file's name, without .json
    flow_type: str  # what tandem.flows.lint.flow_type_of reads in the export ("" when unsure)
    document: dict[str, Any]  # the converted document (the export's when `unnamed` is not empty)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # type → name → original text
    unnamed: list[Unnamed] = field(default_factory=list)


def placeholder_name(display_name: str) -> str:
    """ "Basic Hours" → "basic_hours", "CustomerQueue.wav" → "customer_queue_wav"."""
    return _NOT_NAME.sub("_", _CAMEL.sub("_", display_name)).strip("_").lower()


def arn_type(arn: str) -> str | None:
    """The placeholder type for an ARN (`lambda`, `queue` ...), or None when no type fits."""
    match = ARN.fullmatch(arn)
    if match is None:
        return None
    for service, marker, kind in ARN_PLACEHOLDER_HINTS:
        if match["service"] == service and marker in arn:
            return kind
    return None


def read_map(path: Path) -> dict[str, tuple[str, str]]:
    """The `--map` file: value → (type, name); FlowImportError (one line) when it is not usable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise FlowImportError(f"{path}: cannot read the map: {str(error).splitlines()[0]}") from None
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise FlowImportError(f'{path}: the map must be a JSON object of strings: {{"<ARN>": "<name>"}}')
    mapped: dict[str, tuple[str, str]] = {}
    for text, target in raw.items():
        body = target if ":" in target else f"{arn_type(text) or ''}:{target}"
        parts = WELL_FORMED.match(body)
        if parts is None or parts["type"] not in PLACEHOLDER_TYPES:
            hint = "a name" if ":" not in target else "type:name"
            raise FlowImportError(
                f"{path}: {text!r} → {target!r}: expected {hint} with type one of "
                f"{', '.join(PLACEHOLDER_TYPES)} and a name of letters, digits, _ or -"
                + ("" if ":" in target or arn_type(text) else "; this key is no known ARN, give type:name")
            )
        mapped[text] = (parts["type"], parts["name"])
    return mapped


def import_flow(path: Path, mapped: Mapping[str, tuple[str, str]] | None = None) -> ImportedFlow:
    """Convert one export; FlowLoadError (one line naming the file) when it is no flow, and
    FlowImportError when it is a flow module (the stack deploys every flows/*.json as a flow)."""
    loaded = load_flow(path).require()
    flow_type = flow_type_of(loaded)
    if flow_type == MODULE:
        raise FlowImportError(f"{path}: a flow module; Tandem deploys contact flows only")
    document = loaded.document
    mapped = mapped or {}
    wrapper_name = loaded.wrapper.get("Name")
    stem = placeholder_name(wrapper_name if isinstance(wrapper_name, str) else path.stem)
    if not _FLOW_STEM.match(stem):
        stem = f"flow_{stem}".rstrip("_")
    imported = ImportedFlow(path, stem, flow_type, document)

    metadata_names = names_from_metadata(document)
    chosen: dict[str, tuple[str, str]] = {}  # text → (type, name)
    first_seen: dict[str, str] = {}  # text → its first location
    for location, text in _references(document, mapped):
        if text in first_seen:
            continue
        first_seen[text] = location
        target, reason = _name_for(text, mapped, metadata_names)
        if target is None:
            imported.unnamed.append(Unnamed(str(path), location, text, reason))
        else:
            chosen[text] = target
    holders: dict[tuple[str, str], list[str]] = {}
    for text, target in chosen.items():
        holders.setdefault(target, []).append(text)
    for target, texts in holders.items():
        if len(texts) > 1:  # which one the name belongs to is not ours to pick
            for text in texts:
                others = ", ".join(t for t in texts if t != text)
                reason = f"{_placeholder(target)} would stand for this and {others}; choose in --map"
                imported.unnamed.append(Unnamed(str(path), first_seen[text], text, reason))
                del chosen[text]
    if imported.unnamed:
        return imported

    def convert(text: str, _location: str) -> str:
        if text in chosen:
            return _placeholder(chosen[text])
        return ARN.sub(lambda m: _placeholder(chosen[m[0]]) if m[0] in chosen else m[0], text)

    converted = map_strings(document, convert)
    assert isinstance(converted, dict)
    imported.document = converted
    for text, (kind, name) in chosen.items():
        imported.values.setdefault(kind, {})[name] = text
    return imported


def names_from_metadata(document: Mapping[str, Any]) -> dict[str, set[str]]:
    """Value → the display names the designer's metadata gives it (usually one)."""
    names: dict[str, set[str]] = {}
    metadata = document.get("Metadata")
    action_metadata = metadata.get("ActionMetadata") if isinstance(metadata, dict) else None
    if not isinstance(action_metadata, dict):
        return names
    parameters_of = {
        action.get("Identifier"): action.get("Parameters")
        for action in document.get("Actions") or []
        if isinstance(action, dict)
    }
    for identifier, node in action_metadata.items():
        for value, name in _id_text_pairs(node):
            names.setdefault(value, set()).add(name)
        shown = node.get("parameters") if isinstance(node, dict) else None
        for value, name in _display_names(shown, parameters_of.get(identifier)):
            names.setdefault(value, set()).add(name)
    return names


def _id_text_pairs(node: Any) -> Iterator[tuple[str, str]]:
    """(id, text) for every `{"id": ..., "text": ...}` object under `node` (the designer's pickers)."""
    if isinstance(node, dict):
        value, name = node.get("id"), node.get("text")
        if isinstance(value, str) and isinstance(name, str) and name.strip():
            yield value, name
        for child in node.values():
            yield from _id_text_pairs(child)
    elif isinstance(node, list):
        for child in node:
            yield from _id_text_pairs(child)


def _display_names(shown: Any, parameters: Any) -> Iterator[tuple[str, str]]:
    """(value, displayName) where metadata `parameters.X.displayName` mirrors `Parameters.X`."""
    if not isinstance(shown, dict) or not isinstance(parameters, dict):
        return
    for key, node in shown.items():
        if not isinstance(node, dict) or key not in parameters:
            continue
        value, name = parameters[key], node.get("displayName")
        if isinstance(value, str) and isinstance(name, str) and name.strip():
            yield value, name
        yield from _display_names(node, parameters[key])


def _references(document: object, mapped: Mapping[str, tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """(location, text) of every value to turn into a placeholder, in document order."""
    for location, text in strings(document):
        if text in mapped:
            yield location, text
            continue
        for match in ARN.finditer(text):
            if match["account"] != "aws":  # AWS-managed: the same in every account
                yield location, match[0]


def _name_for(
    text: str, mapped: Mapping[str, tuple[str, str]], metadata_names: Mapping[str, set[str]]
) -> tuple[tuple[str, str] | None, str]:
    """((type, name), "") for a value, or (None, why not)."""
    if text in mapped:
        return mapped[text], ""
    kind = arn_type(text)
    if kind is None:
        return None, "no placeholder type for this kind of ARN; name it in --map as type:name"
    shown = metadata_names.get(text, set())
    candidates = sorted({placeholder_name(name) for name in shown} - {""})
    if not candidates:
        return (
            None,
            f"the export's metadata does not name this {_KIND_NAMES.get(kind, kind)}; name it in --map",
        )
    if len(candidates) > 1:
        return None, f"the export's metadata names it {' and '.join(candidates)}; choose in --map"
    return (kind, candidates[0]), ""


def _placeholder(target: tuple[str, str]) -> str:
    return f"{{{{{target[0]}:{target[1]}}}}}"


__all__ = [
    "ARN",
    "FlowImportError",
    "FlowLoadError",
    "ImportedFlow",
    "Unnamed",
    "arn_type",
    "import_flow",
    "names_from_metadata",
    "placeholder_name",
    "read_map",
]
