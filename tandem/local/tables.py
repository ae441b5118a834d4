"""Create Tandem's tables from the shared specs (the same ones the CDK construct reads)."""

from __future__ import annotations

from typing import Any

from lambdas.shared.tables import ALL_TABLES, KeyAttribute, TableSpec


def _key_schema(partition: KeyAttribute, sort: KeyAttribute | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def create_table_kwargs(spec: TableSpec, physical_name: str | None = None) -> dict[str, Any]:
    """The `CreateTable` request for a spec: on-demand, with its indexes."""
    kwargs: dict[str, Any] = {
        "TableName": physical_name or spec.logical_name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _key_schema(spec.partition_key, spec.sort_key),
        "AttributeDefinitions": spec.attribute_definitions(),
    }
    if spec.indexes:
        kwargs["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": _key_schema(index.partition_key, index.sort_key),
                "Projection": {"ProjectionType": index.projection},
            }
            for index in spec.indexes
        ]
    return kwargs


def create_tables(dynamodb_client: Any, prefix: str = "tandem-") -> dict[str, str]:
    """Create every table; return env var → physical table name."""
    names: dict[str, str] = {}
    for spec in ALL_TABLES:
        physical = f"{prefix}{spec.logical_name}"
        dynamodb_client.create_table(**create_table_kwargs(spec, physical))
        if spec.ttl_attribute:
            dynamodb_client.update_time_to_live(
                TableName=physical,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
            )
        names[spec.env_var] = physical
    return names
