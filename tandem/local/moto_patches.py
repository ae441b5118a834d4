"""moto's DynamoDB TransactWriteItems at a cost that grows with the transaction, not the table.

moto 5.2.5's `DynamoDBBackend.transact_write_items` deep-copies the whole table once for every
action of a transaction, so that it can roll back; a 100-action ctr_ingest transaction on a Metrics
table of n items copies n items a hundred times, and the sandbox slows down as its tables fill.
`install()` swaps in `transact_write_items` below: moto's own method, line for line, except that it
remembers the state of each item an action touches (by key, just before the action reads it) and
puts those back, newest first, when the transaction fails. Everything else is moto's: the order of
the actions, the condition checks, the cancellation reasons, which errors roll back and which do
not, and which tables are restored (moto restores the tables named by name, so a write through a
table's ARN in a failed transaction stays unless the same table is also named by name; kept).
A table with a stream is still copied whole, once per transaction: its stream records are state too.

Installed by `tandem.local.sandbox()` and by the `tandem sandbox up` server (`tandem.local.moto_server`).
The patch applies to moto 5.2.5 only; any other version is left alone. Proven equal to moto's
method by tests/unit/test_moto_patches.py; the upstream report is docs/upstream/moto-transact-write-items.md.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import moto
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from tandem.local import moto_item_size, moto_query, moto_update_add

PATCHED_VERSION = "5.2.5"
ORIGINAL = DynamoDBBackend.transact_write_items
_ABSENT = object()  # no entry under the key before the transaction


@dataclass
class _Before:
    """One touched key's slot in `table.items` as it was before the transaction touched it."""

    table: Table
    hash_value: DynamoType
    range_value: DynamoType | None
    slot: Any  # table.items[hash_value]: the Item (hash-only table) or the range bucket, or _ABSENT
    item: Item | None  # a copy of the item under the key, None when there was none

    def restore(self) -> None:
        items = self.table.items
        if self.slot is _ABSENT:
            items.pop(self.hash_value, None)
        elif self.range_value is None:
            items[self.hash_value] = self.item  # type: ignore[assignment] # moto types its map by range tables
        else:
            items[self.hash_value] = self.slot
            if self.item is None:
                self.slot.pop(self.range_value, None)
            else:
                self.slot[self.range_value] = self.item


class _Journal:
    """What a failed transaction puts back: touched keys, and whole tables that have a stream."""

    def __init__(self, backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        self.backend = backend
        # moto restores exactly the tables named (by name) in the transaction that exist now.
        self.named: set[str] = set()
        self.whole_tables: dict[str, Table] = {}
        for item in transact_items:
            _, op = next(iter(item.items()))
            table_name = op.get("TableName")
            if table_name and table_name in backend.tables:
                self.named.add(table_name)
                table = backend.tables[table_name]
                if table.stream_shard is not None and table_name not in self.whole_tables:
                    self.whole_tables[table_name] = copy.deepcopy(table)
        self.keys: list[_Before] = []

    def remember(self, table_name: str, key: dict[str, Any]) -> None:
        """Note the key's state before an action reads or writes it.

        If the table or key cannot be resolved, the action's own lookup fails the same way
        before anything is written, so there is nothing to remember.
        """
        try:
            table = self.backend.get_table(table_name)
            hash_value, range_value = self.backend.get_keys_value(table, key)
        except Exception:  # moto raises the same error for the action itself, next
            return
        if table.name not in self.named or table.name in self.whole_tables:
            return
        slot: Any = table.items.get(hash_value, _ABSENT)
        current = None if slot is _ABSENT else slot if range_value is None else slot.get(range_value)
        self.keys.append(_Before(table, hash_value, range_value, slot, copy.deepcopy(current)))

    def rollback(self) -> None:
        for before in reversed(self.keys):
            before.restore()
        for table_name, table in self.whole_tables.items():
            self.backend.tables[table_name] = table


# moto's method as it is, so its branches and statements are moto's count.
def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:  # noqa: PLR0912, PLR0915
    """moto 5.2.5's method with a per-key journal in place of per-action whole-table copies."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    journal = _Journal(self, transact_items)

    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[
        tuple[str, str, dict[str, Any]] | tuple[None, None, None]
    ] = []  # [(Code, Message, Item), ..]
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        # Check transact writes are not performing multiple operations on the same item
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException

        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")

            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")

            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]

            check_unicity(table_name, key)
            journal.remember(table_name, key)

            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression,
                    expression_attribute_names,
                    expression_attribute_values,
                )
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type == "Put":
                attrs = op["Item"]
                self.put_item(
                    table_name,
                    attrs,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                update_expression = op["UpdateExpression"]
                self.update_item(
                    table_name,
                    key,
                    update_expression=update_expression,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,  # type: ignore[arg-type]
                    expression_attribute_values=expression_attribute_values,  # type: ignore[arg-type]
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            # Rollback to the original state, and reraise the error
            journal.rollback()
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
        except Exception as e:  # moto reports every other error as a cancellation reason
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]

    if any(code is not None for code, _, _ in errors):
        # Rollback to the original state, and reraise the errors
        journal.rollback()
        raise TransactionCanceledException(errors)


def install() -> bool:
    """Patch moto (idempotent); False when this moto is not the version the patches were written for.

    Also the item constructor (`tandem.local.moto_item_size`), UpdateItem's plain `ADD`s
    (`tandem.local.moto_update_add`) and Query on a table's own key (`tandem.local.moto_query`)."""
    if moto.__version__ != PATCHED_VERSION:
        return False
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    moto_item_size.install()
    moto_update_add.install()
    moto_query.install()
    return True


def uninstall() -> None:
    DynamoDBBackend.transact_write_items = ORIGINAL  # type: ignore[method-assign]
    moto_item_size.uninstall()
    moto_update_add.uninstall()
    moto_query.uninstall()
