"""The experiment in force and its status, read from the documents' store and the counters.

`read_status` is what `tandem experiment status` prints and what `tandem demo --experiment` ends
with: the store's experiment document (or one given), the guard's stop beside it, and both arms'
counters over the experiment's days.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from lambdas.documents.storage_format import StoredDocument, decode_documents, head_name, stop_parameter_name
from lambdas.policy.experiment import Stop, read_stop
from lambdas.shared.json_text import JsonInputError, loads
from tandem.experiment_settings import ExperimentError, ExperimentSettings, experiment_settings
from tandem.experiment_status import Status, experiment_status, read_arms
from tandem.kpi_report import Provisional, check_range

DOCUMENT = "experiment"


def read_status(
    ssm: Any,
    dynamodb: Any,
    table_name: str,
    path: str,
    *,
    provisional: Provisional,
    document: Any = None,
    given_range: tuple[date, date] | None = None,
) -> Status:
    """The status of the store's experiment (or `document`'s), from the counters and the stop
    under `path`: what the command prints, and what `tandem demo --experiment` ends with."""
    from lambdas.documents.store import fetch_parameters

    parameters = fetch_parameters(ssm, path)
    chosen = document if document is not None else _stored_document(parameters, path)
    settings = experiment_settings(chosen) if isinstance(chosen, dict) else _not_an_object()
    if settings is None:
        raise ExperimentError('the experiment document holds no experiment ("experiment": null)')
    start, end = given_range or settings.days(provisional.zone)
    check_range(start, end)
    stop = _stop(parameters, path)
    arms, reads = read_arms(dynamodb, table_name, settings.id, start, end, provisional=provisional)
    return experiment_status(
        settings, arms, reads=reads, start=start, end=end, provisional=provisional, stop=stop
    )


def _not_an_object() -> ExperimentSettings:
    raise ExperimentError("the experiment document is not a JSON object")


def _stored_document(parameters: dict[str, str], path: str) -> Any:
    decoded = decode_documents(path, parameters, (DOCUMENT,)).get(DOCUMENT)
    if decoded is None:
        raise ExperimentError(
            f"no experiment document at {head_name(path, DOCUMENT)}; push one or give --experiment-file"
        )
    if not isinstance(decoded, StoredDocument):
        raise ExperimentError(f"{head_name(path, DOCUMENT)}: {decoded}")
    try:
        return loads(decoded.text)
    except JsonInputError as error:
        raise ExperimentError(f"{head_name(path, DOCUMENT)}: {error}") from None


def _stop(parameters: dict[str, str], path: str) -> Stop | None:
    text = parameters.get(stop_parameter_name(path))
    if text is None:
        return None
    return read_stop(text)  # an unreadable stop halts every experiment, as ivr_decision reads it
