"""The DynamoDB tables, built from the same TableSpecs the sandbox and the adapters read."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from lambdas.shared.tables import ALL_TABLES, CUSTOMERS, KeyAttribute, TableSpec

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
}


class Data(Construct):
    """On-demand tables with PITR, AWS-managed encryption, TTL and the specs' indexes."""

    def __init__(self, scope: Construct, construct_id: str, *, retain_all: bool = True) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[str, dynamodb.Table] = {}
        for spec in ALL_TABLES:
            # Customers is the embedded CRM: losing it on a stack delete is never intended.
            keep = spec is CUSTOMERS or retain_all
            self.tables[spec.logical_name] = _table(
                self, spec, RemovalPolicy.RETAIN if keep else RemovalPolicy.DESTROY
            )

    def table(self, spec: TableSpec) -> dynamodb.Table:
        return self.tables[spec.logical_name]

    def environment(self, *specs: TableSpec) -> dict[str, str]:
        """Env var → physical table name, for the functions that use these tables."""
        return {spec.env_var: self.table(spec).table_name for spec in specs}


def _attribute(key: KeyAttribute) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_TYPES[key.type])


def _table(scope: Construct, spec: TableSpec, removal: RemovalPolicy) -> dynamodb.Table:
    table = dynamodb.Table(
        scope,
        spec.logical_name,
        partition_key=_attribute(spec.partition_key),
        sort_key=_attribute(spec.sort_key) if spec.sort_key else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        # AWS-managed key (aws/dynamodb): encryption shows in the template and in CloudTrail,
        # without a customer key to rotate and pay for.
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        time_to_live_attribute=spec.ttl_attribute,
        removal_policy=removal,
    )
    for index in spec.indexes:
        table.add_global_secondary_index(
            index_name=index.name,
            partition_key=_attribute(index.partition_key),
            sort_key=_attribute(index.sort_key) if index.sort_key else None,
            projection_type=_PROJECTIONS[index.projection],
        )
    return table
