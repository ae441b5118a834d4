"""The sandbox's UpdateItem for plain `ADD`s (tandem.local.moto_update_add) behaves exactly as moto 5.2.5's.

Property: on random sequences of UpdateItem calls and transactions applied to two moto backends
from the same start, one all moto's (UpdateItem and TransactWriteItems) and one with the sandbox's
patches, the tables (raw item maps and streams), every returned item and every error (type,
message, wire body) are identical. The updates are mostly `ADD #n :v, ...` of numbers (the fast
path): to missing items and attributes, to numbers (odd spellings, decimals, big numbers, numbers
moto cannot read), to strings and sets, to key attributes, the same attribute twice, items close
to the size limit; the rest are near misses moto's own path must take (an undefined name or value,
a value that is not a number, a condition, other spacing), and the transactions mix them with
other Puts, Updates, Deletes and ConditionChecks (tests/unit/test_moto_patches.py's).
"""

from __future__ import annotations

import copy
import types
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType

from tandem.local import moto_patches, moto_update_add
from tests.unit.test_moto_patches import (
    PKS,
    RANGED,
    SKS,
    TABLE_NAMES,
    _backend,
    _state,
    actions,
    error_signature,
    keys,
)

# v, n, m: numbers (v seeded); s: a string; ns: a number set; pk, sk: key attributes
NAMES = ("n", "m", "v", "s", "ns", "pk", "sk")
NUMBERS = ("1", "-1", "0", "-0", "2.5", "0.10", "007", "1e3", "x", "12345678901234567890123456789.5")
NEAR_MISSES = ("undefined name", "undefined value", "not a number", "condition", "spacing", "set clause")


@st.composite
def additions(draw: st.DrawFn) -> dict[str, Any]:
    """An Update of `ADD` clauses, now and then a near miss of the fast path's form."""
    table = draw(st.sampled_from(TABLE_NAMES))
    clauses = draw(
        st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(NUMBERS)), min_size=1, max_size=4)
    )
    names = {f"#a{i}": name for i, (name, _) in enumerate(clauses)}
    values: dict[str, Any] = {f":v{i}": {"N": number} for i, (_, number) in enumerate(clauses)}
    placeholders = [(f"#a{i}", f":v{i}") for i in range(len(clauses))]
    if draw(st.booleans()):  # one value for every clause
        placeholders = [(name, ":v0") for name, _ in placeholders]
        values = {":v0": values[":v0"]}
    separator, op = ", ", {"TableName": table, "Key": draw(keys(table))}
    near_miss = draw(st.sampled_from((None,) * 6 + NEAR_MISSES))
    if near_miss == "undefined name":
        del names["#a0"]
    elif near_miss == "undefined value":
        del values[":v0"]
    elif near_miss == "not a number":
        values[":v0"] = draw(st.sampled_from(({"S": "1"}, {"NS": ["1", "2"]}, {"N": 1})))
    elif near_miss == "condition":
        op["ConditionExpression"] = "attribute_not_exists(s)"
    elif near_miss == "spacing":
        separator = " , "
    expression = "ADD " + separator.join(f"{name} {value}" for name, value in placeholders)
    if near_miss == "set clause":
        expression = f"SET #a0 = :v0 {expression}"
    op |= {
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    return op


calls = st.one_of(
    additions().map(lambda op: ("update_item", op)),
    st.lists(st.one_of(additions().map(lambda op: {"Update": op}), actions()), min_size=1, max_size=6).map(
        lambda transaction: ("transact_write_items", transaction)
    ),
)
# (table, pk, sk, how far below moto's size limit a large string leaves the item, or None)
seed_items = st.lists(
    st.tuples(
        st.sampled_from(("plain", "ranged", "streamed")),
        st.sampled_from(PKS),
        st.sampled_from(SKS),
        st.one_of(st.none(), st.integers(0, 6)),
    ),
    max_size=8,
)


def _seed(backend: DynamoDBBackend, seed: list[tuple[str, str, str, int | None]]) -> None:
    for table, pk, sk, headroom in seed:
        item = {"pk": {"S": pk}, "v": {"N": sk}, "s": {"S": "x"}, "ns": {"NS": ["1"]}}
        if table == RANGED:
            item["sk"] = {"N": sk}
        if headroom is not None:
            # the item's size without the blob, measured as moto measures it, then the blob's own
            # name and the string up to `headroom` bytes short of the limit
            small = sum(len(name) + DynamoType(value).size() for name, value in item.items())
            item["blob"] = {"S": "b" * (405_000 - headroom - small - len("blob"))}
        backend.put_item(table, item)


def _outcome(backend: DynamoDBBackend, call: tuple[str, Any]) -> Any:
    method, request = call
    try:
        if method == "update_item":
            op = copy.deepcopy(request)
            item = backend.update_item(
                op["TableName"],
                op["Key"],
                update_expression=op["UpdateExpression"],
                expression_attribute_names=op["ExpressionAttributeNames"],
                expression_attribute_values=op["ExpressionAttributeValues"],
                condition_expression=op.get("ConditionExpression"),
            )
            return item.to_json()
        backend.transact_write_items(copy.deepcopy(request))
    except Exception as error:  # the error itself is what is compared
        return error_signature(error)
    return None


def _backends() -> tuple[DynamoDBBackend, DynamoDBBackend]:
    """moto's backend and the sandbox's, whatever is installed on the class in this process."""
    motos, patched = _backend(), _backend()
    for backend, update_item, transact_write_items in (
        (motos, moto_update_add.ORIGINAL, moto_patches.ORIGINAL),
        (patched, moto_update_add.update_item, moto_patches.transact_write_items),
    ):
        backend.update_item = types.MethodType(update_item, backend)  # type: ignore[method-assign]
        backend.transact_write_items = types.MethodType(transact_write_items, backend)  # type: ignore[method-assign]
    return motos, patched


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=seed_items, calls=st.lists(calls, min_size=1, max_size=8))
def test_patched_updates_match_motos(seed: list[tuple[str, str, str, int | None]], calls: Any) -> None:
    motos, patched = _backends()
    for backend in (motos, patched):
        _seed(backend, seed)
    for call in calls:
        assert _outcome(patched, call) == _outcome(motos, call)
        assert _state(patched) == _state(motos)


def _counter_update(**changes: Any) -> dict[str, Any]:
    op = {
        "TableName": "plain",
        "Key": {"pk": {"S": "a"}},
        "UpdateExpression": "ADD #a0 :v0, #a1 :v1",
        "ExpressionAttributeNames": {"#a0": "n", "#a1": "m"},
        "ExpressionAttributeValues": {":v0": {"N": "2"}, ":v1": {"N": "0.5"}},
    }
    return op | changes


@pytest.mark.parametrize(
    ("op", "fast"),
    [
        (_counter_update(), True),
        (_counter_update(TableName="streamed"), False),
        (_counter_update(ExpressionAttributeNames={"#a0": "n", "#a1": "pk"}), False),
        (_counter_update(ExpressionAttributeNames={"#a0": "n", "#a1": "n"}), False),
        (_counter_update(UpdateExpression="ADD #a0 :v0,#a1 :v1"), False),
        (_counter_update(ConditionExpression="attribute_exists(pk)"), False),
    ],
)
def test_only_plain_additions_skip_motos_path(op: dict[str, Any], fast: bool, monkeypatch: Any) -> None:
    """The fast path is taken for ctr_ingest's form and nothing near it (the property proves the rest)."""
    backend = _backend()
    taken: list[str] = []
    monkeypatch.setattr(moto_update_add, "ORIGINAL", lambda *args, **kwargs: taken.append("moto"))
    moto_update_add.update_item(
        backend,
        op["TableName"],
        op["Key"],
        op["UpdateExpression"],
        op["ExpressionAttributeNames"],
        op["ExpressionAttributeValues"],
        condition_expression=op.get("ConditionExpression"),
    )
    assert taken == ([] if fast else ["moto"])
    if fast:
        assert backend.get_item("plain", {"pk": {"S": "a"}}).to_json()["Attributes"] == {  # type: ignore[union-attr]
            "pk": {"S": "a"},
            "n": {"N": "2"},
            "m": {"N": "0.5"},
        }


def test_the_sandbox_installs_the_patch() -> None:
    from tandem.local import sandbox

    with sandbox(seed=False, attach=False):
        assert DynamoDBBackend.update_item is moto_update_add.update_item
