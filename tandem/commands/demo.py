"""`tandem demo`: the local demo on the moto sandbox."""

from __future__ import annotations

import argparse
from typing import Any


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser("demo", help="run the local demo on the moto sandbox")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tandem import demo

    return demo.run(args.format)
