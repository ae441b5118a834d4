"""moto's DynamoDB UpdateItem without its expression machinery, for counters' plain `ADD`s.

moto 5.2.5's `DynamoDBBackend.update_item` parses every UpdateExpression into a tree, deep-copies
it, runs ten validating processors over it (twice when the item is new) and then an executor: for
ctr_ingest's counter updates (`ADD #c0 :c0, #c1 :c1, ...` in each transaction) that is over half
of the sandbox's ingest time. `install()` swaps in `update_item` below, which handles only the
calls whose whole request is such a list of additions and hands every other call to moto's method
unchanged. A call qualifies when:

- the expression is exactly `ADD #n :v` clauses joined by `, ` (ctr_ingest's form); names and
  values are placeholders, every name is defined, resolves to a top-level attribute that is not a
  key attribute of the table, and no two resolve to the same attribute;
- every value is defined and is a number (`{"N": "..."}`);
- there is no ConditionExpression, Expected or AttributeUpdates, and the table has no stream;
- no target attribute of the stored item holds anything but a number.

For those calls moto's validators can raise nothing, so what is left is what moto's executor does:
a missing item is created with its keys (`Table.put_item`, as moto does), then each clause in order
sets its attribute to the stored number plus the value (`DynamoType.__add__`, moto's own sum and
number formatting; a missing attribute counts as `0`) through the item's `LimitedSizeDict`, so an
item pushed over the size limit raises `ItemSizeToUpdateTooLarge` at the same clause, with the
clauses before it applied, as moto leaves them. The stored item is returned, as moto returns it.

Installed with the other sandbox patches by `tandem.local.moto_patches.install()`; moto 5.2.5
only. Proven equal to moto's method by tests/unit/test_moto_update_add.py.
"""

from __future__ import annotations

import re
from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge, ItemSizeToUpdateTooLarge
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item

ORIGINAL = DynamoDBBackend.update_item
_PLACEHOLDER = "[A-Za-z0-9_]+"  # what moto's tokenizer accepts after `#` and `:`
_CLAUSE = f"#{_PLACEHOLDER} :{_PLACEHOLDER}"
_ADDS = re.compile(f"ADD {_CLAUSE}(?:, {_CLAUSE})*")
_ZERO = {"N": "0"}  # what moto's ADD starts a missing attribute from


def update_item(  # noqa: PLR0917 # moto's signature, which moto's callers use
    self: DynamoDBBackend,
    table_name: str,
    key: dict[str, dict[str, Any]],
    update_expression: str,
    expression_attribute_names: dict[str, Any],
    expression_attribute_values: dict[str, Any],
    attribute_updates: dict[str, Any] | None = None,
    expected: dict[str, Any] | None = None,
    condition_expression: str | None = None,
    return_values_on_condition_check_failure: str | None = None,
) -> Item:
    """moto 5.2.5's method; counters' plain `ADD`s applied directly (see the module's docstring)."""

    def motos() -> Item:
        return ORIGINAL(
            self,
            table_name,
            key,
            update_expression,
            expression_attribute_names,
            expression_attribute_values,
            attribute_updates=attribute_updates,
            expected=expected,
            condition_expression=condition_expression,
            return_values_on_condition_check_failure=return_values_on_condition_check_failure,
        )

    if attribute_updates or expected or condition_expression is not None:
        return motos()
    additions = _additions(update_expression, expression_attribute_names, expression_attribute_values)
    if additions is None:
        return motos()
    table = self.get_table(table_name)
    if table.stream_shard is not None or not additions.keys().isdisjoint(table.table_key_attrs):
        return motos()

    # moto's reading of the key, as in its update_item
    if all([table.hash_key_attr in key, table.range_key_attr in key]):
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value: DynamoType | None = DynamoType(key[table.range_key_attr])  # type: ignore[index]
    elif table.hash_key_attr in key:
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = None
    else:
        hash_value = DynamoType(key)
        range_value = None

    item = table.get_item(hash_value, range_value)
    if item is not None and any(
        name in item.attrs and not item.attrs[name].is_number() for name in additions
    ):
        return motos()  # moto's executor fails part-way through: its own path says how
    if item is None:
        data: dict[str, Any] = {table.hash_key_attr: {hash_value.type: hash_value.value}}
        if range_value:
            data.update({table.range_key_attr: {range_value.type: range_value.value}})  # type: ignore[dict-item]
        table.put_item(data)
        item = table.get_item(hash_value, range_value)
    assert item is not None  # just put
    for name, value in additions.items():
        existing = item.attrs[name] if name in item.attrs else DynamoType(_ZERO)
        try:
            item.attrs[name] = existing + DynamoType(value)
        except ItemSizeTooLarge:
            raise ItemSizeToUpdateTooLarge() from None
    return item


def _additions(
    expression: str | None, names: dict[str, Any] | None, values: dict[str, Any] | None
) -> dict[str, dict[str, Any]] | None:
    """Attribute name → the number to add, in the expression's order; None unless the call qualifies."""
    if not expression or names is None or values is None or not _ADDS.fullmatch(expression):
        return None
    additions: dict[str, dict[str, Any]] = {}
    for clause in expression[len("ADD ") :].split(", "):
        name_placeholder, value_placeholder = clause.split(" ")
        name = names.get(name_placeholder)
        value = values.get(value_placeholder)
        if type(name) is not str or name in additions:
            return None
        if type(value) is not dict or len(value) != 1 or type(value.get("N")) is not str:
            return None
        additions[name] = value
    return additions


def install() -> None:
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


def uninstall() -> None:
    DynamoDBBackend.update_item = ORIGINAL  # type: ignore[method-assign]
