"""The metrics pipeline: contact trace records (CTRs) into the per-day KPI counters.

A Kinesis stream, the instance storage config that fills it, and ctr_ingest, the function that
counts each call's records once into the metrics table (`CtrIngest`, built with the other
functions; `CtrPipeline` wires it to the stream).

ctr_ingest reads the stream with partial batch failure reporting: the records it could not count
are delivered again (it counts each call once, so redelivery is safe); a batch that keeps failing
is split in two until the bad record is alone (bisect on error), and after `CTR_MAX_RETRIES` or a
day its records go to an on-failure queue for inspection, instead of holding the shard.

Records ctr_ingest refuses (lambdas/ctr_ingest/refusals.py) are not failures: retrying would refuse
them again. Their raw data goes to a queue of its own, `RefusedRecords`, the only place it is kept
outside the stream: it holds the caller's number, so the queue is encrypted, TLS-only and keeps it
`CTR_REFUSED_RETENTION_DAYS`. The on-failure queue could not take that role: Lambda sends it only a
description of the failed batch (shard, sequence numbers, error), never the records.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_connect as connect
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import constants
from infra.config import TandemConfig
from infra.constructs.data import Data
from infra.constructs.keyed_hash import KeyedHash
from infra.constructs.tandem_function import TandemFunction
from infra.nag import acknowledge
from lambdas.ctr_ingest.config import RECONTACT_WINDOW_VAR, REFUSED_QUEUE_VAR, SERVICE_LEVEL_VAR
from lambdas.documents.config import TIME_ZONE_VAR
from lambdas.shared.keyed_hash_secret import SECRET_VAR as KEYED_HASH_SECRET_VAR
from lambdas.shared.tables import METRICS


class CtrIngest(TandemFunction):
    def __init__(
        self,
        scope: Construct,
        *,
        config: TandemConfig,
        runtime: lambda_.Runtime,
        data: Data,
        keyed_hash: KeyedHash,
    ) -> None:
        super().__init__(
            scope,
            "ctr_ingest",
            description="Tandem: counts each call's contact records once into the per-day KPI counters",
            runtime=runtime,
            config=config,
            environment={
                **data.environment(METRICS),
                TIME_ZONE_VAR: config.time_zone,
                SERVICE_LEVEL_VAR: str(constants.SERVICE_LEVEL_SECONDS),
                RECONTACT_WINDOW_VAR: str(constants.RECONTACT_WINDOW_HOURS),
                KEYED_HASH_SECRET_VAR: keyed_hash.secret_arn,
            },
            flow_invoked=False,
            timeout_seconds=constants.CTR_INGEST_TIMEOUT_SECONDS,
            memory_mb=constants.CTR_INGEST_MEMORY_MB,
        )
        stream_reason = (
            "Invoked by the Kinesis event source mapping, never asynchronously: a function DLQ or "
            "async destination would receive nothing. Records the function gives up on go to the "
            "mapping's on-failure SQS destination (infra/constructs/metrics_pipeline.py)."
        )
        acknowledge(self.function, "Serverless-LambdaDLQ", stream_reason)
        acknowledge(self.function, "Serverless-LambdaAsyncFailureDestination", stream_reason)
        # Call states read in batches, written with the counters in one TransactWriteItems: a Put
        # (dynamodb:PutItem) per call state and an Update (dynamodb:UpdateItem, ADD) per counter;
        # DynamoDB authorises each action in a transaction as its own operation. Refused records'
        # listing items are read in the same BatchGetItem and written as Puts in a transaction too.
        # Caller items (the recontact index) are read in the same BatchGetItem and Put in the same
        # transactions. No Query, Scan, BatchWriteItem or DeleteItem, no index, no other table.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                resources=[data.table(METRICS).table_arn],
            )
        )
        # The recontact index's caller key derives from the keyed-hash secret: GetSecretValue on it alone.
        keyed_hash.grant_read(self.role)


class CtrPipeline(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, instance_arn: str, consumer: lambda_.Function
    ) -> None:
        super().__init__(scope, construct_id)
        self.stream = self._stream()
        self.storage = connect.CfnInstanceStorageConfig(
            self,
            "CtrStorage",
            instance_arn=instance_arn,
            resource_type="CONTACT_TRACE_RECORDS",
            storage_type="KINESIS_STREAM",
            kinesis_stream_config=connect.CfnInstanceStorageConfig.KinesisStreamConfigProperty(
                stream_arn=self.stream.stream_arn
            ),
        )
        self.failures = self._failure_queue()
        self.refused = self._refused_queue()
        self._consume(consumer)

    def _stream(self) -> kinesis.Stream:
        # One provisioned shard (1 MB/s, 1,000 records/s in) is far above a contact centre's CTR
        # rate and costs about a third of an on-demand stream's fixed hourly charge.
        stream = kinesis.Stream(
            self,
            "Stream",
            stream_mode=kinesis.StreamMode.PROVISIONED,
            shard_count=1,
            retention_period=Duration.hours(constants.CTR_MAX_RECORD_AGE_HOURS),
            encryption=kinesis.StreamEncryption.MANAGED,
        )
        acknowledge(
            stream,
            "AwsSolutions-KDS3",
            "The stream is encrypted with the AWS-managed aws/kinesis key, which Connect can use "
            "as is; a customer key would need kms:GenerateDataKey for Connect's service role.",
        )
        return stream

    def _failure_queue(self) -> sqs.Queue:
        # What Lambda gives up on: the batch's shard, sequence numbers and error (not the records:
        # they stay in the stream for its retention, to be read again once the cause is fixed).
        failures = sqs.Queue(
            self,
            "IngestFailures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=RemovalPolicy.DESTROY,
        )
        for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            acknowledge(
                failures,
                rule,
                "This queue is itself the on-failure destination of the CTR event source mapping; "
                "nothing consumes it automatically, so a redrive to a dead-letter queue behind it "
                "would never happen.",
            )
        return failures

    def _refused_queue(self) -> sqs.Queue:
        refused = sqs.Queue(
            self,
            "RefusedRecords",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(constants.CTR_REFUSED_RETENTION_DAYS),
            max_message_size_bytes=constants.SQS_MAX_MESSAGE_BYTES,
            removal_policy=RemovalPolicy.DESTROY,
        )
        for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            acknowledge(
                refused,
                rule,
                "This queue holds refused contact records for an operator to inspect; nothing "
                "consumes it automatically, so a redrive to a dead-letter queue behind it would never "
                "happen, and its retention is the limit on how long the raw records are kept.",
            )
        return refused

    def _consume(self, consumer: lambda_.Function) -> None:
        consumer.add_environment(REFUSED_QUEUE_VAR, self.refused.queue_url)
        # SendMessageBatch is authorised as sqs:SendMessage; the URL comes from the environment, so
        # no GetQueueUrl, and nothing reads the queue back (grant_send_messages would add both).
        consumer.add_to_role_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.refused.queue_arn])
        )
        consumer.add_event_source(
            sources.KinesisEventSource(
                self.stream,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=constants.CTR_BATCH_SIZE,
                max_batching_window=Duration.seconds(5),
                bisect_batch_on_error=True,
                retry_attempts=constants.CTR_MAX_RETRIES,
                max_record_age=Duration.hours(constants.CTR_MAX_RECORD_AGE_HOURS),
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.failures),
            )
        )
