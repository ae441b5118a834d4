"""Reserved concurrency: opt-in per function through context, none by default.

An account may reserve concurrency only up to its limit minus 100 unreserved, and new accounts often
have a limit of 10, so a default reservation would fail the first deploy.
"""

from __future__ import annotations

import pytest
from infra_support import RESERVED_CONCURRENCY, Synthesized, function_named

from infra import constants

pytestmark = pytest.mark.slow


def test_the_stack_deploys_exactly_the_functions_context_may_name(each_mode: Synthesized) -> None:
    # Given the names reservedConcurrency is validated against / Then each is a deployed function
    for name in constants.FUNCTION_NAMES:
        function_named(each_mode, name)
    assert len(each_mode.resources("AWS::Lambda::Function")) == len(constants.FUNCTION_NAMES)


def test_no_function_reserves_concurrency_by_default(new_instance: Synthesized) -> None:
    # Given no reservedConcurrency context / Then no function takes any of the account's pool
    for logical_id, function in new_instance.resources("AWS::Lambda::Function").items():
        assert "ReservedConcurrentExecutions" not in function["Properties"], logical_id


def test_reserved_concurrency_is_set_for_the_functions_named_and_only_those(
    existing_instance: Synthesized,
) -> None:
    # Given reservedConcurrency for crm_lookup and ivr_decision (as JSON text, the way -c passes it)
    for name in constants.FUNCTION_NAMES:
        _, function = function_named(existing_instance, name)
        # Then those two reserve what was asked, and the others reserve nothing
        assert function["Properties"].get("ReservedConcurrentExecutions") == RESERVED_CONCURRENCY.get(name)
