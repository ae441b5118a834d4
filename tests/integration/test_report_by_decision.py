"""`tandem report --by rule|variant|interval`: every KPI per rule, per experiment variant, per half-hour.

Contact records with `ruleId`, `variant` and `experimentId` attributes go through `tandem ingest`
(the real ctr_ingest), and the report's counts are checked call by call against the design's values:
rule = the newest segment's ruleId, else NONE; variant = `<experimentId or none>:<variant>`, else
NONE (two experiments' challengers never merge); interval = `<queue>@HH:MM` of the call's start in
the centre's zone. Rates in JSON are fractions.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from tandem.cli import main
from tandem.local import Sandbox
from tests.integration.test_ingest import lines
from tests.unit.test_ctr_classify import ctr

DAY = ["--from", "2025-03-04", "--to", "2025-03-04"]
SELF_SERVED = {"tandemOutcome": "SELF_SERVED", "route": "SELF_SERVICE", "intent": "ORDER_STATUS"}
QUEUED = {"tandemOutcome": "QUEUED", "route": "AGENT", "intent": "COMPLAINT"}
AGENT = {"ConnectedToAgentTimestamp": "2025-03-04T14:16:25Z", "AgentInteractionDuration": 145}


def queue(enqueued: str) -> dict[str, Any]:
    return {"Name": "general", "EnqueueTimestamp": enqueued, "Duration": 15}


def calls() -> list[dict[str, Any]]:
    """Five calls on 2025-03-04 (09:15 and 09:45 in New York), by rule and variant."""

    def one(n: int, attributes: dict[str, str], **fields: Any) -> dict[str, Any]:
        record = ctr(f"a1b2c3d4-0000-4000-8000-{n:012d}", attributes=attributes, **fields)
        # A caller each: none of these calls is another's recontact
        return record | {"CustomerEndpoint": {"Address": f"+1202555{n:04d}", "Type": "TELEPHONE_NUMBER"}}

    champion = {"variant": "champion", "experimentId": ""}
    return [
        one(1, SELF_SERVED | {"ruleId": "order-status-self-service"} | champion),
        one(
            2, SELF_SERVED | {"ruleId": "order-status-self-service"} | champion, start="2025-03-04T14:45:00Z"
        ),
        one(
            3,
            QUEUED | {"ruleId": "complaint-to-agent", "variant": "challenger", "experimentId": "exp-2026-12"},
            queue=queue("2025-03-04T14:16:10Z"),
            agent=AGENT,
        ),
        one(
            4,
            QUEUED | {"ruleId": "complaint-to-agent", "variant": "challenger", "experimentId": "exp-2027-01"},
            queue=queue("2025-03-04T14:46:10Z"),
            agent=AGENT | {"ConnectedToAgentTimestamp": "2025-03-04T14:46:25Z"},
            start="2025-03-04T14:45:30Z",
            updated="2025-03-04T14:55:00Z",
        ),
        one(5, SELF_SERVED),  # decided before rules carried ids: NONE for rule and variant
    ]


@pytest.fixture
def ingested(box: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Sandbox:
    monkeypatch.setattr("tandem.local.sandbox", lambda **_: contextlib.nullcontext(box))
    path = tmp_path / "calls.jsonl"
    path.write_text(lines(calls()))
    assert main(["ingest", str(path), "--format", "json"]) == 0
    return box


def by(capsys: pytest.CaptureFixture[str], dimension: str) -> dict[str, dict[str, Any]]:
    assert main(["report", *DAY, "--by", dimension, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    return {row["value"]: row for row in document["rows"]}


def test_by_rule_every_kpi_per_rule(ingested: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    rows = by(capsys, "rule")
    assert list(rows) == ["complaint-to-agent", "order-status-self-service", "NONE"]
    assert {
        v: (r["counts"]["contacts"], r["counts"]["contained"], r["counts"]["transferred"])
        for v, r in rows.items()
    } == {
        "order-status-self-service": (2, 2, 0),
        "complaint-to-agent": (2, 0, 2),
        "NONE": (1, 1, 0),
    }
    # Rates are fractions; the new outcome rates are there for every rule
    assert rows["order-status-self-service"]["kpis"]["containmentRate"] == 1.0
    assert rows["complaint-to-agent"]["kpis"]["transferRate"] == 1.0
    assert rows["complaint-to-agent"]["kpis"]["containmentRate"] == 0.0
    for row in rows.values():
        assert {"recontactRate", "resolutionRate"} <= set(row["kpis"])
    assert rows["order-status-self-service"]["kpis"]["resolutionRate"] == 1.0  # nobody called back


def test_by_variant_keeps_two_experiments_apart(
    ingested: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = by(capsys, "variant")
    assert {v: r["counts"]["contacts"] for v, r in rows.items()} == {
        "none:champion": 2,
        "exp-2026-12:challenger": 1,
        "exp-2027-01:challenger": 1,
        "NONE": 1,
    }
    assert rows["none:champion"]["kpis"]["containmentRate"] == 1.0
    assert rows["exp-2027-01:challenger"]["kpis"]["transferRate"] == 1.0


def test_by_interval_half_hours_by_queue_in_time_order(
    ingested: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = by(capsys, "interval")
    # 09:15 and 09:45 New York; queued calls under their queue, the others under NONE, listed last
    assert list(rows) == ["general@09:00", "general@09:30", "NONE@09:00", "NONE@09:30"]
    assert {v: r["counts"]["contacts"] for v, r in rows.items()} == {
        "general@09:00": 1,
        "general@09:30": 1,
        "NONE@09:00": 2,
        "NONE@09:30": 1,
    }
    assert rows["general@09:00"]["counts"]["queued"] == 1  # arrivals to the queue in the half-hour


def test_the_table_by_rule_shows_the_outcome_rates(
    ingested: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", *DAY, "--by", "rule"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("#"))
    assert header.split()[-2:] == ["recontact", "resolution"]
    row = next(line for line in out.splitlines() if " order-status-self-service " in line)
    assert row.split()[-2:] == ["0.0%", "100.0%"]
    assert "+1202" not in out
