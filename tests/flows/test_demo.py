"""`tandem demo`: the scripted calls, the synthetic day, and what they print."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from lambdas.documents.registry import bundled_defaults
from lambdas.policy.calendar import Calendar
from tandem.cli import main
from tandem.demo.day import CRM_OUTAGE, NEW_YORK, PROBLEMS, CallerModel, plan_day, run_day
from tandem.demo.kpis import E164, RECONTACT_WINDOW, Contact, recontacted
from tandem.demo.scenarios import DEMO_SCENARIOS
from tandem.flows.simulator import SimulationConfig, simulate
from tandem.local import Sandbox
from tests.flows.test_simulator import END, action, say, write_flow

FULL_NUMBER = re.compile(r"\+\d{9,15}")


def calendar() -> Calendar:
    value = bundled_defaults(("calendar",))["calendar"].value
    assert isinstance(value, Calendar)
    return value


def test_demo_places_every_scripted_call_as_expected(capsys: pytest.CaptureFixture[str]) -> None:
    # When the demo runs for machines
    assert main(["demo", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    calls = {c["scenario"]: c for c in document["calls"]}
    # Then every scenario was placed, each as its scenario expects, with its Lambda calls and trace
    assert list(calls) == [s.name for s in DEMO_SCENARIOS]
    assert all(c["asExpected"] and not c["problems"] for c in calls.values())
    assert [c["function"] for c in calls["order-status"]["lambdaCalls"]] == [
        "crm_lookup",
        "ivr_decision",
        "survey",
    ]
    assert calls["order-status"]["csat"] == "5"
    assert calls["vip-complaint"]["queue"] == "priority"
    assert any(line.startswith("caller") and "presses 1" in line for line in calls["order-status"]["trace"])
    assert set(document["coverage"]) == {
        "inbound_main",
        "post_call_survey",
        "agent_whisper",
        "customer_queue",
    }


def test_demo_table_traces_each_call_and_masks_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert f"{len(DEMO_SCENARIOS)} calls in" in out and "every call as expected" in out
    assert "λ ivr_decision" in out and "⇒ self-served" in out and "⇒ closed" in out
    assert "Self-service rate" in out and "Flow coverage" in out
    # One containment figure (the KPI report's); the self-served share has its own name
    # One containment figure for the calls; the replay that ends the demo shows observed and projected
    calls, replayed = out.split(
        "What if: these calls replayed against examples/candidates/deflect-order-status.json"
    )
    assert len(re.findall(r"(?i)containment\b.*?\d+(\.\d+)?%", calls)) == 1
    assert re.search(r"(?m)^containment\s+\d+\.\d%\s+\d+\.\d%$", replayed)
    # No caller's whole number (but in the command it suggests next), and no handler log line
    traced = "\n".join(line for line in out.splitlines() if not line.startswith("Next:"))
    assert not FULL_NUMBER.search(traced), FULL_NUMBER.search(traced)
    assert '"level"' not in out


def test_demo_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as error:
        main(["demo", "--calls", "0"])
    assert error.value.code == 2
    assert "expected 1 to 100000 calls" in capsys.readouterr().err
    assert main(["demo", "--calls", "5", "--handlers"]) == 2


# --- the synthetic day -----------------------------------------------------------------------------


def test_the_day_is_the_same_for_a_seed_and_differs_between_seeds() -> None:
    first, again, other = (
        plan_day(60, 3, calendar()),
        plan_day(60, 3, calendar()),
        plan_day(60, 4, calendar()),
    )
    assert first == again
    assert first != other
    assert [c.moment for c in first] == sorted(c.moment for c in first)


def test_the_day_agrees_with_the_calendar_and_the_outage() -> None:
    plan = plan_day(400, 11, calendar())
    for call in plan:
        local = call.moment.astimezone(NEW_YORK)
        assert call.hours == ("open" if 8 <= local.hour < 18 else "closed"), local
        assert call.crm_down == (CRM_OUTAGE[0] <= call.moment < CRM_OUTAGE[1])
        assert call.caller == "anonymous" or call.caller.startswith("+")
        assert not (call.speech and call.language != "en-US")
    # A varied day: both hours, withheld, Vietnamese and speaking callers, the outage, long waits
    assert {c.hours for c in plan} == {"open", "closed"}
    assert any(c.caller == "anonymous" for c in plan)
    assert any(c.language == "vi-VN" for c in plan)
    assert any(c.speech for c in plan) and any(c.crm_down for c in plan)
    assert max(c.queue_wait_seconds or 0 for c in plan) > 600


def test_the_caller_model_is_repeatable_and_silent_on_prompts_it_does_not_know() -> None:
    answers = [CallerModel(5, speech=False)("inbound_main", "ask-menu", "press 1") for _ in range(2)]
    assert answers[0] == answers[1] and answers[0] in {"0", "1", "2", "3", "4", "5", "6", ""}
    assert CallerModel(5, speech=False)("x", "a-prompt-of-another-flow", "say something") is None
    assert CallerModel(5, speech=False)("post_call_survey", "ask-rating", "rate us") in {
        "1",
        "2",
        "3",
        "4",
        "5",
        "",
    }


def test_the_days_screen_prints_one_containment_figure(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a small day as a table
    assert run_day(12, seed=3, progress=io.StringIO()) == 0
    out = capsys.readouterr().out
    # Then the self-served share is the self-service rate, and containment is the KPI report's alone
    assert re.search(r"Self-service rate \d+%", out)
    # One containment figure for the calls; the replay that ends the demo shows observed and projected
    calls, replayed = out.split(
        "What if: these calls replayed against examples/candidates/deflect-order-status.json"
    )
    assert len(re.findall(r"(?i)containment\b.*?\d+(\.\d+)?%", calls)) == 1
    assert re.search(r"(?m)^containment\s+\d+\.\d%\s+\d+\.\d%$", replayed)


def test_a_small_day_runs_end_to_end_with_consistent_figures(capsys: pytest.CaptureFixture[str]) -> None:
    progress = io.StringIO()
    assert run_day(24, seed=9, output_format="json", progress=progress) == 0
    document = json.loads(capsys.readouterr().out)
    summary, calls = document["summary"], document["calls"]
    # Then every call is counted once, in one outcome, and the figures agree with the calls
    assert len(calls) == summary["calls"] == 24
    assert sum(summary["outcomes"].values()) == 24
    assert Counter(c["outcome"] for c in calls) == Counter(summary["outcomes"])
    assert "error" not in summary["outcomes"] and summary["lambdaErrors"] == 0
    assert summary["selfServiceRate"] == round(summary["outcomes"].get("self-served", 0) / 24, 4)
    assert "containment" not in summary
    ratings = [c["csat"] for c in calls if c["csat"] is not None]
    assert summary["csat"]["ratings"] == len(ratings)
    assert sum(summary["csat"]["distribution"].values()) == len(ratings)
    assert sum(sum(hour.values()) for hour in summary["byHour"].values()) == 24
    assert all(c["lambdaCalls"][0] == "crm_lookup" for c in calls)
    assert not FULL_NUMBER.search(json.dumps(calls))
    # Recontact and resolution rates by rule, adding up to the oracle's, which the counters match
    by_rule, expected = summary["byRule"], document["kpis"]["expected"]
    assert sum(r["contacts"] for r in by_rule.values()) == 24
    for name in ("contained", "recontacted", "resolved"):
        assert sum(r[name] for r in by_rule.values()) == summary["recontacts"][name] == expected[name]
    for figures in by_rule.values():
        assert figures["recontactRate"] == round(figures["recontacted"] / figures["contacts"], 4)
        assert figures["resolutionRate"] == round(figures["resolved"] / figures["contacts"], 4)
        assert figures["resolved"] <= figures["contained"]
    assert summary["ringBacks"] == sum(c["ringBack"] for c in calls)
    # The day's decisions replayed against the deflect candidate: every call, a projection for each
    replayed = document["replay"]
    assert replayed["calls"] == 24 and replayed["documents"]["rules"]["source"] == "candidate"
    assert replayed["observed"]["calls"] == replayed["projected"]["calls"] == 24
    counted = {row["value"]: row for row in document["kpis"]["byRule"]["rows"]}
    assert {rule: row["counts"]["recontacted"] for rule, row in counted.items()} == {
        rule: r["recontacted"] for rule, r in by_rule.items()
    }
    assert all("recontactRate" in row["kpis"] and "resolutionRate" in row["kpis"] for row in counted.values())
    # And the progress went to its own stream, ending at the total
    assert progress.getvalue().rstrip().splitlines()[-1].startswith("  24/24 calls (100%)")


# --- the simulator's caller model hooks the demo relies on ------------------------------------------


def test_a_responder_answers_once_the_script_is_used_up(box: Sandbox, tmp_path: Path) -> None:
    asked: list[tuple[str, str, str]] = []

    def responder(flow: str, action_id: str, prompt: str) -> str | None:
        asked.append((flow, action_id, prompt))
        return "2"

    def menu(identifier: str, text: str, then: str) -> dict[str, object]:
        return action(
            identifier,
            "GetParticipantInput",
            {"Text": text, "StoreInput": "False"},
            NextAction="end",
            Conditions=[
                {"NextAction": then, "Condition": {"Operator": "Equals", "Operands": ["1"]}},
                {"NextAction": "two", "Condition": {"Operator": "Equals", "Operands": ["2"]}},
            ],
        )

    flow = write_flow(
        tmp_path,
        "menus",
        menu("first", "Press 1", "second"),
        menu("second", "Press 1 again", "end"),
        say("two", "You pressed 2", "end"),
        END,
    )
    result = simulate(
        flow, box=box, config=SimulationConfig(flows_dir=tmp_path, inputs=["1"], responder=responder)
    )
    # The script answered the first menu; the responder the second, told where and what it heard
    assert asked == [("menus", "second", "Press 1 again")]
    assert [(s.action, s.said) for s in result.steps if s.said is not None] == [
        ("first", "1"),
        ("second", "2"),
    ]
    assert result.heard[-1] == "You pressed 2"


def test_the_day_is_anchored_in_new_york() -> None:
    plan = plan_day(60, 1, calendar())
    assert all(c.moment.tzinfo is not None for c in plan)
    # Monday to Wednesday, 07:00 to 21:00 each day
    assert {c.moment.date().isoformat() for c in plan} == {"2026-11-23", "2026-11-24", "2026-11-25"}
    assert all(7 <= c.moment.hour < 21 for c in plan)


# --- recontacts: callers ringing back, and the oracle that counts them -------------------------------


def test_callers_ring_back_more_about_problems_self_service_helps_less_with() -> None:
    plan = plan_day(3000, 5, calendar())
    assert len(plan) == 3000  # --calls N is the total, ring-backs included
    ring_backs = [c for c in plan if c.ring_back]
    assert ring_backs
    # Each ring-back follows an unsolved call of the same caller about the same problem, within the window
    for call in ring_backs:
        before = [
            c
            for c in plan
            if c.caller == call.caller
            and c.problem == call.problem
            and c.moment < call.moment
            and not c.helped
        ]
        assert before and call.moment - before[-1].moment <= RECONTACT_WINDOW, call
    # More ring-backs per call about a complaint (self-service helps least) than about opening hours
    complaint, hours = (next(p for p in PROBLEMS if p.key == key) for key in ("5", "3"))

    def rung_back_share(problem: object) -> float:
        calls = [c for c in plan if c.problem == problem and not c.ring_back]
        return sum(1 for c in ring_backs if c.problem == problem) / len(calls)

    assert complaint.helps < hours.helps
    assert rung_back_share(complaint) > 3 * rung_back_share(hours)
    # Withheld callers ring back too, and the oracle never counts them
    assert any(c.caller == "anonymous" for c in ring_backs)
    contacts = [
        Contact(c.caller if E164.fullmatch(c.caller) else None, c.moment.replace(microsecond=0), "r", False)
        for c in plan
    ]
    flags = recontacted(contacts)
    assert not any(flag for c, flag in zip(plan, flags, strict=True) if c.caller == "anonymous")
    # A caller's calls are one chain of ring-backs: a numbered call is recontacted when it was rung back
    assert sum(flags) == sum(1 for c in ring_backs if c.caller != "anonymous")


def test_the_oracle_counts_recontacts_on_a_hand_made_plan() -> None:
    monday = datetime(2026, 11, 23, 9, tzinfo=NEW_YORK)
    hour = timedelta(hours=1)

    def call(caller: str | None, at: datetime) -> Contact:
        return Contact(caller, at, "r", True)

    contacts = [
        call("+12025550111", monday + 80 * hour),  # C: 79 h after B, nothing after it
        call("+12025550111", monday),  # A: B rings back an hour later
        call("+12025550111", monday + hour),  # B: C is past the window
        call("+12025550122", monday),  # D: E exactly 72 h later counts
        call("+12025550122", monday + 72 * hour),  # E
        call("+12025550133", monday),  # F: G starts the same second, not after it
        call("+12025550133", monday),  # G
        call(None, monday),  # withheld, twice: never a recontact
        call(None, monday + hour),
        call("+12025550144", monday + hour),  # another caller, once
    ]
    assert recontacted(contacts) == [False, True, False, True, False, False, False, False, False, False]
    assert recontacted(contacts, timedelta(hours=80)) == [
        False,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
        False,
        False,
    ]
