"""With `tandem sandbox up` running, `tandem ingest`, `tandem demo` and `tandem report` share its tables.

A real server in a temporary directory (the `workdir` fixture of test_sandbox_server.py, which
re-enables attaching and stops every server it started): records ingested by one command are
reported by the next, and the demo's calls land next to them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.test_ingest import call, lines
from tests.integration.test_sandbox_server import Workdir, workdir  # noqa: F401 - the fixture

DAY = ["--from", "2025-03-04", "--to", "2025-03-04"]  # ctr()'s calls' day
DEMO_DAYS = ["--from", "2026-11-23", "--to", "2026-11-23"]  # the scripted calls' day in New York


def run_json(here: Workdir, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = here.cli(*argv, "--format", "json")
    return code, json.loads(capsys.readouterr().out)


def test_ingest_demo_and_report_share_the_server(
    workdir: Workdir,  # noqa: F811 - the imported fixture
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a running sandbox server and a file of 5 calls
    state = workdir.up()
    capsys.readouterr()
    records = workdir.path / "calls.jsonl"
    records.write_text(lines([call(n) for n in range(1, 6)]))
    # When they are ingested, Then they went to the server's Metrics table, which keeps them
    code, ingested = run_json(workdir, capsys, "ingest", str(records))
    assert code == 0
    assert (ingested["kept"], ingested["note"], ingested["callsCounted"]) == (True, None, 5)
    assert ingested["source"] == f"sandbox server {state.endpoint_url}, {state.tables['METRICS_TABLE']}"
    # And a separate `tandem report` reads them there
    code, report = run_json(workdir, capsys, "report", *DAY)
    assert code == 0
    assert report["overall"]["counts"]["contacts"] == 5
    assert report["source"].startswith(f"sandbox server {state.endpoint_url}")
    # And the same file again counts nothing twice
    code, again = run_json(workdir, capsys, "ingest", str(records))
    assert (code, again["callsCounted"], again["callsUnchanged"]) == (0, 0, 5)

    # When the demo runs, Then its calls are counted in the server too, and its check holds
    code, demo = run_json(workdir, capsys, "demo")
    assert code == 0
    assert demo["kpis"]["disagreements"] == []
    calls = demo["kpis"]["expected"]["contacts"]
    code, report = run_json(workdir, capsys, "report", *DEMO_DAYS)
    assert report["overall"]["counts"]["contacts"] == calls
    # And a second demo on the same server still plays every scenario as scripted (its callers'
    # callback claims are released first), and checks what it added on top of the first
    code, second = run_json(workdir, capsys, "demo")
    assert code == 0, [c for c in second["calls"] if c.get("problems")]
    assert second["kpis"]["before"]["contacts"] == calls
    code, report = run_json(workdir, capsys, "report", *DEMO_DAYS)
    assert report["overall"]["counts"]["contacts"] == 2 * calls
    # And the ingested day is untouched by the demo
    code, report = run_json(workdir, capsys, "report", *DAY)
    assert report["overall"]["counts"]["contacts"] == 5
