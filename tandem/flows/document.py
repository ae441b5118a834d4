"""Load an Amazon Connect flow from a file, whatever shape it was exported in.

Three shapes occur in the wild: a raw flow-language document (`Version`, `StartAction`, `Actions`),
a `DescribeContactFlow` response (`{"ContactFlow": {"Content": "<json string>", ...}}`) and the
bare wrapper many pipelines keep (`{"Name", "Type", "Content": "<json string>"}`). Loading never
raises for bad content: what cannot be read becomes a `Finding` on `LoadedFlow.problems`, so the
linter reports it like any other problem and the simulator can refuse the flow with one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

FLOW_VERSION = "2019-10-30"
MAX_DEPTH = 64  # real flows nest about 8 levels; far deeper is not a flow and would exhaust the stack

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# Where the document came from inside the file.
RAW = "document"
DESCRIBE_WRAPPER = "ContactFlow.Content"
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
        """This flow, or FlowLoadError with the first loading problem."""
        if self.problems:
            raise FlowLoadError(str(self.problems[0]))
        return self


def load_flow(path: str | Path) -> LoadedFlow:
    """Read `path` as a raw flow-language document or a wrapper whose `Content` holds one."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return _unusable(path, "json-invalid", f"cannot read the file: {reason}")
    try:
        top = json.loads(text)
    except json.JSONDecodeError as error:
        return _unusable(path, "json-invalid", f"invalid JSON at {_where(error)}")
    except RecursionError:
        return _unusable(path, "json-invalid", "JSON nested too deeply to read")

    origin, content, wrapper = _unwrap(top)
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except json.JSONDecodeError as error:
            return _unusable(path, "json-invalid", f"invalid JSON in {origin} at {_where(error)}", origin)
        except RecursionError:
            return _unusable(path, "json-invalid", f"JSON in {origin} nested too deeply to read", origin)
    if _depth(content) > MAX_DEPTH:
        return _unusable(path, "json-invalid", f"JSON nested more than {MAX_DEPTH} levels deep", origin)
    problem = _not_flow_language(content)
    if problem:
        inside = f" ({origin})" if origin != RAW else ""
        return _unusable(path, "not-flow-language", f"not flow language{inside}: {problem}", origin)
    assert isinstance(content, dict)
    return LoadedFlow(path, content, origin, (), wrapper)


def _unwrap(top: Any) -> tuple[str, Any, dict[str, Any]]:
    if isinstance(top, dict) and "Actions" not in top:
        inner = top.get("ContactFlow")
        if isinstance(inner, dict) and "Content" in inner:
            return DESCRIBE_WRAPPER, inner["Content"], {k: v for k, v in inner.items() if k != "Content"}
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
        return f"expected a JSON object, found {type(content).__name__}"
    if not {"Version", "StartAction", "Actions"} & content.keys():
        keys = ", ".join(sorted(content)[:5]) or "none"
        return f"no Version, StartAction or Actions (top-level keys: {keys})"
    return ""


def _unusable(path: Path, rule: str, message: str, origin: str = RAW) -> LoadedFlow:
    return LoadedFlow(path, {}, origin, (Finding(str(path), "", rule, "error", message),))


def _where(error: json.JSONDecodeError) -> str:
    return f"line {error.lineno} column {error.colno}: {error.msg}"


def _depth(value: Any) -> int:
    """How deeply `value` nests (a scalar is 0), without recursion."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, depth + 1)
            if deepest > MAX_DEPTH:
                return deepest
            pending.extend((child, depth + 1) for child in children)
    return deepest
