"""The replay as one document: what `tandem replay --format json` prints, the text drawn from it, and
the whole replay of a store (stored decisions, candidate documents, the calls' outcomes) in one call
for the commands and the demo."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from lambdas.documents.registry import Parsed
from lambdas.ivr_decision.decide import Documents
from tandem.output import table
from tandem.replay.contexts import StoredDecisions, read_decisions
from tandem.replay.engine import IVR_DOCUMENTS, Replay, candidate_documents, replay
from tandem.replay.outcomes import CallOutcome, read_outcomes
from tandem.replay.projection import Projection, project, projection_tables


class StoreBroken(ValueError):
    """A document the store serves (and no candidate replaces) does not parse; the message is one line."""


def replay_store(
    ssm: Any,
    config_path: str,
    dynamodb: Any,
    tables: tuple[str, str],
    *,
    days: tuple[date, date] | None,
    zone: ZoneInfo,
    candidates: dict[str, Parsed],
    source: str,
) -> tuple[dict[str, Any], Projection, StoredDecisions]:
    """Replay the decisions stored in `tables` (Interactions, Metrics) over `days` with `candidates`
    (the other documents as the store at `config_path` serves them): the document, with the
    projection's figures, the projection and what was read. AWS errors propagate."""
    from tandem.rules_store import read_documents

    interactions, metrics = tables
    store = read_documents(ssm, config_path, IVR_DOCUMENTS)
    broken = [problem for name, problem in store.problems.items() if name not in candidates]
    if broken:
        raise StoreBroken(f"the store's document is broken: {broken[0]}")
    documents = candidate_documents(store.documents, candidates)
    loaded = read_decisions(dynamodb, interactions, days, zone)
    result = replay(loaded.decisions, documents)
    projection = project(result.moves, call_outcomes(dynamodb, metrics, loaded))
    document = replay_document(result, loaded, documents, days, source, self_check=not candidates)
    return document | projection.to_dict(), projection, loaded


def call_outcomes(dynamodb: Any, metrics_table: str, loaded: StoredDecisions) -> dict[str, CallOutcome]:
    """What became of each replayed call, from ctr_ingest's call states (a call not yet counted has none)."""
    calls = sorted({decision.initial_contact_id for decision in loaded.decisions})
    return read_outcomes(dynamodb, metrics_table, calls)


def replay_tables(document: dict[str, Any], projection: Projection) -> str:
    """The replay as text: what changed, then the projection."""
    return replay_text(document) + "\n\n" + projection_tables(projection)


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
    """Decisions the champion made must replay unchanged; an experiment's challenger decisions are
    left out (its rules are not the store's), and counted."""
    changed_revisions = Counter(
        c.stored.rules_revision
        for c in result.sample
        if c.stored.rules_revision and c.stored.variant != "challenger"
    )
    changed = result.changed - result.challenger_changed
    reasons_changed = result.reasons_changed - result.challenger_reasons_changed
    passed = not changed and not reasons_changed
    if passed:
        message = "replayed with the current documents, nothing changed: the stored contexts are complete"
    else:
        message = (
            f"replayed with the current documents, {changed:,} decisions changed and "
            f"{reasons_changed:,} changed only their reasons: either the documents changed since "
            "(see each sample's rulesRevision) or the stored contexts are incomplete"
        )
    challenger = result.challenger_changed + result.challenger_reasons_changed
    if challenger:
        message += f" ({challenger:,} decisions by an experiment's challenger left out)"
    return {
        "passed": passed,
        "message": message,
        "sampleRevisions": dict(changed_revisions),
        "challengerLeftOut": challenger,
    }


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
