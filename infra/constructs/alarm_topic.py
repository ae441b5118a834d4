"""The one SNS topic every Tandem alarm publishes to, and the customer-managed key that encrypts it.

CloudWatch calls KMS itself when an alarm publishes to an encrypted topic, so the key's policy must
let `cloudwatch.amazonaws.com` use it; the AWS-managed `aws/sns` key's policy cannot be changed, and
a topic encrypted with it deploys cleanly while every notification is dropped. The topic's policy
must likewise allow CloudWatch to publish: a topic policy replaces SNS's default one, and CloudWatch
has no identity policy of its own. Both grants are limited to alarms of this account and Region
(aws:SourceAccount, aws:SourceArn), so no other account's alarm can use them (confused deputy).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.nag import acknowledge

CLOUDWATCH = "cloudwatch.amazonaws.com"
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")


class AlarmTopic(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, email: str | None) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        from_this_accounts_alarms = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name="*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            },
        }
        # The key protects alarm notifications in flight only; nothing stored needs it once the
        # topic is gone, so it goes with the stack (after KMS's waiting period).
        self.key = kms.Key(
            self,
            "Key",
            description="Tandem: encrypts the alarm topic; CloudWatch uses it to publish alarms",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToTheEncryptedTopic",
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=list(KEY_ACTIONS),
                resources=["*"],  # in a key policy, "*" is this key
                conditions=from_this_accounts_alarms,
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Tandem alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=from_this_accounts_alarms,
            )
        )
        acknowledge(
            self.topic,
            "Serverless-SNSRedrivePolicy",
            "The topic's subscribers are people (the alarmEmail address): a notification SNS cannot "
            "deliver would sit in a dead-letter queue nobody reads. The alarm's state and history in "
            "CloudWatch stay the record, and its next transition notifies again.",
        )
        if email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self.action = cw_actions.SnsAction(self.topic)

    def notify(self, alarm: cw.Alarm) -> None:
        """Send the alarm's transitions into ALARM and back to OK to the topic."""
        alarm.add_alarm_action(self.action)
        alarm.add_ok_action(self.action)
