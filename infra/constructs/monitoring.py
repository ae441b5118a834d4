"""The CloudWatch dashboard and alarms: the balance (IVR decisions, outcomes, CSAT) and the machinery.

Business figures come from the functions' own EMF metrics (Powertools, namespace `Tandem`, dimension
`service` = the function's POWERTOOLS_SERVICE_NAME), their rates' math from the definitions in
lambdas/shared/kpi.py: IVR decision shares (containment is an outcome, which only the Metrics
table's counters know), and recontact and resolution rate, hour by hour, of ctr_ingest's
ContactsAdded, RecontactsAdded and ResolvedAdded (the net change it applied to the `all` counters).
The machinery from AWS's metrics for Lambda, Kinesis, SQS and DynamoDB.
Alarms: each function's error rate, any throttling, the CTR stream's iterator age (ctr_ingest
falling behind the calls), contact records ctr_ingest refused, and messages on the CTR on-failure
queue (records that will never be counted). Every alarm notifies one encrypted SNS topic
(infra/constructs/alarm_topic.py) when it fires and when it clears; context `alarmEmail`
subscribes an address to it.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import constants
from infra.constructs.alarm_topic import AlarmTopic
from infra.constructs.tandem_function import TandemFunction
from lambdas.shared import kpi

PERIOD = Duration.minutes(5)
# Recontacts are found up to the recontact window after their call was counted: over an hour the
# ratio of what ctr_ingest added is steadier than over five minutes (`tandem report` is exact).
OUTCOME_PERIOD = Duration.hours(1)
ERROR_RATE_PERCENT = 5  # of invocations, over two 5-minute periods
ITERATOR_AGE_MS = 5 * 60 * 1000  # the counters five minutes behind the calls


def service_name(fn: TandemFunction) -> str:
    return f"tandem-{fn.name.replace('_', '-')}"


def business(
    metric: str,
    fn: TandemFunction,
    statistic: str = "Sum",
    label: str | None = None,
    period: Duration = PERIOD,
) -> cw.Metric:
    return cw.Metric(
        namespace=constants.METRICS_NAMESPACE,
        metric_name=metric,
        dimensions_map={"service": service_name(fn)},
        statistic=statistic,
        period=period,
        label=label or metric,
    )


def metric_id(name: str) -> str:
    """A metric's id in math expressions: its name, starting lower case as CloudWatch requires."""
    return name[0].lower() + name[1:]


def percent(rate: kpi.Rate, fn: TandemFunction, label: str, period: Duration = PERIOD) -> cw.MathExpression:
    """`rate` (defined in lambdas/shared/kpi.py) as a percentage of `fn`'s EMF metrics of the same names."""
    numerator = {metric_id(name): business(name, fn, period=period) for name in rate.numerator}
    denominator = metric_id(rate.denominator)
    return cw.MathExpression(
        expression=f"100 * ({' + '.join(numerator)}) / {denominator}",
        using_metrics={**numerator, denominator: business(rate.denominator, fn, period=period)},
        label=label,
        period=period,
    )


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: list[TandemFunction],
        tables: list[dynamodb.ITable],
        stream: kinesis.IStream,
        failure_queue: sqs.IQueue,
        alarm_email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarm_topic = AlarmTopic(self, "AlarmTopic", email=alarm_email)
        by_name = {fn.name: fn for fn in functions}
        self.dashboard = cw.Dashboard(self, "Dashboard", default_interval=Duration.hours(24))
        self.alarms: list[cw.Alarm] = []
        self._balance_widgets(by_name)
        self._machinery_widgets(functions)
        ingest = by_name["ctr_ingest"]
        iterator_age = cw.Metric(
            namespace="AWS/Lambda",
            metric_name="IteratorAge",
            dimensions_map={"FunctionName": ingest.function.function_name},
            statistic="Maximum",
            period=PERIOD,
        )
        throttled = [
            table.metric(
                "ThrottledRequests", statistic="Sum", period=PERIOD, label=f"{table.node.id} throttled"
            )
            for table in tables
        ]
        self._pipeline_widgets(iterator_age, stream, throttled)
        self._escalation_reasons_widget()
        self._function_alarms(functions)
        self._pipeline_alarms(iterator_age, ingest, failure_queue)
        self._table_alarms(tables, throttled)

    def _balance_widgets(self, by_name: dict[str, TandemFunction]) -> None:
        decide, survey, ingest = by_name["ivr_decision"], by_name["survey"], by_name["ctr_ingest"]
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="IVR decisions: to self-service and to a person (% of decisions)",
                left=[
                    percent(kpi.SELF_SERVICE_DECISIONS, decide, "self-service decisions %"),
                    percent(kpi.TO_PERSON_DECISIONS, decide, "to a person %"),
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="CSAT (1-5) and ratings",
                left=[business("CsatScore", survey, "Average", "CSAT average")],
                right=[business("SurveysRecorded", survey, label="ratings")],
                width=12,
            ),
            cw.GraphWidget(
                title="CRM lookups and degraded answers",
                left=[
                    business("CrmLookups", by_name["crm_lookup"]),
                    business("CrmDegraded", by_name["crm_lookup"]),
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Contact records: calls counted, refused, failed; lag (s)",
                left=[
                    business("CallsCounted", ingest),
                    business("RecordsRefused", ingest),
                    business("RecordsFailed", ingest),
                ],
                right=[business("IngestLagSeconds", ingest, "Maximum", "ingest lag")],
                width=12,
            ),
            cw.GraphWidget(
                title="Recontact and resolution rate (% of contacts counted, hourly)",
                left=[
                    percent(kpi.RECONTACTS_ADDED_SHARE, ingest, "recontact rate %", OUTCOME_PERIOD),
                    percent(kpi.RESOLVED_ADDED_SHARE, ingest, "resolution rate %", OUTCOME_PERIOD),
                ],
                width=12,
            ),
        )

    def _machinery_widgets(self, functions: list[TandemFunction]) -> None:
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Lambda errors and throttles",
                left=[
                    fn.function.metric_errors(period=PERIOD, label=f"{fn.name} errors") for fn in functions
                ],
                right=[
                    fn.function.metric_throttles(period=PERIOD, label=f"{fn.name} throttles")
                    for fn in functions
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Lambda duration p99 (ms)",
                left=[
                    fn.function.metric_duration(statistic="p99", period=PERIOD, label=f"{fn.name} p99")
                    for fn in functions
                ],
                width=12,
            ),
        )

    def _pipeline_widgets(
        self, iterator_age: cw.Metric, stream: kinesis.IStream, throttled: list[cw.Metric]
    ) -> None:
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="CTR stream: iterator age (ms) and incoming records",
                left=[iterator_age],
                right=[stream.metric_incoming_records(period=PERIOD)],
                width=12,
            ),
            cw.GraphWidget(title="DynamoDB throttled requests", left=throttled, width=12),
        )

    def _escalation_reasons_widget(self) -> None:
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Why callers reach people (escalation reasons)",
                left=[
                    cw.MathExpression(
                        expression=(
                            f"SEARCH('{{{constants.METRICS_NAMESPACE},reason}} "
                            "MetricName=\"EscalationReasons\"', 'Sum', 300)"
                        ),
                        label="",
                        period=PERIOD,
                    )
                ],
                width=24,
            )
        )

    def _function_alarms(self, functions: list[TandemFunction]) -> None:
        for fn in functions:
            rate = cw.MathExpression(
                expression="100 * errors / MAX([invocations, 1])",
                using_metrics={
                    "errors": fn.function.metric_errors(period=PERIOD),
                    "invocations": fn.function.metric_invocations(period=PERIOD),
                },
                label=f"{fn.name} error %",
                period=PERIOD,
            )
            self._alarm(
                f"{fn.name}ErrorRate", rate, ERROR_RATE_PERCENT, f"{fn.name}: over 5% of invocations fail"
            )
            self._alarm(
                f"{fn.name}Throttles",
                fn.function.metric_throttles(period=PERIOD),
                0,
                f"{fn.name}: invocations throttled (concurrency)",
                periods=1,
            )

    def watch_guard(self, guard: TandemFunction) -> None:
        """The experiment guard's alarms: its function's, a look that failed (the handler never
        raises, so Lambda's Errors stay 0), and a stop written but not announced."""
        self._function_alarms([guard])
        self._alarm(
            "ExperimentGuardErrors",
            business("GuardErrors", guard),
            0,
            "experiment_guard could not look at the running experiment (see its log line)",
            periods=1,
        )
        self._alarm(
            "ExperimentGuardNotifyFailures",
            business("GuardNotifyFailures", guard),
            0,
            "experiment_guard stopped an experiment but could not announce it on this topic",
            periods=1,
        )

    def _pipeline_alarms(
        self, iterator_age: cw.Metric, ingest: TandemFunction, failure_queue: sqs.IQueue
    ) -> None:
        self._alarm(
            "CtrIteratorAge",
            iterator_age,
            ITERATOR_AGE_MS,
            "ctr_ingest is more than 5 minutes behind the contact records",
        )
        # A refused record is a call missing from the KPIs (the per-reason breakdown is a separate
        # metric; this is ctr_ingest's service-only total): one is worth a look.
        self._alarm(
            "CtrRecordsRefused",
            business("RecordsRefused", ingest),
            0,
            "ctr_ingest refused contact records: those calls are not in the KPIs",
            periods=1,
        )
        # Lambda gave up on these batches after its retries: their calls will never be counted
        # unless someone reads the stream again. Messages stay 14 days, so the alarm stays on
        # until the queue is dealt with.
        self._alarm(
            "CtrOnFailureQueue",
            failure_queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
            0,
            "contact records on the CTR on-failure queue: batches ctr_ingest gave up on",
            periods=1,
        )

    def _table_alarms(self, tables: list[dynamodb.ITable], throttled: list[cw.Metric]) -> None:
        for table, metric in zip(tables, throttled, strict=True):
            self._alarm(
                f"{table.node.id}Throttled",
                metric,
                0,
                f"{table.node.id}: DynamoDB throttled requests",
                periods=1,
            )

    def _alarm(
        self, name: str, metric: cw.IMetric, threshold: float, description: str, *, periods: int = 2
    ) -> None:
        alarm = cw.Alarm(
            self,
            name,
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        self.alarm_topic.notify(alarm)
        self.alarms.append(alarm)
