"""The `claimCallback` operation: the caller took the offered callback; claim their number.

The flow creates the callback unless the answer says `callbackPending` true. When the claim
cannot be written, or its key cannot be read, the callback goes ahead (`callbackClaimed` false,
`dedupeUnavailable` and `dedupeReason` saying why): a rare duplicate beats a lost callback the
caller was promised. The claim needs only the policy's de-duplication window, so it never waits
for a store refresh: the whole budget is the claim's (the handoff just before it refreshed the
policy).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lambdas.escalation.callback_claims import claim_key, put_claim
from lambdas.escalation.context import callback_number
from lambdas.escalation.deps import EscalationDeps, callback_hasher, logger, metrics
from lambdas.policy.escalation import EscalationPolicy
from lambdas.shared.budget import Deadline, run_within
from lambdas.shared.event import ContactEvent
from lambdas.shared.observability import MetricUnit
from lambdas.shared.response import Status, flat_response


def claim_callback(event: ContactEvent, deps: EscalationDeps, lambda_context: Any) -> dict[str, str]:
    """Claim the number for this contact, unless another contact holds it."""
    deadline = Deadline.after_ms(deps.config.budget_ms, lambda_context)
    policy: EscalationPolicy = deps.store.get("escalation").value  # type: ignore[assignment]
    metrics.add_metric(name="CallbackClaimRequests", unit=MetricUnit.Count, value=1)
    number = callback_number(event)
    if not number:
        return flat_response(Status.OK, {"callbackClaimed": False, "callbackPending": False})
    hasher, dedupe_problem = callback_hasher(deps, deadline)
    if hasher is None:
        return flat_response(
            Status.DEGRADED,
            {
                "callbackClaimed": False,
                "callbackPending": False,
                "degradedReason": "DEDUPE_UNAVAILABLE",
                "dedupeUnavailable": True,
                "dedupeReason": dedupe_problem,
            },
        )
    key = claim_key(hasher, number)
    try:
        claimed = run_within(
            deadline,
            lambda: put_claim(
                deps.dynamodb,
                deps.config.interactions_table,
                contact_id=event.contact_id,
                key=key,
                now=deps.clock(),
                window=timedelta(minutes=policy.callback.dedupe_window_minutes),
            ),
        )
    except Exception as error:
        logger.warning("callback claim not recorded", extra={"error_type": type(error).__name__})
        metrics.add_metric(name="CallbackClaimFailures", unit=MetricUnit.Count, value=1)
        return flat_response(
            Status.DEGRADED,
            {"callbackClaimed": False, "callbackPending": False, "degradedReason": "STORE_UNAVAILABLE"},
        )
    logger.info("callback claim", extra={"claimed": claimed})
    metrics.add_metric(
        name="CallbacksTaken" if claimed else "CallbacksDeduplicated", unit=MetricUnit.Count, value=1
    )
    return flat_response(Status.OK, {"callbackClaimed": claimed, "callbackPending": not claimed})
