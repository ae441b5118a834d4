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

`tandem flows import EXPORT... --to DIR [--map FILE]` converts flows exported from the Connect
designer into the repo's form (`tandem.flows.importer`): literal ARNs become `{{type:name}}`
placeholders named from the export's metadata or the map. When any value cannot be named, they are
listed (file, location, value, why) and nothing is written: exit 1. Otherwise each flow is written
to DIR/<name>.json as a raw document and linted as a deployed flow; lint errors exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from flowdoc.document import SEVERITIES, Finding, FlowLoadError, LoadedFlow, load_flow
from tandem.flows.importer import FlowImportError, ImportedFlow, import_flow, read_map
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

    imports = actions.add_parser(
        "import", help="convert designer exports into flows with typed {{type:name}} placeholders"
    )
    imports.add_argument(
        "exports", nargs="+", type=Path, metavar="EXPORT", help="exported flow files or directories"
    )
    imports.add_argument("--to", type=Path, required=True, metavar="DIR", help="where to write, e.g. flows/")
    imports.add_argument(
        "--map",
        type=Path,
        metavar="FILE",
        help='JSON {"<ARN or value>": "<name>" or "<type>:<name>"} for what the export does not name',
    )
    imports.set_defaults(run=run_import)


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


def run_import(args: argparse.Namespace) -> int:
    try:
        mapped = read_map(args.map) if args.map else {}
    except FlowImportError as error:
        print(f"tandem flows import: {error}", file=sys.stderr)
        return 2
    files = _flow_files(args.exports, command="tandem flows import")
    if files is None:
        return 2
    imported: list[ImportedFlow] = []
    for file in files:
        try:
            imported.append(import_flow(file, mapped))
        except (FlowLoadError, FlowImportError) as error:
            print(f"tandem flows import: {error}", file=sys.stderr)
            return 1
    clash = _same_output(imported)
    if clash:
        print(f"tandem flows import: {clash}", file=sys.stderr)
        return 1
    unnamed = [u for flow in imported for u in flow.unnamed]
    if unnamed:
        shown, more = capped(unnamed)
        print(table(["file", "where", "value", "why"], [[u.file, u.path, u.text, u.reason] for u in shown]))
        if more:
            print(more)
        noun = "value" if len(unnamed) == 1 else "values"
        print(f"\n{len(unnamed)} {noun} could not be named; nothing written (name them with --map FILE)")
        return 1
    return _write_and_lint(imported, args.to)


def _same_output(imported: list[ImportedFlow]) -> str:
    """A message when two exports would be written to the same file, else ""."""
    seen: dict[str, Path] = {}
    for flow in imported:
        first = seen.setdefault(flow.stem, flow.source)
        if first != flow.source:
            return f"{first} and {flow.source} would both be written as {flow.stem}.json"
    return ""


def _write_and_lint(imported: list[ImportedFlow], folder: Path) -> int:
    from infra import constants

    folder.mkdir(parents=True, exist_ok=True)
    catalog = repo_catalog()
    errors: list[Finding] = []
    for flow in imported:
        target = folder / f"{flow.stem}.json"
        target.write_text(json.dumps(flow.document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        counts = ", ".join(f"{len(names)} {kind}" for kind, names in sorted(flow.values.items()))
        print(f"{flow.source} → {target}: {counts or 'no ARNs'}")
        deployed_as = constants.FLOW_TYPES.get(flow.stem, constants.DEFAULT_FLOW_TYPE)
        if flow.flow_type and flow.flow_type != deployed_as:
            print(
                f"  note: exported as {flow.flow_type}; the stack deploys {flow.stem} as {deployed_as} "
                f"unless infra/constants.py FLOW_TYPES says {flow.stem!r}: {flow.flow_type!r}"
            )
        loaded = LoadedFlow(target, flow.document)
        errors += [f for f in lint_flow(loaded, catalog, strict_placeholders=True) if f.severity == "error"]
    if errors:
        shown, more = capped(errors)
        print()
        print(
            table(
                ["file", "action", "rule", "message"], [[f.file, f.action, f.rule, f.message] for f in shown]
            )
        )
        if more:
            print(more)
        print(f"\n{len(errors)} lint error(s) in the imported flows; fix them before deploying")
        return 1
    noun = "flow" if len(imported) == 1 else "flows"
    print(f"{len(imported)} {noun} imported into {folder}; they lint clean")
    return 0


def _flow_files(paths: list[Path], command: str = "tandem flows lint") -> list[Path] | None:
    """Every flow file named by `paths`, in order, each once; None after a usage error."""
    files: dict[Path, None] = {}
    for path in paths:
        if path.is_file():
            files[path] = None
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*.json") if p.is_file())
            if not found:
                print(f"{command}: {path}: no *.json files in this directory", file=sys.stderr)
                return None
            files.update(dict.fromkeys(found))
        else:
            print(f"{command}: {path}: no such file or directory", file=sys.stderr)
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
