"""Local-only block faults (`Metadata.Tandem.Faults`): a block takes its error branch instead of
running, which drives the flows' handling of Connect's own failures; such a case is checked
against the flows, left out of the tests' stack and skipped by `--target aws`."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from infra.flow_test_cases import document_local_only, local_only
from tandem.flows.simulator import SimulationConfig, simulate
from tandem.flowtest import RunOptions, TestCaseError, parse, run_case
from tandem.flowtest.conditions import ConditionsError, read_conditions
from tandem.local import Sandbox
from tests.conftest import REPO

TESTS = REPO / "flows" / "tests"
GREET_FAILS = TESTS / "fault-inbound-main-greet-by-name.json"
NUMBER_INVALID = TESTS / "fault-customer-queue-set-callback-number-InvalidCallbackNumber.json"


def _raw(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _with_faults(raw: dict[str, Any], faults: list[str] | None) -> dict[str, Any]:
    changed = copy.deepcopy(raw)
    tandem = changed["Content"]["Metadata"].setdefault("Tandem", {})
    if faults is None:
        tandem.pop("Faults", None)
    else:
        tandem["Faults"] = faults
    return changed


def test_a_block_fault_takes_the_error_branch_without_running_the_block(box: Sandbox) -> None:
    config = SimulationConfig(caller="+12025550101", block_faults={"inbound_main/greet-by-name": ""})
    result = simulate("inbound_main", box=box, config=config)
    step = next(s for s in result.steps if s.action == "greet-by-name")
    assert step.branch == "NoMatchingError" and "injected fault" in step.note
    assert ("greet-by-name", "NoMatchingError") in result.coverage["inbound_main"].taken
    assert not any(p.action == "greet-by-name" for p in result.prompts)
    untouched = simulate("inbound_main", box=box, config=SimulationConfig(caller="+12025550101"))
    assert next(s for s in untouched.steps if s.action == "greet-by-name").branch == "NextAction"


def test_a_block_fault_may_name_the_blocks_own_error_type(box: Sandbox) -> None:
    raw = _raw(NUMBER_INVALID)
    result = run_case(parse(raw, Path("invalid.json")), RunOptions(), box=box)
    assert result.passed, result.failures
    assert result.simulation is not None
    taken = result.simulation.coverage["customer_queue"].taken
    assert ("set-callback-number", "InvalidCallbackNumber") in taken


def test_the_fault_case_fails_without_its_fault(box: Sandbox) -> None:
    """The repo's fault case depends on the fault: without it the contact does something else."""
    raw = _raw(NUMBER_INVALID)
    assert run_case(parse(raw, NUMBER_INVALID), RunOptions(), box=box).passed
    plain = run_case(parse(_with_faults(raw, None), Path("plain.json")), RunOptions(), box=box)
    assert not plain.passed


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        (["inbound_main/no-such-block"], "flow inbound_main has no action 'no-such-block'"),
        (["nowhere/greet-by-name"], "no flow 'nowhere'"),
        (["inbound_main/greet-by-name:QueueAtCapacity"], "has no QueueAtCapacity branch"),
        (["inbound_main/lookup-caller"], "fails through OverrideSystemBehavior"),
    ],
)
def test_a_fault_that_names_no_failing_block_is_one_line(faults: list[str], expected: str) -> None:
    changed = _with_faults(_raw(GREET_FAILS), faults)
    with pytest.raises(TestCaseError) as caught:
        run_case(parse(changed, Path("bad.json")), RunOptions())
    message = str(caught.value)
    assert "\n" not in message and "bad.json: Metadata.Tandem.Faults" in message and expected in message


@pytest.mark.parametrize(
    "faults", ["inbound_main/x", ["no-slash"], [3], ["inbound_main/x", "inbound_main/x:NoMatchingError"]]
)
def test_malformed_faults_are_one_line(faults: Any) -> None:
    with pytest.raises(ConditionsError, match=r"^Metadata\.Tandem\.Faults "):
        read_conditions({"Tandem": {"Faults": faults}})


def test_a_case_with_faults_is_local_only() -> None:
    raw = _raw(GREET_FAILS)
    assert document_local_only(raw["Content"]) == ["Faults"]
    assert local_only({"Faults": []}) == [] and local_only({"Hours": "closed"}) == []
    assert document_local_only(_raw(TESTS / "press_0_speak_to_someone.json")["Content"]) == []


def test_record_with_a_fault_writes_a_local_only_case_that_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tandem.cli import main

    out = tmp_path / "greeting-fails.json"
    fault = "inbound_main/greet-by-name"
    flags = ["--caller", "+12025550101", "--fault", fault, "--name", "greeting-fails", "-o", str(out)]
    code = main(["test", "record", "inbound_main", *flags])
    assert code == 0, capsys.readouterr().err
    raw = _raw(out)
    assert raw["Content"]["Metadata"]["Tandem"]["Faults"] == [fault]
    assert document_local_only(raw["Content"]) == ["Faults"]
    assert run_case(parse(raw, out), RunOptions()).passed


def test_a_fault_flag_naming_no_block_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from tandem.cli import main

    code = main(["simulate", "inbound_main", "--fault", "inbound_main/nothing-here"])
    assert code == 2
    assert "--fault inbound_main/nothing-here: flow inbound_main has no action" in capsys.readouterr().err
