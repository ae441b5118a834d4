"""The simulator on flows it did not write: real exports from public repositories.

Their Lambda ARNs and flow ids are literal or hold another pipeline's `${...}` placeholders, so
their Lambda blocks take the error branch and their transfers find no flow; none of it may crash.
"""

from __future__ import annotations

import pytest

from tandem.flows.simulator import OUTCOMES, SimulationConfig, simulate
from tests.conftest import SHARED_FIXTURES, shared_fixture

REAL_FLOWS = sorted(p.name for p in (SHARED_FIXTURES / "real-flows").glob("*.json"))


@pytest.mark.parametrize("name", REAL_FLOWS or ["(none)"])
def test_a_real_flow_simulates_to_an_outcome_or_a_guard_stop(box: object, name: str) -> None:
    path = shared_fixture(f"real-flows/{name}")
    result = simulate(path, box=box, config=SimulationConfig(inputs=["sales", "1"], queue_wait_seconds=900))  # type: ignore[arg-type]

    assert result.outcome in OUTCOMES
    assert result.steps, "at least the start action runs"
    if result.stopped:
        assert result.outcome == "error" and "\n" not in result.stopped
    for call in result.lambda_calls:  # literal ARNs name functions the sandbox does not have
        assert call.error
    assert all(0.0 <= c.ratio <= 1.0 for c in result.coverage.values())


def test_the_acme_main_flow_reaches_its_lambda_and_falls_back(box: object) -> None:
    path = shared_fixture("real-flows/acme_main_AUTO.json")
    result = simulate(path, box=box, config=SimulationConfig(inputs=["sales"]))  # type: ignore[arg-type]
    types = [s.type for s in result.steps]
    assert "UpdateFlowAttributes" in types
    # Its Lex alias comes from a flow attribute it never sets: the Lex block's error branch
    assert ("ConnectParticipantWithLexBot", "NoMatchingError") in [(s.type, s.branch) for s in result.steps]
    assert result.heard[0] == "Welcome to ACME corporation"
    assert result.heard[-1].startswith("We are experiencing technical difficulties")
    assert result.outcome == "disconnected"
