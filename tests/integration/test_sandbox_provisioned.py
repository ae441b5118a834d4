"""An in-process sandbox restored from the process's first one holds what `provision()` writes.

The wall clock is frozen while the sandboxes are made (the demo customers are written relative to
it, and moto records creation times): at the same moment the two are identical to the byte, times
included; a day later, the restored one differs from one provisioned then only in what moto makes
up at creation (times, the secret's random ARN suffix and version; Tandem reads none of them), its
customers written for the later day.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from tandem.local import Sandbox, sandbox
from tandem.local.provision import SANDBOX_KEYED_HASH_SECRET_NAME
from tandem.rules_store import SANDBOX_CONFIG_PATH

FROZEN = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
A_DAY_LATER = datetime(2031, 5, 7, 7, 8, 9, tzinfo=UTC)
# What moto makes up when a resource is created: its times, and the secret's random ARN suffix and
# version id. Tandem reads none of them (the functions name the secret, never its ARN).
MADE_AT_CREATION = frozenset(
    {
        "CreationDateTime",
        "LastModifiedDate",
        "CreatedDate",
        "LastChangedDate",
        "ARN",
        "VersionId",
        "VersionIdsToStages",
        "SecretVersionsToStages",
    }
)


def without_creation_details(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_creation_details(v) for k, v in value.items() if k not in MADE_AT_CREATION}
    if isinstance(value, list | tuple):
        return [without_creation_details(v) for v in value]
    return value


def state(box: Sandbox) -> dict[str, Any]:
    dynamodb, ssm, secrets = box.client("dynamodb"), box.client("ssm"), box.client("secretsmanager")
    tables = {}
    for name in sorted(box.table_names.values()):
        description = dynamodb.describe_table(TableName=name)["Table"]
        items = [
            item for page in dynamodb.get_paginator("scan").paginate(TableName=name) for item in page["Items"]
        ]
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        tables[name] = (description, sorted(items, key=repr), ttl)
    parameters = [
        parameter
        for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=SANDBOX_CONFIG_PATH, Recursive=True, WithDecryption=True
        )
        for parameter in page["Parameters"]
    ]
    secret = secrets.get_secret_value(SecretId=SANDBOX_KEYED_HASH_SECRET_NAME)
    described = secrets.describe_secret(SecretId=SANDBOX_KEYED_HASH_SECRET_NAME)
    for answer in (secret, described):
        answer.pop("ResponseMetadata", None)
    return {
        "names": dict(box.table_names),
        "tables": tables,
        "parameters": sorted(parameters, key=lambda p: p["Name"]),
        "secret": (secret, described),
        "secrets": secrets.list_secrets()["SecretList"],
    }


def test_a_restored_sandbox_holds_what_provisioning_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    module = sys.modules["tandem.local.sandbox"]
    monkeypatch.setattr(module, "_PROVISIONED", [])  # this process's first sandbox: through the API
    with time_machine.travel(FROZEN, tick=False):
        with sandbox(attach=False) as first:
            provisioned = state(first)
        assert len(module._PROVISIONED) == 1
        with sandbox(attach=False) as second:  # restored from the copy
            restored = state(second)
    assert restored == provisioned
    assert provisioned["tables"] and provisioned["parameters"]


def test_a_sandbox_restored_a_day_later_has_that_days_customers(monkeypatch: pytest.MonkeyPatch) -> None:
    module = sys.modules["tandem.local.sandbox"]
    monkeypatch.setattr(module, "_PROVISIONED", [])
    with time_machine.travel(FROZEN, tick=False), sandbox(attach=False):
        pass  # provisioned through the API, and kept
    with time_machine.travel(A_DAY_LATER, tick=False), sandbox(attach=False) as restored_box:
        restored = state(restored_box)
    monkeypatch.setattr(module, "_PROVISIONED", [])
    with time_machine.travel(A_DAY_LATER, tick=False), sandbox(attach=False) as provisioned_box:
        provisioned = state(provisioned_box)
    assert without_creation_details(restored) == without_creation_details(provisioned)
    assert restored != provisioned  # the creation details are the first sandbox's


def test_what_one_sandbox_writes_never_reaches_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    module = sys.modules["tandem.local.sandbox"]
    monkeypatch.setattr(module, "_PROVISIONED", [])
    with sandbox(attach=False) as first:
        metrics = first.table_names["METRICS_TABLE"]
        first.client("dynamodb").put_item(TableName=metrics, Item={"pk": {"S": "X"}, "sk": {"S": "Y"}})
        first.client("ssm").put_parameter(
            Name=f"{SANDBOX_CONFIG_PATH}/extra", Value="1", Type="String", Overwrite=True
        )
    with sandbox(attach=False) as second:
        assert second.client("dynamodb").scan(TableName=metrics)["Items"] == []
        pages = (
            second.client("ssm")
            .get_paginator("get_parameters_by_path")
            .paginate(Path=SANDBOX_CONFIG_PATH, Recursive=True)
        )
        names = [parameter["Name"] for page in pages for parameter in page["Parameters"]]
        assert names and f"{SANDBOX_CONFIG_PATH}/extra" not in names
        second.client("dynamodb").put_item(TableName=metrics, Item={"pk": {"S": "Z"}, "sk": {"S": "Y"}})
    with sandbox(attach=False) as third:
        assert third.client("dynamodb").scan(TableName=metrics)["Items"] == []
