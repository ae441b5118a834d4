"""Readable tables and machine-readable JSON for every CLI command."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO, TypeVar

T = TypeVar("T")

# Text output shows this many findings or problems; JSON output always carries every one.
TEXT_LIMIT = 50


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers]] + [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def capped(items: Sequence[T], limit: int = TEXT_LIMIT) -> tuple[Sequence[T], str]:
    """The first `limit` items, and a line saying how many more there are ("" when none are left out)."""
    if len(items) <= limit:
        return items, ""
    return items[:limit], f"… and {len(items) - limit:,} more (--format json lists every one)"


def emit_json(document: Any, stream: TextIO | None = None) -> None:
    json.dump(document, stream or sys.stdout, indent=2, ensure_ascii=False, default=str)
    (stream or sys.stdout).write("\n")


def mask_phone(number: str) -> str:
    """Show enough of a number to tell demo callers apart, never the whole of it."""
    digits = [c for c in number if c.isdigit()]
    if any(c.isalpha() for c in number):
        return number if len(number) <= 12 else "(not a phone)"
    if len(digits) < 7:
        return "•" * len(number)
    return f"{'+' if number.startswith('+') else ''}{''.join(digits[:2])}•••••{''.join(digits[-2:])}"


# A whole value that is a phone number: E.164-ish, NANP national "(202) 555-0107", UK national.
_PHONE_VALUE = re.compile(
    r"^(?:\+[\d\s().-]{7,20}|\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}|0\d{2,4}[\s-]?\d{5,8})$"
)
_PHONE_IN_TEXT = re.compile(r"\+\d{7,15}\b")


def masked(value: Any) -> Any:
    """`value` with every phone number masked (whole values and numbers inside text)."""
    if isinstance(value, str):
        if _PHONE_VALUE.match(value) and sum(c.isdigit() for c in value) >= 7:
            return mask_phone(value)
        return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), value)
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(v) for v in value]
    return value
