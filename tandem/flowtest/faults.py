"""Checking a test case's local block faults (`Metadata.Tandem.Faults`) against the flows.

A fault names a block by flow and action id; a typo would otherwise inject nothing and the case
would test something else. So each must name a flow in flows/, an action in it with the error
branch asked for, and a block the testing language cannot override itself: a Lambda, hours
check, Lex bot or queue transfer fails portably through `OverrideSystemBehavior`, which runs in
the cloud too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flowdoc.document import FlowLoadError
from flowdoc.testcase import TestCaseError
from tandem.flows.simulator import (
    OVERRIDABLE_ACTIONS,
    FlowNotFound,
    FlowRefused,
    LocalResources,
    find_flow_file,
    load,
)
from tandem.flows.simulator.flows import NO_MATCHING_ERROR


def check_faults(faults: Mapping[str, str], flows_dir: Path, where: str) -> None:
    """TestCaseError (one line: `where`, the fault, what is wrong) when a fault names no such
    block, a branch the block does not have, or a block the testing language overrides."""
    resources = LocalResources({}, {})
    for block, error in faults.items():
        named = f"{where} {block}{':' + error if error else ''}"
        flow_name, _, action_id = block.partition("/")
        try:
            flow = load(find_flow_file(flow_name, flows_dir), resources)
        except (FlowNotFound, FlowRefused, FlowLoadError):
            raise TestCaseError(f"{named}: no flow {flow_name!r} in {flows_dir}") from None
        action = flow.actions.get(action_id)
        if action is None:
            raise TestCaseError(f"{named}: flow {flow_name} has no action {action_id!r}")
        kind = str(action.get("Type", ""))
        if kind in OVERRIDABLE_ACTIONS:
            raise TestCaseError(
                f"{named}: a {kind} block fails through OverrideSystemBehavior (portable to the cloud)"
            )
        wanted = error or NO_MATCHING_ERROR
        errors = _error_types(action)
        if wanted not in errors:
            raise TestCaseError(
                f"{named}: the {kind} block has no {wanted} branch "
                f"(it has: {', '.join(sorted(errors)) or 'none'})"
            )


def _error_types(action: Mapping[str, Any]) -> set[str]:
    transitions = action.get("Transitions")
    errors = transitions.get("Errors") if isinstance(transitions, dict) else None
    return {str(e.get("ErrorType")) for e in errors or [] if isinstance(e, dict) and e.get("ErrorType")}
