"""Tables and progress bars (tandem/output.py, drawn by rich): plain off a terminal, never wrapped."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest

from tandem.output import ProgressBar, table

ANSI = re.compile(r"\x1b\[")
ANSI_CODE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_table_aligns_its_columns_under_a_ruled_header() -> None:
    text = table(["#", "queue", "calls"], [[1, "general", 19], [10, None, 3]])
    assert text.splitlines() == [
        "#   queue    calls",
        "──────────────────",
        "1   general  19",
        "10           3",
    ]


def test_a_table_off_a_terminal_is_plain_text_without_trailing_spaces() -> None:
    # pytest captures stdout, so it is not a terminal here, as in a pipe or a file.
    text = table(["scenario", "outcome"], [["VIP complaint", "queued"], ["", ""]])
    assert not ANSI.search(text)
    assert all(line == line.rstrip() for line in text.splitlines())


def test_a_long_cell_is_never_wrapped_or_cut_whatever_the_terminal_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    answer = "You can return most items within 30 days of delivery for a full refund. " * 3
    lines = table(["rule", "answer"], [["routine-self-service", answer.strip()]]).splitlines()
    assert len(lines) == 3
    assert lines[2] == f"routine-self-service  {answer.strip()}"


def test_wide_characters_and_combining_marks_keep_the_columns_aligned() -> None:
    decomposed = unicodedata.normalize("NFD", "giờ mở cửa")  # 10 cells, 14 code points
    lines = table(["caller said", "route"], [["你好", "AGENT"], [decomposed, "SELF_SERVICE"]]).splitlines()
    # A CJK character takes two cells and a combining mark none: the next column starts at cell 13.
    assert lines[2] == "你好" + " " * 9 + "AGENT"
    assert lines[3] == decomposed + "   SELF_SERVICE"


def test_on_a_terminal_the_header_is_bold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr("sys.stdout", Terminal())
    text = table(["queue"], [["general"]])
    assert "\x1b[1mqueue" in text
    assert "general" in text


def test_progress_off_a_terminal_is_a_plain_line_each_tenth() -> None:
    stream = io.StringIO()
    bar = ProgressBar(20, stream)
    for done in range(1, 21):
        bar.update(done)
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert [line.split(" calls")[0].strip() for line in lines] == [f"{n}/20" for n in range(2, 21, 2)]
    assert lines[-1].startswith("  20/20 calls (100%), ")
    assert lines[-1].endswith(" calls/s")
    assert not ANSI.search(stream.getvalue())


def test_progress_on_a_terminal_redraws_one_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "120")  # a terminal's width; this stand-in has no size of its own
    stream = Terminal()
    bar = ProgressBar(5, stream)
    for done in range(1, 6):
        bar.update(done)
    bar.finish()
    drawn = stream.getvalue()
    # Each update redraws the same line in place; the one newline comes at the end, after 100%.
    assert drawn.count("\r") >= 5
    assert drawn.count("\n") == 1
    last = ANSI_CODE.sub("", drawn.rstrip("\n").split("\r")[-1].split("\n")[0])
    assert "5/5 calls (100%)" in last
    assert "━" in last  # the bar itself
