"""`tandem replay` and `tandem rules export` on decisions the real ivr_decision handler stored.

Calls go straight to the real handler in a sandbox (moto), with the CRM's answer passed as contact
attributes (what the flow keeps from crm_lookup), so every stored context is known exactly. Decisions
are made "as of" pinned moments (`box.clock`) and replays name their days: nothing here reads the
wall clock. 2026-11-23 15:00 UTC is Monday 10:00 in New York; the centre is open.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lambdas.documents.registry import DEFAULTS_DIR, parse_file
from lambdas.shared.tables import INTERACTIONS
from tandem.cli import main
from tandem.commands.replay import METRICS_TABLE_VAR
from tandem.commands.rules import PATH_VAR
from tandem.html.replay import KPIS_ID
from tandem.local import Sandbox
from tandem.replay.contexts import read_decisions
from tandem.replay.engine import candidate_documents, replay
from tandem.rules_store import SANDBOX_CONFIG_PATH, push_document, read_documents
from tests.conftest import load_event
from tests.html_support import figures, parse
from tests.integration.test_ctr_recontacts import contact, ingest
from tests.integration.test_replay_outcomes import agent_call

ZONE_NY = ZoneInfo("America/New_York")
REPO = Path(__file__).resolve().parents[2]
CANDIDATES = REPO / "examples" / "candidates"
DEFLECT = CANDIDATES / "deflect-order-status.json"
NO_SELF_SERVICE = CANDIDATES / "no-self-service.json"
MONDAY_10_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TUESDAY_11_NY = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
MONDAY = ["--from", "2026-11-23", "--to", "2026-11-23"]
KNOWN = {"customerFound": "true", "tier": "gold", "latestOrderId": "1046", "latestOrderStatus": "SHIPPED"}

UNKNOWN_CALLER = {"customerFound": "false"}

# (what the caller says, and this turn's CRM answer) → the route and rule the defaults decide
MONDAY_CALLS: list[tuple[dict[str, str], str, str]] = [
    ({"intent": "CheckOrderStatus", "intentConfidence": "0.93"}, "SELF_SERVICE", "routine-self-service"),
    ({"intent": "CheckOrderStatus", "intentConfidence": "0.50"}, "AGENT", "low-confidence"),
    (
        {"intent": "CheckOrderStatus", "intentConfidence": "0.90", "sentiment": "NEGATIVE"},
        "AGENT",
        "negative-sentiment",
    ),
    ({"intent": "Returns", "intentConfidence": "0.88"}, "SELF_SERVICE", "routine-self-service"),
    ({"intent": "Complaint", "intentConfidence": "0.95"}, "AGENT", "complaint"),
    (
        {"intent": "CheckOrderStatus", "intentConfidence": "0.90", **UNKNOWN_CALLER},
        "AGENT",
        "order-status-unknown-caller",
    ),
]


def contact_id(n: int) -> str:
    return f"a1b2c3d4-0000-4000-8000-{n:012d}"


def decide(box: Sandbox, n: int, moment: datetime, attempts: int = 0, **parameters: str) -> dict[str, str]:
    """One ivr_decision block of call `n` (its own contact id), as of `moment`."""
    event = load_event("voice_known_gold.json")
    data = event["Details"]["ContactData"]
    data["ContactId"] = data["InitialContactId"] = data["PreviousContactId"] = contact_id(n)
    data["Attributes"] = dict(KNOWN)
    event["Details"]["Parameters"] = {"failedAttempts": str(attempts), **parameters}
    with box.clock(moment):
        return box.invoke("ivr_decision", event)


def make_monday_calls(box: Sandbox) -> None:
    for n, (parameters, route, rule) in enumerate(MONDAY_CALLS, start=1):
        answer = decide(box, n, MONDAY_10_NY, **parameters)
        assert (answer["route"], answer["ruleId"]) == (route, rule), answer


@contextlib.contextmanager
def attached(box: Sandbox) -> Iterator[Sandbox]:
    """The CLI's `sandbox()` answers with this test's sandbox (as `tandem sandbox up` would)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("tandem.local.sandbox", lambda **_: contextlib.nullcontext(box))
        yield box


@pytest.fixture
def monday(box: Sandbox) -> Iterator[Sandbox]:
    """Six calls decided on Monday with the shipped documents, in the sandbox the CLI uses."""
    make_monday_calls(box)
    with attached(box):
        yield box


def replay_json(capsys: pytest.CaptureFixture[str], *args: str, expect: int = 0) -> dict[str, Any]:
    assert main(["replay", *args, "--format", "json"]) == expect
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def error_line(capsys: pytest.CaptureFixture[str], args: list[str], expect: int) -> str:
    assert main(args) == expect
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_replay_with_the_current_documents_changes_nothing(
    monday: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    document = replay_json(capsys, *MONDAY)
    assert (document["decisions"], document["calls"]) == (6, 6)
    assert (document["changed"], document["reasonsChanged"], document["callsChanged"]) == (0, 0, 0)
    assert document["selfCheck"]["passed"] is True
    assert document["notReplayable"] == {"count": 0, "byReason": []}
    assert {c["from"] for c in document["routeChanges"]} == {"SELF_SERVICE", "AGENT"}
    assert all(c["from"] == c["to"] for c in document["routeChanges"])
    assert document["documents"]["rules"]["source"] == "store"
    # The text says so, plainly
    assert main(["replay", *MONDAY]) == 0
    assert "Self-check passed" in capsys.readouterr().out


def test_no_self_service_moves_calls_away_from_self_service(
    monday: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    document = replay_json(capsys, "--rules", str(NO_SELF_SERVICE), *MONDAY)
    assert document["documents"]["rules"] == {"revision": "2026-12-04.no-self-service", "source": "candidate"}
    assert document["selfCheck"] is None
    assert document["changed"] == 2
    changes = {(c["from"], c["to"]): c["count"] for c in document["routeChanges"]}
    assert changes == {("SELF_SERVICE", "AGENT"): 2, ("AGENT", "AGENT"): 4}
    rules = {r["ruleId"]: r for r in document["rules"]}
    assert rules["routine-self-service"] == {
        "ruleId": "routine-self-service", "observed": 2, "replayed": 0, "gained": 0, "lost": 2
    }  # fmt: skip
    assert sum(r["gained"] for r in rules.values()) == 2
    first = document["sample"][0]
    assert first["observed"]["reasons"] == ["ROUTINE_SELF_SERVICE"]
    assert first["replayed"]["route"] == "AGENT" and first["replayed"]["reasons"]


def test_deflect_candidate_answers_more_order_status_calls(
    monday: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    document = replay_json(capsys, "--rules", str(DEFLECT), *MONDAY)
    assert document["changed"] == 3
    assert {(c["from"], c["to"]): c["count"] for c in document["routeChanges"]} == {
        ("AGENT", "AGENT"): 1,  # the complaint
        ("AGENT", "SELF_SERVICE"): 3,
        ("SELF_SERVICE", "SELF_SERVICE"): 2,
    }
    moved = {s["observed"]["ruleId"]: s["replayed"] for s in document["sample"]}
    assert set(moved) == {"low-confidence", "negative-sentiment", "order-status-unknown-caller"}
    assert {m["ruleId"] for m in moved.values()} == {"order-status-deflect"}
    assert {m["reasons"][0] for m in moved.values()} == {"ORDER_STATUS_DEFLECTED"}
    # The table names the rules that gained and lost
    assert main(["replay", "--rules", str(DEFLECT), *MONDAY]) == 0
    text = capsys.readouterr().out
    assert "order-status-deflect" in text and "Changed: 3 of 6 decisions (50.0%)" in text


def test_the_range_is_the_centres_days(box: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    with attached(box):
        decide(box, 1, MONDAY_10_NY, intent="Complaint", intentConfidence="0.9")
        decide(box, 2, TUESDAY_11_NY, intent="Complaint", intentConfidence="0.9")
        # 03:00 UTC Tuesday is still Monday evening in New York
        decide(box, 3, datetime(2026, 11, 24, 3, 0, tzinfo=UTC), intent="Complaint", intentConfidence="0.9")
        assert replay_json(capsys, *MONDAY)["decisions"] == 2
        assert replay_json(capsys, "--from", "2026-11-24", "--to", "2026-11-24")["decisions"] == 1
        assert replay_json(capsys)["decisions"] == 3  # no range: every stored decision


def test_a_call_moves_with_its_last_decision(box: Sandbox) -> None:
    decide(box, 1, MONDAY_10_NY, intent="CheckOrderStatus", intentConfidence="0.9")
    later = datetime(2026, 11, 23, 15, 2, tzinfo=UTC)
    decide(box, 1, later, attempts=2, intent="CheckOrderStatus", intentConfidence="0.9")
    loaded = read_decisions(
        box.client("dynamodb"), box.table_names[INTERACTIONS.env_var], None, ZONE_NY, page_size=1
    )
    store = read_documents(box.client("ssm"), SANDBOX_CONFIG_PATH)
    assert loaded.pages >= 2  # every page read
    documents = candidate_documents(store.documents, {"rules": parse_file(NO_SELF_SERVICE)})
    result = replay(loaded.decisions, documents)
    assert result.decisions == 2 and result.changed == 1  # the first decision was self-service
    (move,) = result.moves
    assert move.initial_contact_id == contact_id(1) and move.decided_at == later
    assert (move.observed_route, move.observed_rule) == ("AGENT", "self-service-failed")
    assert move.intent == "ORDER_STATUS" and not move.changed


def test_items_that_cannot_be_replayed_are_counted_with_a_reason(
    monday: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    box = monday
    dynamodb, table = box.client("dynamodb"), box.table_names[INTERACTIONS.env_var]
    stored = dynamodb.scan(TableName=table)["Items"]
    older = dict(stored[0], sk={"S": "DECISION#older#000#COMPLAINT"})
    del older["context"]["M"]["callbackPossible"]  # a fact the rules test now, not stored then
    garbled = dict(stored[1], sk={"S": "DECISION#garbled#000#X"}, decidedAt={"S": "yesterday"})
    unknown = dict(stored[2], sk={"S": "DECISION#route#000#X"}, route={"S": "VOICEMAIL"})
    for item in (older, garbled, unknown):
        dynamodb.put_item(TableName=table, Item=item)
    document = replay_json(capsys)
    assert document["decisions"] == 6
    assert document["notReplayable"]["count"] == 3
    assert {r["reason"] for r in document["notReplayable"]["byReason"]} == {
        "context lacks the fact callbackPossible (stored by an older version?)",
        "decidedAt is not a date and time with its offset",
        "route 'VOICEMAIL' is not one of SELF_SERVICE, AGENT, CALLBACK, CLOSED",
    }
    assert document["selfCheck"]["passed"] is True


def test_the_self_check_fails_when_the_documents_changed_since(
    monday: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    box = monday
    push_document(box.client("ssm"), SANDBOX_CONFIG_PATH, parse_file(NO_SELF_SERVICE))
    document = replay_json(capsys, *MONDAY, expect=1)
    assert main(["replay", *MONDAY]) == 1
    text = capsys.readouterr().out
    assert document["selfCheck"]["passed"] is False and document["changed"] == 2
    assert document["selfCheck"]["sampleRevisions"] == {"2026-11-23.2": 2}
    assert "Self-check FAILED" in text


def test_export_writes_what_push_takes_back_unchanged(
    box: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with attached(box):
        push_document(box.client("ssm"), SANDBOX_CONFIG_PATH, parse_file(DEFLECT))
        before = read_documents(box.client("ssm"), SANDBOX_CONFIG_PATH).documents
        assert main(["rules", "export", str(tmp_path / "out"), "--format", "json"]) == 0
        exported = json.loads(capsys.readouterr().out)
        files = sorted((tmp_path / "out").glob("*.json"))
        assert [f.name for f in files] == [
            "calendar.json",
            "content.json",
            "escalation.json",
            "experiment.json",
            "rules.json",
        ]
        assert main(["rules", "push", *map(str, files), "--format", "json"]) == 0
        pushed = json.loads(capsys.readouterr().out)["pushed"]
        after = read_documents(box.client("ssm"), SANDBOX_CONFIG_PATH).documents
    assert {e["document"]: e["revision"] for e in exported["exported"]}[
        "rules"
    ] == "2026-12-04.deflect-order-status"
    assert {p["document"]: p["sha256"] for p in pushed} == {n: d.sha256 for n, d in before.items()}
    assert {n: d.sha256 for n, d in after.items()} == {n: d.sha256 for n, d in before.items()}
    assert exported["missing"] == [] and exported["problems"] == {}


def test_export_keeps_existing_files_unless_forced(
    box: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "rules.json").write_text("mine")
    with attached(box):
        line = error_line(capsys, ["rules", "export", str(tmp_path)], 2)
        assert line == f"tandem rules export: {tmp_path / 'rules.json'} exists (--force overwrites)"
        assert (tmp_path / "rules.json").read_text() == "mine"
        assert main(["rules", "export", str(tmp_path), "--force"]) == 0
    assert parse_file(tmp_path / "rules.json").sha256 == parse_file(DEFAULTS_DIR / "rules.json").sha256


@pytest.mark.parametrize(
    ("args", "expect", "line"),
    [
        (["--from", "2026-11-31", "--to", "2026-12-01"], 2, "tandem replay: --from '2026-11-31': not a date"),
        (
            ["--from", "yesterday", "--to", "2026-12-01"],
            2,
            "tandem replay: --from 'yesterday': expected a date",
        ),
        (["--from", "2026-11-23"], 2, "tandem replay: --from and --to go together"),
        (["--from", "2026-11-24", "--to", "2026-11-23"], 2, "tandem replay: the range starts after it ends"),
        (["--rules", "missing.json"], 2, "tandem rules: missing.json: no such file"),
        (
            ["--rules", str(DEFAULTS_DIR / "escalation.json")],
            2,
            f"tandem replay: {DEFAULTS_DIR / 'escalation.json'}: the escalation document does not decide",
        ),
        (
            ["--rules", str(DEFAULTS_DIR / "experiment.json")],
            2,
            f"tandem replay: {DEFAULTS_DIR / 'experiment.json'}: the experiment document does not decide",
        ),
        (["--table", "t"], 2, "tandem replay: --table: only with --target aws"),
        (["--target", "aws"], 2, "tandem replay: --target aws needs --table"),
        (["--target", "aws", "--table", "t"], 2, "tandem replay: --target aws needs --path"),
        (["--path", "/tandem/x/ivr"], 2, "tandem replay: --path: only with --target aws"),
        (["--metrics-table", "m"], 2, "tandem replay: --metrics-table: only with --target aws"),
        (["--output", "page.html"], 2, "tandem replay: --output: only with --format html"),
        (
            ["--target", "aws", "--table", "t", "--path", "/tandem/x/ivr"],
            2,
            "tandem replay: --metrics-table: the Metrics table's name",
        ),
    ],
)
def test_bad_input_gets_one_line(
    box: Sandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    expect: int,
    line: str,
) -> None:
    monkeypatch.delenv(INTERACTIONS.env_var, raising=False)  # the sandbox exports its table names
    monkeypatch.delenv(PATH_VAR, raising=False)
    monkeypatch.delenv(METRICS_TABLE_VAR, raising=False)
    with attached(box):
        assert error_line(capsys, ["replay", *args], expect).startswith(line)


def test_invalid_candidates_get_the_validators_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = json.loads(NO_SELF_SERVICE.read_text(encoding="utf-8"))
    broken["rules"][0]["when"] = {"fact": "tier", "eq": "platinum"}
    broken["rules"][1]["action"] = {"route": "VOICEMAIL"}
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    (tmp_path / "garbage.json").write_text("{not json")
    files = [str(tmp_path / "broken.json"), str(tmp_path / "garbage.json")]
    for file in files:
        assert main(["rules", "validate", file]) == 1
        validated = capsys.readouterr().err.strip().splitlines()
        assert main(["replay", "--rules", file]) == 1
        replayed = capsys.readouterr().err.strip().splitlines()
        if len(validated) == 1:  # one line, naming the file and the problem
            assert replayed == [f"tandem replay: nothing was replayed: {validated[0]}"]
        else:
            assert replayed[:-1] == validated
            assert (
                replayed[-1]
                == f"tandem replay: nothing was replayed ({len(validated)} problems in the candidates)"
            )


def test_projections_come_from_the_calls_outcomes_and_no_self_service_lowers_containment(
    monday: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given the six Monday calls' contact records through the real ctr_ingest: the two self-served
    # calls contained, the four others answered by an agent (a caller each)
    records = []
    for n, (_, route, rule) in enumerate(MONDAY_CALLS, start=1):
        caller, start = f"+1202555{n:04d}", "2026-11-23T15:00:00Z"
        if route == "SELF_SERVICE":
            attributes = {
                "tandemOutcome": "SELF_SERVED",
                "route": route,
                "ruleId": rule,
                "intent": "ORDER_STATUS",
            }
            records.append(contact(n, caller, start, attributes=attributes))
        else:
            records.append(agent_call(n, caller, start, (240, 0, 60)))
    ingest(monday, *records)
    # When the current documents are replayed: observed and projected are the calls' own outcomes
    current = replay_json(capsys, *MONDAY)
    assert current["observed"] == current["projected"]
    assert current["observed"]["containmentRate"] == 2 / 6 and current["callsWithoutOutcome"] == 0
    # When the candidate without self-service is: calls leave SELF_SERVICE, containment falls
    document = replay_json(capsys, "--rules", str(NO_SELF_SERVICE), *MONDAY)
    assert any(c["from"] == "SELF_SERVICE" != c["to"] for c in document["routeChanges"])
    assert document["projected"]["containmentRate"] < document["observed"]["containmentRate"]
    assert document["projected"]["callsToPeople"] > document["observed"]["callsToPeople"]
    assert document["assumptions"]
    # And its page is self-contained and carries the same figures
    page = tmp_path / "replay.html"
    assert (
        main(["replay", "--rules", str(NO_SELF_SERVICE), *MONDAY, "--format", "html", "--output", str(page)])
        == 0
    )
    assert capsys.readouterr().out.startswith(f"tandem replay: wrote {page}")
    html = page.read_text(encoding="utf-8")
    assert parse(html).remote == []
    chart = figures(html)[KPIS_ID]
    projected = [trace for trace in chart.data if trace["meta"] == "projected"]
    charted = {key: y for bar in projected for key, y in zip(bar["customdata"], bar["y"], strict=True)}
    assert charted["containmentRate"] == document["projected"]["containmentRate"]
