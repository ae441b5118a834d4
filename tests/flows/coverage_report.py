"""Branch coverage of the repo's flows by the demo scenarios, printed at the end of the test run.

The scenario tests (tests/flows/test_scenarios.py) hand each demo call's result to the session's
`scenario_coverage` collector. At the end of the run the terminal summary prints one line per flow:
transitions taken of all, the percentage, and for the inbound flow how many actions no scenario
visited. Nothing is printed when no scenario test ran (`-k` deselection, another directory).

Under pytest-xdist the scenario tests run in workers: each worker puts its collector, as plain JSON
data, in `config.workeroutput` at `pytest_sessionfinish`; the controller merges what every worker
sends back in `pytest_testnodedown` and prints. Without xdist (`-p no:xdist`, `-n 0`) the tests run
in the controller itself and it prints its own collector.

Registered from tests/conftest.py (`pytest_plugins`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tandem.demo.scenarios import DEMO_SCENARIOS
from tandem.flows.simulator import FLOWS_DIR, Flow, LocalResources, SimulationResult, find_flow_file, load
from tandem.local.sandbox import QUEUE_ARNS

# The repo's flows, in the order the report lists them; a flow reached that is not listed follows.
REPORTED_FLOWS = ("inbound_main", "customer_queue", "agent_whisper", "post_call_survey")
ACTIONS_REPORTED_FOR = "inbound_main"
WORKER_OUTPUT_KEY = "tandem_flow_coverage"

Transition = tuple[str, str]


@dataclass
class FlowRecord:
    """One flow over several calls: its transitions, the ones taken, the actions visited."""

    transitions: set[Transition] = field(default_factory=set)
    taken: set[Transition] = field(default_factory=set)
    visited: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, list[Any]]:
        return {
            "transitions": [list(t) for t in sorted(self.transitions)],
            "taken": [list(t) for t in sorted(self.taken)],
            "visited": sorted(self.visited),
        }

    def merge_json(self, data: dict[str, list[Any]]) -> None:
        self.transitions |= {(str(a), str(b)) for a, b in data.get("transitions", [])}
        self.taken |= {(str(a), str(b)) for a, b in data.get("taken", [])}
        self.visited |= {str(a) for a in data.get("visited", [])}


@dataclass
class ScenarioCoverage:
    """What the scenario tests of this process (or, merged, of every worker) covered."""

    scenarios: set[str] = field(default_factory=set)
    flows: dict[str, FlowRecord] = field(default_factory=dict)

    def add(self, scenario: str, result: SimulationResult) -> None:
        self.scenarios.add(scenario)
        for name, coverage in result.coverage.items():
            record = self.flows.setdefault(name, FlowRecord())
            record.transitions |= coverage.transitions
            record.taken |= coverage.taken
            record.visited |= set(result.path(name))

    def to_json(self) -> dict[str, Any]:
        """Lists, strings and dicts only: what execnet carries from a worker to the controller."""
        return {
            "scenarios": sorted(self.scenarios),
            "flows": {name: record.to_json() for name, record in sorted(self.flows.items())},
        }

    def merge_json(self, data: dict[str, Any]) -> None:
        self.scenarios |= {str(s) for s in data.get("scenarios", [])}
        for name, record in (data.get("flows") or {}).items():
            self.flows.setdefault(str(name), FlowRecord()).merge_json(record)


COLLECTOR = pytest.StashKey[ScenarioCoverage]()


def _collector(config: pytest.Config) -> ScenarioCoverage:
    collector = config.stash.get(COLLECTOR, None)
    if collector is None:
        collector = config.stash[COLLECTOR] = ScenarioCoverage()
    return collector


@pytest.fixture(scope="session")
def scenario_coverage(request: pytest.FixtureRequest) -> ScenarioCoverage:
    """The session's collector: a scenario test adds its call's result to it."""
    return _collector(request.config)


def pytest_configure(config: pytest.Config) -> None:
    _collector(config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: send the data back with the worker's results
        workeroutput[WORKER_OUTPUT_KEY] = _collector(session.config).to_json()


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown (and never called) without xdist
def pytest_testnodedown(node: Any, error: Any) -> None:
    data = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if data:
        _collector(node.config).merge_json(data)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: the controller reports
        return
    collector = _collector(config)
    if not collector.scenarios:
        return
    heading, lines = report(collector)
    terminalreporter.write_sep("=", heading)
    for line in lines:
        terminalreporter.write_line(line)


def report(collector: ScenarioCoverage) -> tuple[str, list[str]]:
    """The heading and the table's lines: per flow, transitions taken/all and the percentage."""
    heading = (
        f"flow coverage by the demo scenarios ({len(collector.scenarios)} of {len(DEMO_SCENARIOS)} calls)"
    )
    rows = [("flow", "transitions", "%", "")]
    for name in [*REPORTED_FLOWS, *sorted(set(collector.flows) - set(REPORTED_FLOWS))]:
        record = collector.flows.get(name, FlowRecord())
        flow = repo_flow(name)
        transitions = record.transitions | (flow.transitions if flow else frozenset())
        taken = record.taken & transitions
        percent = f"{len(taken) / len(transitions):.0%}" if transitions else "-"
        note = ""
        if name not in collector.flows:
            note = "never entered"
        elif name == ACTIONS_REPORTED_FOR and flow is not None:
            unvisited = len(set(flow.actions) - record.visited)
            note = f"{unvisited} of {len(flow.actions)} actions never visited"
        rows.append((name, f"{len(taken)}/{len(transitions)}", percent, note))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        f"{name.ljust(widths[0])}  {ratio.rjust(widths[1])}  {percent.rjust(widths[2])}  {note}".rstrip()
        for name, ratio, percent, note in rows
    ]
    return heading, lines


def repo_flow(name: str) -> Flow | None:
    """The repo's flow of that name, placeholders resolved as the simulator resolves them."""
    try:
        return load(find_flow_file(name, FLOWS_DIR), LocalResources(dict(QUEUE_ARNS), {}))
    except ValueError:  # FlowNotFound: a flow reached that is not in flows/
        return None
