"""Amazon Connect's own test cases, run locally on the real Lambdas through the flow simulator.

A test case is written in Connect's testing language (docs/testing-flows.md): observations of
events (`TestInitiated`, `MessageReceived`, `FlowActionStarted`, `TestCompleted`) with actions
(`SendInstruction`, `OverrideSystemBehavior`, `Assert`, `TestControl`), chained through
`NextObservations`. Files live in `flows/tests/` as the CreateTestCase-shaped wrapper
(`Name`, `EntryPoint`, `Content` as a JSON string or object, `InitializationData`) with the flows'
`{{type:name}}` placeholders, or as a bare document whose entry point comes from `RunOptions`.

API (what `tandem test` and other tools use):

- `read(path) -> TestCase` — parse and check a file; `TestCaseError` (one line naming the file,
  the observation and what is wrong) otherwise. `parse(raw, path)` does the same for loaded JSON.
- `find_cases(paths) -> list[Path]` — the *.json files under the given files/directories
  (default `flows/tests/`), sorted.
- `run_case(case, RunOptions(...)) -> TestResult` — run one case on a fresh sandbox. `TestResult`
  has `name`, `path`, `passed`, `matched` (observation, event, action notes), `failures` (one
  line each), `simulation` (the simulator's `SimulationResult`: steps, prompts, Lambda calls,
  coverage), `events` (what the contact did, in testing-language terms), `logged`, `seconds`.
- `run_suite(paths, RunOptions(...)) -> SuiteRun` — run many cases on one sandbox, reset to its
  seeded tables and cold containers before each (`results`, `problems`, wall-clock `seconds`).
- `RunOptions(flow, caller, channel, similarity, max_steps, flows_dir)`.
- `report`: `text(results)`, `as_json(results)`, `junit(results) -> str`, `coverage(results,
  flows_dir)`.
- `events.similarity(a, b)` — the local Similarity approximation; `events.DEFAULT_SIMILARITY`.

Modules: `flowdoc.testcase` reads and checks the document (synth uses the same reader);
`reading` (`read` / `parse`: that reader plus the local conditions), `suite` (where cases are,
`run_suite`: many cases on one sandbox reset between them), `events` (event names, grouping and
matching rules), `actions` (what actions do), `runner` (the harness on the simulator's hooks,
chaining, timeouts), `report` (text, JSON, JUnit, coverage beside `reach`: what a cloud test can
take), `conditions` (`Metadata.Tandem`, local conditions), `faults` (its block faults checked
against the flows). In the cloud (`tandem test --target aws`): `deployed` (find a test case by
Name, or create it from the deployed flows) and `cloud` (`run_cloud`: executions, backoff,
budget, records → `TestResult`).
"""

from flowdoc.testcase import TestCase, TestCaseError
from tandem.flowtest.reading import parse, read
from tandem.flowtest.runner import RunOptions, TestResult, run_case
from tandem.flowtest.suite import TESTS_DIR, SuiteRun, find_cases, run_suite

__all__ = [
    "TESTS_DIR",
    "RunOptions",
    "SuiteRun",
    "TestCase",
    "TestCaseError",
    "TestResult",
    "find_cases",
    "parse",
    "read",
    "run_case",
    "run_suite",
]
