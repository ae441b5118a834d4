"""The experiment guard: a scheduled function that stops an experiment whose challenger harms a
guardrail (lambdas/experiment_guard/).

Least privilege, each grant on one resource:
- ssm:GetParametersByPath on the documents' path (as ivr_decision reads the experiment and the stop);
- ssm:PutParameter on `<path>/experiment-stop` alone. CDK creates that parameter, so its ARN is
  known, with a value that halts nothing (`NO_STOP`); CloudFormation rewrites it only when that
  value changes in the template, so a deploy leaves a stop the guard wrote in place;
- dynamodb:Query on the Metrics table (the `variant` counters);
- sns:Publish on the alarm topic, and kms:GenerateDataKey and kms:Decrypt on its key (the topic is
  encrypted: SNS asks for a data key on the publisher's behalf), through SNS only (kms:ViaService).

The schedule is an EventBridge rule, daily, just after midnight in the centre (`timeZone` context):
the day just ended is then in the counters, and the looks are daily, the schedule the guardrails'
false-stop rate is measured for (docs/decision_log.md). A rule's cron is UTC, so it is set from the
zone's standard time: 00:30 in winter, 01:30 in summer. A rule invokes through the function's
resource policy (events.amazonaws.com, this rule's ARN), so no role is added.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aws_cdk import Aws, Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra import constants
from infra.config import TandemConfig
from infra.constructs.alarm_topic import AlarmTopic
from infra.constructs.data import Data
from infra.constructs.ivr_config import IvrConfig
from infra.constructs.tandem_function import TandemFunction
from infra.nag import acknowledge
from lambdas.documents.config import CONFIG_PATH_VAR, TIME_ZONE_VAR
from lambdas.documents.storage_format import stop_parameter_name
from lambdas.experiment_guard.config import ALARM_TOPIC_VAR
from lambdas.policy.experiment import NO_STOP, stop_text
from lambdas.shared.tables import METRICS

# A year whose offsets stand for every year's (the zone's rules as installed): the synth, and so the
# template, does not depend on the day it runs.
OFFSETS_YEAR = 2026


def utc_time_after_local(zone_name: str, local: time) -> tuple[int, int]:
    """The UTC (hour, minute) of a daily cron that runs at `local` in the zone's standard time and
    an hour later in its summer time: never before `local`, whatever the season (an EventBridge
    rule's cron is UTC). Taken at the zone's smallest UTC offset over the year."""
    zone = ZoneInfo(zone_name)
    offsets = {
        (datetime(OFFSETS_YEAR, month, day, 12, tzinfo=zone).utcoffset() or timedelta())
        for month in range(1, 13)
        for day in (1, 15)
    }
    at = (local.hour * 60 + local.minute - min(offsets) // timedelta(minutes=1)) % (24 * 60)
    return at // 60, at % 60


class ExperimentGuard(TandemFunction):
    def __init__(
        self,
        scope: Construct,
        *,
        config: TandemConfig,
        runtime: lambda_.Runtime,
        data: Data,
        ivr_config: IvrConfig,
        alarm_topic: AlarmTopic,
    ) -> None:
        super().__init__(
            scope,
            "experiment_guard",
            description="Tandem: stops an experiment whose challenger harms a guardrail",
            runtime=runtime,
            config=config,
            environment={
                CONFIG_PATH_VAR: ivr_config.path,
                **data.environment(METRICS),
                TIME_ZONE_VAR: config.time_zone,
                ALARM_TOPIC_VAR: alarm_topic.topic.topic_arn,
            },
            flow_invoked=False,
            timeout_seconds=constants.GUARD_TIMEOUT_SECONDS,
            memory_mb=constants.GUARD_MEMORY_MB,
        )
        self.stop_parameter = ssm.StringParameter(
            self,
            "Stop",
            parameter_name=stop_parameter_name(ivr_config.path),
            string_value=stop_text(NO_STOP),
            tier=ssm.ParameterTier.STANDARD,
            description="Tandem experiment stop: written by the experiment guard only, never by a push",
        )
        self._grant(data, ivr_config, alarm_topic)
        self.schedule = self._daily_schedule(config.time_zone)

    def _grant(self, data: Data, ivr_config: IvrConfig, alarm_topic: AlarmTopic) -> None:
        ivr_config.grant_read(self.role)
        statements = [
            # Spelled as ivr_config spells the path's ARN (the same form in both deploy modes).
            iam.PolicyStatement(
                actions=["ssm:PutParameter"],
                resources=[
                    f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter"
                    f"{self.stop_parameter.parameter_name}"
                ],
            ),
            iam.PolicyStatement(actions=["dynamodb:Query"], resources=[data.table(METRICS).table_arn]),
            iam.PolicyStatement(actions=["sns:Publish"], resources=[alarm_topic.topic.topic_arn]),
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[alarm_topic.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{Aws.REGION}.amazonaws.com"}},
            ),
        ]
        for statement in statements:
            self.role.add_to_principal_policy(statement)

    def _daily_schedule(self, time_zone: str) -> events.Rule:
        hour, minute = utc_time_after_local(time_zone, constants.GUARD_LOCAL_TIME)
        rule = events.Rule(
            self,
            "Schedule",
            description="Tandem: the experiment guard's daily look, just after midnight in the centre",
            schedule=events.Schedule.cron(hour=str(hour), minute=str(minute)),
            targets=[
                # The scheduled event itself is the input. The handler never raises; a failed
                # delivery (throttled) is worth two more tries within the hour, then tomorrow's look.
                events_targets.LambdaFunction(
                    self.function, retry_attempts=2, max_event_age=Duration.hours(1)
                )
            ],
        )
        reason = (
            "Invoked by its schedule; the handler never raises (a failed look is counted in "
            "GuardErrors, which alarms), and the next day's look runs whatever happened: a failed "
            "event would have nothing to retry that the schedule does not."
        )
        acknowledge(self.function, "Serverless-LambdaDLQ", reason)
        acknowledge(self.function, "Serverless-LambdaAsyncFailureDestination", reason)
        acknowledge(
            rule,
            "Serverless-EventBusDLQ",
            "A daily scheduled event carries nothing to replay: the look reads the counters as they "
            "are when it runs, and the next day's event looks again over every day so far.",
        )
        return rule
