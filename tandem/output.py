"""Readable tables and machine-readable JSON for every CLI command."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers]] + [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


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
