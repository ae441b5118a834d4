"""The sandbox's TransactWriteItems (tandem.local.moto_patches) behaves exactly as moto 5.2.5's.

Property: on random transactions (Put, Update, Delete, ConditionCheck; conditions that fail;
two actions on one key; a missing table; a table named by ARN; a table with a stream; updates
that fail validation) applied to two moto backends from the same start, one with moto's method
and one with the patch, the tables (their raw item maps, empty buckets included), the streams and
every error (type, message, and the wire body with its CancellationReasons) are identical.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.exceptions import TransactionCanceledException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from tandem.local import moto_patches

ACCOUNT = "123456789012"
PLAIN, RANGED, STREAMED, MISSING = "plain", "ranged", "streamed", "missing"
PKS = ("a", "b", "c")
SKS = ("1", "2")


def _backend() -> DynamoDBBackend:
    backend = DynamoDBBackend(region_name="us-east-1", account_id=ACCOUNT)
    for name, range_key, streams in (
        (PLAIN, False, None),
        (RANGED, True, None),
        (STREAMED, False, {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}),
    ):
        schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
        attr = [{"AttributeName": "pk", "AttributeType": "S"}]
        if range_key:
            schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
            attr.append({"AttributeName": "sk", "AttributeType": "N"})
        backend.create_table(
            name,
            schema=schema,
            throughput=None,
            attr=attr,
            global_indexes=None,
            indexes=None,
            streams=streams,
            billing_mode="PAY_PER_REQUEST",
            sse_specification=None,
            tags=[],
            deletion_protection_enabled=False,
            warm_throughput=None,
        )
    return backend


TABLE_NAMES = (PLAIN, RANGED, STREAMED, MISSING, f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{PLAIN}")
CONDITIONS: dict[str, dict[str, Any]] = {
    "attribute_exists(pk)": {},
    "attribute_not_exists(pk)": {},
    "v = :c": {":c": {"N": "1"}},
    "v < :c": {":c": {"N": "3"}},
}
UPDATES: dict[str, dict[str, Any]] = {
    "SET v = :v": {":v": {"N": "2"}},
    "ADD n :one": {":one": {"N": "1"}},
    "REMOVE v": {},
    "SET v = v + :v": {":v": {"N": "1"}},  # fails validation when v is missing: moto re-raises
}


@st.composite
def keys(draw: st.DrawFn, table: str) -> dict[str, Any]:
    key: dict[str, Any] = {"pk": {"S": draw(st.sampled_from(PKS))}}
    # A ranged key, now and then without its range key (a validation error moto re-raises).
    if table == RANGED and draw(st.integers(0, 9)) > 0:
        key["sk"] = {"N": draw(st.sampled_from(SKS))}
    return key


@st.composite
def actions(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(("Put", "Update", "Delete", "ConditionCheck")))
    table = draw(st.sampled_from(TABLE_NAMES))
    key = draw(keys(table))
    op: dict[str, Any] = {"TableName": table}
    values: dict[str, Any] = {}
    if kind == "Put":
        op["Item"] = {**key, "v": {"N": draw(st.sampled_from(("0", "1", "2", "5")))}}
    else:
        op["Key"] = key
    if kind == "Update":
        expression = draw(st.sampled_from(sorted(UPDATES)))
        op["UpdateExpression"] = expression
        values.update(UPDATES[expression])
    if kind == "ConditionCheck" or draw(st.booleans()):
        condition = draw(st.sampled_from(sorted(CONDITIONS)))
        op["ConditionExpression"] = condition
        values.update(CONDITIONS[condition])
        if draw(st.booleans()):
            op["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if values:
        op["ExpressionAttributeValues"] = values
    return {kind: op}


seed_items = st.lists(
    st.tuples(st.sampled_from((PLAIN, RANGED, STREAMED)), st.sampled_from(PKS), st.sampled_from(SKS)),
    max_size=8,
)
transactions = st.lists(st.lists(actions(), min_size=1, max_size=6), min_size=1, max_size=4)


# A record's creation time, and its size, which counts the time's digits (moto's estimate).
WALL_CLOCK_FIELDS = ("ApproximateCreationDateTime", "SizeBytes")


def _state(backend: DynamoDBBackend) -> dict[str, Any]:
    """Every table's raw item map (empty range buckets included) and its stream records."""
    state: dict[str, Any] = {}
    for name, table in backend.tables.items():
        items: dict[str, Any] = {}
        for hash_value, slot in table.items.items():
            if table.range_key_attr is None:
                items[repr(hash_value)] = slot.to_json()
            else:
                items[repr(hash_value)] = {repr(r): item.to_json() for r, item in slot.items()}
        stream = [
            {k: v for k, v in record.to_json()["dynamodb"].items() if k not in WALL_CLOCK_FIELDS}
            | {"eventName": record.to_json()["eventName"]}
            for record in (table.stream_shard.items if table.stream_shard else [])
        ]
        state[name] = {"items": items, "stream": stream}
    return state


def _outcome(method: Any, backend: DynamoDBBackend, transaction: list[dict[str, Any]]) -> Any:
    try:
        method(backend, copy.deepcopy(transaction))
    except Exception as error:  # the error itself is what is compared
        return error_signature(error)
    return None


def error_signature(error: Exception) -> tuple[Any, ...]:
    """What moto's error says: its type, text, message and wire body."""
    return (
        type(error).__name__,
        str(error),
        getattr(error, "message", None),
        getattr(error, "description", None),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=seed_items, transactions=transactions)
def test_patched_transactions_match_motos(seed: list[tuple[str, str, str]], transactions: Any) -> None:
    moto_backend, patched_backend = _backend(), _backend()
    for backend in (moto_backend, patched_backend):
        for table, pk, sk in seed:
            item = {"pk": {"S": pk}, "v": {"N": sk}}
            if table == RANGED:
                item["sk"] = {"N": sk}
            backend.put_item(table, item)
    for transaction in transactions:
        expected = _outcome(moto_patches.ORIGINAL, moto_backend, transaction)
        got = _outcome(moto_patches.transact_write_items, patched_backend, transaction)
        assert got == expected
        assert _state(patched_backend) == _state(moto_backend)


def test_a_cancelled_transaction_puts_back_only_what_it_touched() -> None:
    backend = _backend()
    for pk in PKS:
        backend.put_item(RANGED, {"pk": {"S": pk}, "sk": {"N": "1"}, "v": {"N": "1"}})
    before = _state(backend)
    transaction = [
        {
            "Update": {
                "TableName": RANGED,
                "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                "UpdateExpression": "REMOVE v",
            }
        },
        {"Put": {"TableName": RANGED, "Item": {"pk": {"S": "z"}, "sk": {"N": "9"}}}},
        {"Delete": {"TableName": RANGED, "Key": {"pk": {"S": "b"}, "sk": {"N": "1"}}}},
        {
            "ConditionCheck": {
                "TableName": PLAIN,
                "Key": {"pk": {"S": "a"}},
                "ConditionExpression": "attribute_exists(pk)",
            }
        },
    ]
    copied: list[type] = []
    real_deepcopy = copy.deepcopy

    def counting(value: Any, *memo: Any) -> Any:
        if not memo:  # a copy asked for, not deepcopy's recursion into it
            copied.append(type(value))
        return real_deepcopy(value, *memo)

    moto_patches.copy.deepcopy = counting  # type: ignore[assignment]
    try:
        moto_patches.transact_write_items(backend, transaction)
    except TransactionCanceledException as error:
        reasons = json.loads(error.description)["CancellationReasons"]
    finally:
        moto_patches.copy.deepcopy = real_deepcopy
    assert [r["Code"] for r in reasons] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert _state(backend) == before
    assert Table not in copied  # the touched keys' items (and moto's own copy in an update), never a table
    assert len(copied) <= 2 * len(transaction)


def test_the_sandbox_installs_the_patch() -> None:
    from tandem.local import sandbox

    with sandbox(seed=False, attach=False):
        assert DynamoDBBackend.transact_write_items is moto_patches.transact_write_items
