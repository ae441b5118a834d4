"""`tandem test --target aws --instance ARN [--profile P --region R] [PATH...]`: the repo's test
cases run by Amazon Connect itself, reported as the local run is.

Each file's test case is found in the instance by its `Name` (the TandemFlowTests stack deploys
them) or, when missing, created from the deployed flows (tandem.flowtest.deployed says how, and
when it refuses); then tandem.flowtest.cloud runs them, at most 5 at a time, within the service's
5-minute limit plus a margin. Same output, `--format json` and `--junit` as the local run; exit 1
when a test fails, 2 when a file or the service cannot be used (one line each). A local-only
case (a block fault in `Metadata.Tandem.Faults`) is skipped with a one-line note.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from flowdoc.testcase import TestCase
from tandem.flowtest.cloud import Backoff, CloudError, CloudOptions, Entry, run_cloud

LOCAL_ONLY = (
    ("coverage", "--coverage"),
    ("flow", "--flow"),
    ("max_steps", "--max-steps"),
    ("similarity_threshold", "--similarity-threshold"),
)


def connect_client(profile: str | None, region: str | None) -> Any:
    """The connect client; our Backoff owns retries (botocore's own would retry throttling again,
    with sleeps nobody can inject)."""
    import boto3
    from botocore.config import Config

    session = boto3.Session(profile_name=profile, region_name=region)
    return session.client("connect", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


def runtime() -> tuple[Backoff, Any]:
    """The waiting and the clock (tests replace them: nothing sleeps or reads the wall clock)."""
    return Backoff(), time.monotonic


def run_aws(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from infra.flow_test_cases import local_only
    from tandem.commands.test_output import emit
    from tandem.commands.test_output import usage as _usage
    from tandem.flowtest import TestCaseError, find_cases, read
    from tandem.flowtest.deployed import instance_id_of, region_of

    given = [flag for attribute, flag in LOCAL_ONLY if getattr(args, attribute, None)]
    if given:
        return _usage(f"{', '.join(given)}: local runs only (not with --target aws)")
    if not args.instance:
        return _usage("--target aws needs --instance ARN (the Connect instance the flows are deployed in)")
    try:
        instance_id = instance_id_of(args.instance)
        paths = find_cases(args.paths)
    except (ValueError, TestCaseError) as error:
        return _usage(str(error))
    if not paths:
        return _usage(f"no test cases (*.json) in {', '.join(map(str, args.paths)) or 'flows/tests/'}")
    cases: list[TestCase] = []
    problems: list[str] = []
    for path in paths:
        try:
            case = read(path)
        except TestCaseError as error:
            problems.append(str(error))
            continue
        keys = local_only(dict(case.local))
        if keys:  # a note, not a problem: the case is right, it just has no cloud form
            where = ", ".join(f"Metadata.Tandem.{key}" for key in keys)
            print(f"tandem test: {path}: skipped, local-only ({where})", file=sys.stderr)
            continue
        cases.append(case)
    backoff, clock = runtime()
    try:
        client = connect_client(args.profile, args.region or region_of(args.instance))
        entries = _entries(client, instance_id, cases, backoff, problems)
        results, failed_to_run = run_cloud(
            entries, client, instance_id, CloudOptions(), backoff=backoff, clock=clock
        )
    except CloudError as error:
        return _usage(f"{args.instance}: {error}")
    except (BotoCoreError, ClientError) as error:  # credentials, profile, region, endpoint
        return _usage(f"{args.instance}: {error}")
    except ValueError as error:  # a flows/ file the deployed flows cannot be compared with
        return _usage(str(error))
    return emit(args, results, problems + failed_to_run)


def _entries(
    client: Any, instance_id: str, cases: list[TestCase], backoff: Backoff, problems: list[str]
) -> list[Entry]:
    """Each case's test case in the instance, found by Name or created; a line in `problems` for
    each that cannot be run."""
    from tandem.flows.simulator import FLOWS_DIR
    from tandem.flowtest import TestCaseError
    from tandem.flowtest.deployed import DeployedFlows, create_test_case, find_test_cases, instance_values

    deployed = backoff.call(find_test_cases, client=client, instance_id=instance_id)
    flows: DeployedFlows | None = None
    entries: list[Entry] = []
    named: dict[str, TestCase] = {}
    for case in cases:
        found = deployed.get(case.name, [])
        first = named.setdefault(case.name, case)
        if first is not case:
            problems.append(f"{case.path}: Name {case.name!r} is already used by {first.path}")
        elif len(found) > 1:
            problems.append(f"{case.path}: {len(found)} test cases named {case.name!r} in the instance")
        elif found and found[0].status != "PUBLISHED":
            problems.append(
                f"{case.path}: {case.name!r} is {found[0].status} in the instance; only a PUBLISHED "
                "test case runs (deploy with context flowTestStatus=PUBLISHED)"
            )
        elif found:
            entries.append(Entry(case, found[0].id, _drift(client, instance_id, case, found[0].id, backoff)))
        else:
            if flows is None:
                flows = backoff.call(
                    instance_values, client=client, instance_id=instance_id, flows_dir=FLOWS_DIR
                )
            try:
                created = create_test_case(
                    client, instance_id, case.path, FLOWS_DIR, flows, status="PUBLISHED", call=backoff.call
                )
            except TestCaseError as error:
                problems.append(str(error))
                continue
            print(f"tandem test: {case.path}: created {case.name!r} in the instance", file=sys.stderr)
            entries.append(Entry(case, created))
    return entries


def _drift(
    client: Any, instance_id: str, case: TestCase, test_case_id: str, backoff: Backoff
) -> tuple[str, ...]:
    """A note when the deployed test case is not the file's document (the file changed since the
    last deploy): the run is the deployed one, its records are read against the file."""
    import json

    from tandem.flowtest.deployed import DEPLOY_HINT, matches_file

    answer = backoff.call(client.describe_test_case, InstanceId=instance_id, TestCaseId=test_case_id)
    content = case.raw.get("Content") if isinstance(case.raw, dict) else None
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            content = None
    if matches_file(content, answer.get("TestCase", {}).get("Content", "")):
        return ()
    return (f"the deployed test case differs from {case.path}; this ran the deployed one: {DEPLOY_HINT}",)
