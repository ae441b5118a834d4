"""The one definition of Tandem's DynamoDB tables.

The CDK `data` construct, the local sandbox and the runtime adapters all read these specs, so a
key renamed here is renamed everywhere; a test compares them with the synthesized template.
Pure data: importing this module must stay cheap and free of CDK or boto3.
"""

from __future__ import annotations

from typing import NamedTuple


class KeyAttribute(NamedTuple):
    name: str
    type: str = "S"  # DynamoDB scalar type: S, N or B


class IndexSpec(NamedTuple):
    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    projection: str = "ALL"


class TableSpec(NamedTuple):
    logical_name: str  # construct id in CDK and the sandbox's physical name
    env_var: str  # environment variable that carries the physical name to functions
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    indexes: tuple[IndexSpec, ...] = ()
    ttl_attribute: str | None = None

    def attribute_definitions(self) -> list[dict[str, str]]:
        """Every key attribute of the table and its indexes, once each."""
        seen: dict[str, str] = {}
        keys = [self.partition_key, self.sort_key]
        for index in self.indexes:
            keys += [index.partition_key, index.sort_key]
        for key in keys:
            if key is not None:
                seen.setdefault(key.name, key.type)
        return [{"AttributeName": n, "AttributeType": t} for n, t in sorted(seen.items())]


# Customers (the embedded CRM). One partition per customer holds the profile and its orders,
# complaints and recent contacts. Every item also carries the customer's E.164 `phone`, so one
# Query on the phone index returns the whole customer in a single call.
CUSTOMERS = TableSpec(
    logical_name="Customers",
    env_var="CUSTOMERS_TABLE",
    partition_key=KeyAttribute("pk"),
    sort_key=KeyAttribute("sk"),
    indexes=(IndexSpec("byPhone", KeyAttribute("phone"), KeyAttribute("sk")),),
    ttl_attribute="expiresAt",
)

# Interactions: one partition per contact (initial contact id), one item per event.
INTERACTIONS = TableSpec(
    logical_name="Interactions",
    env_var="INTERACTIONS_TABLE",
    partition_key=KeyAttribute("pk"),
    sort_key=KeyAttribute("sk"),
    ttl_attribute="expiresAt",
)

# Metrics: counters per (dimension, day); a date range is one Query per dimension. Only the
# refused-record listing expires (lambdas/ctr_ingest/aggregates.py); counters carry no TTL.
METRICS = TableSpec(
    logical_name="Metrics",
    env_var="METRICS_TABLE",
    partition_key=KeyAttribute("pk"),
    sort_key=KeyAttribute("sk"),
    ttl_attribute="expiresAt",
)

ALL_TABLES: tuple[TableSpec, ...] = (CUSTOMERS, INTERACTIONS, METRICS)

# Sort-key prefixes of the Customers table.
PROFILE_SK = "PROFILE"
ORDER_PREFIX = "ORDER#"
COMPLAINT_PREFIX = "COMPLAINT#"
CONTACT_PREFIX = "CONTACT#"


def customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"
