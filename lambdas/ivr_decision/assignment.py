"""Which rule set decides a call while an experiment runs: the champion (the rules in force) or the
challenger, by a stable hash of the experiment and the unit.

`bucket = int(sha256("<experiment id>:<unit key>")[:8]) / 2**64`; below the share, the challenger.
The unit key is the caller's keyed hash (`caller_identity`, purpose `caller`: the same key
ctr_ingest counts recontacts by) when the unit is `caller` and the caller is known, else the
initial contact id, which every block of one call shares (retries and transfers included). So a
call never changes variant, and with `caller` neither does a caller who calls again.

Outside the experiment's time, or once the guard stopped it, everyone gets the champion and the
decision names no experiment. When the unit is `caller` and the caller is known but the keyed-hash
key is not at hand, the call is left out of the experiment (the champion, no experiment id)
rather than assigned by its contact: assigning a known caller by contact would split one caller
across both variants and blur the recontact comparison. Pure: no AWS call, no clock of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from lambdas.policy.rules import RuleSet
from lambdas.shared.event import ContactEvent

if TYPE_CHECKING:
    from lambdas.policy.experiment import Stop
    from lambdas.policy.experiment_spec import Experiment

CHAMPION = "champion"
CHALLENGER = "challenger"
NO_EXPERIMENT = ""
_SCALE = float(2**64)

# Why a call took no part in the experiment that is defined ("" when it took part).
NONE_DEFINED = ""
NOT_RUNNING = "NOT_RUNNING"  # before start, after end
STOPPED = "STOPPED"
UNIT_KEY_UNAVAILABLE = "UNIT_KEY_UNAVAILABLE"


class Assignment(NamedTuple):
    variant: str  # champion | challenger
    experiment_id: str  # "" when the call is in no experiment
    challenger: RuleSet | None = None  # the rules to decide with, for the challenger
    left_out: str = NONE_DEFINED  # why not in the experiment, when one is defined


CHAMPION_ONLY = Assignment(CHAMPION, NO_EXPERIMENT)


def bucket(experiment_id: str, unit_key: str) -> float:
    """Where the unit falls in [0, 1): the same for the same experiment and unit, everywhere."""
    digest = hashlib.sha256(f"{experiment_id}:{unit_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


# The caller key's hash ("tel:..." or "crm:..." → hex), or None when the key cannot be had now.
CallerHash = Callable[[str], str | None]


def unit_key(experiment: Experiment, event: ContactEvent, hash_caller: CallerHash) -> str | None:
    """The unit the experiment assigns: the caller's keyed hash, or the call (its initial contact
    id); None when the caller is known but the key is not at hand."""
    if experiment.unit == "caller":
        from lambdas.shared.caller_number import caller_identity  # only an experiment by caller needs it

        endpoint = event.customer_endpoint
        identity = caller_identity(
            endpoint.type if endpoint else None,
            endpoint.address if endpoint else None,
            event.value("customerId"),
        )
        if identity is not None:
            return hash_caller(identity)
    return event.correlation_id


def assign(
    experiment: Experiment | None,
    stop: Stop | None,
    now: datetime,
    event: ContactEvent,
    hash_caller: CallerHash,
) -> Assignment:
    if experiment is None:
        return CHAMPION_ONLY
    if stop is not None and stop.halts(experiment.id):
        return CHAMPION_ONLY._replace(left_out=STOPPED)
    if not experiment.running(now, None):
        return CHAMPION_ONLY._replace(left_out=NOT_RUNNING)
    key = unit_key(experiment, event, hash_caller)
    if key is None:
        return CHAMPION_ONLY._replace(left_out=UNIT_KEY_UNAVAILABLE)
    if bucket(experiment.id, key) < experiment.share:
        return Assignment(CHALLENGER, experiment.id, experiment.challenger)
    return Assignment(CHAMPION, experiment.id)
