"""`tandem report --format html`: one self-contained page whose charts carry the report's own numbers.

Counters are test_report's hand-checked `DAYS`, written straight into the sandbox's Metrics table.
"Now" is pinned (`tandem.commands.report.utc_now`) the day after the range ends, so its last day is
provisional; no test reads the wall clock. Each chart's data are decoded from the page's plotly
figure JSON and compared with `--format json` of the same report.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lambdas.shared.kpi import KPI_NAMES
from tandem.cli import main
from tandem.html.report import BY_DAY_ID, BY_VALUE_ID, CONTACTS, DURATIONS, RATES
from tandem.local import Sandbox
from tests.html_support import figures, parse
from tests.integration.test_report import DAYS, put

RANGE = ["--from", "2026-01-10", "--to", "2026-03-15"]
AFTER_THE_RANGE = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)  # 2026-03-15's 72-hour window is open


@pytest.fixture
def cli(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for dimension, day, value, amounts in DAYS:
        put(box, dimension, day, value, amounts)
    monkeypatch.setattr("tandem.local.sandbox", lambda **_: contextlib.nullcontext(box))
    monkeypatch.setattr("tandem.commands.report.utc_now", lambda: AFTER_THE_RANGE)
    return box


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["report", *RANGE, *argv]) == 0
    return capsys.readouterr().out


def as_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    return json.loads(run(capsys, *argv, "--format", "json"))  # type: ignore[no-any-return]


def test_the_page_loads_nothing_from_elsewhere(cli: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    page = parse(run(capsys, "--format", "html", "--by", "intent"))
    # No script, stylesheet or other resource comes from a URL (or any file beside the page)
    assert page.remote == []
    # plotly.js itself is inline: the page's one big script, and every figure script is inline too
    assert max(len(script) for script in page.scripts) > 1_000_000
    assert sum(s.lstrip().startswith("window.PLOTLYENV") for s in page.scripts) == 2


def test_the_title_says_range_source_and_provisional_days(
    cli: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    title = parse(run(capsys, "--format", "html")).title
    assert title.startswith("Tandem KPIs 2026-01-10 to 2026-03-15, in-process sandbox")
    assert "METRICS" in title.upper()
    assert title.endswith("provisional 2026-03-13 to 2026-03-15")  # the last 72 h of days


def test_kpis_by_day_are_the_reports_daily_figures(cli: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    document = as_json(capsys)
    chart = figures(run(capsys, "--format", "html"))[BY_DAY_ID]
    daily = document["daily"]
    # The JSON's days carry every KPI of that day's counters (checked by hand against DAYS for one day)
    assert [d["day"] for d in daily] == ["2026-01-10", "2026-01-11", "2026-03-15"]
    assert set(daily[0]["kpis"]) == set(KPI_NAMES)
    assert daily[0]["kpis"]["containmentRate"] == 4 / 10
    assert daily[1]["kpis"]["abandonRate"] == 0
    assert daily[1]["kpis"]["averageHandleSeconds"] == 300
    # Each chart series is exactly the JSON's figure for each day, in day order
    contacts = chart.trace(CONTACTS)
    assert contacts["x"] == [d["day"] for d in daily]
    assert contacts["y"] == [d["contacts"] for d in daily] == [10, 6, 4]
    for key, _ in (*RATES, *DURATIONS):
        trace = chart.trace(key)
        assert trace["x"] == [d["day"] for d in daily]
        assert trace["y"] == [d["kpis"][key] for d in daily], key
    # The provisional day's bar stands out from the final days'
    colours = contacts["marker"]["color"]
    assert colours[0] == colours[1] != colours[2]


def test_kpis_by_value_are_the_reports_rows(cli: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    rows = as_json(capsys, "--by", "route")["rows"]
    chart = figures(run(capsys, "--format", "html", "--by", "route"))[BY_VALUE_ID]
    values = [row["value"] for row in rows]
    assert values == ["AGENT", "SELF_SERVICE", "CALLBACK", "NONE"]
    assert chart.trace(CONTACTS)["x"] == values
    assert chart.trace(CONTACTS)["y"] == [row["counts"]["contacts"] for row in rows] == [10, 7, 2, 1]
    for key, _ in RATES:
        assert chart.trace(key)["x"] == values
        assert chart.trace(key)["y"] == [row["kpis"][key] for row in rows], key


def test_without_by_the_headline_rates_are_charted(cli: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    overall = as_json(capsys)["overall"]["kpis"]
    chart = figures(run(capsys, "--format", "html"))[BY_VALUE_ID]
    assert chart.trace("overall")["y"] == [overall[key] for key, _ in RATES]
    assert overall["containmentRate"] == 7 / 20


def test_the_tables_follow_the_charts(cli: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    page = run(capsys, "--format", "html", "--by", "route")
    table = run(capsys, "--by", "route")
    # The table format's KPI tables, escaped into the page: the same figures in words
    headline = next(line for line in table.splitlines() if line.startswith("containment"))
    assert headline in page
    assert "<pre>" in page and "&lt;" not in table


def test_output_writes_the_file_and_says_where(
    cli: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "kpis.html"
    printed = run(capsys, "--format", "html", "--by", "intent", "--output", str(target))
    # One line, naming the file; the file is the page standard output would have carried
    assert printed.count("\n") == 1
    assert str(target) in printed
    assert target.read_text(encoding="utf-8") == run(capsys, "--format", "html", "--by", "intent")


def test_an_output_that_cannot_be_written_is_a_one_line_error(
    cli: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for target in (tmp_path / "no-such-directory" / "kpis.html", tmp_path):
        assert main(["report", *RANGE, "--format", "html", "--output", str(target)]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.count("\n") == 1
        assert captured.err.startswith(f"tandem report: --output {target}: cannot write it (")
        assert "Traceback" not in captured.err
    assert not (tmp_path / "no-such-directory").exists()


def test_output_is_only_for_html(cli: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["report", *RANGE, "--output", str(tmp_path / "kpis.json"), "--format", "json"]) == 2
    assert capsys.readouterr().err == "tandem report: --output: only with --format html\n"
    assert list(tmp_path.iterdir()) == []


def test_a_range_without_counters_still_makes_a_page(
    cli: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["report", "--from", "2025-06-01", "--to", "2025-06-02", "--format", "html", "--by", "queue"])
        == 0
    )
    out = capsys.readouterr().out
    assert "No day in the range has counters." in out
    assert "No queue counters in the range." in out
    assert parse(out).remote == []
    assert set(figures(out)) == set()
