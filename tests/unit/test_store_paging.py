"""The store read stops paging once the served documents are whole, and decodes exactly what a
read of every page decodes (a fake GetParametersByPath that pages like SSM and moto: a full page
comes with a token, possibly to an empty page)."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdas.documents.registry import bundled_defaults
from lambdas.documents.storage_format import (
    DOCUMENT_NAMES,
    EXPERIMENT_STOP,
    StoredDocument,
    decode_documents,
    encode_document,
    head_name,
    part_name,
    stop_parameter_name,
)
from lambdas.documents.store import _StartedRead, fetch_parameters

PATH = "/tandem/test/ivr"


class PagingSsm:
    """GetParametersByPath over fixed parameters in a fixed order, counting the pages asked for."""

    def __init__(self, parameters: list[tuple[str, str]]) -> None:
        self.parameters = parameters
        self.pages = 0

    def get_parameters_by_path(self, **request: Any) -> dict[str, Any]:
        assert request["Path"] == PATH and request["Recursive"] is True
        self.pages += 1
        start = int(request.get("NextToken", "0"))
        page = self.parameters[start : start + request["MaxResults"]]
        reply: dict[str, Any] = {"Parameters": [{"Name": n, "Value": v} for n, v in page]}
        if len(page) == request["MaxResults"]:
            reply["NextToken"] = str(start + len(page))
        return reply


def _shipped() -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, parsed in bundled_defaults(DOCUMENT_NAMES).items():
        parameters |= encode_document(PATH, name, parsed.canonical_text)
    return parameters


def test_the_shipped_documents_take_two_pages_and_a_reader_of_fewer_may_stop_at_one() -> None:
    # Five documents: 12 parameters, two pages of 10 (the second without a token)
    parameters = sorted(_shipped().items())
    assert len(parameters) == 12
    everything = PagingSsm(parameters)
    assert fetch_parameters(everything, PATH) == dict(parameters)
    assert everything.pages == 2
    # escalation's documents are whole after the first page (in this order): it stops there
    served = PagingSsm(parameters)
    assert set(fetch_parameters(served, PATH, ("calendar", "escalation"))) == {n for n, _ in parameters[:10]}
    assert served.pages == 1
    # ivr_decision's four and the experiment's stop: the stop is absent, known only at the last page
    decision = PagingSsm(parameters)
    read = fetch_parameters(
        decision, PATH, ("rules", "content", "calendar", "experiment"), (EXPERIMENT_STOP,)
    )
    assert (read, decision.pages) == (dict(parameters), 2)


def test_a_stop_on_the_first_page_ends_the_read_when_the_documents_are_whole() -> None:
    # Given the stop parameter first, and calendar and escalation whole on the first page
    stop = (stop_parameter_name(PATH), '{"experimentId":"x"}')
    ordered = [stop, *sorted(_shipped().items())]
    ssm = PagingSsm(ordered)
    # When a reader of the two reads with the stop as an extra / Then one page holds everything it needs
    read = fetch_parameters(ssm, PATH, ("calendar", "escalation"), (EXPERIMENT_STOP,))
    assert ssm.pages == 1 and read[stop[0]] == stop[1]


damage = st.sampled_from(["none", "drop_head", "drop_part", "bad_head", "count_out_of_range", "wrong_text"])


@settings(max_examples=300, deadline=None)
@given(
    damages=st.fixed_dictionaries(dict.fromkeys(DOCUMENT_NAMES, damage)),
    served=st.sets(st.sampled_from(DOCUMENT_NAMES), min_size=1).map(lambda s: tuple(sorted(s))),
    extra=st.integers(min_value=0, max_value=25),
    stopped=st.booleans(),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_stopping_early_decodes_what_reading_every_page_decodes(
    damages: dict[str, str], served: tuple[str, ...], extra: int, stopped: bool, seed: int
) -> None:
    parameters = _shipped()
    for name, how in damages.items():
        _damage(parameters, name, how)
    parameters |= {f"{PATH}/other/{n:02d}": "x" for n in range(extra)}  # parameters of no document
    stop = stop_parameter_name(PATH)
    if stopped:
        parameters[stop] = '{"experimentId":"x"}'
    ordered = list(parameters.items())
    random.Random(seed).shuffle(ordered)  # SSM promises no order

    everything, early = PagingSsm(ordered), PagingSsm(ordered)
    every_page = fetch_parameters(everything, PATH)
    expected = _comparable(decode_documents(PATH, every_page, served))
    early_read = fetch_parameters(early, PATH, served, (EXPERIMENT_STOP,))
    assert _comparable(decode_documents(PATH, early_read, served)) == expected
    assert early_read.get(stop) == every_page.get(stop)  # the stop is never missed
    assert early.pages <= everything.pages


def _comparable(decoded: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, StoredDocument) else f"{type(v).__name__}: {v}" for k, v in decoded.items()}


def _damage(parameters: dict[str, str], name: str, how: str) -> None:
    head = head_name(PATH, name)
    if how == "drop_head":
        del parameters[head]
    elif how == "drop_part":
        del parameters[part_name(PATH, name, 1)]
    elif how == "bad_head":
        parameters[head] = "[1, 2]"
    elif how == "count_out_of_range":
        parameters[head] = '{"parts": 99, "sha256": "0"}'
    elif how == "wrong_text":
        parameters[part_name(PATH, name, 1)] += " "


def test_the_first_read_starts_at_once_and_later_reads_read_again() -> None:
    started = threading.Event()
    answers = iter([{"first": "1"}, {"second": "2"}])

    def fetch() -> dict[str, str]:
        started.set()
        return next(answers)

    read = _StartedRead(fetch)
    assert started.wait(timeout=5)  # begun before anyone asked for it
    assert read() == {"first": "1"}
    assert read() == {"second": "2"}


def test_a_first_read_that_failed_raises_to_its_caller_then_reads_again() -> None:
    outcomes: list[Any] = [ConnectionError("store unreachable"), {"a": "1"}]

    def fetch() -> dict[str, str]:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return dict(outcome)

    read = _StartedRead(fetch)
    with pytest.raises(ConnectionError, match="store unreachable"):
        read()
    assert read() == {"a": "1"}
