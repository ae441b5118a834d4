"""`tandem sandbox up/status/down` and `sandbox()` attaching to the server, end to end.

Each test runs in its own temporary directory (the state file lands there, never in the repo) and
re-enables attaching, which tests/conftest.py turns off for the rest of the suite. Whatever happens,
teardown stops every server a test started.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lambdas.documents.registry import DEFAULTS_DIR
from lambdas.documents.storage_format import StoredDocument, decode_documents, head_name
from tandem.cli import main
from tandem.local import sandbox
from tandem.local import server as sandbox_server
from tandem.rules_store import SANDBOX_CONFIG_PATH
from tests.conftest import assert_flow_contract, load_event


@dataclass
class Workdir:
    path: Path
    pids: list[int] = field(default_factory=list)

    def cli(self, *argv: str) -> int:
        return main(list(argv))

    def up(self, *argv: str) -> sandbox_server.ServerState:
        assert self.cli("sandbox", "up", *argv) == 0
        state = sandbox_server.read_state(sandbox_server.state_path())
        assert state is not None
        self.pids.append(state.pid)
        return state


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workdir]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(sandbox_server.ATTACH_VAR, raising=False)  # this module means to attach
    here = Workdir(tmp_path)
    try:
        yield here
    finally:
        with contextlib.suppress(Exception):
            sandbox_server.stop(tmp_path, timeout=2.0)
        for pid in here.pids:
            if sandbox_server.is_alive(pid):
                sandbox_server.terminate(pid, timeout=2.0)


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_up_push_attach_down(workdir: Workdir, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a sandbox server started in this directory
    state = workdir.up("--format", "json")
    started = _json(capsys)
    assert started["started"] is True
    assert state.endpoint_url.startswith("http://127.0.0.1:")
    assert (workdir.path / ".tandem" / "sandbox.json").is_file()

    # When status is asked, Then it is running at that endpoint with the tables up created
    assert workdir.cli("sandbox", "status", "--format", "json") == 0
    status = _json(capsys)
    assert status["running"] is True
    assert status["endpointUrl"] == state.endpoint_url
    assert status["tables"] == state.tables

    # When a second `up` runs, Then it says the server is already running and starts nothing
    assert workdir.cli("sandbox", "up", "--format", "json") == 0
    again = _json(capsys)
    assert again["started"] is False
    assert again["pid"] == state.pid

    # When a rules document with a new revision is pushed by a separate command
    rules = json.loads((DEFAULTS_DIR / "rules.json").read_text(encoding="utf-8"))
    rules["revision"] = "2026-11-23.server"
    pushed_file = workdir.path / "rules.json"
    pushed_file.write_text(json.dumps(rules), encoding="utf-8")
    assert workdir.cli("rules", "push", str(pushed_file), "--format", "json") == 0
    # Then it reports that it went to the running server
    report = _json(capsys)
    assert "pushed to the running sandbox server" in str(report["note"])

    # When a separate sandbox() context opens
    with sandbox() as box:
        # Then it is attached to the server, not standing up its own
        assert box.persistent is True
        assert box.endpoint_url == state.endpoint_url
        assert box.table_names == state.tables
        assert os.environ["AWS_ENDPOINT_URL"] == state.endpoint_url
        # And it sees the pushed parameters: the head written by seeding, then by the push
        ssm = box.client("ssm")
        head = ssm.get_parameter(Name=head_name(SANDBOX_CONFIG_PATH, "rules"))
        assert head["Parameter"]["Version"] == 2
        assert _stored_rules(ssm)["revision"] == "2026-11-23.server"
        # And the seeded demo customer +12025550101 is found by the real handler against the server
        found = box.invoke("crm_lookup", load_event("voice_known_gold.json"))
        assert_flow_contract(found)
        assert found["status"] == "OK"
        assert found["customerId"] == "C1001"
        assert box.last.aws_calls == ["dynamodb.Query"]
        # And the sandbox's fault injection works the same against the server
        box.cold_start("crm_lookup")
        with box.crm_outage():
            degraded = box.invoke("crm_lookup", load_event("voice_known_gold.json"))
        assert degraded["status"] == "DEGRADED"
    assert "AWS_ENDPOINT_URL" not in os.environ

    # When the server is brought down
    assert workdir.cli("sandbox", "down") == 0
    assert "stopped the sandbox server" in capsys.readouterr().out
    # Then status says it is not running, the state file is gone and so is the process
    assert workdir.cli("sandbox", "status", "--format", "json") == 1
    assert _json(capsys)["running"] is False
    assert not sandbox_server.state_path().exists()
    assert not sandbox_server.is_alive(state.pid)
    # And a second down has nothing to do
    assert workdir.cli("sandbox", "down") == 0
    assert "no sandbox server is running" in capsys.readouterr().out


def test_sandbox_attach_false_ignores_a_running_server(workdir: Workdir) -> None:
    # Given a running server holding a marker table
    state = workdir.up()
    with sandbox() as attached:
        attached.client("dynamodb").create_table(
            TableName="marker",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    # When sandbox(attach=False) is used in the same directory
    with sandbox(attach=False) as box:
        # Then it stands up its own in-process system, which knows nothing of the server's state
        assert box.persistent is False
        assert box.endpoint_url is None
        assert "AWS_ENDPOINT_URL" not in os.environ
        assert "marker" not in box.client("dynamodb").list_tables()["TableNames"]
        assert box.invoke("crm_lookup", load_event("voice_known_gold.json"))["customerId"] == "C1001"
    # And neither does a sandbox asking for empty tables, nor one with attaching turned off
    with sandbox(seed=False) as empty:
        assert empty.persistent is False
    os.environ[sandbox_server.ATTACH_VAR] = "0"
    try:
        with sandbox() as off:
            assert off.persistent is False
    finally:
        del os.environ[sandbox_server.ATTACH_VAR]
    # And the server is untouched
    assert sandbox_server.status().running
    assert sandbox_server.status().state == state


def test_stale_state_file_is_cleaned_up(workdir: Workdir, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a state file whose server was killed without `down`
    state = workdir.up()
    os.kill(state.pid, signal.SIGKILL)
    assert sandbox_server.terminate(state.pid, timeout=2.0)  # reaped
    capsys.readouterr()
    # When status is asked, Then it names the stale file and says not running
    assert workdir.cli("sandbox", "status") == 1
    assert "stale state file" in capsys.readouterr().err
    # And sandbox() falls back to in-process instead of attaching to nothing
    with sandbox() as box:
        assert box.persistent is False
    # When up runs again, Then it cleans the stale file up and starts a fresh server
    fresh = workdir.up()
    assert fresh.pid != state.pid
    assert sandbox_server.status().running
    # And down on a stale file (process gone) removes it and exits 0
    assert workdir.cli("sandbox", "down") == 0
    stale = dataclasses.replace(fresh, pid=_dead_pid())
    sandbox_server.write_state(sandbox_server.state_path(), stale)
    capsys.readouterr()
    assert workdir.cli("sandbox", "down") == 0
    assert "already gone" in capsys.readouterr().out
    assert not sandbox_server.state_path().exists()


def test_state_file_cannot_point_attach_anywhere_but_loopback(workdir: Workdir) -> None:
    # Given a state file whose endpoint names another host
    state = workdir.up()
    document = json.loads(sandbox_server.state_path().read_text(encoding="utf-8"))
    document["endpointUrl"] = f"http://10.0.0.1:{state.port}"
    sandbox_server.state_path().write_text(json.dumps(document), encoding="utf-8")
    # When status is asked or a sandbox opens, Then the file is not trusted and nothing attaches
    assert "unreadable state file" in sandbox_server.status().problem
    with sandbox() as box:
        assert box.persistent is False
    # (teardown stops the server the file no longer describes)


def test_port_option_and_usage_errors(workdir: Workdir, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a free port chosen by the caller, When up runs with --port, Then the server uses it
    port = sandbox_server.free_port()
    state = workdir.up("--port", str(port))
    assert state.port == port
    assert state.endpoint_url == f"http://127.0.0.1:{port}"
    assert workdir.cli("sandbox", "down") == 0
    # When the port is taken, Then up fails (exit 1) with a message naming the port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        busy = taken.getsockname()[1]
        capsys.readouterr()
        assert workdir.cli("sandbox", "up", "--port", str(busy)) == 1
    assert f"port {busy} on 127.0.0.1 is already in use" in capsys.readouterr().err
    assert not sandbox_server.state_path().exists()
    # When the port is out of range, Then it is a usage error (exit 2)
    with pytest.raises(SystemExit) as usage:
        workdir.cli("sandbox", "up", "--port", "80")
    assert usage.value.code == 2
    assert "port must be 1024-65535" in capsys.readouterr().err


def _stored_rules(ssm: Any) -> dict[str, Any]:
    """The rules document as stored under the sandbox's path, reassembled from its parts."""
    parameters: dict[str, str] = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
        Path=SANDBOX_CONFIG_PATH, Recursive=True
    ):
        parameters |= {p["Name"]: p["Value"] for p in page["Parameters"]}
    stored = decode_documents(SANDBOX_CONFIG_PATH, parameters)["rules"]
    assert isinstance(stored, StoredDocument), stored
    return json.loads(stored.text)  # type: ignore[no-any-return]


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
