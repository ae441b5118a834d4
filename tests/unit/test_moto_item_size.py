"""The sandbox's item constructor (tandem.local.moto_item_size) behaves exactly as moto 5.2.5's.

Property: on random attribute maps (strings, numbers, binary, booleans, nulls, sets, nested lists
and maps; some near and some over DynamoDB's 400 KB limit, the excess in the first, a middle or
the last attribute), moto's `Item.__init__` and the patch either both build equal items (same
attributes, same order, same types) or both raise the same error.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from tandem.local import moto_item_size, moto_patches

names = st.text(min_size=1, max_size=12)
scalars = st.one_of(
    st.text(max_size=20).map(lambda s: {"S": s}),
    st.integers(-(10**12), 10**12).map(lambda n: {"N": str(n)}),
    st.binary(max_size=16).map(lambda b: {"B": b}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
    st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4, unique=True).map(lambda v: {"SS": v}),
    st.lists(st.integers(0, 999).map(str), min_size=1, max_size=4, unique=True).map(lambda v: {"NS": v}),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda v: {"L": v}),
        st.dictionaries(names, inner, max_size=4).map(lambda v: {"M": v}),
    ),
    max_leaves=12,
)
# Large strings put the running total near moto's limit (405,000 bytes), on either side of it.
large = st.integers(100_000, 210_000).map(lambda n: {"S": "x" * n})
attribute_maps = st.dictionaries(names, st.one_of(values, values, values, large), max_size=10)


def _build(init: Any, attrs: dict[str, Any]) -> Any:
    item = Item.__new__(Item)
    try:
        init(item, DynamoType({"S": "h"}), None, attrs)
    except Exception as error:  # the error itself is what is compared
        return (type(error).__name__, str(error))
    return [(key, value.type, value.value) for key, value in item.attrs.items()]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attrs=attribute_maps)
def test_items_match_motos(attrs: dict[str, Any]) -> None:
    assert _build(moto_item_size.item_init, attrs) == _build(moto_item_size.ORIGINAL, attrs)


def test_the_limit_is_motos_to_the_byte() -> None:
    """Exactly at moto's limit the item is kept; one byte more and both refuse it."""
    key_and_type_free = 405000 - len("a") - len("b") - 1  # "a": "x"... and "b": "y"
    fits = {"a": {"S": "x" * key_and_type_free}, "b": {"S": "y"}}
    over = {"a": {"S": "x" * (key_and_type_free + 1)}, "b": {"S": "y"}}
    assert _build(moto_item_size.item_init, fits) == _build(moto_item_size.ORIGINAL, fits)
    assert isinstance(_build(moto_item_size.item_init, fits), list)
    refused = (ItemSizeTooLarge.__name__, str(ItemSizeTooLarge()))
    assert _build(moto_item_size.item_init, over) == _build(moto_item_size.ORIGINAL, over) == refused


def test_the_sandbox_installs_the_item_patch() -> None:
    from tandem.local import sandbox

    with sandbox(seed=False, attach=False):
        assert Item.__init__ is moto_item_size.item_init
    moto_patches.uninstall()
    assert Item.__init__ is moto_item_size.ORIGINAL


def test_a_replaced_item_is_freed() -> None:
    """moto keeps every model object it builds (its dashboard's list); with the patch, an item an
    overwrite or an update replaced is garbage once nothing holds it, and the live one is read back."""
    import gc
    import weakref

    from moto.core.model_instances import model_data
    from moto.dynamodb.models import dynamodb_backends

    from lambdas.shared.tables import METRICS
    from tandem.local import sandbox

    with sandbox(seed=False, attach=False) as box:
        table = box.table_names[METRICS.env_var]
        dynamodb = box.client("dynamodb")
        key = {"pk": {"S": "k"}, "sk": {"S": "s"}}
        dynamodb.put_item(TableName=table, Item={**key, "n": {"N": "1"}})
        backend = next(b for acct in dynamodb_backends.values() for b in acct.values() if table in b.tables)
        first = weakref.ref(backend.get_table(table).get_item(DynamoType(key["pk"]), DynamoType(key["sk"])))
        dynamodb.put_item(TableName=table, Item={**key, "n": {"N": "2"}})
        dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        gc.collect()
        assert first() is None
        assert dynamodb.get_item(TableName=table, Key=key)["Item"]["n"] == {"N": "3"}
        assert not model_data["dynamodb"]["Item"].instances_tracked  # type: ignore[attr-defined]
