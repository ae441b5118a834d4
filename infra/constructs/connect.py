"""The Connect instance (created or imported), its hours and queues, and Lambda access to it."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_connect as connect
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra import constants
from infra.config import TandemConfig
from infra.constructs.tandem_function import TandemFunction
from infra.ivr_documents import WeeklyHours


class ConnectInstance(Construct):
    """Everything Tandem owns inside the instance except flows.

    `instance_arn` is a literal for an existing instance and a GetAtt for a created one; every
    resource takes the ARN (not the id), which IntegrationAssociation in particular requires.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, config: TandemConfig, hours: WeeklyHours
    ) -> None:
        super().__init__(scope, construct_id)
        self.instance: connect.CfnInstance | None = None
        if config.existing_instance is not None:
            self.instance_arn = config.existing_instance.arn
        else:
            self.instance = connect.CfnInstance(
                self,
                "Instance",
                identity_management_type="CONNECT_MANAGED",
                instance_alias=config.instance_alias,
                attributes=connect.CfnInstance.AttributesProperty(
                    inbound_calls=True,
                    outbound_calls=True,
                    contactflow_logs=True,  # flows start with UpdateFlowLoggingBehavior Enabled
                ),
            )
            self.instance_arn = self.instance.attr_arn

        main_hours = self._main_hours(config, hours)
        self.hours_arns: dict[str, str] = {"main": main_hours.attr_hours_of_operation_arn}

        # name → queue ARN: flows use {{queue:<name>}}, later functions (escalation) get the map.
        self.queue_arns: dict[str, str] = {}
        for name in constants.QUEUE_NAMES:
            queue = connect.CfnQueue(
                self,
                f"Queue{name.title()}",
                instance_arn=self.instance_arn,
                hours_of_operation_arn=main_hours.attr_hours_of_operation_arn,
                name=f"Tandem {name.title()}",
                description=f"Tandem {name} queue",
            )
            self.queue_arns[name] = queue.attr_queue_arn

    def _main_hours(self, config: TandemConfig, hours: WeeklyHours) -> connect.CfnHoursOfOperation:
        # The calendar's weekly section (lambdas/documents/defaults/calendar.json) is the one
        # source of opening hours: one Config entry per open interval, in the calendar's own time
        # zone when it sets one, else the instance's.
        return connect.CfnHoursOfOperation(
            self,
            "MainHours",
            instance_arn=self.instance_arn,
            name="Tandem Main Hours",
            description="Tandem business hours, from the IVR calendar's weekly section",
            time_zone=hours.time_zone or config.time_zone,
            config=[
                connect.CfnHoursOfOperation.HoursOfOperationConfigProperty(
                    day=interval.day,
                    start_time=connect.CfnHoursOfOperation.HoursOfOperationTimeSliceProperty(
                        hours=interval.open[0], minutes=interval.open[1]
                    ),
                    end_time=connect.CfnHoursOfOperation.HoursOfOperationTimeSliceProperty(
                        hours=interval.close[0], minutes=interval.close[1]
                    ),
                )
                for interval in hours.intervals
            ],
        )

    def allow_flow_invocation(self, fn: TandemFunction) -> None:
        """Let this instance's flows call `fn`: resource policy plus integration association.

        The permission is what makes the call succeed (scoped to this instance and account, so
        no other Connect instance can invoke it); the association lists the function in the
        flow designer and counts it against the instance's Lambda quota.
        """
        fn.function.add_permission(
            "ConnectInvoke",
            principal=iam.ServicePrincipal("connect.amazonaws.com"),
            action="lambda:InvokeFunction",
            source_arn=self.instance_arn,
            source_account=Stack.of(self).account,
        )
        connect.CfnIntegrationAssociation(
            self,
            f"Lambda-{fn.name}",
            instance_id=self.instance_arn,
            integration_type="LAMBDA_FUNCTION",
            integration_arn=fn.function.function_arn,
        )

    def allow_lex_bot(self, alias_arn: str) -> None:
        """Let this instance's flows talk to a Lex V2 bot alias (ConnectParticipantWithLexBot).

        The association (the CloudFormation twin of the AssociateBot API, with a V2 alias ARN)
        lists the bot in the instance and lets Connect call the alias; Lex V2 then carries the
        resource policy for connect.amazonaws.com on the alias.
        """
        connect.CfnIntegrationAssociation(
            self,
            "LexBot",
            instance_id=self.instance_arn,
            integration_type="LEX_BOT",
            integration_arn=alias_arn,
        )
