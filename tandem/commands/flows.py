"""`tandem flows lint [PATH...]`: check flow-language files before a deploy finds the problem.

PATH is a flow file or a directory (every *.json under it); with none, the repo's `flows/*.json` (not
`flows/tests/`, which holds Connect test cases).
Raw documents and `DescribeContactFlow`-style wrappers are both accepted. A file that cannot be
read as a flow (not JSON, binary, too large ...) is one line on stderr naming it and the problem.
Exit 1 when any finding is an error; warnings and info never fail the command. The table shows
the first findings (`tandem.output.TEXT_LIMIT`); `--format json` carries every one, with `total`.

`--strict-placeholders` (the default for files in the repo's `flows/`, which Tandem deploys)
requires Tandem's `{{type:name}}` form: another system's placeholder is an error per value.
Without it, such placeholders are one warning per file naming the system.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from flowdoc.document import SEVERITIES, Finding, load_flow
from tandem.flows.lint import REPO, lint_flow, repo_catalog
from tandem.output import capped, emit_json, table


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser("flows", help="check Amazon Connect flow-language files")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    lint = actions.add_parser("lint", help="lint flows: transitions, error branches, ARNs, placeholders")
    lint.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="flow files or directories (every *.json inside); default: the repo's flows/*.json",
    )
    lint.add_argument("--format", choices=("table", "json"), default="table")
    lint.add_argument(
        "--strict-placeholders",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="require Tandem's {{type:name}} placeholders (default: only for files in the repo's flows/)",
    )
    lint.set_defaults(run=run_lint)


def run_lint(args: argparse.Namespace) -> int:
    # By default the flows Tandem deploys: flows/*.json (flows/tests/ holds test cases, not flows).
    files = _flow_files(args.paths or [_shown(p) for p in sorted((REPO / "flows").glob("*.json"))])
    if files is None:
        return 2
    catalog = repo_catalog()
    findings: list[Finding] = []
    unreadable: list[Finding] = []
    for file in files:
        loaded = load_flow(file)
        if loaded.problems:
            unreadable += loaded.problems
            for problem in loaded.problems:
                print(f"tandem flows lint: {problem.file}: {problem.message}", file=sys.stderr)
            continue
        findings += lint_flow(loaded, catalog, strict_placeholders=args.strict_placeholders)
    findings.sort(key=lambda f: (f.file, f.position))
    counts: Counter[str] = Counter(f.severity for f in findings + unreadable)
    if args.format == "json":
        everything = sorted(findings + unreadable, key=lambda f: (f.file, f.position))
        emit_json(
            {
                "files": len(files),
                "errors": counts["error"],
                "warnings": counts["warning"],
                "info": counts["info"],
                "total": len(everything),
                "findings": [f.to_dict() for f in everything],
            }
        )
    else:
        if findings:
            shown, more = capped(findings)
            rows = [[f.file, f.action, f.severity, f.rule, f.message] for f in shown]
            print(table(["file", "action", "severity", "rule", "message"], rows))
            if more:
                print(more)
            print()
        print(_summary(len(files), counts, findings + unreadable, len(unreadable)))
    return 1 if counts["error"] else 0


def _flow_files(paths: list[Path]) -> list[Path] | None:
    """Every flow file named by `paths`, in order, each once; None after a usage error."""
    files: dict[Path, None] = {}
    for path in paths:
        if path.is_file():
            files[path] = None
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*.json") if p.is_file())
            if not found:
                print(f"tandem flows lint: {path}: no *.json files in this directory", file=sys.stderr)
                return None
            files.update(dict.fromkeys(found))
        else:
            print(f"tandem flows lint: {path}: no such file or directory", file=sys.stderr)
            return None
    return list(files)


def _summary(files: int, counts: Counter[str], findings: list[Finding], unreadable: int) -> str:
    flagged = len({f.file for f in findings if f.severity == "error"})
    parts = ", ".join(f"{counts[s]:,} {s}{'' if s == 'info' or counts[s] == 1 else 's'}" for s in SEVERITIES)
    noun = "file" if files == 1 else "files"
    unread = f" ({unreadable} unreadable, on stderr)" if unreadable else ""
    return f"{files} flow {noun} linted: {parts}; {flagged} with errors{unread}"


def _shown(path: Path) -> Path:
    """`path` relative to the working directory when it is inside it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
