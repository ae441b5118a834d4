"""Every setting of every Connect-facing function, set to garbage: DEGRADED/CONFIG, never a raise.

The variables are the ones each function's configuration actually reads (recorded while it reads
a valid environment), so a setting added later is covered without editing this file. For each, the
function answers the flow its documented fallback with `degradedReason` CONFIG and logs one line
that names the variable; nothing is written. (ctr_ingest is not Connect-facing: a broken setting
fails its invocation, so Kinesis keeps the batch until the fix; see docs/reliability.md.)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from lambdas.crm_lookup.config import LookupConfig
from lambdas.escalation.config import EscalationConfig
from lambdas.ivr_decision.config import DecisionConfig
from lambdas.survey.config import SurveyConfig
from tandem.local import sandbox
from tests.conftest import assert_flow_contract, load_event
from tests.integration.test_survey_handler import survey_event

GARBAGE = "garbage ☃ value"
HTTP_MODE = {
    "CRM_ADAPTER": "http",
    "CRM_HTTP_BASE_URL": "https://crm.example.com",
    "CRM_HTTP_SECRET_ARN": "crm-token",
}


class Recording(Mapping[str, str]):
    """The environment, noting every name a configuration reads."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env, self.read = env, set[str]()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self.env[name]

    def get(self, name: str, default: Any = None) -> Any:
        self.read.add(name)
        return self.env.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.env)

    def __len__(self) -> int:
        return len(self.env)


def variables(from_env: Callable[[Mapping[str, str]], object], env: Mapping[str, str]) -> list[str]:
    recording = Recording(env)
    from_env(recording)
    return sorted(recording.read)


def contact_event(_: str) -> dict[str, Any]:
    event = load_event("voice_known_gold.json")
    event["Details"]["Parameters"] = {"route": "AGENT", "reasons": "CANCELLATION", "intent": "CANCEL_ORDER"}
    return event


CONFIGS: dict[str, tuple[Callable[[Mapping[str, str]], object], Callable[[str], dict[str, Any]]]] = {
    "crm_lookup": (LookupConfig.from_env, contact_event),
    "ivr_decision": (DecisionConfig.from_env, contact_event),
    "escalation": (EscalationConfig.from_env, contact_event),
    "survey": (SurveyConfig.from_env, lambda _: survey_event("4")),
}


def cells() -> list[tuple[str, str, dict[str, str]]]:
    """(function, variable, the rest of the environment it needs) for every variable read."""
    found = []
    with sandbox(attach=False) as _box:
        env = dict(os.environ)
        for function, (from_env, _event) in CONFIGS.items():
            for name in variables(from_env, env):
                found.append((function, name, {}))
        for name in set(variables(LookupConfig.from_env, env | HTTP_MODE)) - set(
            variables(LookupConfig.from_env, env)
        ):
            found.append(("crm_lookup", name, HTTP_MODE))
    return found


CELLS = cells()


def test_every_function_reads_some_settings() -> None:
    assert {function for function, _, _ in CELLS} == set(CONFIGS)
    assert ("crm_lookup", "CRM_HTTP_BASE_URL", HTTP_MODE) in CELLS


@pytest.mark.parametrize("function", list(CONFIGS))
def test_each_setting_set_to_garbage_answers_degraded_config_and_names_it(function: str) -> None:
    event = CONFIGS[function][1]
    wrong: dict[str, object] = {}
    with sandbox(attach=False) as box:
        for _, name, needs in [cell for cell in CELLS if cell[0] == function]:
            saved = dict(os.environ)
            os.environ.update(needs | {name: GARBAGE})
            try:
                box.cold_start(function)
                answer = box.invoke(function, event(function))
            finally:
                os.environ.clear()
                os.environ.update(saved)
            assert_flow_contract(answer)
            complaints = [line for line in box.last.log_lines if line.get("level") in ("WARNING", "ERROR")]
            if (answer["status"], answer.get("degradedReason")) != ("DEGRADED", "CONFIG"):
                wrong[name] = answer
            elif len(complaints) != 1 or name not in complaints[0].get("problem", ""):
                wrong[name] = complaints  # one line, naming the variable
            elif box.last.aws_calls:
                wrong[name] = box.last.aws_calls  # nothing read or written on a broken configuration
        box.cold_start(function)
    assert wrong == {}


@pytest.mark.parametrize("level", [GARBAGE, "verbose", ""])
def test_a_garbage_log_level_never_stops_a_function_from_starting(
    level: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every function builds its logger at import (its init phase): an unknown POWERTOOLS_LOG_LEVEL
    made Powertools raise there, so the flow got no answer at all. Now INFO serves, and one line
    names the variable (none when it is simply unset)."""
    import json

    from lambdas.shared.observability import get_logger

    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", level)
    logger = get_logger("garbage-level")
    logger.info("still logging")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    warned = [line for line in lines if line["level"] == "WARNING"]
    assert [line["message"] for line in lines if line["level"] == "INFO"] == ["still logging"]
    if level:
        assert len(warned) == 1 and "POWERTOOLS_LOG_LEVEL" in warned[0]["problem"]
    else:
        assert warned == []
