"""`tandem experiment status` on counters the real ctr_ingest wrote, every interval recomputed here.

Contact records carrying `variant`/`experimentId` attributes go through `tandem ingest` (the real
ctr_ingest, in the sandbox); the status's JSON is then recomputed from the counts it reports with
scipy: each arm's Wilson intervals and t intervals, the primary metric's Newcombe interval and
chi-squared test, and the planned sample's power. "Now" is pinned (`tandem.commands.experiment.
utc_now`): days up to 2026-11-25 are final, 2026-12-01 is provisional (its recontact window is open).
"""

from __future__ import annotations

import contextlib
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scipy import stats

from lambdas.documents.storage_format import DOCUMENT_NAMES, encode_document
from lambdas.shared import experiment_stats as es
from tandem.cli import main
from tandem.local import Sandbox
from tandem.rules_store import SANDBOX_CONFIG_PATH
from tests.html_support import figures, parse
from tests.integration.test_ingest import lines
from tests.unit.ivr_support import experiment_json
from tests.unit.test_ctr_classify import ctr
from tests.unit.test_experiment_stats import _newcombe_from_scipy, _power

EXPERIMENT = "deflect-2026-12"
NOW = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # noon in New York
DOCUMENT = experiment_json(
    id=EXPERIMENT,
    guardrails=[
        {"metric": "abandonRate", "better": "lower", "maxWorsening": 0.02},
        {"metric": "recontactRate", "better": "lower", "maxWorsening": 0.03},
    ],
) | {"description": "Order-status calls to self-service"}
SELF_SERVED = {"tandemOutcome": "SELF_SERVED", "route": "SELF_SERVICE", "intent": "ORDER_STATUS"}
QUEUED = {"tandemOutcome": "QUEUED", "route": "AGENT", "intent": "ORDER_STATUS"}


def _call(
    n: int, arm: str, day: str, *, queued: bool, caller: int | None = None, csat: int | None = None
) -> Any:
    minute = n % 50
    start = f"{day}T15:{minute:02d}:00Z"
    attributes = (QUEUED if queued else SELF_SERVED) | {"variant": arm, "experimentId": EXPERIMENT}
    if csat is not None:
        attributes |= {"csat": str(csat)}
    fields: dict[str, Any] = {}
    if queued:
        fields = {
            "queue": {"Name": "general", "EnqueueTimestamp": f"{day}T15:{minute:02d}:10Z", "Duration": 15},
            "agent": {
                "ConnectedToAgentTimestamp": f"{day}T15:{minute:02d}:25Z",
                "AgentInteractionDuration": 100 + 7 * n,
            },
        }
    record = ctr(
        f"e2e2e2e2-0000-4000-8000-{n:012d}",
        start=start,
        updated=f"{day}T15:{minute:02d}:50Z",
        attributes=attributes,
        **fields,
    )
    number = f"+1202555{(caller if caller is not None else n):04d}"
    return record | {"CustomerEndpoint": {"Address": number, "Type": "TELEPHONE_NUMBER"}}


def calls() -> list[Any]:
    """Final days (11-24, 11-25): 12 calls an arm; the challenger's self-served callers 21 and 22 ring
    back the next day (recontacts). Provisional day (12-01): 3 calls an arm."""
    made = []
    for n in range(12):  # champion: 8 self-served, 4 to an agent
        made.append(_call(n, "champion", "2026-11-24", queued=n >= 8, csat=(n % 5) + 1))
    for n in range(20, 30):  # challenger: 8 self-served, 2 to an agent on the 24th
        made.append(_call(n, "challenger", "2026-11-24", queued=n >= 28, csat=5 - (n % 3)))
    made += [_call(30, "challenger", "2026-11-25", queued=False, caller=20)]
    made += [_call(31, "challenger", "2026-11-25", queued=False, caller=21)]
    made += [
        _call(40 + k, arm, "2026-12-01", queued=False)
        for k, arm in enumerate(["champion"] * 3 + ["challenger"] * 3)
    ]
    return made


@pytest.fixture
def ingested(box: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Sandbox:
    monkeypatch.setattr("tandem.local.sandbox", lambda **_: contextlib.nullcontext(box))
    monkeypatch.setattr("tandem.commands.experiment.utc_now", lambda: NOW)
    path = tmp_path / "calls.jsonl"
    path.write_text(lines(calls()))
    assert main(["ingest", str(path), "--format", "json"]) == 0
    return box


@pytest.fixture
def document_file(tmp_path: Path) -> Path:
    path = tmp_path / "experiment.json"
    path.write_text(json.dumps(DOCUMENT))
    return path


def status(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["experiment", "status", "--format", "json", *argv]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_counts_per_arm_and_days(
    ingested: Sandbox, document_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = status(capsys, "--experiment-file", str(document_file))
    champion, challenger = document["variants"]["champion"], document["variants"]["challenger"]
    assert (document["from"], document["to"]) == ("2026-11-23", "2026-12-20")
    assert champion["value"] == f"{EXPERIMENT}:champion"
    assert (champion["contacts"], champion["finalContacts"]) == (15, 12)
    assert (challenger["contacts"], challenger["finalContacts"]) == (15, 12)
    assert "2026-12-01" in document["provisionalDays"] and "2026-11-25" not in document["provisionalDays"]
    # The challenger's two callers who rang back: their earlier calls are recontacted
    assert challenger["counts"]["recontacted"] == 2 and champion["counts"]["recontacted"] == 0
    assert challenger["finalCounts"]["resolved"] == 8  # 10 self-served on final days, 2 of them came back
    assert champion["finalCounts"]["resolved"] == 8


def test_every_interval_recomputes_from_its_counts(
    ingested: Sandbox, document_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = status(capsys, "--experiment-file", str(document_file))
    assert document["confidence"] == 0.95
    checked = 0
    for arm in document["variants"].values():
        for metric, kpi in arm["kpis"].items():
            if kpi is None:
                continue
            counts = kpi["counts"]
            if metric in es.PROPORTIONS:
                rate = es.PROPORTIONS[metric]
                x, n = sum(counts[c] for c in rate.numerator), counts[rate.denominator]
                assert (kpi["successes"], kpi["trials"]) == (x, n)
                expected = stats.binomtest(x, n).proportion_ci(0.95, method="wilson")
                assert (kpi["interval"]["low"], kpi["interval"]["high"]) == pytest.approx(
                    (expected.low, expected.high), abs=1e-9
                )
            elif metric in es.HISTOGRAMS:
                values = [v for v, name in es.HISTOGRAMS[metric].items() for _ in range(counts[name])]
                if len(values) < 2:
                    continue
                low, high = stats.t.interval(
                    0.95, len(values) - 1, loc=stats.tmean(values), scale=stats.sem(values)
                )
                assert (kpi["interval"]["low"], kpi["interval"]["high"]) == pytest.approx(
                    (low, high), rel=1e-6
                )
            else:
                rate, squares = es.SUMS_OF_SQUARES[metric]
                n, total, sq = counts[rate.denominator], counts[rate.numerator[0]], counts[squares]
                if n < 2:
                    continue
                sd = math.sqrt((sq - total * total / n) / (n - 1))
                if sd == 0:  # every wait the same: no spread, the interval is the mean
                    assert kpi["interval"] == {"low": total / n, "high": total / n}
                    continue
                low, high = stats.t.interval(0.95, n - 1, loc=total / n, scale=sd / math.sqrt(n))
                assert (kpi["interval"]["low"], kpi["interval"]["high"]) == pytest.approx(
                    (low, high), rel=1e-6
                )
            checked += 1
    assert checked >= 20  # rates, AHT and CSAT of both arms


def test_the_primary_metric_recomputes_from_final_days(
    ingested: Sandbox, document_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = status(capsys, "--experiment-file", str(document_file))
    primary = document["primary"]
    a, b = primary["champion"], primary["challenger"]
    # Final days only: the provisional day's calls are not in the verdict's figures
    assert (a["successes"], a["trials"]) == (8, 12)
    assert (b["successes"], b["trials"]) == (8, 12)
    assert a["trials"] == document["variants"]["champion"]["finalCounts"]["contacts"]
    low, high = _newcombe_from_scipy(a["successes"], a["trials"], b["successes"], b["trials"])
    interval = primary["comparison"]["interval"]
    assert (interval["low"], interval["high"]) == pytest.approx((low, high), abs=1e-9)
    table = [[a["successes"], a["trials"] - a["successes"]], [b["successes"], b["trials"] - b["successes"]]]
    _, p_value, _, _ = stats.chi2_contingency(table, correction=False)
    assert primary["comparison"]["test"]["pValue"] == pytest.approx(p_value, rel=1e-9)
    # The plan: the least sample per arm with 80 % power for +3 points on the champion's rate
    planned, baseline = primary["plannedPerArm"], a["successes"] / a["trials"]
    assert (
        _power(planned, baseline, baseline + 0.03, 0.05)
        >= 0.8
        > _power(planned - 1, baseline, baseline + 0.03, 0.05)
    )
    assert primary["stillNeededPerArm"] == planned - 12
    # Far below the plan and no sequential evidence: still running
    assert document["verdict"] == "RUNNING"
    assert [g["tripped"] for g in document["guardrails"]] == [False, False]


def test_a_stop_for_this_experiment_is_stopped_with_its_guardrail(
    ingested: Sandbox, document_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ssm = ingested.client("ssm")
    stop = {
        "experimentId": EXPERIMENT,
        "stoppedAt": "2026-11-26T06:00:00Z",
        "guardrail": "recontactRate",
        "reason": "worse by 9 points",
    }
    ssm.put_parameter(
        Name=f"{SANDBOX_CONFIG_PATH}/experiment-stop", Value=json.dumps(stop), Type="String", Overwrite=True
    )
    document = status(capsys, "--experiment-file", str(document_file))
    assert document["verdict"] == "STOPPED"
    assert document["stop"]["guardrail"] == "recontactRate" and "recontactRate" in document["reason"]
    # A stop of another experiment does not stop this one
    ssm.put_parameter(
        Name=f"{SANDBOX_CONFIG_PATH}/experiment-stop",
        Value=json.dumps(stop | {"experimentId": "another"}),
        Type="String",
        Overwrite=True,
    )
    assert status(capsys, "--experiment-file", str(document_file))["verdict"] == "RUNNING"


def test_the_stored_document_is_read_when_no_file_is_given(
    ingested: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The experiment document's registration is another branch's: stored here the way it will be
    monkeypatch.setattr("lambdas.documents.storage_format.DOCUMENT_NAMES", (*DOCUMENT_NAMES, "experiment"))
    ssm = ingested.client("ssm")
    for name, value in encode_document(SANDBOX_CONFIG_PATH, "experiment", json.dumps(DOCUMENT)).items():
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    document = status(capsys, "--from", "2026-11-24", "--to", "2026-11-25")
    assert document["experiment"]["id"] == EXPERIMENT
    assert document["variants"]["champion"]["contacts"] == 12


def test_table_and_html(
    ingested: Sandbox, document_file: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["experiment", "status", "--experiment-file", str(document_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Experiment {EXPERIMENT}: RUNNING")
    assert "resolutionRate" in out and "+1202" not in out
    page = tmp_path / "status.html"
    assert (
        main(
            [
                "experiment",
                "status",
                "--experiment-file",
                str(document_file),
                "--format",
                "html",
                "--output",
                str(page),
            ]
        )
        == 0
    )
    text = page.read_text()
    parsed = parse(text)
    assert parsed.remote == [] and "RUNNING" in parsed.title
    # The chart's points and error bars are the JSON's figures and intervals
    document = status(capsys, "--experiment-file", str(document_file))
    chart = figures(text)["experiment-rates"]
    for name, variant in document["variants"].items():
        trace = chart.trace(name)
        for metric, value, above in zip(trace["x"], trace["y"], trace["error_y"]["array"], strict=True):
            kpi = variant["kpis"][metric]
            assert value == pytest.approx(kpi["value"])
            assert value + above == pytest.approx(kpi["interval"]["high"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"share": 1.5}, "experiment.share: must be above 0 and below 1, got 1.5"),
        (
            {"primaryMetric": {"metric": "happiness", "better": "higher"}},
            "experiment.primaryMetric.metric: must be one of containmentRate,",
        ),
        ({"start": "2026-11-23"}, "experiment.start: needs its UTC offset"),
    ],
)
def test_a_bad_document_is_one_line(
    ingested: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, Any],
    message: str,
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(DOCUMENT | {"experiment": DOCUMENT["experiment"] | change}))
    assert main(["experiment", "status", "--experiment-file", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_the_shipped_document_without_an_experiment_says_so(
    ingested: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["experiment", "status"]) == 1
    assert 'the experiment document holds no experiment ("experiment": null)' in capsys.readouterr().err
