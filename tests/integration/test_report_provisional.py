"""`tandem report` marks provisional days: those whose recontact window is still open at report time.

A day is provisional while the end of the day in the centre's zone plus the recontact window is
after now. Every test pins "now" (`tandem.commands.report.utc_now`); none reads the wall clock.
Counters are written straight into the sandbox's Metrics table, as ctr_ingest would leave them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tandem.cli import main
from tandem.kpi_report import Provisional, build_report
from tandem.local import Sandbox
from tests.integration.test_report import put

NEW_YORK = ZoneInfo("America/New_York")
NOON_25TH = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 12:00 in New York
RANGE = ["--from", "2026-11-20", "--to", "2026-11-25"]
# 11-20 .. 11-24: n calls on the n-th day; intent OLD only on the 20th, NEW only on the 23rd.
COUNTERS = [("all", f"2026-11-{20 + n}", "all", {"contacts": n + 1, "contained": 1}) for n in range(5)] + [
    ("intent", "2026-11-20", "OLD", {"contacts": 1}),
    ("intent", "2026-11-23", "NEW", {"contacts": 4}),
]


@pytest.fixture
def cli(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for dimension, day, value, amounts in COUNTERS:
        put(box, dimension, day, value, amounts)
    monkeypatch.setattr("tandem.local.sandbox", lambda **_: contextlib.nullcontext(box))
    return box


def pin(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr("tandem.commands.report.utc_now", lambda: moment)


def report_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["report", *RANGE, "--format", "json", *argv]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_days_whose_window_is_open_are_provisional_in_json(
    cli: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given now is noon on the 25th in New York and a 72-hour window
    pin(monkeypatch, NOON_25TH)
    document = report_json(capsys, "--by", "intent")
    # Then the 22nd (ends 23rd 00:00, + 72 h = 26th 00:00, after now) and later are provisional
    assert document["provisionalDays"] == ["2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25"]
    assert [(d["day"], d["contacts"], d["provisional"]) for d in document["daily"]] == [
        ("2026-11-20", 1, False),
        ("2026-11-21", 2, False),
        ("2026-11-22", 3, True),
        ("2026-11-23", 4, True),
        ("2026-11-24", 5, True),
    ]
    # And a row is provisional when any of its counters is on a provisional day
    assert [(r["value"], r["provisional"]) for r in document["rows"]] == [("NEW", True), ("OLD", False)]
    assert document["recontactWindowHours"] == 72
    assert document["timeZone"] == "America/New_York"
    assert document["asOf"] == NOON_25TH.isoformat()


def test_the_window_option_moves_the_boundary(
    cli: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pin(monkeypatch, NOON_25TH)
    document = report_json(capsys, "--recontact-window-hours", "24")
    assert document["provisionalDays"] == ["2026-11-24", "2026-11-25"]
    assert document["recontactWindowHours"] == 24


def test_a_day_is_final_exactly_when_its_window_closes(
    cli: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # At midnight starting the 25th in New York, the 21st's window (22nd 00:00 + 72 h) has just closed
    pin(monkeypatch, datetime(2026, 11, 25, 0, 0, tzinfo=NEW_YORK))
    assert report_json(capsys)["provisionalDays"][0] == "2026-11-22"
    # A second earlier, it was still open
    pin(monkeypatch, datetime(2026, 11, 24, 23, 59, 59, tzinfo=NEW_YORK))
    assert report_json(capsys)["provisionalDays"][0] == "2026-11-21"


def test_days_end_in_the_centres_zone(
    cli: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # 03:00 UTC on the 25th is 22:00 on the 24th in New York: the 21st is still open there
    pin(monkeypatch, datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    assert report_json(capsys)["provisionalDays"][0] == "2026-11-21"
    assert report_json(capsys, "--time-zone", "UTC")["provisionalDays"][0] == "2026-11-22"


def test_a_range_long_closed_has_no_provisional_day(
    cli: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pin(monkeypatch, NOON_25TH)
    assert main(["report", "--from", "2026-11-01", "--to", "2026-11-21", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["provisionalDays"] == []
    assert [d["provisional"] for d in document["daily"]] == [False, False]
    assert main(["report", "--from", "2026-11-01", "--to", "2026-11-21"]) == 0
    assert "Provisional" not in capsys.readouterr().out


def test_table_and_csv_mark_them(
    cli: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pin(monkeypatch, NOON_25TH)
    assert main(["report", *RANGE, "--by", "intent"]) == 0
    out = capsys.readouterr().out
    assert "Provisional: 2026-11-22 to 2026-11-25. Their recontact window (72 h) is still open" in out
    rows = {line.split()[1]: line.split() for line in out.splitlines() if line[:1].isdigit()}
    assert rows["NEW"][-1] == "yes"
    assert rows["OLD"][-1] != "yes"
    assert main(["report", *RANGE, "--by", "intent", "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["value"], r["provisional"]) for r in table] == [
        ("all", "true"),
        ("NEW", "true"),
        ("OLD", "false"),
    ]


def test_without_a_clock_build_report_judges_nothing(cli: Sandbox) -> None:
    dynamodb, table = cli.client("dynamodb"), cli.table_names["METRICS_TABLE"]
    unjudged = build_report(dynamodb, table, date(2026, 11, 20), date(2026, 11, 25))
    assert unjudged.provisional_days == []
    assert not any(d.provisional for d in unjudged.daily)
    judged = build_report(
        dynamodb,
        table,
        date(2026, 11, 20),
        date(2026, 11, 25),
        provisional=Provisional(NEW_YORK, timedelta(hours=72), NOON_25TH),
    )
    assert judged.provisional_days == [date(2026, 11, d) for d in (22, 23, 24, 25)]
    assert unjudged.overall == judged.overall  # the figures themselves are the same


@pytest.mark.parametrize("argv", [["--recontact-window-hours", "0"], ["--time-zone", "Mars/Olympus"]])
def test_bad_window_or_zone_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["report", *RANGE, *argv])
    assert exited.value.code == 2
    assert "Traceback" not in capsys.readouterr().err
