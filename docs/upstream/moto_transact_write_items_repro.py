"""Reproduction: moto's TransactWriteItems slows down as the table grows (moto 5.2.5).

Run: python moto_transact_write_items_repro.py  (needs boto3 and moto; no AWS account is used)
Each line times one 100-action transaction (50 Puts, 50 Updates) on a table of n items; the time
grows with n because every action deep-copies the whole table first.
"""

import os
import time

import boto3
from moto import mock_aws

FAKE = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
os.environ.update(FAKE)


def seconds_per_transaction(client, table: str, start: int) -> float:
    actions = [{"Put": {"TableName": table, "Item": {"pk": {"S": f"new-{start + i}"}}}} for i in range(50)]
    actions += [
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": f"counter-{i}"}},
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
        for i in range(50)
    ]
    started = time.perf_counter()
    client.transact_write_items(TransactItems=actions)
    return time.perf_counter() - started


with mock_aws():
    client = boto3.client("dynamodb")
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    size = 0
    for target in (1_000, 2_000, 4_000, 8_000):
        while size < target:  # fill with plain PutItem, which is fast
            client.put_item(TableName="t", Item={"pk": {"S": f"filler-{size}"}, "v": {"S": "x" * 50}})
            size += 1
        milliseconds = seconds_per_transaction(client, "t", size) * 1000
        print(f"table of {size:>5} items: {milliseconds:8.0f} ms per transaction")
