"""ivr_decision with an experiment in the sandbox's store: the challenger decides for its share and
says so (`variant`, `experimentId`, in the answer and the stored decision), and the guard's stop,
read with the documents, turns everyone back to the champion within the refresh interval.

The store's age runs on its own clock, moved by hand (never a sleep); the decision clock is pinned.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lambdas.documents.registry import bundled_defaults, parse_text
from lambdas.documents.storage_format import stop_parameter_name
from lambdas.policy.experiment import Stop, stop_text
from tandem.cli import main
from tandem.local import Sandbox
from tandem.local.sandbox import handler_module
from tandem.rules_store import SANDBOX_CONFIG_PATH, push_document, read_documents
from tests.conftest import load_event
from tests.integration.test_replay import attached, error_line, replay_json
from tests.unit.ivr_support import CHALLENGER_REVISION, experiment_json

MONDAY_10_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # inside the experiment's start and end
BEFORE_START = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
EVERYONE = 0.999999  # a share that puts every unit of these tests in the challenger
STOP = Stop("deflect-2026-12", "2026-11-23T14:00:00+00:00", "abandonRate", "abandon rate worse by 2.4 points")


def hours_question(contact: str = "") -> dict[str, Any]:
    event = load_event("voice_known_gold.json")
    event["Details"]["Parameters"] = {"intent": "OpeningHours", "intentConfidence": "0.95"}
    if contact:
        event["Details"]["ContactData"]["ContactId"] = contact
        event["Details"]["ContactData"]["InitialContactId"] = contact
    return event


def push_experiment(box: Sandbox, **changes: Any) -> None:
    push_document(box.client("ssm"), SANDBOX_CONFIG_PATH, parse_text(json.dumps(experiment_json(**changes))))


@pytest.fixture
def experiment_box() -> Iterator[tuple[Sandbox, Callable[[], None]]]:
    """A sandbox whose documents serve for 1 s, the store's clock moved by hand past that."""
    from tandem.local import sandbox

    with sandbox(env={"IVR_RULES_MAX_AGE_SECONDS": "1"}) as box, box.clock(MONDAY_10_NY):
        box.invoke("ivr_decision", hours_question())  # the container, with its own store clock
        ticks = [time.monotonic()]  # from where the store's next check was set; then only by hand
        handler_module("ivr_decision").CONTAINER.get().store._clock = lambda: ticks[0]

        def past_max_age() -> None:
            ticks[0] += 1.1

        past_max_age()
        yield box, past_max_age


def stored_decisions(box: Sandbox) -> list[dict[str, Any]]:
    items = box.client("dynamodb").scan(TableName=box.table_names["INTERACTIONS_TABLE"])["Items"]
    return [i for i in items if i["sk"]["S"].startswith("DECISION#")]


def test_without_an_experiment_the_champion_decides_in_none(experiment_box: Any) -> None:
    box, _ = experiment_box
    answer = box.invoke("ivr_decision", hours_question())
    assert (answer["variant"], answer["experimentId"], answer["route"]) == ("champion", "", "SELF_SERVICE")


def test_the_challenger_decides_and_the_answer_and_stored_decision_say_so(experiment_box: Any) -> None:
    box, past_max_age = experiment_box
    # Given an experiment pushed that gives every call the challenger (hours questions to people)
    push_experiment(box, unit="contact", share=EVERYONE)
    past_max_age()
    # When an hours question comes in
    answer = box.invoke("ivr_decision", hours_question("call-0001"))
    # Then the challenger's rules decided, and the answer names the variant and the experiment
    assert answer["status"] == "OK"
    assert (answer["variant"], answer["experimentId"]) == ("challenger", "deflect-2026-12")
    assert (answer["route"], answer["ruleId"], answer["rulesRevision"]) == (
        "AGENT",
        "hours-by-people",
        CHALLENGER_REVISION,
    )
    # And the stored decision carries both, with the challenger's revision
    [item] = [i for i in stored_decisions(box) if i["initialContactId"]["S"] == "call-0001"]
    assert (item["variant"]["S"], item["experimentId"]["S"]) == ("challenger", "deflect-2026-12")
    assert item["revisions"]["M"]["rules"]["S"] == CHALLENGER_REVISION
    # And a retry of the block gets the same answer (the same key: the item is overwritten)
    assert box.invoke("ivr_decision", hours_question("call-0001"))["variant"] == "challenger"


def test_the_champion_of_a_running_experiment_names_it(experiment_box: Any) -> None:
    box, past_max_age = experiment_box
    push_experiment(box, unit="contact", share=0.000001)
    past_max_age()
    answer = box.invoke("ivr_decision", hours_question("call-0002"))
    assert (answer["variant"], answer["experimentId"], answer["route"]) == (
        "champion",
        "deflect-2026-12",
        "SELF_SERVICE",
    )


def test_with_an_experiment_by_caller_the_key_is_read_at_init_and_a_caller_keeps_the_variant() -> None:
    from tandem.local import sandbox

    with sandbox() as box, box.clock(MONDAY_10_NY):
        # Given an experiment by caller in the store when a container starts
        push_experiment(box, unit="caller", share=0.5)
        box.cold_start("ivr_decision")
        answers = [box.invoke("ivr_decision", hours_question(f"call-{n:04d}")) for n in range(8)]
        # Then the init phase read the keyed-hash secret, and no call waited on it
        assert "secrets-manager.GetSecretValue" in box.invocations[0].aws_calls
        assert not [c for i in box.invocations[1:] for c in i.aws_calls if c.startswith("secrets-manager.")]
    # And every call of the same caller gets one variant, in the experiment
    assert len({a["variant"] for a in answers}) == 1
    assert {a["experimentId"] for a in answers} == {"deflect-2026-12"}


def test_an_experiment_by_caller_pushed_to_a_warm_container_leaves_callers_out_until_the_key_is_read(
    experiment_box: Any,
) -> None:
    from lambdas.shared.budget import settle

    box, past_max_age = experiment_box
    # Given a warm container that never needed the key, and an experiment by caller pushed
    push_experiment(box, unit="caller", share=EVERYONE)
    past_max_age()
    # When the first known caller comes: the key is not at hand, and the call does not wait for it
    first = box.invoke("ivr_decision", hours_question("call-0100"))
    assert (first["variant"], first["experimentId"], first["route"]) == ("champion", "", "SELF_SERVICE")
    assert any("ExperimentLeftOutUnitKeyUnavailable" in json.dumps(m) for m in box.last.metrics)
    # Then the read started in the background serves the next calls
    assert settle(5.0)
    later = box.invoke("ivr_decision", hours_question("call-0101"))
    assert (later["variant"], later["experimentId"]) == ("challenger", "deflect-2026-12")
    assert not [c for c in box.last.aws_calls if c.startswith("secrets-manager.")]


def test_the_guards_stop_turns_everyone_to_the_champion_within_the_refresh_interval(
    experiment_box: Any,
) -> None:
    box, past_max_age = experiment_box
    push_experiment(box, unit="contact", share=EVERYONE)
    past_max_age()
    assert box.invoke("ivr_decision", hours_question("call-0003"))["variant"] == "challenger"
    # When the guard writes the stop
    box.client("ssm").put_parameter(
        Name=stop_parameter_name(SANDBOX_CONFIG_PATH), Value=stop_text(STOP), Type="String", Overwrite=True
    )
    # Then the warm container serves what it holds until the max age has passed
    assert box.invoke("ivr_decision", hours_question("call-0004"))["variant"] == "challenger"
    past_max_age()
    stopped = box.invoke("ivr_decision", hours_question("call-0005"))
    # And then everyone gets the champion, in no experiment
    assert (stopped["variant"], stopped["experimentId"], stopped["route"]) == ("champion", "", "SELF_SERVICE")
    assert any("ExperimentLeftOutStopped" in json.dumps(m) for m in box.last.metrics)

    # When the experiment document is pushed again (as `tandem rules push` does)
    push_experiment(box, unit="contact", share=EVERYONE)
    past_max_age()
    # Then the stop stands: a push never writes it
    again = box.invoke("ivr_decision", hours_question("call-0006"))
    assert (again["variant"], again["experimentId"]) == ("champion", "")
    stored = box.client("ssm").get_parameter(Name=stop_parameter_name(SANDBOX_CONFIG_PATH))["Parameter"]
    assert stored["Value"] == stop_text(STOP)


def test_before_the_start_everyone_gets_the_champion_in_no_experiment(experiment_box: Any) -> None:
    box, past_max_age = experiment_box
    push_experiment(box, unit="contact", share=EVERYONE)
    past_max_age()
    with box.clock(BEFORE_START):
        early = box.invoke("ivr_decision", hours_question("call-0007"))
    assert (early["variant"], early["experimentId"]) == ("champion", "")


def test_replay_leaves_the_challengers_decisions_out_of_its_self_check(
    experiment_box: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    box, past_max_age = experiment_box
    # Given decisions by the challenger (hours questions to people) and by the champion
    push_experiment(box, unit="contact", share=EVERYONE)
    past_max_age()
    for n in range(3):
        assert box.invoke("ivr_decision", hours_question(f"call-1{n:03d}"))["variant"] == "challenger"
    push_document(box.client("ssm"), SANDBOX_CONFIG_PATH, bundled_defaults(("experiment",))["experiment"])
    past_max_age()
    assert box.invoke("ivr_decision", hours_question("call-2000"))["variant"] == "champion"
    # When they are replayed with the store's documents (the champion's rules)
    with attached(box):
        document = replay_json(capsys)
    # Then the challenger's decisions replay differently, and the self-check leaves them out
    assert document["changed"] == 3
    assert document["selfCheck"]["passed"] is True
    assert document["selfCheck"]["challengerLeftOut"] == 3


def test_rules_validate_and_push_take_the_experiment_and_never_write_the_stop(
    experiment_box: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box, _ = experiment_box
    good, bad = tmp_path / "experiment.json", tmp_path / "bad.json"
    good.write_text(json.dumps(experiment_json(), indent=2))
    bad.write_text(json.dumps(experiment_json(share=1.5)))
    # validate: the table names the experiment; a bad field is one line naming it
    assert main(["rules", "validate", str(good)]) == 0
    assert "experiment deflect-2026-12: 50% of callers" in capsys.readouterr().out
    assert error_line(capsys, ["rules", "validate", str(bad)], 1) == (
        f"{bad}: experiment.share: must be above 0 and below 1, got 1.5"
    )
    # push: the document is written; the guard's stop stays as it was (absent, then present)
    ssm = box.client("ssm")
    stop_name = stop_parameter_name(SANDBOX_CONFIG_PATH)
    with attached(box):
        assert main(["rules", "push", str(good), "--format", "json"]) == 0
        assert [p["document"] for p in json.loads(capsys.readouterr().out)["pushed"]] == ["experiment"]
        assert not ssm.get_parameters(Names=[stop_name])["Parameters"]
        ssm.put_parameter(Name=stop_name, Value=stop_text(STOP), Type="String")
        assert main(["rules", "push", str(good)]) == 0
    assert ssm.get_parameter(Name=stop_name)["Parameter"]["Value"] == stop_text(STOP)
    assert (
        read_documents(ssm, SANDBOX_CONFIG_PATH).documents["experiment"].sha256
        == parse_text(good.read_text()).sha256
    )
