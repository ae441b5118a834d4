"""`tandem.local.sandbox()`: the whole system on moto, with no AWS account.

The demo, the integration tests, the benchmarks and the CLI all run through this one object, so
there is exactly one way to run Tandem locally. Fake credentials and a region are set before
anything creates a client, so nothing can reach real AWS.

Two modes, one behaviour: in-process (`mock_aws`, a fresh system per `with` block) or attached to
the local moto server that `tandem sandbox up` started (`tandem.local.server`), whose state
outlives the block. Both provision through `provision()`, and in both the same botocore hooks
count AWS calls, inject faults and answer Connect's GetCurrentMetricData (which moto lacks;
`tandem.local.connect_fake`), so `invoke`, `.last`, `fault`, `crm_outage`, `clock`,
`queue_metrics` and `cold_start` behave identically.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import boto3
from moto import mock_aws

from infra.constants import DEFAULT_TIME_ZONE
from lambdas.shared.keyed_hash_secret import SECRET_VAR as KEYED_HASH_SECRET_VAR
from tandem.local import moto_patches, server
from tandem.local.connect_fake import ConnectMetricsFake, QueueValues
from tandem.local.faults import Fault, FaultInjector
from tandem.local.long_run import frozen_survivors
from tandem.local.provision import (
    DEFAULT_REGION,
    FAKE_ACCOUNT,
    FAKE_CREDENTIALS,
    SANDBOX_KEYED_HASH_SECRET_NAME,
    provision,
)
from tandem.local.provisioned import Provisioned
from tandem.local.queues import create_queues
from tandem.local.topics import create_topics
from tandem.rules_store import SANDBOX_CONFIG_PATH

FUNCTIONS = ("crm_lookup", "ivr_decision", "escalation", "survey", "ctr_ingest", "experiment_guard")
# The functions whose deps carry the clock they decide and record by (`box.clock` pins it).
PINNED_CLOCKS = ("ivr_decision", "escalation", "survey", "experiment_guard")
FUNCTION_TIMEOUT_MS = 3000  # matches the deployed functions' timeout
# The demo's Connect instance (tandem/demo/handlers.py) and its queues, with fixed, readable fake queue ids.
# GetCurrentMetricData is answered by `tandem.local.connect_fake` (moto has no such operation).
CONNECT_INSTANCE_ID = "00000000-0000-4000-8000-000000000000"
CONNECT_INSTANCE_ARN = f"arn:aws:connect:{DEFAULT_REGION}:{FAKE_ACCOUNT}:instance/{CONNECT_INSTANCE_ID}"
QUEUE_IDS = {name: f"queue-{name}" for name in ("general", "priority", "billing", "complaints", "callback")}
QUEUE_ARNS = {name: f"{CONNECT_INSTANCE_ARN}/queue/{queue_id}" for name, queue_id in QUEUE_IDS.items()}

FAKE_ENV = {
    **FAKE_CREDENTIALS,
    "AWS_DEFAULT_REGION": DEFAULT_REGION,
    "AWS_REGION": DEFAULT_REGION,
    "MOTO_ACCOUNT_ID": FAKE_ACCOUNT,
    "CRM_ADAPTER": "dynamodb",
    "DEFAULT_COUNTRY": "US",
    "IVR_CONFIG_PATH": SANDBOX_CONFIG_PATH,
    "CONNECT_INSTANCE_ARN": CONNECT_INSTANCE_ARN,
    "QUEUE_ARNS": json.dumps(QUEUE_ARNS, separators=(",", ":")),
    # By name: Secrets Manager takes a name where the ARN goes, and a moto secret's ARN is random.
    KEYED_HASH_SECRET_VAR: SANDBOX_KEYED_HASH_SECRET_NAME,
    "TIME_ZONE": DEFAULT_TIME_ZONE,  # the centre's zone, as a stack deploys it by default
    "POWERTOOLS_METRICS_NAMESPACE": "Tandem",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
# Variables that could point a client at a real account; removed for the sandbox's lifetime.
UNSAFE_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",  # would make clients ignore the attached server's endpoint
)
UNSAFE_ENV_PREFIXES = ("AWS_ENDPOINT_URL_",)  # per-service endpoints override AWS_ENDPOINT_URL
LOOPBACK = "127.0.0.1"


class UnknownFunction(ValueError):
    pass


class NotLoopback(RuntimeError):
    """An attached sandbox refused a request that was about to leave 127.0.0.1."""


@dataclass
class FakeLambdaContext:
    """The parts of the Lambda context object the handlers and Powertools read."""

    function_name: str
    timeout_ms: int = FUNCTION_TIMEOUT_MS
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        # Elapsed time, so the monotonic clock: the wall clock can be stepped or moved by a test.
        self._started = time.monotonic()
        self.invoked_function_arn = (
            f"arn:aws:lambda:{DEFAULT_REGION}:{FAKE_ACCOUNT}:function:{self.function_name}"
        )
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "sandbox"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = (time.monotonic() - self._started) * 1000
        return max(int(self.timeout_ms - elapsed), 0)


@dataclass
class Invocation:
    function_name: str
    event: Any
    response: dict[str, str]
    aws_calls: list[str]  # "service.Operation", in order
    log_lines: list[dict[str, Any]]
    metrics: list[dict[str, Any]]  # EMF documents


@dataclass
class Sandbox:
    region: str
    table_names: dict[str, str]  # env var → physical name
    now: datetime  # when the demo data was seeded (its times are relative to it)
    persistent: bool = False  # True when attached to `tandem sandbox up`'s server: state outlives the block
    endpoint_url: str | None = None  # the server's http://127.0.0.1:PORT when attached; None in-process
    invocations: list[Invocation] = field(default_factory=list)
    # False: only the last invocation is kept (`.last`), and `aws_calls` starts again with each
    # invocation, so a long run (a synthetic day) does not keep every handler's logs.
    history: bool = True
    faults: FaultInjector = field(default_factory=FaultInjector)
    connect_metrics: ConnectMetricsFake = field(
        default_factory=lambda: ConnectMetricsFake(
            instance_id=CONNECT_INSTANCE_ID, region=DEFAULT_REGION, account=FAKE_ACCOUNT
        )
    )
    queue_arns: dict[str, str] = field(default_factory=lambda: dict(QUEUE_ARNS))  # queue name → ARN
    queue_urls: dict[str, str] = field(default_factory=dict)  # env var → SQS queue URL (refused records)
    topic_arns: dict[str, str] = field(default_factory=dict)  # env var → SNS topic ARN (the alarm topic)
    _aws_calls: list[str] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region)  # type: ignore[call-overload]

    @property
    def description(self) -> str:
        """Where this sandbox's state lives, as commands say it: the server's endpoint, or in-process."""
        return f"sandbox server {self.endpoint_url}" if self.persistent else "in-process sandbox"

    def invoke(self, function_name: str, event: Any) -> dict[str, str]:
        """Call the real handler with a Lambda context; capture its logs, metrics and AWS calls."""
        module = handler_module(function_name)
        if not self.history:
            self.invocations.clear()
            self._aws_calls.clear()
        calls_before = len(self._aws_calls)
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            response = module.lambda_handler(event, FakeLambdaContext(function_name))
        log_lines, metrics = _split_output(output.getvalue())
        self.invocations.append(
            Invocation(function_name, event, response, self._aws_calls[calls_before:], log_lines, metrics)
        )
        return response  # type: ignore[no-any-return]

    @property
    def last(self) -> Invocation:
        return self.invocations[-1]

    @property
    def aws_calls(self) -> list[str]:
        """Every AWS request sent in this sandbox so far ("service.Operation"), invoked or not."""
        return list(self._aws_calls)

    def cold_start(self, function_name: str | None = None) -> None:
        """Forget warm-container state (clients, caches), as a new Lambda container would."""
        for name in [function_name] if function_name else list(FUNCTIONS):
            handler_module(name).CONTAINER.reset()

    def forget_queue_metrics(self) -> None:
        """escalation's warm queue metrics start afresh, as in a new container, and nothing else
        does: a load change reaches the next handoff without the cost of a cold start."""
        deps = handler_module("escalation").CONTAINER.built()
        if deps is not None:
            deps.queue_metrics.forget()

    @contextlib.contextmanager
    def fault(self, fault: Fault) -> Iterator[Fault]:
        """Inject a fault into every matching AWS request until the block exits."""
        self.faults.add(fault)
        try:
            yield fault
        finally:
            self.faults.remove(fault)

    @contextlib.contextmanager
    def clock(self, moment: datetime) -> Iterator[datetime]:
        """Decide as of `moment` (aware): opening hours and holidays follow it; restored on exit.

        crm_lookup and the demo data it reads stay on the wall clock: recent contacts are counted
        from when the data was seeded (`now`), whatever moment the decisions are pinned to.
        """
        if moment.tzinfo is None:
            raise ValueError("clock needs an aware datetime, e.g. datetime(2026, 12, 25, 10, tzinfo=UTC)")
        with contextlib.ExitStack() as pinned:
            for name in PINNED_CLOCKS:
                pinned.enter_context(handler_module(name).CONTAINER.replaced(clock=lambda: moment))
            yield moment

    def queue_metrics(
        self,
        queue_name: str,
        *,
        agents_available: float | None = 2,
        agents_staffed: float | None = 5,
        contacts_in_queue: float | None = 0,
        oldest_contact_age_seconds: float | None = 0,
    ) -> None:
        """What Connect's (faked) GetCurrentMetricData reports for the queue from now on.

        Every call sets all four values (unnamed ones take these defaults, which are also what a
        queue never set reports); None makes Connect answer null for that metric.
        """
        if queue_name not in self.queue_arns:
            raise ValueError(f"unknown queue {queue_name!r}; expected one of {', '.join(self.queue_arns)}")
        queue_id = self.queue_arns[queue_name].rsplit("/queue/", 1)[1]
        self.connect_metrics.set(
            queue_id,
            QueueValues(agents_available, agents_staffed, contacts_in_queue, oldest_contact_age_seconds),
        )

    def crm_outage(self) -> contextlib.AbstractContextManager[Fault]:
        """The embedded CRM's DynamoDB answers 503 to every request; warm containers stay warm."""
        return self.fault(Fault("dynamodb", "Query"))

    def _count_call(self, event_name: str, **_: Any) -> None:
        # event_name is "before-send.<service>.<Operation>"
        self._aws_calls.append(event_name.split(".", 1)[1])


INIT_OUTPUT: dict[str, str] = {}  # function name → what its init phase printed (logs, EMF)


def handler_module(function_name: str) -> ModuleType:
    if function_name not in FUNCTIONS:
        raise UnknownFunction(f"unknown function {function_name!r}; expected one of {', '.join(FUNCTIONS)}")
    name = f"lambdas.{function_name}.handler"
    module = sys.modules.get(name)
    if module is not None:
        return module
    # Importing runs the function's init phase; its log lines go to Lambda's log stream, not to
    # the terminal of whoever runs the demo: they are kept in INIT_OUTPUT.
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        module = importlib.import_module(name)
    INIT_OUTPUT[function_name] = output.getvalue()
    return module


@contextlib.contextmanager
def sandbox(
    *, seed: bool = True, env: dict[str, str] | None = None, attach: bool = True, history: bool = True
) -> Iterator[Sandbox]:
    """Stand Tandem up on moto (tables, demo data, environment); restore everything on exit.

    `history=False`, for long runs (the demo's day, `tandem ingest`), keeps only the last invocation
    (`Sandbox.history`) and, in-process, freezes what survives full collections until the sandbox
    closes (long_run.py), so moto's growing tables are not rescanned by each.

    Attaching to `tandem sandbox up`'s server, and why it never happens by accident:

    - It happens only when all of these hold: `attach` is True (the default, so `tandem rules push`,
      `simulate` and `report` share the server's state); `TANDEM_SANDBOX_ATTACH` is not set to
      `0`/`false`/`no`/`off`; `seed` is True (a server is always seeded, so a caller asking for
      empty tables gets them in-process); and `./.tandem/sandbox.json` in the *current directory*
      names a live process that answers on `http://127.0.0.1:PORT`. Otherwise: in-process, as before.
    - The test suite cannot attach: `tests/conftest.py` sets `TANDEM_SANDBOX_ATTACH=0` for the whole
      session (every test, every xdist worker, every child process), and its `box` fixture also
      passes `attach=False`. A test that means to attach removes the variable itself, in a
      temporary directory. Callers that must measure or show a fresh system (benchmarks, the
      demo) pass `attach=False`.
    - Attached, every client in the process goes to the server through `AWS_ENDPOINT_URL` (per-service
      endpoint variables and `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` are removed, `127.0.0.1` is added
      to `NO_PROXY`), with the same fake credentials; the state file's endpoint must be exactly
      `http://127.0.0.1:<port>`; and a `before-send` hook refuses any request to another host.
      The table-name variables come from the state file, as `up` created them; nothing is created or
      seeded again, and `box.now` is the server's seeding time.
    """
    target = server.attach_target() if attach and seed else None
    moto_patches.install()  # transactions that cost what they touch, not the table (in-process mode)
    saved = dict(os.environ)
    try:
        for name in [*UNSAFE_ENV, *(n for n in os.environ if n.startswith(UNSAFE_ENV_PREFIXES))]:
            os.environ.pop(name, None)
        os.environ.update(FAKE_ENV)
        if target is None:
            with mock_aws():
                boto3.setup_default_session(region_name=DEFAULT_REGION)
                # The demo data's times are relative to the wall clock because crm_lookup counts recent
                # contacts by it; `clock` pins the deciding handlers, which compare no seeded time with it.
                now = datetime.now(UTC)  # clock-mix: seeded for crm_lookup, which reads the wall clock
                setup = _setup_clients()
                names = _provision(setup, now, seed)
                queues = create_queues(setup.sqs)
                topics = create_topics(setup.sns)
                os.environ.update(names | queues | topics)
                os.environ.update(env or {})
                fresh = Sandbox(
                    region=DEFAULT_REGION,
                    table_names=names,
                    now=now,
                    queue_urls=queues,
                    topic_arns=topics,
                    history=history,
                )
                with _hooked(fresh) as box, frozen_survivors() if not history else contextlib.nullcontext():
                    yield box
        else:
            os.environ["AWS_ENDPOINT_URL"] = target.endpoint_url
            for name in ("NO_PROXY", "no_proxy"):
                os.environ[name] = ",".join(filter(None, [os.environ.get(name, ""), LOOPBACK]))
            os.environ.update(target.tables)
            boto3.setup_default_session(region_name=DEFAULT_REGION)
            # A server started before a queue existed gets it now; otherwise this finds it.
            queues = create_queues(boto3.client("sqs", region_name=DEFAULT_REGION))
            topics = create_topics(boto3.client("sns", region_name=DEFAULT_REGION))
            os.environ.update(queues | topics)
            os.environ.update(env or {})
            attached = Sandbox(
                region=DEFAULT_REGION,
                table_names=dict(target.tables),
                now=target.seeded_at,
                persistent=True,
                endpoint_url=target.endpoint_url,
                queue_urls=queues,
                topic_arns=topics,
                history=history,
            )
            with _hooked(attached) as box:
                yield box
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _hooked(box: Sandbox) -> Iterator[Sandbox]:
    """Register the sandbox's hooks on the default session; cold containers on entry and exit."""
    # Clients copy the session's hooks when created, so these see every later client.
    session = boto3.DEFAULT_SESSION._session  # type: ignore[union-attr]
    emitter = session.get_component("event_emitter")
    if box.persistent:
        emitter.register_first("before-send", _loopback_only)  # ahead of everything, faults included
    emitter.register_first("before-send", box.faults.before_send)
    # After the faults (so an injected error wins), ahead of moto (which has no GetCurrentMetricData).
    emitter.register_first("before-send", box.connect_metrics.before_send)
    session.register("before-send", box._count_call)
    box.cold_start()
    try:
        yield box
    finally:
        box.faults.close()
        box.cold_start()
        boto3.DEFAULT_SESSION = None


_PROVISIONED: list[Provisioned] = []  # the first seeded in-process sandbox's state, for the later ones


def _provision(setup: _SetupClients, now: datetime, seed: bool) -> dict[str, str]:
    """`provision()`'s state: through the API the first time in a process, then restored from a copy
    of it, with the customers written again for this sandbox's `now` (tandem/local/provisioned.py)."""
    if not seed:
        return provision(setup.dynamodb, setup.ssm, setup.secretsmanager, now=now, seed=False)
    if not _PROVISIONED:
        names = provision(setup.dynamodb, setup.ssm, setup.secretsmanager, now=now)
        _PROVISIONED.append(Provisioned.capture(DEFAULT_REGION, names))
        return names
    return _PROVISIONED[0].restore(now)


@dataclass(frozen=True)
class _SetupClients:
    dynamodb: Any
    ssm: Any
    secretsmanager: Any
    sqs: Any
    sns: Any


@functools.cache
def _setup_clients() -> _SetupClients:
    """The clients an in-process sandbox is provisioned with, made once per process.

    Creating five clients costs about as much as creating the tables, and a test run makes a sandbox
    per test. Reusing them is safe: moto answers every client of the process while a mock is active
    (its handler is part of every session), they are only ever used inside `mock_aws()`, and they
    are made before any sandbox's hooks are registered, so no fault or call count reaches them.
    """
    return _SetupClients(
        *(
            boto3.client(name, region_name=DEFAULT_REGION)
            for name in ("dynamodb", "ssm", "secretsmanager", "sqs", "sns")
        )
    )


def _loopback_only(request: Any, **_: Any) -> None:
    host = urlsplit(request.url).hostname
    if host != LOOPBACK:
        raise NotLoopback(f"the attached sandbox only talks to {LOOPBACK}; refused a request to {host}")


def _split_output(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    logs: list[dict[str, Any]] = []
    metrics: list[dict[str, Any]] = []
    for line in text.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            logs.append({"message": line})
            continue
        if not isinstance(document, dict):
            logs.append({"message": line})
        elif "_aws" in document:
            metrics.append(document)
        else:
            logs.append(document)
    return logs, metrics
