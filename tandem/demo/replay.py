"""The demo's last step: its calls' decisions replayed against the "deflect order status" candidate.

The same replay `tandem replay --rules examples/candidates/deflect-order-status.json` runs, on the
demo's sandbox and days: which decisions the candidate changes, and what the calls' observed
outcomes project for containment, resolution and agent time.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from lambdas.documents.registry import parse_file
from lambdas.policy.validation import DocumentError
from lambdas.shared.tables import INTERACTIONS, METRICS
from tandem.local import Sandbox
from tandem.local.sandbox import FAKE_ENV
from tandem.replay.document import replay_store, replay_tables
from tandem.replay.projection import Projection

DEFLECT = Path(__file__).resolve().parents[2] / "examples" / "candidates" / "deflect-order-status.json"
CENTRE_ZONE = ZoneInfo(FAKE_ENV["TIME_ZONE"])


def replay_candidate(
    box: Sandbox, days: tuple[date, date], candidate: Path = DEFLECT
) -> tuple[dict[str, Any], Projection] | str:
    """The replay of `days`' stored decisions with `candidate`, or why it could not run (one line)."""
    from tandem.rules_store import SANDBOX_CONFIG_PATH

    try:
        parsed = parse_file(candidate)
    except DocumentError as error:
        return f"{candidate.name}: {'; '.join(error.problems)}"
    tables = (box.table_names[INTERACTIONS.env_var], box.table_names[METRICS.env_var])
    document, projection, _ = replay_store(
        box.client("ssm"),
        SANDBOX_CONFIG_PATH,
        box.client("dynamodb"),
        tables,
        days=days,
        zone=CENTRE_ZONE,
        candidates={parsed.name: parsed},
        source=f"{box.description}, {tables[0]}",
    )
    return document, projection


def print_replay(replayed: tuple[dict[str, Any], Projection] | str, candidate: Path = DEFLECT) -> None:
    print(f"\nWhat if: these calls replayed against {candidate.relative_to(candidate.parents[2])}")
    if isinstance(replayed, str):
        print(f"(not replayed: {replayed})")
        return
    print(replay_tables(*replayed))
