"""The experiment document: a challenger rule set tried on a share of the calls, and how to judge it.

One experiment per document, or none (`"experiment": null`, the shipped default). The experiment
itself (its fields, their validation, `Experiment`) is `lambdas.policy.experiment_spec`, imported
only when a document holds one. The challenger is a complete IVR rules document, validated by the
rules parser; the rules in force are the champion. Every problem is reported with the field's path
(`experiment.share: ...`), as the other documents do.

The stop is not part of the document: the guard writes it to its own parameter (`read_stop` reads
it), so pushing the document again never restarts an experiment the guard stopped.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

from lambdas.policy.validation import HEADER_FIELDS, Problems, check_header, check_keys

if TYPE_CHECKING:
    from lambdas.policy.experiment_spec import Experiment

KIND = "tandem/ivr-experiment"


class ExperimentDocument(NamedTuple):
    revision: str
    experiment: Experiment | None


def parse_experiment(document: Any) -> ExperimentDocument:
    """Validate the document; raise `DocumentError` listing every problem."""
    problems = Problems()
    if not check_keys(
        problems, "", document, required=(*HEADER_FIELDS[:3], "experiment"), optional=HEADER_FIELDS[3:]
    ):
        problems.raise_if_any()
    check_header(problems, document, KIND)
    raw = document["experiment"]
    experiment = None if raw is None else _parse_body(problems, raw)
    problems.raise_if_any()
    return ExperimentDocument(document["revision"], experiment)


def _parse_body(problems: Problems, raw: Any) -> Experiment | None:
    # Imported with the first experiment: ivr_decision and the guard parse the shipped document,
    # which holds none, at every cold start.
    from lambdas.policy.experiment_spec import parse_body

    return parse_body(problems, "experiment", raw)


# --- the stop -------------------------------------------------------------------------------------

STOP_FIELDS = ("experimentId", "stoppedAt", "guardrail", "reason")
EVERY_EXPERIMENT = "*"  # an unreadable stop halts whatever runs: the guard meant to stop something


class Stop(NamedTuple):
    """What the guard wrote when it stopped an experiment."""

    experiment_id: str
    stopped_at: str
    guardrail: str  # the metric whose guardrail tripped ("" when stopped by hand)
    reason: str

    def halts(self, experiment_id: str) -> bool:
        return self.experiment_id in (experiment_id, EVERY_EXPERIMENT)


# The stop parameter's value until the guard first stops something (CDK creates the parameter with
# it, so the guard's PutParameter can name its ARN): a readable stop that halts nothing, since no
# experiment id is empty.
NO_STOP = Stop("", "", "", "no experiment stopped")


def read_stop(text: str) -> Stop:
    """The stop parameter's value. Never raises: a value that cannot be read stops every experiment
    (the safe side: only the guard writes it, and it wrote it to stop one), its reason says why."""
    try:
        raw = json.loads(text)
    except ValueError:
        return Stop(EVERY_EXPERIMENT, "", "", "the stop parameter is not JSON")
    if not isinstance(raw, dict) or not all(isinstance(raw.get(key), str) for key in STOP_FIELDS):
        return Stop(
            EVERY_EXPERIMENT, "", "", f"the stop parameter needs text fields {', '.join(STOP_FIELDS)}"
        )
    return Stop(raw["experimentId"], raw["stoppedAt"], raw["guardrail"], raw["reason"])


def stop_text(stop: Stop) -> str:
    """The stop parameter's value, as the guard writes it."""
    values = dict(zip(STOP_FIELDS, stop, strict=True))
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))
