"""The sandbox's tables (tandem.local) and the deployed tables come from the same specs."""

from __future__ import annotations

from typing import Any

import pytest
from infra_support import Synthesized

from lambdas.shared.tables import ALL_TABLES, TableSpec
from tandem.local.tables import create_table_kwargs

pytestmark = pytest.mark.slow


def synthesized_table(synth: Synthesized, spec: TableSpec) -> dict[str, Any]:
    matches = [
        t["Properties"]
        for logical_id, t in synth.resources("AWS::DynamoDB::Table").items()
        if logical_id.startswith(f"Data{spec.logical_name}")
    ]
    assert len(matches) == 1, spec.logical_name
    return matches[0]


def by_name(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


@pytest.mark.parametrize("spec", ALL_TABLES, ids=[s.logical_name for s in ALL_TABLES])
def test_template_table_matches_the_sandbox_create_table_request(
    new_instance: Synthesized, spec: TableSpec
) -> None:
    # Given the sandbox's CreateTable request and the synthesized table for the same spec
    sandbox = create_table_kwargs(spec)
    deployed = synthesized_table(new_instance, spec)
    # Then keys, attribute definitions and billing agree (the name is the only difference)
    assert deployed["KeySchema"] == sandbox["KeySchema"]
    assert (
        sorted(deployed["AttributeDefinitions"], key=lambda a: a["AttributeName"])
        == sandbox["AttributeDefinitions"]
    )
    assert deployed["BillingMode"] == sandbox["BillingMode"]
    # And the indexes agree on name, key schema and projection
    deployed_indexes = by_name(deployed.get("GlobalSecondaryIndexes", []), "IndexName")
    sandbox_indexes = by_name(sandbox.get("GlobalSecondaryIndexes", []), "IndexName")
    assert sorted(deployed_indexes) == sorted(sandbox_indexes)
    for name, index in sandbox_indexes.items():
        assert deployed_indexes[name]["KeySchema"] == index["KeySchema"]
        assert deployed_indexes[name]["Projection"] == index["Projection"]
    # And TTL is on the same attribute the sandbox enables
    ttl = deployed.get("TimeToLiveSpecification")
    assert (ttl["AttributeName"] if ttl and ttl["Enabled"] else None) == spec.ttl_attribute
