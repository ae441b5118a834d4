"""`tandem test --target aws`: test cases run by Connect, reported as the local run is.

moto has no Connect test-case or flow-content APIs, so these tests use botocore's Stubber on the
real `connect` client: botocore checks every request and every canned answer against the service
model (boto3 1.44's), and the stubber checks the calls come in the expected order with the expected
parameters. Fake credentials and region; nothing reaches AWS. Time is a fake clock that moves only
when the code sleeps, so nothing waits and the wall clock is never read.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from flowdoc.placeholders import resolve_placeholders
from infra.flow_sources import flow_display_name, load_flows
from tandem.cli import main
from tandem.flowtest import TestCase, read
from tandem.flowtest.cloud import Backoff, CloudOptions, Entry, run_cloud
from tandem.flowtest.deployed import instance_id_of, matches_file, placeholder_values, region_of
from tandem.flowtest.report import text

REPO = Path(__file__).resolve().parents[2]
CASE_FILE = REPO / "flows" / "tests" / "press_0_speak_to_someone.json"
INSTANCE_ID = "11111111-2222-4333-8444-555555555555"
INSTANCE_ARN = f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE_ID}"
AT = datetime(2026, 1, 1, tzinfo=UTC)  # record timestamps only; nothing compares them with now
BUDGET = CloudOptions().budget_seconds


class FakeTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def connect() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "connect", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def backoff_on(fake_time: FakeTime, attempts: int = 8) -> Backoff:
    return Backoff(sleep=fake_time.sleep, jitter=lambda: 0.5, attempts=attempts)


def ids(test_case_id: str, execution_id: str) -> dict[str, str]:
    return {"InstanceId": INSTANCE_ID, "TestCaseId": test_case_id, "TestCaseExecutionId": execution_id}


def expect_start(stubber: Stubber, test_case_id: str, execution_id: str) -> None:
    stubber.add_response(
        "start_test_case_execution",
        {"TestCaseExecutionId": execution_id, "TestCaseId": test_case_id, "Status": "INITIATED"},
        {"InstanceId": INSTANCE_ID, "TestCaseId": test_case_id},
    )


def expect_summary(
    stubber: Stubber, test_case_id: str, execution_id: str, status: str, **counts: int
) -> None:
    answer: dict[str, Any] = {"StartTime": AT, "Status": status}
    if counts:
        answer["ObservationSummary"] = counts
    stubber.add_response("get_test_case_execution_summary", answer, ids(test_case_id, execution_id))


def record(observation: str, status: str, seconds: int, **detail: Any) -> dict[str, Any]:
    body = {"Type": "OBSERVATION", "Identifier": observation, "Status": status, **detail}
    return {
        "ObservationId": observation,
        "Status": status,
        "Timestamp": AT + timedelta(seconds=seconds),
        "Record": json.dumps(body),
    }


def expect_records(
    stubber: Stubber, test_case_id: str, execution_id: str, records: list[dict[str, Any]]
) -> None:
    stubber.add_response(
        "list_test_case_execution_records", {"ExecutionRecords": records}, ids(test_case_id, execution_id)
    )


def observation_ids(case: TestCase) -> list[str]:
    return [o.identifier for o in case.observations]


def all_passed(case: TestCase) -> list[dict[str, Any]]:
    return [record(o, "PASSED", n) for n, o in enumerate(observation_ids(case))]


def test_a_passing_run_reads_like_the_local_report(connect: tuple[Any, Stubber], fake_time: FakeTime) -> None:
    client, stubber = connect
    case = read(CASE_FILE)
    expect_start(stubber, "tc-1", "ex-1")
    expect_summary(stubber, "tc-1", "ex-1", "IN_PROGRESS")
    expect_summary(
        stubber, "tc-1", "ex-1", "PASSED", TotalObservations=5, ObservationsPassed=5, ObservationsFailed=0
    )
    expect_records(stubber, "tc-1", "ex-1", all_passed(case))

    results, problems = run_cloud(
        [Entry(case, "tc-1")], client, INSTANCE_ID, backoff=backoff_on(fake_time), clock=fake_time.clock
    )

    assert problems == []
    [result] = results
    assert result.passed and result.simulation is None
    assert [m.observation for m in result.matched] == observation_ids(case)
    assert fake_time.sleeps == [5.0] and result.seconds == 5.0
    shown = text(results)
    assert f"PASS press-0-speak-to-someone ({CASE_FILE})" in shown
    assert '✓ main-menu: MessageReceived (Inclusion) "To speak to someone, press 0."' in shown
    assert "the service: 5 of 5 observations passed" in shown


def test_a_failed_observation_names_it_and_what_the_service_said(
    connect: tuple[Any, Stubber], fake_time: FakeTime
) -> None:
    client, stubber = connect
    case = read(CASE_FILE)
    first, second, third, *rest = observation_ids(case)
    expect_start(stubber, "tc-1", "ex-1")
    expect_summary(stubber, "tc-1", "ex-1", "FAILED")
    expect_records(
        stubber,
        "tc-1",
        "ex-1",
        [
            record(first, "PASSED", 0),
            record(second, "PASSED", 1),
            record(third, "FAILED", 2, Message="No matching event before timeout"),
            {"ObservationId": "completion", "Status": "FAILED", "Timestamp": AT, "Record": "{not json"},
        ],
    )

    [result], problems = run_cloud(
        [Entry(case, "tc-1")], client, INSTANCE_ID, backoff=backoff_on(fake_time), clock=fake_time.clock
    )

    assert problems == [] and not result.passed
    assert result.failures[0] == (
        f"observation {third!r} failed in the cloud: expected MessageReceived (Inclusion) "
        '"To speak to someone, press 0."; the service: No matching event before timeout'
    )
    assert [f.split(" ", 2)[1] for f in result.failures[1:]] == [repr(o) for o in rest]
    assert all("never matched" in f for f in result.failures[1:])
    assert "FAIL press-0-speak-to-someone" in text([result])


def test_throttling_backs_off_with_jitter_then_succeeds(
    connect: tuple[Any, Stubber], fake_time: FakeTime
) -> None:
    client, stubber = connect
    case = read(CASE_FILE)
    for _ in range(2):
        stubber.add_client_error("start_test_case_execution", "ThrottlingException", "Rate exceeded", 429)
    expect_start(stubber, "tc-1", "ex-1")
    stubber.add_client_error("get_test_case_execution_summary", "ThrottlingException", "Rate exceeded", 429)
    expect_summary(stubber, "tc-1", "ex-1", "PASSED")
    expect_records(stubber, "tc-1", "ex-1", all_passed(case))
    backoff = backoff_on(fake_time)

    [result], problems = run_cloud(
        [Entry(case, "tc-1")], client, INSTANCE_ID, backoff=backoff, clock=fake_time.clock
    )

    assert result.passed and problems == []
    assert backoff.retries == 3
    assert fake_time.sleeps == [0.5, 1.0, 0.5]  # jitter (0.5) times 1 s doubled per attempt, per call


def test_a_quota_error_is_retried_then_the_run_goes_on(
    connect: tuple[Any, Stubber], fake_time: FakeTime
) -> None:
    client, stubber = connect
    case = read(CASE_FILE)
    stubber.add_client_error(
        "start_test_case_execution", "ServiceQuotaExceededException", "Too many executions", 402
    )
    expect_start(stubber, "tc-1", "ex-1")
    expect_summary(stubber, "tc-1", "ex-1", "PASSED")
    expect_records(stubber, "tc-1", "ex-1", all_passed(case))

    [result], problems = run_cloud(
        [Entry(case, "tc-1")], client, INSTANCE_ID, backoff=backoff_on(fake_time), clock=fake_time.clock
    )

    assert result.passed and problems == [] and fake_time.sleeps == [0.5]


def test_a_quota_error_that_persists_is_one_line_after_the_retries(
    connect: tuple[Any, Stubber], fake_time: FakeTime
) -> None:
    client, stubber = connect
    case = read(CASE_FILE)
    for _ in range(3):
        stubber.add_client_error(
            "start_test_case_execution", "ServiceQuotaExceededException", "Too many executions", 402
        )

    results, problems = run_cloud(
        [Entry(case, "tc-1")],
        client,
        INSTANCE_ID,
        backoff=backoff_on(fake_time, attempts=3),
        clock=fake_time.clock,
    )

    assert results == []
    assert problems == [
        f"{CASE_FILE}: start_test_case_execution: ServiceQuotaExceededException: Too many executions "
        "after 3 attempts"
    ]
    assert fake_time.sleeps == [0.5, 1.0]


def test_a_run_that_never_finishes_is_stopped_at_the_budget_and_reported_as_the_timeout(
    connect: tuple[Any, Stubber], fake_time: FakeTime
) -> None:
    client, stubber = connect
    case = read(CASE_FILE)
    first = observation_ids(case)[0]
    expect_start(stubber, "tc-1", "ex-1")
    polls = int(BUDGET // 5) + 1  # at 0, 5, ..., 330 s: the last one is over the budget
    for _ in range(polls):
        expect_summary(stubber, "tc-1", "ex-1", "IN_PROGRESS")
    stubber.add_response("stop_test_case_execution", {}, ids("tc-1", "ex-1"))
    expect_records(stubber, "tc-1", "ex-1", [record(first, "PASSED", 0)])

    [result], problems = run_cloud(
        [Entry(case, "tc-1")], client, INSTANCE_ID, backoff=backoff_on(fake_time), clock=fake_time.clock
    )

    assert problems == [] and not result.passed
    assert BUDGET == 330 and result.seconds == 330
    assert result.failures[0] == (
        "the execution did not finish within the 330 s budget (the service's 5-minute limit plus "
        "a margin): stopped"
    )
    assert [m.observation for m in result.matched] == [first]
    assert len(result.failures) == 1 + len(observation_ids(case)) - 1  # the rest never matched


def test_no_more_than_five_executions_run_at_once(connect: tuple[Any, Stubber], fake_time: FakeTime) -> None:
    client, stubber = connect
    case = read(CASE_FILE)
    entries = [Entry(case, f"tc-{n}") for n in range(7)]
    # The stubber enforces this order: five starts, five polls still running, then each ends,
    # and only then the sixth and seventh start.
    for n in range(5):
        expect_start(stubber, f"tc-{n}", f"ex-{n}")
    for n in range(5):
        expect_summary(stubber, f"tc-{n}", f"ex-{n}", "IN_PROGRESS")
    for n in range(5):
        expect_summary(stubber, f"tc-{n}", f"ex-{n}", "PASSED")
        expect_records(stubber, f"tc-{n}", f"ex-{n}", all_passed(case))
    for n in (5, 6):
        expect_start(stubber, f"tc-{n}", f"ex-{n}")
    for n in (5, 6):
        expect_summary(stubber, f"tc-{n}", f"ex-{n}", "PASSED")
        expect_records(stubber, f"tc-{n}", f"ex-{n}", all_passed(case))

    results, problems = run_cloud(
        entries, client, INSTANCE_ID, backoff=backoff_on(fake_time), clock=fake_time.clock
    )

    assert problems == [] and len(results) == 7 and all(r.passed for r in results)


# -- find or create, through the CLI


def fake_arns() -> dict[str, dict[str, str]]:
    """What a deployment resolves the flows' placeholders to (made-up ARNs in the fake account)."""
    resources = f"{INSTANCE_ARN}"
    return {
        "lambda": {
            name: f"arn:aws:lambda:us-east-1:123456789012:function:TandemStack-{name}-X1"
            for name in ("crm_lookup", "ivr_decision", "escalation", "survey", "ctr_ingest")
        },
        "queue": {
            name: f"{resources}/queue/{n:08d}-0000-4000-8000-000000000000"
            for n, name in enumerate(("general", "priority", "billing", "complaints", "callback"))
        },
        "hours": {"main": f"{resources}/operating-hours/00000009-0000-4000-8000-000000000000"},
        "setting": {"lexBotAliasArn": ""},
        "flow": {
            stem: f"{resources}/contact-flow/{n:08d}-1111-4000-8000-000000000000"
            for n, stem in enumerate(load_flows(REPO / "flows"))
        },
    }


def expect_deployed_flows(stubber: Stubber, values: dict[str, dict[str, str]]) -> None:
    flows = load_flows(REPO / "flows")
    summaries = [
        {
            "Id": arn.rsplit("/", 1)[1],
            "Arn": arn,
            "Name": flow_display_name(stem),
            "ContactFlowType": "CONTACT_FLOW",
        }
        for stem, arn in values["flow"].items()
    ]
    summaries.append(
        {"Id": "other", "Arn": f"{INSTANCE_ARN}/contact-flow/other", "Name": "Someone Else's Flow"}
    )
    stubber.add_response(
        "list_contact_flows", {"ContactFlowSummaryList": summaries}, {"InstanceId": INSTANCE_ID}
    )
    for stem, arn in values["flow"].items():
        content = resolve_placeholders(flows[stem], values, source=stem)
        stubber.add_response(
            "describe_contact_flow",
            {
                "ContactFlow": {
                    "Arn": arn,
                    "Id": arn.rsplit("/", 1)[1],
                    "Name": flow_display_name(stem),
                    "Content": json.dumps(content),
                }
            },
            {"InstanceId": INSTANCE_ID, "ContactFlowId": arn.rsplit("/", 1)[1]},
        )


def without_test_queue(raw: dict[str, Any]) -> dict[str, Any]:
    """The repo's case without its `{{queue:test}}` substitute: unsafe as it stands, and nothing in
    it needs the tests' stack."""
    start = raw["Content"]["Observations"][0]
    start["Actions"] = [a for a in start["Actions"] if a["Identifier"] != "use-test-queue"]
    return raw


def safe_copy(directory: Path, file_name: str = "press_0_queue_full.json") -> Path:
    """The repo's case with its queue transfer mocked (QueueAtCapacity) in place of the tests'
    queue, so a cloud run is safe and the case can be created from the deployed flows alone."""
    raw = without_test_queue(json.loads(CASE_FILE.read_text(encoding="utf-8")))
    raw["Name"] = "press-0-queue-full"
    start = raw["Content"]["Observations"][0]
    assert start["Event"]["Type"] == "TestInitiated"
    start["Actions"].append(
        {
            "Identifier": "queue-full",
            "Type": "OverrideSystemBehavior",
            "Parameters": {
                "ActionType": "OverrideSystemBehavior",
                "Behavior": {
                    "Type": "FlowAction",
                    "Properties": {
                        "ActionType": "TransferContactToQueue",
                        "ActionParameters": {},
                        "Strategy": {
                            "Type": "MockResponse",
                            "Response": {"Type": "Error", "Error": {"Value": "QueueAtCapacity"}},
                        },
                    },
                },
            },
            "Transitions": {"NextAction": ""},
        }
    )
    path = directory / file_name
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


@pytest.fixture
def cli_on(monkeypatch: pytest.MonkeyPatch, connect: tuple[Any, Stubber], fake_time: FakeTime) -> Stubber:
    client, stubber = connect
    monkeypatch.setattr("tandem.commands.test_aws.connect_client", lambda profile, region: client)
    monkeypatch.setattr("tandem.commands.test_aws.runtime", lambda: (backoff_on(fake_time), fake_time.clock))
    return stubber


def test_a_missing_test_case_is_created_from_the_deployed_flows_and_run(
    cli_on: Stubber, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = safe_copy(tmp_path)
    values = fake_arns()
    cli_on.add_response(
        "list_test_cases",
        {
            "TestCaseSummaryList": [
                {"Id": "tc-other", "Arn": "arn:x", "Name": "something-else", "Status": "PUBLISHED"}
            ]
        },
        {"InstanceId": INSTANCE_ID},
    )
    expect_deployed_flows(cli_on, values)
    document = json.loads(path.read_text(encoding="utf-8"))
    content = resolve_placeholders({**document["Content"], "Version": "2019-10-30"}, values, source="test")
    inbound_id = values["flow"]["inbound_main"].rsplit("/", 1)[1]
    cli_on.add_response(
        "create_test_case",
        {"TestCaseId": "tc-new", "TestCaseArn": f"{INSTANCE_ARN}/test-case/tc-new"},
        {
            "InstanceId": INSTANCE_ID,
            "Name": "press-0-queue-full",
            "Description": document["Description"],
            "Content": json.dumps(content),
            "Status": "PUBLISHED",
            "EntryPoint": {
                "Type": "VOICE_CALL",
                "VoiceCallEntryPointParameters": {"SourcePhoneNumber": "+12025550101", "FlowId": inbound_id},
            },
            "InitializationData": "{}",
        },
    )
    case = read(path)
    expect_start(cli_on, "tc-new", "ex-1")
    expect_summary(cli_on, "tc-new", "ex-1", "PASSED")
    expect_records(cli_on, "tc-new", "ex-1", all_passed(case))
    report = tmp_path / "junit.xml"

    code = main(["test", "--target", "aws", "--instance", INSTANCE_ARN, str(path), "--junit", str(report)])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"{path}: created 'press-0-queue-full' in the instance" in err
    assert "PASS press-0-queue-full" in out and "1 passed, 0 failed" in out
    assert values["lambda"]["ivr_decision"] in json.dumps(content)  # what the deployed flows call
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "0"


def test_a_found_test_case_fails_the_command_with_exit_1_and_json(
    cli_on: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    case = read(CASE_FILE)
    cli_on.add_response(
        "list_test_cases",
        {"TestCaseSummaryList": [{"Id": "tc-1", "Arn": "arn:x", "Name": case.name, "Status": "PUBLISHED"}]},
        {"InstanceId": INSTANCE_ID},
    )
    expect_describe(cli_on, "tc-1", deployed_content(CASE_FILE))
    expect_start(cli_on, "tc-1", "ex-1")
    expect_summary(cli_on, "tc-1", "ex-1", "FAILED")
    expect_records(cli_on, "tc-1", "ex-1", [record(observation_ids(case)[0], "PASSED", 0)])

    code = main(["test", "--target", "aws", "--instance", INSTANCE_ARN, str(CASE_FILE), "--format", "json"])

    answer = json.loads(capsys.readouterr().out)
    assert code == 1
    assert answer["summary"]["failed"] == 1 and answer["tests"][0]["name"] == case.name
    assert answer["tests"][0]["matched"][0]["observation"] == observation_ids(case)[0]
    assert not any("differs" in note for note in answer["tests"][0]["notes"])  # deployed as written


def deployed_content(path: Path, edit: Any = None) -> str:
    """The file's document as the tests' stack deploys it: placeholders resolved, Version set."""
    written = json.loads(path.read_text(encoding="utf-8"))["Content"]
    if isinstance(written, str):
        written = json.loads(written)
    if edit is not None:
        edit(written)
    values = fake_arns()
    values["queue"]["test"] = f"{INSTANCE_ARN}/queue/00000099-0000-4000-8000-000000000000"  # the stack's
    return json.dumps(resolve_placeholders({**written, "Version": "2019-10-30"}, values, source="test"))


def expect_describe(stubber: Stubber, test_case_id: str, content: str) -> None:
    stubber.add_response(
        "describe_test_case",
        {"TestCase": {"Id": test_case_id, "Name": "deployed", "Content": content, "Status": "PUBLISHED"}},
        {"InstanceId": INSTANCE_ID, "TestCaseId": test_case_id},
    )


def test_a_deployed_test_case_older_than_the_file_is_run_with_a_note(
    cli_on: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    case = read(CASE_FILE)

    def older(document: dict[str, Any]) -> None:
        document["Observations"][1]["Event"]["Properties"]["Text"] = "Hello, thanks for calling."

    cli_on.add_response(
        "list_test_cases",
        {"TestCaseSummaryList": [{"Id": "tc-1", "Arn": "arn:x", "Name": case.name, "Status": "PUBLISHED"}]},
        {"InstanceId": INSTANCE_ID},
    )
    expect_describe(cli_on, "tc-1", deployed_content(CASE_FILE, older))
    expect_start(cli_on, "tc-1", "ex-1")
    expect_summary(cli_on, "tc-1", "ex-1", "PASSED")
    expect_records(cli_on, "tc-1", "ex-1", all_passed(case))

    assert main(["test", "--target", "aws", "--instance", INSTANCE_ARN, str(CASE_FILE)]) == 0
    assert (
        f"note: the deployed test case differs from {CASE_FILE}; this ran the deployed one: deploy the "
        "TandemFlowTests stack (cdk deploy --all)" in capsys.readouterr().out
    )


def test_cases_that_cannot_be_run_are_one_line_each(
    cli_on: Stubber, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stored SAVED (it cannot run), two of one name in the instance (found over two pages), two
    files of one name, and a create the service refuses (InvalidTestCaseException's problems)."""
    for stem, name in {"a_saved": "case-saved", "b_twice": "case-twice", "c_again": "case-saved"}.items():
        raw = json.loads(CASE_FILE.read_text(encoding="utf-8"))
        raw["Name"] = name
        (tmp_path / f"{stem}.json").write_text(json.dumps(raw), encoding="utf-8")
    safe_copy(tmp_path, "d_new.json")
    summaries = [
        {"Id": "tc-s", "Arn": "arn:s", "Name": "case-saved", "Status": "SAVED"},
        {"Id": "tc-a", "Arn": "arn:a", "Name": "case-twice", "Status": "PUBLISHED"},
        {"Id": "tc-b", "Arn": "arn:b", "Name": "case-twice", "Status": "PUBLISHED"},
    ]
    cli_on.add_response(
        "list_test_cases",
        {"TestCaseSummaryList": summaries[:1], "NextToken": "page-2"},
        {"InstanceId": INSTANCE_ID},
    )
    cli_on.add_response(
        "list_test_cases",
        {"TestCaseSummaryList": summaries[1:]},
        {"InstanceId": INSTANCE_ID, "NextToken": "page-2"},
    )
    expect_deployed_flows(cli_on, fake_arns())
    cli_on.add_client_error(
        "create_test_case",
        "InvalidTestCaseException",
        "Invalid test case content",
        400,
        modeled_fields={"Problems": [{"message": "Observation 'greeting': unsupported Version"}]},
    )

    code = main(["test", "--target", "aws", "--instance", INSTANCE_ARN, str(tmp_path)])

    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"tandem test: {tmp_path}/a_saved.json: 'case-saved' is SAVED in the instance; only a PUBLISHED "
        "test case runs (deploy with context flowTestStatus=PUBLISHED)",
        f"tandem test: {tmp_path}/b_twice.json: 2 test cases named 'case-twice' in the instance",
        f"tandem test: {tmp_path}/c_again.json: Name 'case-saved' is already used by {tmp_path}/a_saved.json",
        f"tandem test: {tmp_path}/d_new.json: not created: create_test_case: InvalidTestCaseException: "
        "Invalid test case content; Observation 'greeting': unsupported Version",
    ]


def test_creating_is_refused_in_one_line_when_unsafe_or_not_resolvable(
    cli_on: Stubber, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The repo's case reaches a live queue unmocked; one substituting the test queue needs the
    tests' stack (no deployed flow holds that queue's ARN). Neither is created."""
    substituted = json.loads(safe_copy(tmp_path).read_text(encoding="utf-8"))
    strategy = substituted["Content"]["Observations"][0]["Actions"][-1]["Parameters"]["Behavior"][
        "Properties"
    ]
    strategy["Strategy"] = {"Type": "SubstituteResource", "SubstituteArn": "{{queue:test}}"}
    (tmp_path / "press_0_queue_full.json").write_text(json.dumps(substituted), encoding="utf-8")
    unsafe = without_test_queue(json.loads(CASE_FILE.read_text(encoding="utf-8")))
    (tmp_path / "unsafe.json").write_text(json.dumps(unsafe), encoding="utf-8")
    cli_on.add_response("list_test_cases", {"TestCaseSummaryList": []}, {"InstanceId": INSTANCE_ID})
    expect_deployed_flows(cli_on, fake_arns())

    code = main(["test", "--target", "aws", "--instance", INSTANCE_ARN, str(tmp_path)])

    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err == [
        f"tandem test: {tmp_path}/press_0_queue_full.json: not in the instance, and no deployed flow gives "
        "{{queue:test}}: deploy the TandemFlowTests stack (cdk deploy --all)",
        err[1],
    ]
    assert err[1].startswith(
        f"tandem test: {tmp_path}/unsafe.json: can reach 1 TransferContactToQueue block(s)"
    )
    assert err[1].endswith("; not created")


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "--target", "aws"]) == 2
    assert main(["test", "--target", "aws", "--instance", "i-123"]) == 2
    assert main(["test", "--target", "aws", "--instance", INSTANCE_ARN, "--coverage"]) == 2
    assert main(["test", "--instance", INSTANCE_ARN]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "tandem test: --target aws needs --instance ARN (the Connect instance the flows are deployed in)",
        "tandem test: --instance 'i-123': expected an instance ARN "
        "(arn:aws:connect:<region>:<account>:instance/<id>) or id",
        "tandem test: --coverage: local runs only (not with --target aws)",
        "tandem test: --instance is for --target aws (the local run needs no instance)",
    ]


def test_placeholder_values_come_from_the_same_place_in_the_deployed_document() -> None:
    written = {
        "Actions": [
            {"Parameters": {"LambdaFunctionARN": "{{lambda:crm_lookup}}"}},
            {"Parameters": {"Text": "queue {{queue:general}} at {{hours:main}}"}},
            {"Parameters": {"QueueId": "{{queue:billing}}"}},
        ]
    }
    deployed = {
        "Actions": [
            {"Parameters": {"LambdaFunctionARN": "arn:aws:lambda:us-east-1:1:function:f"}},
            {"Parameters": {"Text": "queue Q1 at H1"}},
            {"Parameters": {"Other": "moved"}},  # a changed structure gives nothing, never a guess
        ]
    }
    assert placeholder_values(written, deployed) == [
        ("lambda", "crm_lookup", "arn:aws:lambda:us-east-1:1:function:f"),
        ("queue", "general", "Q1"),
        ("hours", "main", "H1"),
    ]


def test_a_case_with_local_conditions_matches_what_the_tests_stack_deployed() -> None:
    # Given a file whose document carries Metadata.Tandem, which the tests' stack leaves out
    written = {
        "Version": "2025-06-21",
        "Metadata": {"Tandem": {"Hours": "closed"}, "Note": "kept"},
        "Observations": [{"Identifier": "q", "Event": {"Properties": {"QueueId": "{{queue:test}}"}}}],
    }
    deployed = {
        "Version": "2019-10-30",
        "Metadata": {"Note": "kept"},
        "Observations": [{"Identifier": "q", "Event": {"Properties": {"QueueId": "arn:q"}}}],
    }
    # When the deployed content is compared with the file / Then it is the file, as deployed
    assert matches_file(written, json.dumps(deployed))
    deployed["Metadata"]["Note"] = "changed"
    assert not matches_file(written, json.dumps(deployed))


def test_the_instance_id_and_region_come_from_the_arn() -> None:
    assert instance_id_of(INSTANCE_ARN) == INSTANCE_ID == instance_id_of(INSTANCE_ID)
    assert region_of(INSTANCE_ARN) == "us-east-1" and region_of(INSTANCE_ID) is None
    with pytest.raises(ValueError, match="expected an instance ARN"):
        instance_id_of(f"{INSTANCE_ARN}/queue/x")


def test_execution_records_are_read_over_every_page(
    connect: tuple[Any, Stubber], fake_time: FakeTime
) -> None:
    client, stubber = connect
    case = read(CASE_FILE)
    first, *rest = all_passed(case)
    expect_start(stubber, "tc-1", "ex-1")
    expect_summary(stubber, "tc-1", "ex-1", "PASSED")
    stubber.add_response(
        "list_test_case_execution_records",
        {"ExecutionRecords": [first], "NextToken": "more"},
        ids("tc-1", "ex-1"),
    )
    stubber.add_response(
        "list_test_case_execution_records",
        {"ExecutionRecords": rest},
        {**ids("tc-1", "ex-1"), "NextToken": "more"},
    )

    [result], _ = run_cloud(
        [Entry(case, "tc-1")], client, INSTANCE_ID, backoff=backoff_on(fake_time), clock=fake_time.clock
    )

    assert [m.observation for m in result.matched] == observation_ids(case)


def test_a_local_only_case_is_skipped_with_a_note(
    cli_on: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    """A case with block faults has no cloud form: one line says so, nothing is created or run."""
    local = CASE_FILE.parent / "fault-inbound-main-greet-by-name.json"
    cli_on.add_response("list_test_cases", {"TestCaseSummaryList": []}, {"InstanceId": INSTANCE_ID})

    code = main(["test", "--target", "aws", "--instance", INSTANCE_ARN, str(local)])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"{local}: skipped, local-only (Metadata.Tandem.Faults)" in err
    assert "0 test case(s)" in out
