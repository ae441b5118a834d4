"""The repo's test cases (flows/tests/) run locally on the real Lambdas and pass; a copy with one
expected prompt changed fails, naming its observation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem.flowtest import RunOptions, find_cases, parse, read, run_case

CASES = find_cases()


def test_there_are_test_cases() -> None:
    assert len(CASES) >= 2


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_repo_case_passes(path: Path) -> None:
    result = run_case(read(path), RunOptions())
    assert result.passed, result.failures
    assert result.matched


def test_a_changed_prompt_fails_naming_its_observation(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2] / "flows" / "tests" / "press_0_speak_to_someone.json"
    raw = json.loads(source.read_text(encoding="utf-8"))
    menu = next(o for o in raw["Content"]["Observations"] if o["Identifier"] == "main-menu")
    menu["Event"]["Properties"]["Text"] = "To speak to someone, press 9."
    result = run_case(parse(raw, tmp_path / "changed.json"), RunOptions())
    assert not result.passed
    assert any("'main-menu' never matched" in f and "press 9" in f for f in result.failures), result.failures
    assert "MessageReceived" in result.failures[0]  # what the contact did instead
