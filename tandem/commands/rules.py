"""`tandem rules validate FILE...`, `tandem rules push FILE...` and `tandem rules export DIR`: IVR
documents without a deploy.

Works on all the documents (rules, content, calendar, escalation, experiment); the `kind` inside
each file says which. No command here writes the experiment's stop (`<path>/experiment-stop`): only
the guard does, so pushing an experiment again never restarts one it stopped. Validation is the
Lambda's own parser, so a file that validates here is one the function serves. `export` writes
what the store serves now, one `<document>.json` each, in the form `push` takes back unchanged
(the same canonical text, so the same hash).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdas.documents.registry import Document, Parsed, parse_file
from lambdas.documents.storage_format import DOCUMENT_NAMES, StorageFormatError, split_parts
from lambdas.policy.content import Content
from lambdas.policy.escalation import EscalationPolicy
from lambdas.policy.experiment import ExperimentDocument
from lambdas.policy.rules import RuleSet
from lambdas.policy.validation import DocumentError
from tandem.output import capped, emit_json, table

if TYPE_CHECKING:
    from tandem.rules_store import StoreRead

PATH_VAR = "TANDEM_IVR_CONFIG_PATH"
PATH_USAGE = f"--target aws needs --path like /tandem/Tandem/ivr (or {PATH_VAR})"


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "rules", help="validate or push the IVR documents (rules, content, calendar, escalation, experiment)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    validate = actions.add_parser("validate", help="check documents against the schema; nothing is written")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.add_argument("--format", choices=("table", "json"), default="table")
    validate.set_defaults(run=run_validate)

    push = actions.add_parser("push", help="validate, then write documents to the sandbox or an account")
    push.add_argument("files", nargs="+", type=Path, metavar="FILE")
    _add_store_options(push)
    push.add_argument("--format", choices=("table", "json"), default="table")
    push.set_defaults(run=run_push)

    export = actions.add_parser("export", help="write the store's current documents to files in DIR")
    export.add_argument("directory", type=Path, metavar="DIR")
    _add_store_options(export)
    export.add_argument("--force", action="store_true", help="overwrite document files already in DIR")
    export.add_argument("--format", choices=("table", "json"), default="table")
    export.set_defaults(run=run_export)


def _add_store_options(parser: Any) -> None:
    """Where the documents are: the sandbox, or an account's SSM path (`push`'s options)."""
    parser.add_argument("--target", choices=("sandbox", "aws"), default="sandbox")
    parser.add_argument(
        "--path",
        default=os.environ.get(PATH_VAR, ""),
        help=f"SSM path for --target aws: the stack output IvrConfigPath (or set {PATH_VAR})",
    )
    parser.add_argument(
        "--region", default=None, help="AWS region for --target aws (default: your AWS config)"
    )


def run_validate(args: argparse.Namespace) -> int:
    checked = check_files(args.files)
    if checked is None:
        return 2
    parsed, problems = checked
    if args.format == "json":
        emit_json(
            {"valid": not problems, "documents": [_summary(f, p) for f, p in parsed], "problems": problems}
        )
    else:
        if parsed:
            rows = [list(_summary(f, p).values()) for f, p in parsed]
            print(table(["file", "document", "revision", "contents", "bytes", "parameters"], rows))
        print_problems(problems)
    return 1 if problems else 0


def run_push(args: argparse.Namespace) -> int:
    if args.target == "aws" and not valid_path(args.path):
        print(f"tandem rules push: {PATH_USAGE}", file=sys.stderr)
        return 2
    checked = check_files(args.files)
    if checked is None:
        return 2
    parsed, problems = checked
    if len(problems) == 1:
        print(f"tandem rules push: nothing was written: {problems[0]}", file=sys.stderr)
        return 1
    if problems:
        print_problems(problems)
        print(f"tandem rules push: nothing was written ({len(problems):,} problems)", file=sys.stderr)
        return 1
    documents = [p for _, p in parsed]
    if args.target == "aws":
        return _push_to_account(documents, args.path, args.region, args.format)
    return _push_to_sandbox(documents, args.format)


def run_export(args: argparse.Namespace) -> int:
    if args.target == "aws" and not valid_path(args.path):
        print(f"tandem rules export: {PATH_USAGE}", file=sys.stderr)
        return 2
    directory: Path = args.directory
    if directory.exists() and not directory.is_dir():
        print(f"tandem rules export: {directory}: not a directory", file=sys.stderr)
        return 2
    if not args.force:
        taken = [
            directory / f"{name}.json" for name in DOCUMENT_NAMES if (directory / f"{name}.json").exists()
        ]
        if taken:
            print(f"tandem rules export: {taken[0]} exists (--force overwrites)", file=sys.stderr)
            return 2
    from botocore.exceptions import BotoCoreError, ClientError

    from lambdas.documents.store import MalformedReply

    try:
        path, read = _read_store(args.target, args.path, args.region)
    except (BotoCoreError, ClientError, MalformedReply) as error:
        print(f"tandem rules export: {args.path or 'the sandbox'}: {error}", file=sys.stderr)
        return 1
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = [_write_document(directory, parsed) for parsed in read.documents.values()]
    except OSError as error:
        print(f"tandem rules export: {directory}: {error.strerror or error}", file=sys.stderr)
        return 1
    missing = [n for n in DOCUMENT_NAMES if n not in read.documents and n not in read.problems]
    if args.format == "json":
        emit_json({"path": path, "exported": written, "missing": missing, "problems": read.problems})
    else:
        rows = [[w["document"], w["revision"], w["file"], w["sha256"][:12]] for w in written]
        print(table(["document", "revision", "file", "sha256"], rows))
        for name in missing:
            print(f"\n{name}: not in the store at {path}; the functions serve their bundled default")
    for problem in read.problems.values():
        print(f"tandem rules export: not exported: {problem}", file=sys.stderr)
    return 1 if read.problems else 0


def _read_store(target: str, path: str, region: str | None) -> tuple[str, StoreRead]:
    """The store's documents and the path they were read under (the sandbox's or the account's)."""
    from tandem.rules_store import SANDBOX_CONFIG_PATH, read_documents

    if target == "aws":
        import boto3

        ssm = boto3.client("ssm", region_name=region) if region else boto3.client("ssm")
        return path, read_documents(ssm, path)
    from tandem.local import sandbox

    with sandbox() as box:
        return SANDBOX_CONFIG_PATH, read_documents(box.client("ssm"), SANDBOX_CONFIG_PATH)


def _write_document(directory: Path, parsed: Parsed) -> dict[str, str]:
    # Indented for people; `push` stores the compact form of the same keys in the same order.
    text = json.dumps(json.loads(parsed.canonical_text), indent=2, ensure_ascii=False) + "\n"
    file = directory / f"{parsed.name}.json"
    file.write_text(text, encoding="utf-8")
    return {"document": parsed.name, "revision": parsed.revision, "file": str(file), "sha256": parsed.sha256}


def check_files(files: list[Path]) -> tuple[list[tuple[Path, Parsed]], list[str]] | None:
    """Parsed documents and problem lines (`FILE: where: what`); None after a usage error."""
    parsed: list[tuple[Path, Parsed]] = []
    problems: list[str] = []
    names: dict[str, Path] = {}
    for file in files:
        if not os.path.lexists(file):
            print(f"tandem rules: {file}: no such file", file=sys.stderr)
            return None
        try:
            document = parse_file(file)
        except DocumentError as error:
            problems += [f"{file}: {problem}" for problem in error.problems]
            continue
        if document.name in names:
            print(
                f"tandem rules: {file}: a second {document.name} document (first: {names[document.name]})",
                file=sys.stderr,
            )
            return None
        names[document.name] = file
        parsed.append((file, document))
    return parsed, problems


def print_problems(problems: list[str]) -> None:
    shown, more = capped(problems)
    for line in [*shown, more] if more else shown:
        print(line, file=sys.stderr)


def _summary(file: Path, parsed: Parsed) -> dict[str, Any]:
    return {
        "file": str(file),
        "document": parsed.name,
        "revision": parsed.revision,
        "contents": _contents(parsed.value),
        "bytes": len(parsed.canonical_text.encode("utf-8")),
        "parameters": len(split_parts(parsed.canonical_text)) + 1,
    }


def _contents(value: Document) -> str:
    if isinstance(value, ExperimentDocument):
        experiment = value.experiment
        if experiment is None:
            return "no experiment"
        return (
            f"experiment {experiment.id}: {experiment.share:.0%} of {experiment.unit}s to "
            f"{len(experiment.challenger.rules)} challenger rules, {experiment.start.date()} to "
            f"{experiment.end.date()}, {len(experiment.guardrails)} guardrails"
        )
    if isinstance(value, RuleSet):
        return f"{len(value.rules)} rules, {len(value.intents)} intents, {len(value.menu)} menu keys"
    if isinstance(value, Content):
        languages = sorted(value.order_phrases)
        return (
            f"{len(value.answers)} answers, {len(value.messages)} messages, languages {'/'.join(languages)}"
        )
    if isinstance(value, EscalationPolicy):
        return f"{len(value.queue_rules)} queue rules, {len(value.adjustments)} priority adjustments"
    days = sum(1 for intervals in value.weekly.values() if intervals)
    return f"open {days} days a week, {len(value.closures)} closures"


def _push_to_sandbox(documents: list[Parsed], output_format: str) -> int:
    from tandem.local import sandbox
    from tandem.rules_store import SANDBOX_CONFIG_PATH, push_document

    with sandbox() as box:
        results = [push_document(box.client("ssm"), SANDBOX_CONFIG_PATH, d) for d in documents]
        persistent = bool(getattr(box, "persistent", False))
    note = (
        "pushed to the running sandbox server; its functions pick the change up within the max age"
        if persistent
        else "no sandbox server is running: pushed to a throw-away in-process sandbox, which proves the "
        "documents load but keeps nothing; run `tandem sandbox up` to keep state between commands"
    )
    return _report(results, SANDBOX_CONFIG_PATH, note, output_format)


def _push_to_account(documents: list[Parsed], path: str, region: str | None, output_format: str) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from tandem.rules_store import push_document

    try:
        ssm = boto3.client("ssm", region_name=region) if region else boto3.client("ssm")
        results = [push_document(ssm, path, d) for d in documents]
    except (BotoCoreError, ClientError, StorageFormatError) as error:
        print(f"tandem rules push: {path}: {error}", file=sys.stderr)
        return 1
    return _report(
        results, path, "pushed; each ivr_decision container picks it up within its max age", output_format
    )


def _report(results: list[Any], path: str, note: str, output_format: str) -> int:
    if output_format == "json":
        emit_json({"path": path, "pushed": [asdict(r) for r in results], "note": note})
        return 0
    rows = [[r.document, r.revision, r.size_bytes, r.parameters, r.removed, r.sha256[:12]] for r in results]
    print(table(["document", "revision", "bytes", "parameters", "stale removed", "sha256"], rows))
    print(f"\n{path}: {note}")
    return 0


def valid_path(path: str) -> bool:
    return path.startswith("/") and not path.endswith("/") and "//" not in path
