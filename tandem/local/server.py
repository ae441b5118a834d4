"""The sandbox as a local moto server: `tandem sandbox up`, `down` and `status`.

`up` starts moto's server (`python -m tandem.local.moto_server`: moto's, with the sandbox's
patches) on 127.0.0.1 as a detached process (its own session, so a Ctrl-C in the terminal or the
end of the `tandem` process leaves it running), waits until it answers, provisions it with the
same `provision()` the in-process sandbox uses, and records it in `.tandem/sandbox.json` under the
current directory. From then on `sandbox()` in that directory
attaches to it instead of standing up its own, so separate commands share state until `down`.

The state file is trusted only as far as it is checked: the endpoint must be exactly
`http://127.0.0.1:<port>`, the table variables must be the ones Tandem defines, and a process is
only signalled when it is the moto server the file names (its command line, or, where there is no
`/proc`, its answer on the port).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lambdas.shared.tables import ALL_TABLES
from tandem.local.provision import DEFAULT_REGION, FAKE_ACCOUNT, FAKE_CREDENTIALS, provision

HOST = "127.0.0.1"
STATE_DIR = ".tandem"
STATE_FILE = "sandbox.json"
LOG_FILE = "sandbox.log"
STATE_VERSION = 1
ATTACH_VAR = "TANDEM_SANDBOX_ATTACH"  # "0", "false", "no" or "off": never attach
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 5.0
HEALTH_PATH = "/moto-api/config"
# moto's server with the sandbox's patches; a server started as plain `moto.server` is still ours.
SERVER_MODULE = "tandem.local.moto_server"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
TABLE_VARS = frozenset(spec.env_var for spec in ALL_TABLES)

# Servers this process started, so it can reap them (no zombies) and tell them apart.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class ServerError(RuntimeError):
    """A one-line reason the server could not be started, stopped or read."""


class StateFileError(ServerError):
    pass


@dataclass(frozen=True)
class ServerState:
    endpoint_url: str
    pid: int
    port: int
    started_at: datetime
    seeded_at: datetime
    region: str
    tables: dict[str, str]  # env var → physical table name, as `up` created them

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "endpointUrl": self.endpoint_url,
            "pid": self.pid,
            "port": self.port,
            "startedAt": self.started_at.isoformat(),
            "seededAt": self.seeded_at.isoformat(),
            "region": self.region,
            "tables": dict(sorted(self.tables.items())),
        }

    @classmethod
    def from_json(cls, document: Any) -> ServerState:
        """Parse and check a state document; raises StateFileError naming the first problem."""
        if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
            raise StateFileError(f"not a version {STATE_VERSION} sandbox state document")
        try:
            port, pid = document["port"], document["pid"]
            if not (isinstance(port, int) and 0 < port < 65536 and isinstance(pid, int) and pid > 1):
                raise StateFileError("pid or port is not a valid number")
            if document["endpointUrl"] != endpoint_for(port):
                raise StateFileError(
                    f"endpoint must be {endpoint_for(port)}, not {document['endpointUrl']!r}"
                )
            tables = document["tables"]
            if not (
                isinstance(tables, dict)
                and set(tables) == TABLE_VARS
                and all(isinstance(v, str) and v for v in tables.values())
            ):
                raise StateFileError(f"tables must name exactly {', '.join(sorted(TABLE_VARS))}")
            return cls(
                endpoint_url=document["endpointUrl"],
                pid=pid,
                port=port,
                started_at=_aware(document["startedAt"]),
                seeded_at=_aware(document["seededAt"]),
                region=str(document["region"]),
                tables=dict(tables),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise StateFileError(f"missing or malformed field: {error}") from error


@dataclass(frozen=True)
class Status:
    running: bool
    state: ServerState | None
    state_file: Path
    problem: str = ""  # why it is not running, when a state file exists


def endpoint_for(port: int) -> str:
    return f"http://{HOST}:{port}"


def state_path(cwd: Path | None = None) -> Path:
    return (cwd or Path.cwd()) / STATE_DIR / STATE_FILE


def attach_enabled() -> bool:
    return os.environ.get(ATTACH_VAR, "").strip().lower() not in {"0", "false", "no", "off"}


def attach_target(cwd: Path | None = None) -> ServerState | None:
    """The server `sandbox()` should attach to: only a live, answering one, and only if allowed."""
    if not attach_enabled():
        return None
    current = status(cwd)
    return current.state if current.running else None


def read_state(path: Path) -> ServerState | None:
    """The recorded server, None without a state file; StateFileError when it cannot be trusted."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StateFileError(f"{path}: {error.strerror}") from error
    try:
        return ServerState.from_json(json.loads(text))
    except ValueError as error:  # JSONDecodeError included
        raise StateFileError(f"{path}: {error}") from error


def status(cwd: Path | None = None) -> Status:
    """Running means: a trusted state file, its process alive, and moto answering on its port."""
    path = state_path(cwd)
    try:
        state = read_state(path)
    except StateFileError as error:
        return Status(False, None, path, f"unreadable state file: {error}")
    if state is None:
        return Status(False, None, path)
    if not is_alive(state.pid):
        return Status(False, state, path, f"stale state file: process {state.pid} is gone")
    if not answers(state.port):
        return Status(
            False, state, path, f"process {state.pid} is alive but nothing answers on {state.endpoint_url}"
        )
    return Status(True, state, path)


def start(
    port: int | None = None, cwd: Path | None = None, timeout: float = START_TIMEOUT_SECONDS
) -> tuple[ServerState, bool]:
    """Start, wait for and provision a server: (state, True); one already healthy: (state, False)."""
    current = status(cwd)
    if current.running:
        assert current.state is not None
        return current.state, False
    if current.state is not None and is_alive(current.state.pid):
        raise ServerError(f"{current.problem}; run `tandem sandbox down` first")
    current.state_file.unlink(missing_ok=True)  # stale or unreadable: nothing runs behind it

    if port is None:
        port = free_port()
    elif not port_is_free(port):
        raise ServerError(f"port {port} on {HOST} is already in use")
    current.state_file.parent.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC)
    process = _spawn(port, current.state_file.parent)
    try:
        _wait_until_answering(process, port, timeout, current.state_file.parent / LOG_FILE)
        seeded_at = datetime.now(UTC)
        tables = _provision(endpoint_for(port), seeded_at)
        if process.poll() is not None:  # someone else's server answered while ours failed to bind
            raise ServerError(
                f"the moto server exited during start-up; see {current.state_file.parent / LOG_FILE}"
            )
    except BaseException:
        terminate(process.pid)
        raise
    state = ServerState(
        endpoint_url=endpoint_for(port),
        pid=process.pid,
        port=port,
        started_at=started_at,
        seeded_at=seeded_at,
        region=_region(),
        tables=tables,
    )
    write_state(current.state_file, state)
    return state, True


def stop(cwd: Path | None = None, timeout: float = STOP_TIMEOUT_SECONDS) -> tuple[ServerState | None, str]:
    """Stop the recorded server and remove the state file; (the state it had, what happened)."""
    path = state_path(cwd)
    try:
        state = read_state(path)
    except StateFileError as error:
        path.unlink(missing_ok=True)
        return None, f"removed an unreadable state file ({error}); no process was signalled"
    if state is None:
        return None, "no sandbox server is running here"
    if not is_alive(state.pid):
        path.unlink(missing_ok=True)
        return state, f"process {state.pid} was already gone; removed the stale state file"
    if not is_our_server(state):
        path.unlink(missing_ok=True)
        return state, (
            f"process {state.pid} is not the moto server on port {state.port}; "
            "left it alone and removed the stale state file"
        )
    if not terminate(state.pid, timeout):
        raise ServerError(f"process {state.pid} did not exit after SIGTERM and SIGKILL")
    path.unlink(missing_ok=True)
    return state, f"stopped the sandbox server (pid {state.pid}) at {state.endpoint_url}"


def is_alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _CHILDREN[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        # "pid (comm) S ...": a zombie has exited and only waits for its parent to reap it.
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def is_our_server(state: ServerState) -> bool:
    """Is `state.pid` the moto server on `state.port` (so signalling it is safe)?"""
    cmdline = Path(f"/proc/{state.pid}/cmdline")
    try:
        arguments = cmdline.read_bytes().split(b"\0")
    except OSError:
        return answers(state.port)  # no /proc (macOS): trust the port only if moto answers on it
    ours = any(module.encode() in arguments for module in (SERVER_MODULE, "moto.server"))
    return ours and str(state.port).encode() in arguments


def answers(port: int, timeout: float = 1.0) -> bool:
    """Does moto answer on 127.0.0.1:port? (A direct connection: no proxy is ever consulted.)"""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", HEALTH_PATH)
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    if response.status >= 300:
        return False
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


def _spawn(port: int, state_dir: Path) -> subprocess.Popen[bytes]:
    # The server needs no credentials; it gets none, and no endpoint or proxy settings either.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["MOTO_ACCOUNT_ID"] = FAKE_ACCOUNT
    # The server imports the patches from the same checkout as this process, wherever it runs.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    with (state_dir / LOG_FILE).open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our interpreter and fixed arguments
            [sys.executable, "-m", SERVER_MODULE, "--host", HOST, "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=state_dir,
            env=env,
            start_new_session=True,
        )
    _CHILDREN[process.pid] = process
    return process


def _wait_until_answering(process: subprocess.Popen[bytes], port: int, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"the moto server exited with code {process.returncode} on start-up; see {log}")
        if answers(port, timeout=0.5):
            return
        time.sleep(0.1)
    raise ServerError(
        f"the moto server did not answer on {endpoint_for(port)} within {timeout:g} s; see {log}"
    )


def _provision(endpoint_url: str, now: datetime) -> dict[str, str]:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=_region(),
    )
    # Explicit endpoint and no proxies: these clients can reach nothing but the new server.
    config = Config(proxies={}, connect_timeout=2, read_timeout=30, retries={"total_max_attempts": 2})
    dynamodb = session.client("dynamodb", endpoint_url=endpoint_url, config=config)
    ssm = session.client("ssm", endpoint_url=endpoint_url, config=config)
    secrets = session.client("secretsmanager", endpoint_url=endpoint_url, config=config)
    try:
        return provision(dynamodb, ssm, secrets, now=now)
    except Exception as error:
        raise ServerError(f"could not provision the server at {endpoint_url}: {error}") from error


def terminate(pid: int, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """SIGTERM, then SIGKILL after `timeout`; True once the process is gone."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not is_alive(pid):
                return True
            time.sleep(0.05)
    return not is_alive(pid)


def write_state(path: Path, state: ServerState) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state.to_json(), indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def _region() -> str:
    return DEFAULT_REGION


def _aware(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone: {text!r}")
    return moment
