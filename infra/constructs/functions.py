"""Tandem's Lambda functions and the one construct that wires each of them the same way."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import constants
from infra.config import TandemConfig
from infra.constructs.data import Data
from infra.constructs.ivr_config import IvrConfig
from infra.constructs.keyed_hash import KeyedHash
from infra.nag import acknowledge
from infra.packaging import build_function_asset, python_version_of
from lambdas.ctr_ingest.config import SERVICE_LEVEL_VAR
from lambdas.documents.config import CONFIG_PATH_VAR, TIME_ZONE_VAR
from lambdas.shared.keyed_hash_secret import SECRET_VAR as KEYED_HASH_SECRET_VAR
from lambdas.shared.tables import CUSTOMERS, INTERACTIONS, METRICS

# escalation's own variables (the rest are ivr_decision's and the table's names).
INSTANCE_ARN_VAR = "CONNECT_INSTANCE_ARN"
QUEUE_ARNS_VAR = "QUEUE_ARNS"  # JSON object: queue name → queue ARN, every queue the stack creates

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
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Tandem {name}: its own log group, X-Ray, and the grants added per function",
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
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; "
            "Resource * is the only form AWS accepts for active tracing.",
        )
        if flow_invoked:
            reason = (
                "Invoked synchronously by an Amazon Connect flow: a DLQ or async destination never "
                "receives anything; a failure takes the flow block's Error branch to a person."
            )
            acknowledge(self.function, "Serverless-LambdaDLQ", reason)
            acknowledge(self.function, "Serverless-LambdaAsyncFailureDestination", reason)


class Functions(Construct):
    """Every Tandem function; `flow_invoked` lists the ones Connect flows call.

    `instance_arn` and `queue_arns` (name → ARN, the queues the stack creates) come from the connect
    construct, which is built first; they are plain values (tokens) so this module need not import it.
    `keyed_hash` is the secret the functions that hash caller data read.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TandemConfig,
        data: Data,
        ivr_config: IvrConfig,
        instance_arn: str,
        queue_arns: Mapping[str, str],
        keyed_hash: KeyedHash,
    ) -> None:
        super().__init__(scope, construct_id)
        runtime = latest_python_runtime(self)
        self.runtime = runtime
        self.keyed_hash = keyed_hash

        crm_env = {
            "CRM_ADAPTER": config.crm_adapter,
            "LOOKUP_BUDGET_MS": str(constants.LOOKUP_BUDGET_MS),
            "DEFAULT_COUNTRY": config.default_country,
        }
        if config.crm_adapter == "dynamodb":
            crm_env |= data.environment(CUSTOMERS)
        else:
            crm_env |= {
                "CRM_HTTP_BASE_URL": str(config.crm_base_url),
                "CRM_HTTP_SECRET_ARN": str(config.crm_secret_arn),
            }
        self.crm_lookup = TandemFunction(
            self,
            "crm_lookup",
            description="Tandem: finds the caller in the CRM for the Connect flow",
            runtime=runtime,
            config=config,
            environment=crm_env,
            flow_invoked=True,
        )
        if config.crm_adapter == "dynamodb":
            # Only the phone index, only Query: grant_read_data would add GetItem/Scan on the
            # table and `<table>/index/*`, more than the lookup ever does.
            customers = data.table(CUSTOMERS)
            index = CUSTOMERS.indexes[0].name
            self.crm_lookup.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:Query"],
                    resources=[f"{customers.table_arn}/index/{index}"],
                )
            )
        else:
            self.crm_lookup.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[str(config.crm_secret_arn)],
                )
            )

        self.ivr_decision = TandemFunction(
            self,
            "ivr_decision",
            description="Tandem: decides machine or human for the Connect flow",
            runtime=runtime,
            config=config,
            environment={
                CONFIG_PATH_VAR: ivr_config.path,
                **data.environment(INTERACTIONS),
                TIME_ZONE_VAR: config.time_zone,
            },
            flow_invoked=True,
        )
        ivr_config.grant_read(self.ivr_decision.role)
        # One PutItem per decision: grant_write_data would add BatchWriteItem, UpdateItem and
        # DeleteItem, which the function never does.
        self.ivr_decision.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:PutItem"], resources=[data.table(INTERACTIONS).table_arn])
        )

        self.escalation = self._escalation(config, data, ivr_config, instance_arn, queue_arns)

        self.survey = TandemFunction(
            self,
            "survey",
            description="Tandem: stores the post-call CSAT rating the survey flow collects",
            runtime=runtime,
            config=config,
            environment=data.environment(INTERACTIONS),
            flow_invoked=True,
        )
        # One PutItem per rating (keyed, so a retried block overwrites): nothing else, no index.
        self.survey.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:PutItem"], resources=[data.table(INTERACTIONS).table_arn])
        )

        self.ctr_ingest = TandemFunction(
            self,
            "ctr_ingest",
            description="Tandem: counts each call's contact records once into the per-day KPI counters",
            runtime=runtime,
            config=config,
            environment={
                **data.environment(METRICS),
                TIME_ZONE_VAR: config.time_zone,
                SERVICE_LEVEL_VAR: str(constants.SERVICE_LEVEL_SECONDS),
            },
            flow_invoked=False,
            timeout_seconds=constants.CTR_INGEST_TIMEOUT_SECONDS,
            memory_mb=constants.CTR_INGEST_MEMORY_MB,
        )
        stream_reason = (
            "Invoked by the Kinesis event source mapping, never asynchronously: a function DLQ or "
            "async destination would receive nothing. Records the function gives up on go to the "
            "mapping's on-failure SQS destination (infra/constructs/ctr_pipeline.py)."
        )
        acknowledge(self.ctr_ingest.function, "Serverless-LambdaDLQ", stream_reason)
        acknowledge(self.ctr_ingest.function, "Serverless-LambdaAsyncFailureDestination", stream_reason)
        # Call states read in batches, written with the counters in one TransactWriteItems: a Put
        # (dynamodb:PutItem) per call state and an Update (dynamodb:UpdateItem, ADD) per counter;
        # DynamoDB authorises each action in a transaction as its own operation. Refused records'
        # listing items are read in the same BatchGetItem and written as Puts in a transaction too.
        # No Query, Scan, BatchWriteItem or DeleteItem, no index, no other table.
        self.ctr_ingest.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                resources=[data.table(METRICS).table_arn],
            )
        )

        self.all: list[TandemFunction] = [
            self.crm_lookup,
            self.ivr_decision,
            self.escalation,
            self.survey,
            self.ctr_ingest,
        ]
        self.by_name = {fn.name: fn for fn in self.all}
        self.flow_invoked = [fn for fn in self.all if fn.flow_invoked]

    def _escalation(
        self,
        config: TandemConfig,
        data: Data,
        ivr_config: IvrConfig,
        instance_arn: str,
        queue_arns: Mapping[str, str],
    ) -> TandemFunction:
        missing = [name for name in constants.QUEUE_NAMES if name not in queue_arns]
        if missing:
            raise ValueError(f"escalation: no queue ARN for {', '.join(missing)}")
        ordered = {name: queue_arns[name] for name in constants.QUEUE_NAMES}
        escalation = TandemFunction(
            self,
            "escalation",
            description=(
                "Tandem: routes a handoff to the right queue and priority, with callback and agent context"
            ),
            runtime=self.runtime,
            config=config,
            environment={
                CONFIG_PATH_VAR: ivr_config.path,
                **data.environment(INTERACTIONS),
                TIME_ZONE_VAR: config.time_zone,
                INSTANCE_ARN_VAR: instance_arn,
                # to_json_string turns the queue ARN tokens into a Fn::Join that CloudFormation
                # resolves to a JSON object; json.dumps would write the tokens' placeholder text.
                QUEUE_ARNS_VAR: Stack.of(self).to_json_string(ordered),
                KEYED_HASH_SECRET_VAR: self.keyed_hash.secret_arn,
            },
            flow_invoked=True,
        )
        role = escalation.role
        # The policy is a fourth document under the same path, read with the same one recursive
        # GetParametersByPath as ivr_decision's documents.
        ivr_config.grant_read(role)
        # Handoff record + callback check: one TransactWriteItems of a Put and a ConditionCheck on
        # the number's claim, plus single PutItems (the handoff alone; the conditional claim when
        # the caller takes the callback). DynamoDB authorises each action inside a transaction as
        # its own operation: the Put as dynamodb:PutItem, the ConditionCheck as
        # dynamodb:ConditionCheckItem; there is no TransactWriteItems IAM action (Developer Guide,
        # "Using IAM with DynamoDB transactions"). A Put's own ConditionExpression needs nothing
        # more. So exactly these two on the table, no index.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:PutItem", "dynamodb:ConditionCheckItem"],
                resources=[data.table(INTERACTIONS).table_arn],
            )
        )
        # Queue metrics for the callback decision. The Service Authorization Reference lists
        # GetCurrentMetricData's resource types as queue and routing-profile, with no instance
        # type: a request filtered by queues is authorised against each queue in the filter. So
        # the grant is this stack's queues by ARN (also when the instance is imported: the stack
        # still creates the queues), no instance ARN and no `instance/*/queue/*` wildcard. A
        # request filtered by routing profile, or by a queue outside this stack, is denied.
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["connect:GetCurrentMetricData"], resources=list(ordered.values()))
        )
        # The callback claim's key derives from the keyed-hash secret: GetSecretValue on it alone.
        self.keyed_hash.grant_read(role)
        return escalation
