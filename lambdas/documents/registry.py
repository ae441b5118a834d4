"""The registry of document kinds, and reading a document from text, whatever its source.

Five kinds: the IVR rules, content and calendar, the escalation policy and the experiment
(`lambdas.policy` defines each). The Lambdas (store and bundled defaults), `tandem rules
validate/push` and CDK all parse through here, so a document that passes `tandem rules validate`
is exactly one the function accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

from lambdas.documents.storage_format import (
    DOCUMENT_MAX_BYTES,
    StorageFormatError,
    check_fits,
    compact_json,
    sha256_of,
    split_parts,
)
from lambdas.policy.validation import DocumentError
from lambdas.shared.json_text import JsonInputError, json_type, loads, read_text

if TYPE_CHECKING:
    from lambdas.policy.calendar import Calendar
    from lambdas.policy.content import Content
    from lambdas.policy.escalation import EscalationPolicy
    from lambdas.policy.experiment import ExperimentDocument
    from lambdas.policy.rules import RuleSet

DEFAULTS_DIR = Path(__file__).parent / "defaults"


# Each parser imports its module when first called, so a function pays at cold start only for
# the documents it reads: escalation never loads the rules' or the content's parser.
def _parse_rules(document: Any) -> RuleSet:
    from lambdas.policy.rules import parse_rules

    return parse_rules(document)


def _parse_content(document: Any) -> Content:
    from lambdas.policy.content import parse_content

    return parse_content(document)


def _parse_calendar(document: Any) -> Calendar:
    from lambdas.policy.calendar import parse_calendar

    return parse_calendar(document)


def _parse_escalation(document: Any) -> EscalationPolicy:
    from lambdas.policy.escalation import parse_policy

    return parse_policy(document)


def _parse_experiment(document: Any) -> ExperimentDocument:
    from lambdas.policy.experiment import parse_experiment

    return parse_experiment(document)


Document: TypeAlias = "RuleSet | Content | Calendar | EscalationPolicy | ExperimentDocument"
# kind (what the document's "kind" field says) → (its name in the store and in defaults/, parser)
PARSERS: dict[str, tuple[str, Callable[[Any], Document]]] = {
    "tandem/ivr-rules": ("rules", _parse_rules),
    "tandem/ivr-content": ("content", _parse_content),
    "tandem/ivr-calendar": ("calendar", _parse_calendar),
    "tandem/escalation-policy": ("escalation", _parse_escalation),
    "tandem/ivr-experiment": ("experiment", _parse_experiment),
}
KIND_OF = {name: kind for kind, (name, _) in PARSERS.items()}
# A document file may be indented; four times what the store holds leaves room for that, and
# anything larger is refused before it is read. The canonical text must then fit the store.
DOCUMENT_FILE_MAX_BYTES = 4 * DOCUMENT_MAX_BYTES


class Parsed(NamedTuple):
    name: str  # rules | content | calendar | escalation | experiment
    revision: str
    value: Document
    canonical_text: str  # what is stored: compact JSON
    sha256: str


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
    name, parse = PARSERS[kind]
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
