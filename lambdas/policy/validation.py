"""Schema checks every document shares: problems collected with the place they were found, the
header, and the identifier formats."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# The identifiers every document shares: rule ids, reason and intent codes, queue names.
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,47}$")
QUEUE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class DocumentError(ValueError):
    """A document is invalid; `problems` lists every problem, each naming where it is."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(problems[0] + more)


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}" if where else message)

    def raise_if_any(self) -> None:
        if self.items:
            raise DocumentError(self.items)


def check_keys(
    problems: Problems,
    where: str,
    value: Any,
    *,
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
) -> bool:
    """Is `value` an object with the required keys and no unknown ones? Records what is wrong."""
    if not isinstance(value, Mapping):
        problems.add(where, f"must be an object, got {type_name(value)}")
        return False
    ok = True
    for key in required:
        if key not in value:
            problems.add(where, f"missing field {key!r}")
            ok = False
    for key in value:
        if key not in required and key not in optional:
            allowed = ", ".join(required + optional)
            problems.add(where, f"unknown field {key!r} (allowed: {allowed})")
            ok = False
    return ok


def check_header(problems: Problems, document: Mapping[str, Any], kind: str) -> None:
    if document.get("kind") != kind:
        problems.add("kind", f"must be {kind!r}, got {document.get('kind')!r}")
    version = document.get("schemaVersion")
    if type(version) is not int or version != 1:  # `true == 1` in Python
        problems.add("schemaVersion", f"must be 1, got {version!r}")
    revision = document.get("revision")
    if not isinstance(revision, str) or not REVISION.match(revision):
        problems.add("revision", f"must be a short label like 2026-11-23.1, got {revision!r}")


def join(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def type_name(value: Any) -> str:
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


HEADER_FIELDS = ("kind", "schemaVersion", "revision", "description")
