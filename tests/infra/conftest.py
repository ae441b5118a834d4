"""Synthesized Tandem apps shared by the infra tests.

Synthesis takes seconds (the jsii kernel, asset staging), so each mode is synthesized once per
test session (once per xdist worker) and every test reads the same result.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from infra_support import EXISTING_CONTEXT, NEW_INSTANCE_CONTEXT, Synthesized, synthesize


@pytest.fixture(scope="session")
def new_instance(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(NEW_INSTANCE_CONTEXT, tmp_path_factory.mktemp("cdk-new-instance"))


@pytest.fixture(scope="session")
def existing_instance(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(EXISTING_CONTEXT, tmp_path_factory.mktemp("cdk-existing-instance"))


@pytest.fixture(scope="session", params=["new_instance", "existing_instance"])
def each_mode(request: pytest.FixtureRequest) -> Iterator[Synthesized]:
    yield request.getfixturevalue(request.param)
