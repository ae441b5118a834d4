"""The three IVR documents — rules, content, calendar — read from text, whatever their source.

The Lambda (store and bundled defaults), `tandem rules validate/push` and CDK all parse through
here, so a document that passes `tandem rules validate` is exactly one the function accepts.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdas.ivr_decision.storage_format import (
    DOCUMENT_MAX_BYTES,
    StorageFormatError,
    check_fits,
    compact_json,
    sha256_of,
    split_parts,
)
from lambdas.ivr_decision.validation import DocumentError
from lambdas.shared.json_text import JsonInputError, json_type, loads, read_text

if TYPE_CHECKING:
    from lambdas.escalation.policy import EscalationPolicy
    from lambdas.ivr_decision.calendar import Calendar
    from lambdas.ivr_decision.content import Content
    from lambdas.ivr_decision.ruleset import RuleSet

DEFAULTS_DIR = Path(__file__).parent / "defaults"

# kind → (document name in the store, "module:parser"). Parsers are imported on first use, so a
# function pays at cold start only for the documents it reads (escalation never loads content).
PARSERS: dict[str, tuple[str, str]] = {
    "tandem/ivr-rules": ("rules", "lambdas.ivr_decision.ruleset:parse_rules"),
    "tandem/ivr-content": ("content", "lambdas.ivr_decision.content:parse_content"),
    "tandem/ivr-calendar": ("calendar", "lambdas.ivr_decision.calendar:parse_calendar"),
    "tandem/escalation-policy": ("escalation", "lambdas.escalation.policy:parse_policy"),
}
KIND_OF = {name: kind for kind, (name, _) in PARSERS.items()}
# A document file may be indented; four times what the store holds leaves room for that, and
# anything larger is refused before it is read. The canonical text must then fit the store.
DOCUMENT_FILE_MAX_BYTES = 4 * DOCUMENT_MAX_BYTES


def parser_for(kind: str) -> Callable[[Any], Any]:
    module, function = PARSERS[kind][1].split(":")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Parsed:
    name: str  # rules | content | calendar
    revision: str
    value: RuleSet | Content | Calendar | EscalationPolicy
    canonical_text: str  # what is stored: compact JSON
    sha256: str


@dataclass(frozen=True)
class Documents:
    """The documents a decision is made with, and where each one came from."""

    rules: RuleSet
    content: Content
    calendar: Calendar
    sources: dict[str, str]  # name → "store" | "bundled"

    @property
    def revision(self) -> str:
        return self.rules.revision


def parse_text(text: str, expected: str | None = None) -> Parsed:
    """Parse a document from JSON text; `expected` ("rules", ...) also checks its kind."""
    try:
        raw = loads(text)
    except JsonInputError as error:
        raise DocumentError([str(error)]) from None
    if not isinstance(raw, dict):
        raise DocumentError([f"expected a JSON object with a kind, found a JSON {json_type(raw)}"])
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in PARSERS:
        kinds = ", ".join(PARSERS)
        raise DocumentError([f"kind: must be one of {kinds}, got {kind!r}"])
    name = PARSERS[kind][0]
    parse = parser_for(kind)
    if expected is not None and name != expected:
        raise DocumentError([f"kind: expected a {expected} document ({KIND_OF[expected]}), got {kind!r}"])
    value = parse(raw)
    canonical = compact_json(raw)
    try:
        check_fits(name, split_parts(canonical))
    except StorageFormatError as error:
        raise DocumentError([str(error)]) from None
    return Parsed(name, value.revision, value, canonical, sha256_of(canonical))


def parse_file(path: Path, expected: str | None = None) -> Parsed:
    try:
        text = read_text(path, max_bytes=DOCUMENT_FILE_MAX_BYTES, what="document file")
    except JsonInputError as error:
        raise DocumentError([str(error)]) from None
    return parse_text(text, expected)


def bundled_defaults(names: tuple[str, ...] = ("rules", "content", "calendar")) -> dict[str, Parsed]:
    """The defaults packaged with the function: what it serves until the store says otherwise."""
    return {name: parse_file(DEFAULTS_DIR / f"{name}.json", name) for name in names}
