"""Readable tables, progress bars and machine-readable JSON for every CLI command.

Tables and progress bars are drawn by rich (docs/decision_log.md, 2026-12-04). Tables come back as
text so a command can place them among its other lines: plain, never wrapped and as wide as their
cells on any terminal, so captured output reads the same everywhere. Escape codes are written only
to a terminal (a bold header, a live bar); a pipe, a file or a test gets plain text.
"""

from __future__ import annotations

import io
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

T = TypeVar("T")

# Text output shows this many findings or problems; JSON output always carries every one.
TEXT_LIMIT = 50


# Wider than any table a command draws, so rich never wraps or truncates a cell to fit a terminal.
TABLE_WIDTH = 10_000


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned columns two spaces apart under a ruled header; None shows as an empty cell."""
    styled = sys.stdout.isatty()
    grid = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        header_style="bold" if styled else "",
    )
    for header in headers:
        grid.add_column(str(header), no_wrap=True, overflow="ignore")
    for row in rows:
        grid.add_row(*("" if cell is None else str(cell) for cell in row))
    text = io.StringIO()
    console = Console(
        file=text,
        width=TABLE_WIDTH,
        force_terminal=styled,
        color_system="auto" if styled else None,
        highlight=False,
        markup=False,
        emoji=False,
    )
    console.print(grid)
    return "\n".join(line.rstrip() for line in text.getvalue().rstrip("\n").split("\n"))


class ProgressBar:
    """A live bar on a terminal; elsewhere (a log, a pipe, a test) a line each tenth of the way.

    `update(done)` after each item, `finish()` after the last.
    """

    def __init__(self, total: int, stream: TextIO, unit: str = "calls") -> None:
        self.total = total
        self.interactive = stream.isatty()
        self.console = Console(
            file=stream,
            highlight=False,
            force_terminal=self.interactive,
            color_system="auto" if self.interactive else None,
            width=None if self.interactive else TABLE_WIDTH,
        )
        self.progress = Progress(
            TextColumn(" "),
            *([BarColumn()] if self.interactive else []),
            MofNCompleteColumn(),
            TextColumn(f"{unit} ({{task.percentage:.0f}}%),"),
            TextColumn(f"{{task.fields[rate]:.0f}} {unit}/s"),
            *([TimeElapsedColumn()] if self.interactive else []),
            console=self.console,
            auto_refresh=False,  # redrawn on each update: no thread left behind if the caller fails
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.task: TaskID = self.progress.add_task(unit, total=total, rate=0.0)
        self.started = time.perf_counter()
        self.tenths_shown = 0
        if self.interactive:
            self.progress.start()

    def update(self, done: int) -> None:
        rate = done / max(time.perf_counter() - self.started, 1e-9)
        self.progress.update(self.task, completed=done, rate=rate, refresh=self.interactive)
        tenths = done * 10 // self.total if self.total else 10
        if not self.interactive and (tenths > self.tenths_shown or done == self.total):
            self.tenths_shown = tenths
            self.console.print(self.progress.make_tasks_table(self.progress.tasks))

    def finish(self) -> None:
        if self.interactive:
            self.progress.stop()


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


def add_page_output(parser: Any) -> None:
    """`--output FILE`: where `--format html` writes its page (standard output without it)."""
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="with --format html: write the page to FILE (default: standard output)",
    )


def write_page(command: str, text: str, output: Path | None) -> int:
    """The page to standard output, or to `output` and one line saying where (1 when it cannot be written)."""
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"{command}: --output {output}: cannot write it ({error.strerror or error})", file=sys.stderr)
        return 1
    print(f"{command}: wrote {output} ({len(text.encode()):,} bytes)")
    return 0
