"""The guard's AWS side: the experiment and its stop from the documents store, both arms' counters
from the Metrics table, the stop written, the stop announced. Each function is one step; the
handler orders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from lambdas.documents.registry import bundled_defaults
from lambdas.documents.storage_format import EXPERIMENT_STOP, stop_parameter_name
from lambdas.documents.store import Snapshot, fetch_parameters
from lambdas.experiment_guard.guard import Judgement, figures
from lambdas.policy.experiment import ExperimentDocument, Stop, read_stop, stop_text
from lambdas.shared.counters import ARMS, Reads, add_counts, arm_days

if TYPE_CHECKING:
    from lambdas.policy.experiment_spec import Experiment

DOCUMENTS = ("experiment",)
EXTRAS = (EXPERIMENT_STOP,)
SUBJECT_MAX = 100  # SNS's limit on a message's subject


class StoreProblem(RuntimeError):
    """The store's experiment document cannot be used; the message is one line naming why."""


@dataclass(frozen=True)
class InForce:
    experiment: Experiment | None
    stop: Stop | None  # None: the parameter does not exist (a sandbox never stopped)


def read_in_force(ssm: Any, path: str) -> InForce:
    """The experiment document and the stop, read as ivr_decision reads them (one
    GetParametersByPath, the same reassembly and validation). A document the store holds but
    ivr_decision would refuse raises `StoreProblem`: the guard cannot know which earlier version a
    container still serves, so it judges nothing rather than the wrong experiment."""
    parameters = fetch_parameters(ssm, path, DOCUMENTS, EXTRAS)
    snapshot, outcome = Snapshot.bundled(bundled_defaults(DOCUMENTS)).after_read(path, parameters, EXTRAS)
    if outcome.refused:
        name, problem = outcome.refused[0]
        raise StoreProblem(f"the store's {name} document is refused: {problem}")
    document: ExperimentDocument = snapshot.get("experiment").value  # type: ignore[assignment]
    stop_value = snapshot.extras.get(EXPERIMENT_STOP)
    return InForce(document.experiment, None if stop_value is None else read_stop(stop_value))


def experiment_days(experiment: Experiment, now: datetime, zone: tzinfo) -> tuple[date, date]:
    """Its first day to today (or its last day, once ended), in the centre's zone: the counters' days."""
    last = min(now, experiment.end - timedelta(microseconds=1))
    return experiment.start.astimezone(zone).date(), last.astimezone(zone).date()


def read_arms(
    dynamodb: Any, table: str, experiment: Experiment, start: date, end: date
) -> tuple[dict[str, dict[str, int]], Reads]:
    """Each arm's counters summed over every day from `start` to `end`: one Query."""
    reads = Reads()
    totals: dict[str, dict[str, int]] = {arm: {} for arm in ARMS}
    for _, arm, counts in arm_days(dynamodb, table, experiment.id, start, end, reads=reads):
        add_counts(totals[arm], counts)
    return totals, reads


def write_stop(ssm: Any, path: str, stop: Stop) -> None:
    """The one parameter the guard may write (its IAM policy names only it)."""
    ssm.put_parameter(Name=stop_parameter_name(path), Value=stop_text(stop), Type="String", Overwrite=True)


def announce(sns: Any, topic_arn: str, judgement: Judgement) -> None:
    """One message on the alarm topic: the experiment, the guardrail and its figures."""
    stop, tripped = judgement.stop, judgement.tripped
    assert stop is not None and tripped is not None  # only a `stopped` judgement is announced
    subject = f"Tandem experiment {stop.experiment_id} stopped on its {stop.guardrail} guardrail"
    look = figures(tripped, judgement.champion, judgement.challenger)
    lines = [
        f"The experiment guard stopped experiment {stop.experiment_id} at {stop.stopped_at}.",
        f"Guardrail: {stop.guardrail}: {stop.reason}.",
        f"Champion: {_arm(look['champion'])}; challenger: {_arm(look['challenger'])}.",
        "Every call gets the champion once ivr_decision next reads the documents (at most "
        "IVR_RULES_MAX_AGE_SECONDS later, 60 s by default). Pushing the experiment document again "
        "does not restart it: the stop is a parameter of its own.",
        "Details: tandem experiment status.",
    ]
    sns.publish(TopicArn=topic_arn, Subject=subject[:SUBJECT_MAX], Message="\n".join(lines))


def _arm(figure: dict[str, Any] | None) -> str:
    return "no calls to measure" if figure is None else f"{figure['value']:g} of {figure['trials']:,}"
