"""Kinesis entry point: `lambdas.ctr_ingest.handler.lambda_handler`.

Each record's data is one contact trace record. Powertools' BatchProcessor parses every record;
the parsed ones are counted as calls by `CounterStore` in a few DynamoDB calls. A record that
cannot be counted is refused (`contact_record.Refusal`): it changes no counter (retrying would fail the
same way and hold the shard), is logged by reason code and field name (never a value), and is kept
once by `RefusalStore` (listed in the Metrics table, the raw record in the refused-records queue),
counted in `RecordsRefused` by `reason`. Records whose write or keeping failed are reported as
batch item failures, so Kinesis delivers them again; both stores are idempotent, so what did
succeed does not count twice.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from lambdas.ctr_ingest.aggregates import Contribution
from lambdas.ctr_ingest.call_counters import Codec, CounterStore, IngestResult
from lambdas.ctr_ingest.classify import contribution, summarise_call
from lambdas.ctr_ingest.config import IngestConfig
from lambdas.ctr_ingest.contact_record import ContactRecord, MalformedRecord, parse_record
from lambdas.ctr_ingest.refusals import KeepResult, RefusalStore, Refused, contact_hash
from lambdas.ctr_ingest.segment_state import decode, encode
from lambdas.shared.aws import ClientLimits, make_client
from lambdas.shared.container import Container
from lambdas.shared.observability import MetricUnit, get_logger, get_metrics, single_metric

SERVICE = "ctr_ingest"
# Background work, not a caller waiting: a few attempts with botocore's backoff are worth it.
DYNAMODB_LIMITS = ClientLimits(connect_timeout=2.0, read_timeout=5.0, max_attempts=4)
SQS_LIMITS = DYNAMODB_LIMITS

logger = get_logger(SERVICE)
metrics = get_metrics(SERVICE)


@dataclass(frozen=True)
class IngestDeps:
    config: IngestConfig
    store: CounterStore[ContactRecord]
    refusals: RefusalStore


def build_deps() -> IngestDeps:
    config = IngestConfig.from_env()

    def contribute(segments: Sequence[ContactRecord]) -> Contribution:
        summary = summarise_call(
            segments, zone=config.time_zone, service_level_seconds=config.service_level_seconds
        )
        return contribution(summary)

    codec = Codec(encode=encode, decode=decode, contribute=contribute)
    dynamodb = make_client("dynamodb-slim", DYNAMODB_LIMITS)
    store = CounterStore(dynamodb, config.metrics_table, codec)
    refusals = RefusalStore(
        dynamodb,
        make_client("sqs-slim", SQS_LIMITS),
        config.metrics_table,
        config.refused_queue_url,
        config.time_zone,
    )
    return IngestDeps(config, store, refusals)


CONTAINER = Container(build_deps)
CONTAINER.warm()


def _parse(record: KinesisStreamRecord) -> ContactRecord | Refused:
    data = record.kinesis.data_as_bytes()
    try:
        return parse_record(data)
    except MalformedRecord as problem:
        refused = Refused(
            record_id=record.get("eventID") or record.kinesis.sequence_number,
            sequence_number=record.kinesis.sequence_number,
            arrived=_arrival(record),
            reason=problem.reason,
            field=problem.field,
            contact_hash=contact_hash(problem.contact_id),
            data=data,
        )
        # Codes and field names only: a malformed ContactId may be a phone number, an Agent a name.
        logger.warning(
            "contact record refused",
            extra={
                "reason": str(refused.reason),
                "field": refused.field,
                "contact_hash": refused.contact_hash,
                "sequence_number": refused.sequence_number,  # finds the record in the stream
            },
        )
        return refused


def _arrival(record: KinesisStreamRecord) -> datetime:
    # Kinesis always stamps it; the wall clock only stands in for a hand-made event without one.
    stamp = record.kinesis.get("approximateArrivalTimestamp") or time.time()
    return datetime.fromtimestamp(float(stamp), UTC)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return _ingest(event.get("Records") or [])
    finally:
        _flush_metrics()


def _ingest(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Parse the batch, count the parsed calls, keep the refused records; report what failed."""
    started = time.perf_counter()
    deps = CONTAINER.get()  # a ConfigError fails the invocation: the batch waits for a fix
    processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
    with processor(records=records, handler=_parse):
        outcomes = [
            (raw["kinesis"]["sequenceNumber"], result)
            for status, result, raw in processor.process()
            if status == "success"
        ]
        parsed = [(sequence, r) for sequence, r in outcomes if isinstance(r, ContactRecord)]
        refused = [r for _, r in outcomes if isinstance(r, Refused)]
        result = _count(deps, parsed, deps.refusals.keys(refused))
        kept = deps.refusals.keep(refused, result.also_found)
        for raw in records:
            if raw["kinesis"]["sequenceNumber"] in result.failed_items | kept.failed_items:
                _report_failure(processor, raw)
    _count_refusals(kept)
    _observe(result, kept, records, len(parsed), started)
    return processor.response()  # type: ignore[return-value]


def _flush_metrics() -> None:
    try:
        metrics.flush_metrics()
    except Exception as error:  # metrics must never cost a batch
        logger.warning("metrics flush failed", extra={"error_type": type(error).__name__})


def _count_refusals(kept: KeepResult) -> None:
    """`RecordsRefused`, each record once (when first listed): in total (what an alarm can watch) and
    by `reason`, one EMF line per code (a fixed vocabulary, so the dimension's cardinality is bounded)."""
    metrics.add_metric(name="RecordsRefused", unit=MetricUnit.Count, value=sum(kept.listed.values()))
    for reason, count in sorted(kept.listed.items()):
        with single_metric(name="RecordsRefused", unit=MetricUnit.Count, value=count) as metric:
            metric.add_dimension(name="reason", value=reason)


def _count(
    deps: IngestDeps, parsed: list[tuple[str, ContactRecord]], also_read: list[dict[str, Any]]
) -> IngestResult:
    """Count the calls; `also_read` (the refusals' listing keys) is read with their states."""
    try:
        return deps.store.ingest(parsed, also_read)
    except Exception as error:  # reading the states failed: the whole batch is delivered again
        logger.warning(
            "call states unreadable; batch reported for retry", extra={"error_type": type(error).__name__}
        )
        return IngestResult(failed_items={sequence for sequence, _ in parsed}, also_found=None)


def _report_failure(processor: BatchProcessor, raw: dict[str, Any]) -> None:
    """Hand a record whose write failed to Powertools as a failure, for its partial batch response."""
    try:
        raise IngestWriteFailed(raw["kinesis"]["sequenceNumber"])
    except IngestWriteFailed:
        processor.failure_handler(record=KinesisStreamRecord(raw), exception=sys.exc_info())


class IngestWriteFailed(RuntimeError):
    """The record's call could not be written; Kinesis will deliver it again."""


def _observe(
    result: IngestResult, kept: KeepResult, records: list[dict[str, Any]], parsed: int, started: float
) -> None:
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    received = len(records)
    arrivals = [float(r["kinesis"].get("approximateArrivalTimestamp") or 0) for r in records]
    if arrivals and min(arrivals) > 0:
        # How far behind the calls the counters are: the oldest record's time on the stream.
        lag = max(0.0, time.time() - min(arrivals))
        metrics.add_metric(name="IngestLagSeconds", unit=MetricUnit.Seconds, value=round(lag, 1))
    logger.info(
        "contact records ingested",
        extra={
            "records": received,
            "parsed": parsed,
            "calls_counted": result.applied,
            "calls_unchanged": result.unchanged,
            "records_refused": received - parsed,
            "refusals_listed": sum(kept.listed.values()),
            "refusals_already_listed": kept.already_listed,
            "refusals_raw_omitted": kept.raw_omitted,
            "records_failed": len(result.failed_items | kept.failed_items),
            "dynamodb_calls": result.dynamodb_calls + kept.dynamodb_calls,
            "sqs_calls": kept.sqs_calls,
            "elapsed_ms": elapsed_ms,
        },
    )
    metrics.add_metric(name="RecordsReceived", unit=MetricUnit.Count, value=received)
    metrics.add_metric(name="CallsCounted", unit=MetricUnit.Count, value=result.applied)
    metrics.add_metric(name="DuplicateOrStaleCalls", unit=MetricUnit.Count, value=result.unchanged)
    metrics.add_metric(
        name="RecordsFailed", unit=MetricUnit.Count, value=len(result.failed_items | kept.failed_items)
    )
    metrics.add_metric(name="IngestLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
