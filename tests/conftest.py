"""Fixtures shared by every test tier."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tandem.local import Sandbox, sandbox
from tandem.local.server import ATTACH_VAR
from tests.service_models import share_service_models

# The suite never attaches to a developer's `tandem sandbox up` server: with this set, every
# `sandbox()` here (and in any child process) runs in-process. Tests that mean to attach delete it
# with monkeypatch, in a temporary directory (tests/integration/test_sandbox_server.py).
os.environ[ATTACH_VAR] = "0"

# Service models parsed once per test process, not once per sandbox (tests/service_models.py).
share_service_models()

# The flow coverage of the demo scenarios, printed at the end of the run (tests/flows/test_scenarios.py);
# the wall clock moved years ahead when TANDEM_TIME_TRAVEL_YEARS is set (tests/time_travel.py).
pytest_plugins = ["tests.flows.coverage_report", "tests.time_travel"]

REPO = Path(__file__).resolve().parent.parent
# A worktree elsewhere may point at the fixtures with TANDEM_SHARED_FIXTURES.
SHARED_FIXTURES = Path(os.environ.get("TANDEM_SHARED_FIXTURES") or REPO.parent / "shared" / "fixtures")
OWN_EVENTS = REPO / "tests" / "events"


def shared_fixture(relative: str) -> Path:
    """A file from ../shared/fixtures; skip the test on a clone without ../shared."""
    path = SHARED_FIXTURES / relative
    if not path.exists():
        pytest.skip(f"shared fixture {relative} not available (../shared is absent)")
    return path


def load_event(name: str) -> dict[str, Any]:
    return json.loads((OWN_EVENTS / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture
def box() -> Iterator[Sandbox]:
    with sandbox(attach=False) as running:
        yield running


def assert_flow_contract(response: Any) -> None:
    """What every Connect-facing handler promises for any input."""
    assert isinstance(response, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in response.items()), response
    assert response["status"] in {"OK", "NOT_FOUND", "DEGRADED", "INVALID_INPUT"}
    assert len(json.dumps(response, ensure_ascii=False).encode("utf-8")) < 32 * 1024


# A fixture wider than a test that the suite defines (the CDK synths of tests/infra/conftest.py, a
# module's demo run) is built once per pytest-xdist worker that uses it. Under `--dist loadgroup`
# the tests using it stay on one worker, grouped by where it is defined, so it is built once; every
# other test is scheduled on its own, so no single file is a long pole. (Fixtures from plugins, such
# as tmp_path_factory and the flow coverage collector, cost nothing to build twice.)
SHARED_SCOPES = ("session", "package", "module")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixture_info = getattr(item, "_fixtureinfo", None)
        if fixture_info is None:
            continue
        homes = {
            definitions[-1].baseid
            for definitions in fixture_info.name2fixturedefs.values()
            if definitions[-1].baseid and definitions[-1].scope in SHARED_SCOPES
        }
        if "tests/infra/" in item.nodeid.replace("\\", "/"):
            # Synths and the packaging tests build Lambda assets in one .build/ directory: one worker.
            homes = {"tests/infra"}
        if homes:
            item.add_marker(pytest.mark.xdist_group(" ".join(sorted(homes))))
