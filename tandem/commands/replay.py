"""`tandem replay [--rules FILE...] [--from DATE --to DATE]`: what candidate documents would have
decided for the stored calls.

Reads the stored decisions (the Interactions table: the running sandbox, or `--target aws` with
`--table`, `--path` for the documents, `--profile`/`--region`), decides each again with the given
documents (the others as the store serves them) through the Lambda's own `decide`, and reports what
changed: decisions and calls, route changes, the rules that gained and lost decisions, and a sample
of changed decisions with both reason lists. Without `--rules` it is a self-check: the current
documents must change nothing (stored contexts are complete); if something changes it says what, and
exits 1. Days are the centre's days; without --from/--to every stored decision is replayed. Exit 0
with a replay, 1 when the store cannot be read, a candidate is invalid or the self-check fails, 2 on
usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from infra.constants import DEFAULT_TIME_ZONE
from lambdas.documents.registry import Parsed
from lambdas.ivr_decision.decide import Documents
from lambdas.shared.tables import INTERACTIONS, METRICS
from tandem.commands.metrics_range import add_range_options, optional_range, run_on_target
from tandem.commands.rules import PATH_USAGE, PATH_VAR, check_files, print_problems, valid_path
from tandem.kpi_report import RangeError
from tandem.output import add_page_output, emit_json, table, write_page
from tandem.replay.contexts import StoredDecisions
from tandem.replay.engine import IVR_DOCUMENTS, Replay, candidate_documents, replay
from tandem.replay.outcomes import CallOutcome, OutcomesIncomplete, read_outcomes
from tandem.replay.projection import project, projection_tables

# The zone the centre's days are counted in (the sandbox's and a stack's default), as in `tandem report`.
CENTRE_ZONE = ZoneInfo(DEFAULT_TIME_ZONE)
FORMATS = ("table", "json", "html")
METRICS_TABLE_VAR = "TANDEM_METRICS_TABLE"  # where --target aws finds the calls' outcomes


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "replay", help="decide the stored calls again with candidate documents; what would change"
    )
    parser.add_argument(
        "--rules",
        nargs="+",
        type=Path,
        default=[],
        metavar="FILE",
        help="candidate rules, content or calendar documents (the others: what the store serves)",
    )
    add_range_options(parser, table=INTERACTIONS, formats=FORMATS, range_required=False)
    parser.add_argument(
        "--path",
        default=None,
        help=f"SSM path of the documents for --target aws: the stack output IvrConfigPath (or {PATH_VAR})",
    )
    parser.add_argument(
        "--metrics-table",
        default=None,
        help=f"the Metrics table (the calls' outcomes) for --target aws (default: ${METRICS_TABLE_VAR})",
    )
    add_page_output(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        days = optional_range(args)
    except RangeError as error:
        return _usage(str(error))
    candidates = _candidates(args.rules)
    if isinstance(candidates, int):
        return candidates
    for option, given in (("--path", args.path), ("--metrics-table", args.metrics_table)):
        if args.target == "sandbox" and given is not None:
            return _usage(f"{option}: only with --target aws")
    if args.output is not None and args.format != "html":
        return _usage("--output: only with --format html")
    return run_on_target(
        args,
        _usage,
        lambda given: _from_sandbox(given, days, candidates),
        lambda given, table_name: _from_account(given, table_name, days, candidates),
        INTERACTIONS,
    )


def _usage(message: str) -> int:
    print(f"tandem replay: {message}", file=sys.stderr)
    return 2


def _candidates(files: list[Path]) -> dict[str, Parsed] | int:
    """The candidate documents by name, or the exit code after `tandem rules validate`'s errors."""
    checked = check_files(files)
    if checked is None:
        return 2
    parsed, problems = checked
    if len(problems) == 1:  # one line, as `tandem rules push` says it
        print(f"tandem replay: nothing was replayed: {problems[0]}", file=sys.stderr)
        return 1
    if problems:
        print_problems(problems)
        print(
            f"tandem replay: nothing was replayed ({len(problems):,} problems in the candidates)",
            file=sys.stderr,
        )
        return 1
    for file, document in parsed:
        if document.name not in IVR_DOCUMENTS:
            return _usage(
                f"{file}: a {document.name} document does not decide routes; give {', '.join(IVR_DOCUMENTS)}"
            )
    return {document.name: document for _, document in parsed}


def _from_sandbox(
    args: argparse.Namespace, days: tuple[date, date] | None, candidates: dict[str, Parsed]
) -> int:
    from tandem.local import sandbox
    from tandem.rules_store import SANDBOX_CONFIG_PATH

    with sandbox() as box:
        table_name = box.table_names[INTERACTIONS.env_var]
        loaded = _load(
            box.client("ssm"),
            SANDBOX_CONFIG_PATH,
            box.client("dynamodb"),
            table_name,
            days=days,
            candidates=candidates,
        )
        where, persistent = box.description, box.persistent
        if isinstance(loaded, int):
            return loaded
        outcomes = _outcomes(box.client("dynamodb"), box.table_names[METRICS.env_var], loaded[1])
    if not persistent and not loaded[1].items_read:
        print(
            "tandem replay: no sandbox server is running, so this read a fresh in-process sandbox, which "
            "has no stored decisions; run `tandem sandbox up` and put calls through it",
            file=sys.stderr,
        )
    return _report(args, *loaded, outcomes, days=days, source=f"{where}, {table_name}")


def _from_account(
    args: argparse.Namespace, table_name: str, days: tuple[date, date] | None, candidates: dict[str, Parsed]
) -> int:
    import os

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    path = args.path if args.path is not None else os.environ.get(PATH_VAR, "")
    if not valid_path(path):
        return _usage(PATH_USAGE)
    metrics_table = args.metrics_table or os.environ.get(METRICS_TABLE_VAR, "")
    if not metrics_table:
        return _usage(f"--metrics-table: the Metrics table's name (or set {METRICS_TABLE_VAR})")
    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
        loaded = _load(
            session.client("ssm"),
            path,
            session.client("dynamodb"),
            table_name,
            days=days,
            candidates=candidates,
        )
        if isinstance(loaded, int):
            return loaded
        outcomes = _outcomes(session.client("dynamodb"), metrics_table, loaded[1])
    except (BotoCoreError, ClientError, OutcomesIncomplete) as error:
        print(f"tandem replay: {error}", file=sys.stderr)
        return 1
    return _report(args, *loaded, outcomes, days=days, source=f"aws, {table_name}")


def _load(
    ssm: Any,
    path: str,
    dynamodb: Any,
    table_name: str,
    *,
    days: tuple[date, date] | None,
    candidates: dict[str, Parsed],
) -> tuple[Documents, StoredDecisions] | int:
    """The candidate set and the stored decisions; an exit code after a one-line error."""
    from botocore.exceptions import BotoCoreError, ClientError

    from lambdas.documents.store import MalformedReply
    from tandem.replay.contexts import read_decisions
    from tandem.rules_store import read_documents

    try:
        store = read_documents(ssm, path, IVR_DOCUMENTS)
        broken = [p for name, p in store.problems.items() if name not in candidates]
        if broken:
            print(f"tandem replay: the store's document is broken: {broken[0]}", file=sys.stderr)
            return 1
        loaded = read_decisions(dynamodb, table_name, days, CENTRE_ZONE)
    except (BotoCoreError, ClientError, MalformedReply) as error:
        print(f"tandem replay: {table_name}: {error}", file=sys.stderr)
        return 1
    return candidate_documents(store.documents, candidates), loaded


def _outcomes(dynamodb: Any, metrics_table: str, loaded: StoredDecisions) -> dict[str, CallOutcome]:
    """What became of each replayed call, from ctr_ingest's call states (a call not yet counted has none)."""
    calls = sorted({decision.initial_contact_id for decision in loaded.decisions})
    return read_outcomes(dynamodb, metrics_table, calls)


def _report(
    args: argparse.Namespace,
    documents: Documents,
    loaded: StoredDecisions,
    outcomes: Mapping[str, CallOutcome],
    *,
    days: tuple[date, date] | None,
    source: str,
) -> int:
    result = replay(loaded.decisions, documents)
    projection = project(result.moves, outcomes)
    document = replay_document(result, loaded, documents, days, source, self_check=not args.rules)
    document |= projection.to_dict()
    failed = 1 if document["selfCheck"] and not document["selfCheck"]["passed"] else 0
    if args.format == "json":
        emit_json(document)
    elif args.format == "html":
        from tandem.html.replay import replay_page  # plotly: imported only by the command that draws

        return write_page("tandem replay", replay_page(document), args.output) or failed
    else:
        print(replay_text(document))
        print("\n" + projection_tables(projection))
    return failed


def replay_document(
    result: Replay,
    loaded: StoredDecisions,
    documents: Documents,
    days: tuple[date, date] | None,
    source: str,
    *,
    self_check: bool,
) -> dict[str, Any]:
    """The replay as one JSON-ready document (what `--format json` prints; the text is drawn from it)."""
    reasons = Counter(item.reason for item in loaded.not_replayable)
    return {
        "from": days[0].isoformat() if days else None,
        "to": days[1].isoformat() if days else None,
        "source": source,
        "documents": {
            name: {"revision": getattr(documents, name).revision, "source": documents.sources[name]}
            for name in IVR_DOCUMENTS
        },
        "decisions": result.decisions,
        "changed": result.changed,
        "reasonsChanged": result.reasons_changed,
        "calls": len(result.moves),
        "callsChanged": result.calls_changed,
        "routeChanges": [
            {"from": before, "to": after, "count": count}
            for (before, after), count in sorted(result.route_changes.items())
        ],
        "rules": [
            {
                "ruleId": rule,
                "observed": s.observed,
                "replayed": s.replayed,
                "gained": s.gained,
                "lost": s.lost,
            }
            for rule, s in result.rule_shifts().items()
        ],
        "sample": [changed.to_dict() for changed in result.sample],
        "notReplayable": {
            "count": len(loaded.not_replayable),
            "byReason": [{"reason": r, "count": n} for r, n in reasons.most_common()],
        },
        "selfCheck": _self_check(result) if self_check else None,
    }


def _self_check(result: Replay) -> dict[str, Any]:
    changed_revisions = Counter(c.stored.rules_revision for c in result.sample if c.stored.rules_revision)
    passed = not result.changed and not result.reasons_changed
    if passed:
        message = "replayed with the current documents, nothing changed: the stored contexts are complete"
    else:
        message = (
            f"replayed with the current documents, {result.changed:,} decisions changed and "
            f"{result.reasons_changed:,} changed only their reasons: either the documents changed since "
            "(see each sample's rulesRevision) or the stored contexts are incomplete"
        )
    return {"passed": passed, "message": message, "sampleRevisions": dict(changed_revisions)}


def replay_text(document: dict[str, Any]) -> str:
    span = f"{document['from']} to {document['to']}" if document["from"] else "every stored day"
    used = ", ".join(f"{n} {d['revision']} ({d['source']})" for n, d in document["documents"].items())
    decisions, calls = document["decisions"], document["calls"]
    changed = document["changed"]
    lines = [
        f"Replay of {decisions:,} decisions ({calls:,} calls), {span}, {document['source']}",
        f"Documents: {used}",
        f"Changed: {changed:,} of {decisions:,} decisions ({_share(changed, decisions)}), "
        f"{document['callsChanged']:,} of {calls:,} calls (their last decision)",
    ]
    if document["routeChanges"]:
        rows = [[c["from"], c["to"], c["count"]] for c in document["routeChanges"]]
        lines += ["", "Routes, stored → replayed", table(["from", "to", "decisions"], rows)]
    if document["rules"]:
        rows = [
            [r["ruleId"], r["observed"], r["replayed"], r["gained"], r["lost"]] for r in document["rules"]
        ]
        lines += [
            "",
            "Rules that gained and lost decisions",
            table(["rule", "stored", "replayed", "gained", "lost"], rows),
        ]
    if document["sample"]:
        rows = [
            [
                s["contactId"],
                s["decidedAt"][:16],
                s["intent"],
                f"{s['observed']['route']} {s['observed']['ruleId']}",
                f"{s['replayed']['route']} {s['replayed']['ruleId']}",
                ",".join(s["observed"]["reasons"]),
                ",".join(s["replayed"]["reasons"]),
            ]
            for s in document["sample"]
        ]
        headers = [
            "contact",
            "decided (UTC)",
            "intent",
            "stored",
            "replayed",
            "stored reasons",
            "replayed reasons",
        ]
        lines += ["", f"Changed decisions (the first {len(rows)})", table(headers, rows)]
    skipped = document["notReplayable"]
    if skipped["count"]:
        rows = [[r["reason"], r["count"]] for r in skipped["byReason"]]
        lines += ["", f"Not replayable: {skipped['count']:,} stored items", table(["reason", "items"], rows)]
    if not decisions:
        lines += ["", "Note: no stored decisions in the range"]
    if document["selfCheck"]:
        verdict = "passed" if document["selfCheck"]["passed"] else "FAILED"
        lines += ["", f"Self-check {verdict}: {document['selfCheck']['message']}"]
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"
