"""Connect-facing entry point: `lambdas.survey.handler.lambda_handler`.

Called by the post-call survey flow with the caller's key press (`csat`) and the contact's
`route`, `queue` and `intent`. Thin on purpose: validate the rating, write one item, answer.
The answer is `status` (OK, INVALID_INPUT for a rating outside 1..5, DEGRADED when the table
cannot be written in time), `csat` (the rating stored, or empty) and `recorded` (true/false).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from lambdas.shared.aws import ClientLimits, make_client
from lambdas.shared.budget import BudgetExceeded, Deadline, run_within
from lambdas.shared.clock import Clock, utc_now
from lambdas.shared.connect_handler import run_connect_handler
from lambdas.shared.container import Container
from lambdas.shared.event import ContactEvent
from lambdas.shared.observability import MetricUnit, get_logger, get_metrics
from lambdas.shared.response import Status, flat_response
from lambdas.survey.config import SurveyConfig
from lambdas.survey.rating import parse_rating, routing_codes
from lambdas.survey.rating_store import put_rating, survey_item

SERVICE = "survey"
# Two attempts of a short write: worst case about 2 x 0.8 s plus backoff, inside the 1.5 s budget's
# hard stop (run_within) and far inside the block's 4 s.
DYNAMODB_LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.5, max_attempts=2)

logger = get_logger(SERVICE)
metrics = get_metrics(SERVICE)


@dataclass(frozen=True)
class SurveyDeps:
    config: SurveyConfig
    dynamodb: Any
    clock: Clock = utc_now  # records "as of" this moment; the sandbox pins it


def build_deps() -> SurveyDeps:
    return SurveyDeps(SurveyConfig.from_env(), make_client("dynamodb-slim", DYNAMODB_LIMITS))


CONTAINER = Container(build_deps)
CONTAINER.warm()


def lambda_handler(event: Any, context: Any) -> dict[str, str]:
    return run_connect_handler(
        event, context, logger=logger, metrics=metrics, logic=_record_survey, fallback=_fallback
    )


def _record_survey(event: ContactEvent, lambda_context: Any) -> dict[str, str]:
    started = time.perf_counter()
    # The rating must come from this block's own parameter, never from an older attribute.
    csat = parse_rating(event.parameters.get("csat", ""))
    if csat is None:
        # What was pressed is not logged: only that it was not a rating.
        logger.info("survey rating invalid", extra={"recorded": False})
        metrics.add_metric(name="SurveysInvalid", unit=MetricUnit.Count, value=1)
        return _fallback(Status.INVALID_INPUT, "CSAT_NOT_1_TO_5")
    deps = CONTAINER.get()  # a ConfigError becomes DEGRADED/CONFIG in run_connect_handler
    deadline = Deadline.after_ms(deps.config.budget_ms, lambda_context)
    codes = routing_codes(event)
    item = survey_item(event, csat, codes, now=deps.clock(), ttl_days=deps.config.interaction_ttl_days)
    problem = ""
    try:
        run_within(
            deadline,
            lambda: put_rating(deps.dynamodb, deps.config.interactions_table, item),
        )
    except Exception as error:  # the caller is thanked either way; the gap is counted
        problem = "TIMEOUT" if isinstance(error, BudgetExceeded) else "STORE_UNAVAILABLE"
        # Type only: exception messages from dependencies can echo request data.
        logger.warning("survey not recorded", extra={"error_type": type(error).__name__})
    recorded = not problem
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    logger.info(
        "survey",
        extra={"csat": csat, **codes, "recorded": recorded, "problem": problem, "elapsed_ms": elapsed_ms},
    )
    metrics.add_metric(name="SurveyLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
    if not recorded:
        metrics.add_metric(name="SurveyWriteFailures", unit=MetricUnit.Count, value=1)
        return flat_response(Status.DEGRADED, {"csat": csat, "recorded": False, "degradedReason": problem})
    metrics.add_metric(name="SurveysRecorded", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="CsatScore", unit=MetricUnit.NoUnit, value=csat)
    return flat_response(Status.OK, {"csat": csat, "recorded": True})


def _fallback(status: Status, reason: str) -> dict[str, str]:
    """Nothing stored; the flow thanks the caller either way."""
    return flat_response(
        status,
        {
            "csat": "",
            "recorded": False,
            "degradedReason" if status is Status.DEGRADED else "invalidReason": reason,
        },
    )
