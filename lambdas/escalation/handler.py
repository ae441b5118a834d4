"""Connect-facing entry point: `lambdas.escalation.handler.lambda_handler`, for two operations.

- The handoff (no `operation`): choose queue, priority and callback, record the handoff, answer
  with ARNs, the whisper and the screen-pop fields (`lambdas.escalation.handoff`).
- `operation` = `claimCallback`, when the caller takes the callback offered: one conditional write
  claims the number (`lambdas.escalation.claim_callback`).

One entry point dispatching both, because the flows call one function with the operation as a
parameter and the infrastructure deploys one (docs/decision_log.md).
"""

from __future__ import annotations

import json
import os
from typing import Any

from lambdas.escalation.deps import EscalationDeps, build_deps, logger, metrics
from lambdas.escalation.handoff import hand_off
from lambdas.shared.connect_handler import run_connect_handler
from lambdas.shared.container import Container
from lambdas.shared.event import ContactEvent
from lambdas.shared.response import Status, flat_response

FALLBACK_QUEUE = "general"
# The flow calls again with this operation when the caller takes the offered callback.
CLAIM_CALLBACK = "claimCallback"

CONTAINER = Container(build_deps)
CONTAINER.warm()


def lambda_handler(event: Any, context: Any) -> dict[str, str]:
    return run_connect_handler(
        event, context, logger=logger, metrics=metrics, logic=_dispatch, fallback=_fallback
    )


def _dispatch(event: ContactEvent, lambda_context: Any) -> dict[str, str]:
    operation = _claim_callback if event.parameters.get("operation") == CLAIM_CALLBACK else hand_off
    return operation(event, CONTAINER.get(), lambda_context)  # a ConfigError: DEGRADED/CONFIG


def _claim_callback(event: ContactEvent, deps: EscalationDeps, lambda_context: Any) -> dict[str, str]:
    # Imported by the first claim: a container's first call is a handoff (the claim follows one).
    from lambdas.escalation.claim_callback import claim_callback

    return claim_callback(event, deps, lambda_context)


def _fallback(status: Status, reason: str) -> dict[str, str]:
    """The general queue at the default priority, no callback: a person, never an Error branch."""
    try:
        arn = str(json.loads(os.environ.get("QUEUE_ARNS", "{}")).get(FALLBACK_QUEUE, ""))
    except (ValueError, AttributeError):
        arn = ""
    return flat_response(
        status,
        {
            "queue": FALLBACK_QUEUE,
            "queueArn": arn,
            "priority": 5,
            "offerCallback": False,
            "callbackPending": False,
            "whisper": "",
            "degradedReason" if status is Status.DEGRADED else "invalidReason": reason,
        },
    )
