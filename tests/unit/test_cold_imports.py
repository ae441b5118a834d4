"""What a cold start imports: code that only some calls need is imported by the first call that needs
it (docs/decision_log.md, "Cold start, fourth pass"), so a container whose calls never need it does
not compile it.

Each case is a fresh interpreter that imports the handler (without configuration its init fails, as
the Container reports on the first call) and parses the shipped documents the handler's init parses,
then lists the modules loaded. The positive controls show the same listing does see the deferred
modules once a call needs them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# handler → (documents its init parses, modules a cold start with the shipped documents never loads)
CASES = {
    "ivr_decision": (
        ("rules", "content", "calendar", "experiment"),
        {
            "lambdas.ivr_decision.agent_request",  # the shipped flows pass no transcript
            "lambdas.policy.experiment_spec",  # the shipped experiment document holds none
            "lambdas.shared.kpi",
            "lambdas.shared.caller_number",  # an experiment by caller only
        },
    ),
    "escalation": (
        ("escalation", "calendar"),
        {
            "lambdas.escalation.connect_metrics",  # the recommended flows pass the queue metrics
            "lambdas.shared.cache",
            "lambdas.escalation.claim_callback",  # a container's first call is a handoff
        },
    ),
    "experiment_guard": (
        ("experiment",),
        {
            "lambdas.policy.experiment_spec",
            "lambdas.policy.rules",  # a challenger's parser
            "lambdas.shared.guardrails",  # a running experiment's look
            "lambdas.shared.experiment_stats",
        },
    ),
    "crm_lookup": ((), {"zoneinfo"}),  # no time zone anywhere
    "survey": ((), {"zoneinfo"}),
}


def _loaded(function: str, documents: tuple[str, ...], then: str = "") -> set[str]:
    code = (
        "import json, sys\n"
        f"import lambdas.{function}.handler\n"
        "from lambdas.documents.registry import bundled_defaults\n"
        f"bundled_defaults({documents!r})\n"
        f"{then}\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"}  # no configuration
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO, env=env
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


@pytest.mark.parametrize("function", list(CASES))
def test_a_cold_start_with_the_shipped_documents_leaves_the_rare_paths_unimported(function: str) -> None:
    documents, never = CASES[function]
    assert _loaded(function, documents) & never == set()


def test_the_listing_sees_the_deferred_modules_once_a_call_needs_them() -> None:
    # An experiment document that holds one and a transcript; a handoff that asks Connect
    then = (
        "from lambdas.documents.registry import parse_text\n"
        "from tests.unit.ivr_support import experiment_json\n"
        "parse_text(json.dumps(experiment_json()), 'experiment')\n"
        "from lambdas.ivr_decision.signals import _asks_for_person\n"
        "_asks_for_person('an agent please')\n"
    )
    loaded = _loaded("ivr_decision", CASES["ivr_decision"][0], then)
    assert {
        "lambdas.ivr_decision.agent_request",
        "lambdas.policy.experiment_spec",
        "lambdas.shared.kpi",
    } <= loaded
    then = (
        "from lambdas.escalation.deps import ConnectMetrics\n"
        "ConnectMetrics('i', {}, requests_per_second=1.0).snapshot('general')\n"  # an unknown queue: no call
    )
    loaded = _loaded("escalation", CASES["escalation"][0], then)
    assert {"lambdas.escalation.connect_metrics", "lambdas.shared.cache"} <= loaded
