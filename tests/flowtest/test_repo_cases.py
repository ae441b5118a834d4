"""What the run of every repo case (tests/flowtest/test_junit_report.py reads it) cannot show: a
copy with one expected prompt changed fails, naming its observation; cases sharing one sandbox
(`run_suite`) do not see each other's data."""

from __future__ import annotations

import json
from pathlib import Path

from tandem.flowtest import RunOptions, find_cases, parse, read, run_case, run_suite

CASES = find_cases()


def test_there_are_test_cases() -> None:
    assert len(CASES) >= 2


def test_no_case_names_a_resource_by_a_literal_arn() -> None:
    """Resources are typed placeholders everywhere in a case, its local conditions included."""
    literal = [str(path) for path in CASES if "arn:aws" in path.read_text(encoding="utf-8")]
    assert literal == []


def test_cases_on_one_sandbox_do_not_see_each_others_data(tmp_path: Path) -> None:
    """A callback booked by one case is gone for the next: the same booking case twice passes
    twice on one sandbox (the second would hear "already booked" if the tables leaked)."""
    booking = next(p for p in CASES if p.stem == "demo-long-queue-callback")
    assert run_case(read(booking), RunOptions()).passed
    run = run_suite([booking, booking], RunOptions())
    assert run.problems == [] and [r.passed for r in run.results] == [True, True], [
        r.failures for r in run.results
    ]


def test_without_the_reset_the_second_booking_fails() -> None:
    """The check above can fail: one sandbox without the reset, the second booking differs."""
    from tandem.local import sandbox

    booking = next(p for p in CASES if p.stem == "demo-long-queue-callback")
    with sandbox(attach=False) as box:
        first = run_case(read(booking), RunOptions(), box=box)
        second = run_case(read(booking), RunOptions(), box=box)
    assert first.passed and not second.passed


def test_a_changed_prompt_fails_naming_its_observation(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2] / "flows" / "tests" / "press_0_speak_to_someone.json"
    raw = json.loads(source.read_text(encoding="utf-8"))
    menu = next(o for o in raw["Content"]["Observations"] if o["Identifier"] == "main-menu")
    menu["Event"]["Properties"]["Text"] = "To speak to someone, press 9."
    result = run_case(parse(raw, tmp_path / "changed.json"), RunOptions())
    assert not result.passed
    assert any("'main-menu' never matched" in f and "press 9" in f for f in result.failures), result.failures
    assert "MessageReceived" in result.failures[0]  # what the contact did instead
