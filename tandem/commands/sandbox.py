"""`tandem sandbox up|down|status`: the sandbox as a local moto server that commands share.

After `up`, every `tandem` command run in the same directory (`rules push`, `simulate`, `report`)
works on the server's state instead of a throw-away in-process sandbox, until `down`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tandem.output import emit_json, table


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "sandbox", help="run the sandbox as a local moto server shared by commands"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    up = actions.add_parser(
        "up", help="start the server on 127.0.0.1, create the tables and seed the demo data"
    )
    up.add_argument("--port", type=_port, default=None, help="port on 127.0.0.1 (default: a free one)")
    up.add_argument("--format", choices=("table", "json"), default="table")
    up.set_defaults(run=run_up)

    down = actions.add_parser("down", help="stop the server and forget its state")
    down.add_argument("--format", choices=("table", "json"), default="table")
    down.set_defaults(run=run_down)

    status = actions.add_parser("status", help="is a server running here? (exit 0 if so, 1 if not)")
    status.add_argument("--format", choices=("table", "json"), default="table")
    status.set_defaults(run=run_status)


def run_up(args: argparse.Namespace) -> int:
    from tandem.local import server

    try:
        state, started = server.start(args.port)
    except server.ServerError as error:
        print(f"tandem sandbox up: {error}", file=sys.stderr)
        return 1
    state_file = server.state_path()
    if args.format == "json":
        emit_json({"running": True, "started": started, **_describe(state, state_file)})
        return 0
    verb = "started" if started else "already running"
    print(f"sandbox server {verb} at {state.endpoint_url} (pid {state.pid}); state in {_shown(state_file)}")
    print(table(["variable", "table"], sorted(state.tables.items())))
    print("\ntandem commands run in this directory now share its state; `tandem sandbox down` stops it.")
    return 0


def run_down(args: argparse.Namespace) -> int:
    from tandem.local import server

    try:
        state, message = server.stop()
    except server.ServerError as error:
        print(f"tandem sandbox down: {error}", file=sys.stderr)
        return 1
    if args.format == "json":
        emit_json({"running": False, "pid": state.pid if state else None, "message": message})
    else:
        print(message)
    return 0


def run_status(args: argparse.Namespace) -> int:
    from tandem.local import server

    current = server.status()
    if args.format == "json":
        document: dict[str, Any] = {"running": current.running, "stateFile": str(current.state_file)}
        if current.state is not None:
            document |= _describe(current.state, current.state_file)
        if current.problem:
            document["problem"] = current.problem
        emit_json(document)
    elif current.running:
        assert current.state is not None
        state = current.state
        since = f"{state.started_at:%Y-%m-%d %H:%M:%S %Z}"
        print(f"running at {state.endpoint_url} (pid {state.pid}, since {since})")
        print(table(["variable", "table"], sorted(state.tables.items())))
    if current.running:
        return 0
    reason = current.problem or f"no state file at {_shown(current.state_file)}"
    print(f"tandem sandbox status: not running ({reason})", file=sys.stderr)
    return 1


def _describe(state: Any, state_file: Path) -> dict[str, Any]:
    return {**state.to_json(), "stateFile": str(state_file)}


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1024 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1024-65535, not {port}")
    return port
