"""The three IVR documents — rules, content, calendar — read from text, whatever their source.

The Lambda (store and bundled defaults), `tandem rules validate/push` and CDK all parse through
here, so a document that passes `tandem rules validate` is exactly one the function accepts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdas.ivr_decision import calendar, content, ruleset
from lambdas.ivr_decision.calendar import Calendar
from lambdas.ivr_decision.content import Content
from lambdas.ivr_decision.ruleset import RuleSet
from lambdas.ivr_decision.storage_format import compact_json, sha256_of
from lambdas.ivr_decision.validation import DocumentError

DEFAULTS_DIR = Path(__file__).parent / "defaults"

# kind → (document name in the store, parser)
PARSERS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    ruleset.KIND: ("rules", ruleset.parse_rules),
    content.KIND: ("content", content.parse_content),
    calendar.KIND: ("calendar", calendar.parse_calendar),
}
KIND_OF = {name: kind for kind, (name, _) in PARSERS.items()}


def register_kind(kind: str, name: str, parser: Callable[[Any], Any]) -> None:
    """Add a document kind kept in the same store (escalation registers its policy this way)."""
    PARSERS[kind] = (name, parser)
    KIND_OF[name] = kind


@dataclass(frozen=True)
class Parsed:
    name: str  # rules | content | calendar
    revision: str
    value: RuleSet | Content | Calendar
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
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise DocumentError(
            [f"not valid JSON: line {error.lineno} column {error.colno}: {error.msg}"]
        ) from None
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if not isinstance(kind, str) or kind not in PARSERS:
        kinds = ", ".join(PARSERS)
        raise DocumentError([f"kind: must be one of {kinds}, got {kind!r}"])
    name, parse = PARSERS[kind]
    if expected is not None and name != expected:
        raise DocumentError([f"kind: expected a {expected} document ({KIND_OF[expected]}), got {kind!r}"])
    value = parse(raw)
    canonical = compact_json(raw)
    return Parsed(name, value.revision, value, canonical, sha256_of(canonical))


def parse_file(path: Path, expected: str | None = None) -> Parsed:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DocumentError([f"cannot read: {getattr(error, 'strerror', None) or error}"]) from None
    return parse_text(text, expected)


def bundled_defaults(names: tuple[str, ...] = ("rules", "content", "calendar")) -> dict[str, Parsed]:
    """The defaults packaged with the function: what it serves until the store says otherwise."""
    return {name: parse_file(DEFAULTS_DIR / f"{name}.json", name) for name in names}
