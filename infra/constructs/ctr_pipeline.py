"""Contact trace records: a Kinesis stream and the instance storage config that fills it."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_connect as connect
from aws_cdk import aws_kinesis as kinesis
from constructs import Construct

from infra.nag import acknowledge


class CtrPipeline(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, instance_arn: str) -> None:
        super().__init__(scope, construct_id)
        # One provisioned shard (1 MB/s, 1,000 records/s in) is far above a contact centre's CTR
        # rate and costs about a third of an on-demand stream's fixed hourly charge.
        self.stream = kinesis.Stream(
            self,
            "Stream",
            stream_mode=kinesis.StreamMode.PROVISIONED,
            shard_count=1,
            retention_period=Duration.hours(24),
            encryption=kinesis.StreamEncryption.MANAGED,
        )
        acknowledge(
            self.stream,
            "AwsSolutions-KDS3",
            "The stream is encrypted with the AWS-managed aws/kinesis key, which Connect can use "
            "as is; a customer key would need kms:GenerateDataKey for Connect's service role.",
        )
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
