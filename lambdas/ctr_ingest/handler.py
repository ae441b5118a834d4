"""Kinesis entry point: `lambdas.ctr_ingest.handler.lambda_handler`.

Each record's data is one contact trace record. Powertools' BatchProcessor parses every record
(a malformed one is logged by reason and counted as `MalformedRecords`, then skipped: it would fail
the same way on every retry and hold the shard); then the parsed records are counted as calls by
`CounterStore` in a few DynamoDB calls. Records whose write failed are reported as batch item
failures, so Kinesis delivers them again; counting is idempotent, so the ones that did count do
not count twice.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from lambdas.ctr_ingest.aggregates import Contribution
from lambdas.ctr_ingest.classify import contribution, summarise_call
from lambdas.ctr_ingest.config import IngestConfig
from lambdas.ctr_ingest.record import ContactRecord, MalformedRecord, parse_record
from lambdas.ctr_ingest.segment_state import decode, encode
from lambdas.ctr_ingest.store import Codec, CounterStore, IngestResult
from lambdas.shared.aws import ClientLimits, make_client
from lambdas.shared.container import Container
from lambdas.shared.observability import MetricUnit, get_logger, get_metrics

SERVICE = "ctr_ingest"
# Background work, not a caller waiting: a few attempts with botocore's backoff are worth it.
DYNAMODB_LIMITS = ClientLimits(connect_timeout=2.0, read_timeout=5.0, max_attempts=4)

logger = get_logger(SERVICE)
metrics = get_metrics(SERVICE)


@dataclass(frozen=True)
class IngestDeps:
    config: IngestConfig
    store: CounterStore[ContactRecord]


def build_deps() -> IngestDeps:
    config = IngestConfig.from_env()

    def contribute(segments: Sequence[ContactRecord]) -> Contribution:
        summary = summarise_call(
            segments, zone=config.time_zone, service_level_seconds=config.service_level_seconds
        )
        return contribution(summary)

    codec = Codec(encode=encode, decode=decode, contribute=contribute)
    store = CounterStore(make_client("dynamodb", DYNAMODB_LIMITS), config.metrics_table, codec)
    return IngestDeps(config, store)


CONTAINER = Container(build_deps)
CONTAINER.warm()


class _Malformed:
    """What the record handler returns for data it cannot count (not a failure: retrying won't help)."""


def _parse(record: KinesisStreamRecord) -> ContactRecord | _Malformed:
    try:
        return parse_record(record.kinesis.data_as_bytes())
    except MalformedRecord as problem:
        # The reason names a field, never a value: CTRs carry phone numbers.
        logger.warning("malformed contact record skipped", extra={"reason": str(problem)[:200]})
        metrics.add_metric(name="MalformedRecords", unit=MetricUnit.Count, value=1)
        return _Malformed()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    records = event.get("Records") or []
    try:
        deps = CONTAINER.get()  # a ConfigError fails the invocation: the batch waits for a fix
        processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
        with processor(records=records, handler=_parse):
            parsed = [
                (raw["kinesis"]["sequenceNumber"], result)
                for status, result, raw in processor.process()
                if status == "success" and isinstance(result, ContactRecord)
            ]
            result = _count(deps, parsed)
            for raw in records:
                if raw["kinesis"]["sequenceNumber"] in result.failed_items:
                    _report_failure(processor, raw)
        _observe(result, records, len(parsed), started)
        return processor.response()  # type: ignore[return-value]
    finally:
        try:
            metrics.flush_metrics()
        except Exception as error:  # metrics must never cost a batch
            logger.warning("metrics flush failed", extra={"error_type": type(error).__name__})


def _count(deps: IngestDeps, parsed: list[tuple[str, ContactRecord]]) -> IngestResult:
    try:
        return deps.store.ingest(parsed)
    except Exception as error:  # reading the states failed: the whole batch is delivered again
        logger.warning(
            "call states unreadable; batch reported for retry", extra={"error_type": type(error).__name__}
        )
        return IngestResult(failed_items={sequence for sequence, _ in parsed})


def _report_failure(processor: BatchProcessor, raw: dict[str, Any]) -> None:
    """Hand a record whose write failed to Powertools as a failure, for its partial batch response."""
    try:
        raise IngestWriteFailed(raw["kinesis"]["sequenceNumber"])
    except IngestWriteFailed:
        processor.failure_handler(record=KinesisStreamRecord(raw), exception=sys.exc_info())


class IngestWriteFailed(RuntimeError):
    """The record's call could not be written; Kinesis will deliver it again."""


def _observe(result: IngestResult, records: list[dict[str, Any]], parsed: int, started: float) -> None:
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
            "records_failed": len(result.failed_items),
            "dynamodb_calls": result.dynamodb_calls,
            "elapsed_ms": elapsed_ms,
        },
    )
    metrics.add_metric(name="RecordsReceived", unit=MetricUnit.Count, value=received)
    metrics.add_metric(name="CallsCounted", unit=MetricUnit.Count, value=result.applied)
    metrics.add_metric(name="DuplicateOrStaleCalls", unit=MetricUnit.Count, value=result.unchanged)
    metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=len(result.failed_items))
    metrics.add_metric(name="IngestLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
