"""Load an Amazon Connect flow from a file, whatever shape it was exported in.

Three shapes occur in the wild: a raw flow-language document (`Version`, `StartAction`, `Actions`),
a `DescribeContactFlow` response (`{"ContactFlow": {"Content": "<json string>", ...}}`) and the
bare wrapper many pipelines keep (`{"Name", "Type", "Content": "<json string>"}`). `read_content`
reads a file of any shape and unwraps it (synth uses it); `load_flow` adds the check that the
content is flow language. Loading never raises for bad content: what cannot be read becomes a
`Finding` on `LoadedFlow.problems`, so the linter reports it like any other problem and the
simulator can refuse the flow with one line.

Size: Connect takes at most 256,000 characters of flow content (`FLOW_CONTENT_MAX_CHARS`). A
file larger than four bytes per such character (the most UTF-8 takes) is refused unread; then the
content itself is measured — a wrapper's `Content` string before it is parsed, a raw file's text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lambdas.shared.json_text import JsonInputError, json_type, loads, read_text

FLOW_VERSION = "2019-10-30"
# CloudFormation's (and Connect's) limit on a flow's Content.
FLOW_CONTENT_MAX_CHARS = 256_000
FLOW_FILE_MAX_BYTES = 4 * FLOW_CONTENT_MAX_CHARS

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# Where the document came from inside the file.
RAW = "document"
DESCRIBE_WRAPPER = "ContactFlow.Content"
DESCRIBE_MODULE_WRAPPER = "ContactFlowModule.Content"
CONTENT_WRAPPER = "Content"


@dataclass(frozen=True)
class Finding:
    """One problem in one flow file; `action` is the action's Identifier, or "" for the document."""

    file: str
    action: str
    rule: str
    severity: Severity
    message: str
    position: int = -1  # index in Actions, for ordering; -1 for the document as a whole

    def to_dict(self) -> dict[str, str]:
        return {
            "file": self.file,
            "action": self.action,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = f" {self.action}:" if self.action else ""
        return f"{self.file}:{where} {self.severity} {self.rule}: {self.message}"


class FlowLoadError(ValueError):
    """A flow file that cannot be used; the message is one line naming the file and the problem."""


@dataclass(frozen=True)
class LoadedFlow:
    """A flow file after loading: `.document` is the flow-language dict ({} when unusable)."""

    path: Path
    document: dict[str, Any]
    origin: str = RAW  # RAW, DESCRIBE_WRAPPER or CONTENT_WRAPPER
    problems: tuple[Finding, ...] = ()
    wrapper: dict[str, Any] = field(default_factory=dict)  # Name, Type ... of a wrapper, minus Content

    @property
    def source(self) -> str:
        """The file as given, for messages."""
        return str(self.path)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def ok(self) -> bool:
        return not self.problems

    def require(self) -> LoadedFlow:
        """This flow, or FlowLoadError with the first loading problem or duplicate identifier."""
        if self.problems:
            raise FlowLoadError(str(self.problems[0]))
        for position, identifier, first in duplicate_identifiers(self.document):
            raise FlowLoadError(f"{self.source}: {duplicate_message(identifier, first, position)}")
        return self


def duplicate_identifiers(document: dict[str, Any]) -> Iterator[tuple[int, str, int]]:
    """(position, Identifier, position of its first use) for each action reusing an Identifier."""
    first: dict[str, int] = {}
    actions = document.get("Actions")
    for position, action in enumerate(actions if isinstance(actions, list) else []):
        identifier = action.get("Identifier") if isinstance(action, dict) else None
        if isinstance(identifier, str):
            earlier = first.setdefault(identifier, position)
            if earlier != position:
                yield position, identifier, earlier


def duplicate_message(identifier: str, first: int, position: int) -> str:
    return (
        f"Identifier {identifier!r} is used by Actions[{first}] and Actions[{position}]; "
        "identifiers must be unique"
    )


@dataclass(frozen=True)
class FlowContent:
    """What a flow file holds once read and unwrapped, before anything checks it is flow language."""

    origin: str  # RAW, DESCRIBE_WRAPPER, DESCRIBE_MODULE_WRAPPER or CONTENT_WRAPPER
    content: Any  # the parsed document
    wrapper: dict[str, Any]  # Name, Type ... of a wrapper, minus Content


class FlowFileError(FlowLoadError):
    """A flow file that cannot be read: `rule` names the problem, `detail` says it without the file."""

    def __init__(self, path: Path, rule: str, detail: str, origin: str = RAW) -> None:
        super().__init__(f"{path}: {detail}")
        self.path, self.rule, self.detail, self.origin = path, rule, detail, origin


def read_content(path: str | Path) -> FlowContent:
    """Read `path` as a raw document or a wrapper whose `Content` holds one (a JSON string or an
    object), within Connect's size limit; FlowFileError (one line) when it cannot be."""
    path = Path(path)
    try:
        text = read_text(path, max_bytes=FLOW_FILE_MAX_BYTES, what="flow file")
        top = loads(text)
    except JsonInputError as error:
        raise FlowFileError(path, "json-invalid", str(error)) from None

    origin, content, wrapper = _unwrap(top)
    measured = text if origin == RAW else content
    if isinstance(measured, str) and len(measured) > FLOW_CONTENT_MAX_CHARS:
        what = "the flow" if origin == RAW else origin
        message = (
            f"{what} is {len(measured):,} characters; Connect accepts at most {FLOW_CONTENT_MAX_CHARS:,}"
        )
        raise FlowFileError(path, "too-large", message, origin)
    if origin != RAW and isinstance(content, str):
        try:
            content = loads(content)
        except JsonInputError as error:
            raise FlowFileError(path, "json-invalid", f"{origin}: {error}", origin) from None
    return FlowContent(origin, content, wrapper)


def load_flow(path: str | Path) -> LoadedFlow:
    """Read `path` as a raw flow-language document or a wrapper whose `Content` holds one."""
    path = Path(path)
    try:
        read = read_content(path)
    except FlowFileError as error:
        return _unusable(path, error.rule, error.detail, error.origin)
    problem = _not_flow_language(read.content)
    if problem:
        inside = f" ({read.origin})" if read.origin != RAW else ""
        return _unusable(path, "not-flow-language", f"not flow language{inside}: {problem}", read.origin)
    assert isinstance(read.content, dict)
    return LoadedFlow(path, read.content, read.origin, (), read.wrapper)


def _unwrap(top: Any) -> tuple[str, Any, dict[str, Any]]:
    if isinstance(top, dict) and "Actions" not in top:
        for key, origin in (
            ("ContactFlow", DESCRIBE_WRAPPER),
            ("ContactFlowModule", DESCRIBE_MODULE_WRAPPER),
        ):
            inner = top.get(key)
            if isinstance(inner, dict) and "Content" in inner:
                return origin, inner["Content"], {k: v for k, v in inner.items() if k != "Content"}
        if "Content" in top:
            return CONTENT_WRAPPER, top["Content"], {k: v for k, v in top.items() if k != "Content"}
    return RAW, top, {}


def _not_flow_language(content: Any) -> str:
    """Why `content` is not a flow-language document, or "" when it looks like one."""
    if isinstance(content, dict) and isinstance(content.get("modules"), list):
        return (
            "a legacy 'modules' export, which Connect can no longer import or deploy; "
            "re-export it from the console or take ContactFlow.Content from DescribeContactFlow"
        )
    if not isinstance(content, dict):
        return f"expected a JSON object, found a JSON {json_type(content)}"
    if not {"Version", "StartAction", "Actions"} & content.keys():
        keys = ", ".join(sorted(content)[:5]) or "none"
        return f"no Version, StartAction or Actions (top-level keys: {keys})"
    return ""


def _unusable(path: Path, rule: str, message: str, origin: str = RAW) -> LoadedFlow:
    return LoadedFlow(path, {}, origin, (Finding(str(path), "", rule, "error", message),))
