"""A test case's local conditions (`Metadata.Tandem`): read, checked in one line, written back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tandem.flowtest.conditions import ConditionsError, LocalConditions, conditions_block, read_conditions


def test_no_metadata_or_no_block_is_the_simulators_defaults() -> None:
    assert read_conditions(None) == LocalConditions()
    assert read_conditions({}) == LocalConditions()
    assert read_conditions({"ui": {"x": 1}}) == LocalConditions()


def test_every_key_is_read_and_written_back_the_same() -> None:
    block = {
        "Hours": "closed",
        "At": "2026-12-25T15:00:00Z",
        "QueueWaitSeconds": 1500,
        "Settings": {"lexBotAliasArn": "{{lex:fake_bot}}"},
        "CrmDown": True,
        "LanguageCode": "vi-VN",
        "Caller": "anonymous",
    }
    conditions = read_conditions({"Tandem": block})
    assert conditions.at == datetime(2026, 12, 25, 15, tzinfo=UTC)
    assert conditions.withheld and conditions.crm_down and conditions.queue_wait_seconds == 1500
    assert conditions_block(conditions) == block
    kwargs = conditions.simulation_kwargs()
    assert kwargs["hours"] == "closed" and kwargs["language"] == "vi-VN" and kwargs["at"] == conditions.at


def test_defaults_write_an_empty_block() -> None:
    assert conditions_block(LocalConditions()) == {}


@pytest.mark.parametrize(
    ("block", "names"),
    [
        ({"Hours": "maybe"}, "Hours"),
        ({"At": "2026-12-25T15:00:00"}, "At"),  # no zone
        ({"At": 5}, "At"),
        ({"QueueWaitSeconds": -1}, "QueueWaitSeconds"),
        ({"QueueWaitSeconds": True}, "QueueWaitSeconds"),
        ({"Settings": {"a": 1}}, "Settings"),
        ({"CrmDown": "yes"}, "CrmDown"),
        ({"LanguageCode": ""}, "LanguageCode"),
        ({"Caller": "+12025550101"}, "Caller"),
        ({"QueueWait": 5}, "QueueWait"),
    ],
)
def test_a_wrong_key_is_one_line_naming_it(block: dict[str, Any], names: str) -> None:
    with pytest.raises(ConditionsError) as raised:
        read_conditions({"Tandem": block})
    message = str(raised.value)
    assert names in message and "\n" not in message


def test_metadata_and_block_must_be_objects() -> None:
    for metadata in ([], {"Tandem": []}):
        with pytest.raises(ConditionsError, match="must be an object"):
            read_conditions(metadata)


def test_a_setting_names_a_resource_by_placeholder_and_never_by_literal_arn() -> None:
    read = read_conditions({"Tandem": {"Settings": {"lexBotAliasArn": "{{lex:fake_bot}}"}}})
    alias = read.settings["lexBotAliasArn"]
    assert alias.startswith("arn:aws:lex:") and alias.endswith("/fake_bot")  # the fake bot, locally
    assert conditions_block(read) == {"Settings": {"lexBotAliasArn": "{{lex:fake_bot}}"}}
    literal = "arn:aws:lex:us-east-1:111122223333:bot-alias/BOTID/ALIASID"  # an account's own bot
    with pytest.raises(
        ConditionsError, match=r"^Metadata\.Tandem\.Settings\.lexBotAliasArn is a literal ARN"
    ):
        read_conditions({"Tandem": {"Settings": {"lexBotAliasArn": literal}}})
    with pytest.raises(ConditionsError, match=r"\{\{bot:x\}\} is not a placeholder a local run can resolve"):
        read_conditions({"Tandem": {"Settings": {"lexBotAliasArn": "{{bot:x}}"}}})
