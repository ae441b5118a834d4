"""The shared function construct: every Tandem function is wired the same way.

Each capability's function (crm_lookup.py, ivr_decision.py, escalation.py, survey.py,
metrics_pipeline.py) subclasses TandemFunction and adds its own environment and grants.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import constants
from infra.config import TandemConfig
from infra.nag import acknowledge
from infra.packaging import build_function_asset, python_version_of

# CDK 2.275's determine_latest_python_runtime still returns python3.13 (hard-coded), while
# python3.14 is available and is what AwsSolutions-L1 expects; take whichever is newer.
_NEWEST_KNOWN_PYTHON = lambda_.Runtime.PYTHON_3_14

_RETENTION = {
    1: logs.RetentionDays.ONE_DAY, 3: logs.RetentionDays.THREE_DAYS, 5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK, 14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS, 90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS, 150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS, 365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS, 545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS, 1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS, 2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS, 2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS, 3653: logs.RetentionDays.TEN_YEARS,
}  # fmt: skip


def retention_days(days: int) -> logs.RetentionDays:
    return _RETENTION[days]


def latest_python_runtime(scope: Construct) -> lambda_.Runtime:
    determined = lambda_.Runtime.determine_latest_python_runtime(scope)
    return max(determined, _NEWEST_KNOWN_PYTHON, key=lambda runtime: _version(runtime.name))


def _version(runtime_name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in python_version_of(runtime_name).split("."))


class TandemFunction(Construct):
    """A function from `lambdas/<name>/handler.py` with Tandem's standard wiring.

    arm64, the newest Python runtime, JSON logs into its own log group with retention, X-Ray,
    and an explicit role whose only built-in rights are writing to that log group and X-Ray
    (no AWSLambdaBasicExecutionRole, which may write to any log group). Callers add the rest.
    `name` is the construct id, so a function's logical IDs read `Functions<name>...`.
    """

    def __init__(
        self,
        scope: Construct,
        name: str,
        *,
        description: str,
        runtime: lambda_.Runtime,
        config: TandemConfig,
        environment: Mapping[str, str],
        flow_invoked: bool,
        timeout_seconds: int = constants.FUNCTION_TIMEOUT_SECONDS,
        memory_mb: int = constants.FUNCTION_MEMORY_MB,
    ) -> None:
        super().__init__(scope, name)
        if flow_invoked and timeout_seconds >= constants.FLOW_BLOCK_TIME_LIMIT_SECONDS:
            raise ValueError(
                f"{name}: timeout {timeout_seconds}s must be below the flow block's "
                f"{constants.FLOW_BLOCK_TIME_LIMIT_SECONDS}s limit, or Connect gives up first"
            )
        self.name = name
        self.flow_invoked = flow_invoked
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=retention_days(config.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN
            if config.data_removal_policy == "retain"
            else RemovalPolicy.DESTROY,
        )
        self.role = self._role()
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            code=lambda_.Code.from_asset(str(build_function_asset(name, python_version_of(runtime.name)))),
            handler=f"lambdas.{name}.handler.lambda_handler",
            runtime=runtime,
            architecture=lambda_.Architecture.ARM_64,
            memory_size=memory_mb,
            timeout=Duration.seconds(timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.INFO,
            log_group=self.log_group,
            role=self.role,
            # Opt-in per function (context reservedConcurrency): a default reservation could exceed
            # a new account's limit and fail the first deploy (docs/decision_log.md).
            reserved_concurrent_executions=config.reserved_concurrency.get(name),
            environment={
                "POWERTOOLS_SERVICE_NAME": f"tandem-{name.replace('_', '-')}",
                "POWERTOOLS_METRICS_NAMESPACE": constants.METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **environment,
            },
        )
        self._acknowledge_built_ins()

    def _role(self) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Tandem {self.name}: its own log group, X-Ray, and the grants added per function",
            inline_policies={
                "WriteOwnLogs": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                            resources=[self.log_group.log_group_arn],
                        )
                    ]
                )
            },
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; "
            "Resource * is the only form AWS accepts for active tracing.",
        )
        return role

    def _acknowledge_built_ins(self) -> None:
        if self.flow_invoked:
            reason = (
                "Invoked synchronously by an Amazon Connect flow: a DLQ or async destination never "
                "receives anything; a failure takes the flow block's Error branch to a person."
            )
            acknowledge(self.function, "Serverless-LambdaDLQ", reason)
            acknowledge(self.function, "Serverless-LambdaAsyncFailureDestination", reason)
