"""The sandbox's Query (tandem.local.moto_query) answers exactly as moto 5.2.5's.

Property: on random tables (a hash-and-range table with a global index, a hash-only table) filled
with random items, and random Queries (every key condition, either direction, limits, paging to
the end, filters, projections, the index, a partition that does not exist, a hash-only table),
every page moto answers with the patch installed — items, counts, the last evaluated key — or the
error it raises is the same as without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from tandem.local import moto_query

pytestmark = pytest.mark.skipif(moto.__version__ != "5.2.5", reason="the patch is for moto 5.2.5")

RANGED, HASH_ONLY = "ranged", "hash-only"
PKS = ("DIM#a", "DIM#b", "1", "01")  # "1" and "01": distinct strings
SKS = ("2026-01-01", "2026-01-02", "2026-01-02#x", "2026-01-10", "a", "A", "b#1", "")
OPERATORS = ("=", "<", "<=", ">", ">=", "BETWEEN", "begins_with")


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=RANGED,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-g",
                    "KeySchema": [
                        {"AttributeName": "g", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName=HASH_ONLY,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


items = st.lists(
    st.fixed_dictionaries(
        {"pk": st.sampled_from(PKS), "sk": st.sampled_from([s for s in SKS if s])},
        optional={"g": st.sampled_from(("x", "y")), "n": st.integers(-5, 5), "pad": st.integers(0, 3000)},
    ),
    max_size=30,
)


@st.composite
def queries(draw: st.DrawFn) -> dict[str, Any]:
    table = draw(st.sampled_from((RANGED, RANGED, RANGED, HASH_ONLY)))
    index = table == RANGED and draw(st.booleans()) and draw(st.booleans())
    key = "g" if index else "pk"
    names = {"#h": key}
    values: dict[str, Any] = {
        ":h": {"S": draw(st.sampled_from(("x", "y", "z") if index else (*PKS, "absent")))}
    }
    condition = "#h = :h"
    operator = draw(st.sampled_from((None, *OPERATORS))) if table == RANGED else None
    if operator is not None:
        names["#r"] = "sk"
        values[":r"] = {"S": draw(st.sampled_from(SKS))}
        if operator == "BETWEEN":
            values[":r2"] = {"S": draw(st.sampled_from(SKS))}
            condition += " AND #r BETWEEN :r AND :r2"
        elif operator == "begins_with":
            condition += " AND begins_with(#r, :r)"
        else:
            condition += f" AND #r {operator} :r"
    request: dict[str, Any] = {"TableName": table, "KeyConditionExpression": condition}
    if index:
        request["IndexName"] = "by-g"
    if draw(st.booleans()):
        request["ScanIndexForward"] = False
    if draw(st.booleans()):
        request["Limit"] = draw(st.integers(1, 5))
    if draw(st.booleans()):
        names["#n"] = "n"
        values[":n"] = {"N": str(draw(st.integers(-3, 3)))}
        request["FilterExpression"] = "#n > :n"
    if draw(st.booleans()):
        request["ProjectionExpression"] = "#h, pad"
    return request | {"ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


def every_page(client: Any, request: dict[str, Any]) -> list[Any]:
    """Each page's answer (or the error), following LastEvaluatedKey to the end."""
    pages: list[Any] = []
    asked = dict(request)
    for _ in range(50):
        try:
            page = client.query(**asked)
        except ClientError as error:
            return [*pages, ("error", error.response["Error"])]
        page.pop("ResponseMetadata", None)
        pages.append(page)
        if "LastEvaluatedKey" not in page:
            break
        asked["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return pages


def fill(client: Any, table: str, rows: list[dict[str, Any]]) -> None:
    for row in client.scan(TableName=table)["Items"]:
        key = {"pk": row["pk"]} | ({"sk": row["sk"]} if table == RANGED else {})
        client.delete_item(TableName=table, Key=key)
    for row in rows:
        item = {
            name: {"N": str(value)} if name == "n" else {"S": "p" * value if name == "pad" else str(value)}
            for name, value in row.items()
        }
        if table == HASH_ONLY:
            item.pop("sk", None)
            item.pop("g", None)
        client.put_item(TableName=table, Item=item)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ranged=items, hash_only=items, asked=st.lists(queries(), min_size=1, max_size=4))
def test_patched_queries_answer_as_motos(
    dynamodb: Any, ranged: list[dict[str, Any]], hash_only: list[dict[str, Any]], asked: list[dict[str, Any]]
) -> None:
    fill(dynamodb, RANGED, ranged)
    fill(dynamodb, HASH_ONLY, hash_only)
    for request in asked:
        moto_query.uninstall()
        expected = every_page(dynamodb, request)
        moto_query.install()
        try:
            assert every_page(dynamodb, request) == expected, request
        finally:
            moto_query.uninstall()


def test_a_query_reads_only_its_partition(dynamodb: Any) -> None:
    """The point of the patch: the table's other partitions are not even looked at."""
    fill(dynamodb, RANGED, [{"pk": "DIM#a", "sk": "a"}, {"pk": "DIM#b", "sk": "b#1"}])
    seen: list[int] = []
    original = moto_query.ORIGINAL_ALL_ITEMS

    def counting(table: Any) -> Any:
        answer = moto_query.all_items(table)
        seen.append(len(answer))
        return answer

    moto_query.install()
    try:
        moto.dynamodb.models.table.Table.all_items = counting  # type: ignore[method-assign]
        answer = dynamodb.query(
            TableName=RANGED,
            KeyConditionExpression="pk = :h",
            ExpressionAttributeValues={":h": {"S": "DIM#a"}},
        )
    finally:
        moto_query.uninstall()
    assert moto.dynamodb.models.table.Table.all_items is original
    assert [item["sk"]["S"] for item in answer["Items"]] == ["a"]
    assert seen == [1]
