"""Cold start of every function: import + init + first invocation, over a boto3 baseline.

Each figure is one fresh interpreter that imports the handler (which builds its real clients and
reads what its init reads) and answers one typical event, against a baseline fresh interpreter that
imports boto3, creates one DynamoDB client and makes one GetItem. Both talk to the same backend: a
moto server this process starts on 127.0.0.1 and provisions like the sandbox, so the first
invocation makes its real AWS calls and nothing can reach AWS. Runs alternate baseline and handler
so drift on a shared machine hits both; each ratio is median(handler) / median(baseline), in wall
time (the goal) and in the process's own CPU time (which a busy machine disturbs less). Beside them,
the paired ratios: the median over runs of each handler run over the baseline run just before it,
which a burst of load on the shared machine moves far less than a ratio of medians taken over
minutes (the goal is still judged on the ratio of medians).

The handler's own code is compiled from source on every run, as in Lambda, whose read-only code
directory holds no `.pyc`: the runs import `lambdas/` from a copy without `__pycache__` (the test
runs leave `.pyc` files in the working tree) and write none; boto3 comes precompiled in both, as
in the Lambda runtime.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from bench.common import REPO, heading, verdict
from lambdas.shared.tables import CUSTOMERS, PROFILE_SK, customer_pk
from tandem.demo.events import DemoCall, contact_event
from tandem.local.demo_data import DEMO_CUSTOMERS
from tandem.local.provision import DEFAULT_REGION, provision
from tandem.local.queues import create_queues
from tandem.local.sandbox import FAKE_ENV, FUNCTIONS
from tandem.local.topics import create_topics

GOAL = 1.15
KNOWN_CALLER = DEMO_CUSTOMERS[0].phone
BASELINE_KEY = {"pk": {"S": customer_pk(DEMO_CUSTOMERS[0].customer_id)}, "sk": {"S": PROFILE_SK}}
CTR_BATCH = 10  # contact records in ctr_ingest's first batch
# Runs in a fresh interpreter; the event is parsed before the clock starts, in the baseline too.
HANDLER_RUN = """
import json, sys, time
event = json.loads(sys.argv[1])
class Context:
    function_name = sys.argv[2]
    aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + sys.argv[2]
    memory_limit_in_mb = 512
    def get_remaining_time_in_millis(self): return 3000
started, cpu = time.perf_counter(), time.process_time()
from lambdas.{function}.handler import lambda_handler
answer = lambda_handler(event, Context())
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({{"seconds": elapsed, "cpu": cpu, "answer": answer}}))
"""
BASELINE_RUN = """
import json, sys, time
key = json.loads(sys.argv[1])
started, cpu = time.perf_counter(), time.process_time()
import boto3
answer = boto3.client("dynamodb").get_item(TableName=sys.argv[2], Key=key)
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"seconds": elapsed, "cpu": cpu, "answer": {"found": "Item" in answer}}))
"""


def main(runs: int = 15) -> None:
    heading("cold start: import + init + first invocation, over boto3 + DynamoDB client + GetItem")
    with moto_backend() as env, source_copy() as code_dir:
        events = first_events()
        baseline_args = [json.dumps(BASELINE_KEY), env[CUSTOMERS.env_var]]
        _run(BASELINE_RUN, baseline_args, env, code_dir)  # let the OS page cache settle before measuring
        for function in FUNCTIONS:  # and check every first invocation answers as it should
            _check(
                function,
                _run(_handler_code(function), [json.dumps(events[function]), function], env, code_dir),
            )
        handlers: dict[str, list[dict[str, Any]]] = {f: [] for f in FUNCTIONS}
        paired: dict[str, list[dict[str, Any]]] = {f: [] for f in FUNCTIONS}  # the baseline run before each
        baseline: list[dict[str, Any]] = []
        for _ in range(runs):
            for function in FUNCTIONS:
                baseline.append(_run(BASELINE_RUN, baseline_args, env, code_dir))
                paired[function].append(baseline[-1])
                args = [json.dumps(events[function]), function]
                handlers[function].append(_run(_handler_code(function), args, env, code_dir))
    base, base_cpu = _median(baseline, "seconds"), _median(baseline, "cpu")
    print(
        f"baseline (median of {len(baseline)} fresh interpreters): {base * 1000:.0f} ms, "
        f"of which its own CPU {base_cpu * 1000:.0f} ms"
    )
    for function in FUNCTIONS:
        mine, cpu = _median(handlers[function], "seconds"), _median(handlers[function], "cpu")
        ratio = mine / base
        pairs = list(zip(handlers[function], paired[function], strict=True))
        paired_wall = statistics.median(h["seconds"] / b["seconds"] for h, b in pairs)
        paired_cpu = statistics.median(h["cpu"] / b["cpu"] for h, b in pairs)
        print(
            f"{function} cold start ratio: {ratio:.2f} (goal ≤ {GOAL}: {verdict(ratio, GOAL)}); "
            f"median of {runs}: {mine * 1000:.0f} ms; CPU-time ratio {cpu / base_cpu:.2f} "
            f"(steadier on a busy machine); paired: wall {paired_wall:.2f}, CPU {paired_cpu:.2f}"
        )


def _median(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def first_events() -> dict[str, dict[str, Any]]:
    """What each function answers first: a known caller, a decision, a handoff the flow passes its
    queue metrics to, a rating, a batch of contact records."""
    known = DemoCall("known", KNOWN_CALLER)
    decision = contact_event(known, 1)
    decision["Details"]["Parameters"] = {"intent": "OrderStatus", "intentConfidence": "0.9", "tier": "gold"}
    handoff = contact_event(known, 2)
    handoff["Details"]["Parameters"] = {
        "route": "AGENT",
        "reasons": "ASKED_FOR_AGENT",
        "intent": "ORDER_STATUS",
        "agentsAvailable": "1",
        "agentsStaffed": "4",
        "contactsInQueue": "3",
        "oldestContactAgeSeconds": "60",
    }
    survey = contact_event(known, 3)
    survey["Details"]["Parameters"] = {"csat": "4", "route": "AGENT", "queue": "general", "intent": "RETURNS"}
    return {
        "crm_lookup": contact_event(known, 0),
        "ivr_decision": decision,
        "escalation": handoff,
        "survey": survey,
        "ctr_ingest": {"Records": [_kinesis_record(n) for n in range(CTR_BATCH)]},
        "experiment_guard": _scheduled_event(),
    }


@contextlib.contextmanager
def moto_backend() -> Iterator[dict[str, str]]:
    """A provisioned moto server on a free loopback port; yields the functions' environment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = dict(os.environ)
    try:
        os.environ.update(FAKE_ENV | {"AWS_ENDPOINT_URL": endpoint})
        session = boto3.session.Session(region_name=DEFAULT_REGION)
        names = provision(
            session.client("dynamodb"),
            session.client("ssm"),
            session.client("secretsmanager"),
            now=datetime.now(UTC),  # crm_lookup counts recent contacts by the wall clock
        )
        queues = create_queues(session.client("sqs"))
        topics = create_topics(session.client("sns"))
        inherited = {k: v for k, v in saved.items() if not k.startswith("AWS_")}
        yield (
            inherited
            | FAKE_ENV
            | names
            | queues
            | topics
            | {"AWS_ENDPOINT_URL": endpoint, "PYTHONDONTWRITEBYTECODE": "1"}
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


@contextlib.contextmanager
def source_copy() -> Iterator[Path]:
    """The functions' code as Lambda gets it: `lambdas/` without any compiled bytecode."""
    with tempfile.TemporaryDirectory(prefix="tandem-cold-start-") as folder:
        shutil.copytree(
            REPO / "lambdas", Path(folder) / "lambdas", ignore=shutil.ignore_patterns("__pycache__")
        )
        yield Path(folder)


def _handler_code(function: str) -> str:
    return HANDLER_RUN.format(function=function)


def _run(code: str, args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _check(function: str, result: dict[str, Any]) -> None:
    """A first invocation that degraded would time a shorter path: refuse to report it."""
    answer = result["answer"]
    if function == "ctr_ingest":
        healthy = answer == {"batchItemFailures": []}
    elif function == "experiment_guard":
        healthy = answer.get("action") not in (None, "error")
    else:
        healthy = answer.get("status") == "OK"
    if not healthy:
        raise RuntimeError(f"{function}'s first invocation did not succeed: {answer}")


def _scheduled_event() -> dict[str, Any]:
    """EventBridge's scheduled event, as the guard's daily rule delivers it (content unused)."""
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-24T05:30:00Z",
        "region": DEFAULT_REGION,
        "resources": [f"arn:aws:events:{DEFAULT_REGION}:123456789012:rule/tandem-experiment-guard"],
        "detail": {},
    }


def _kinesis_record(n: int) -> dict[str, Any]:
    contact_id = f"b0000000-0000-4000-8000-{n:012d}"
    record = {
        "AWSAccountId": "123456789012",
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "InstanceARN": contact_event(DemoCall("x", KNOWN_CALLER), 0)["Details"]["ContactData"]["InstanceARN"],
        "ContactId": contact_id,
        "InitialContactId": None,
        "PreviousContactId": None,
        "NextContactId": None,
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": "2026-11-23T15:00:00Z",
        "ConnectedToSystemTimestamp": "2026-11-23T15:00:01Z",
        "DisconnectTimestamp": "2026-11-23T15:03:00Z",
        "LastUpdateTimestamp": "2026-11-23T15:03:00Z",
        "DisconnectReason": "CUSTOMER_DISCONNECT",
        "CustomerEndpoint": {"Address": KNOWN_CALLER, "Type": "TELEPHONE_NUMBER"},
        "SystemEndpoint": {"Address": "+12025550100", "Type": "TELEPHONE_NUMBER"},
        "Queue": None,
        "Agent": None,
        "AgentConnectionAttempts": 0,
        "Attributes": {"tandemOutcome": "SELF_SERVED", "route": "SELF_SERVICE", "intent": "ORDER_STATUS"},
        "TransferredToEndpoint": None,
        "Recording": None,
        "MediaStreams": [{"Type": "AUDIO"}],
    }
    sequence = f"4961{n:020d}"
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": contact_id,
            "sequenceNumber": sequence,
            "data": base64.b64encode(json.dumps(record).encode()).decode(),
            "approximateArrivalTimestamp": 1795532700.0,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{sequence}",
        "eventName": "aws:kinesis:record",
        "awsRegion": DEFAULT_REGION,
        "eventSourceARN": f"arn:aws:kinesis:{DEFAULT_REGION}:123456789012:stream/tandem-ctr",
    }


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
