"""Kinesis entry point: `lambdas.ctr_ingest.handler.lambda_handler`.

Each record's data is one contact trace record. Every record is parsed (the caller's number
becoming its keyed hash there, so no number goes further); the parsed ones are counted as calls by
`CounterStore` in a few DynamoDB calls, recontacts included. The keyed-hash secret is read in the
init phase; while it cannot be read, a batch fails as a whole (an uncounted caller key could never
be mended) and Lambda retries it. A record that cannot be counted is refused
(`contact_record.Refusal`): it changes no counter (retrying would fail the same way and hold the
shard), is logged by reason code and field name (never a value), and is kept
once by `RefusalStore` (listed in the Metrics table, the raw record in the refused-records queue),
counted in `RecordsRefused` by `reason`. Records whose write or keeping failed are reported as
batch item failures, so Kinesis delivers them again; both stores are idempotent, so what did
succeed does not count twice.

The partial batch response is Powertools' BatchProcessor contract for Kinesis, kept here in a few
lines: a record that raises while parsed, or whose write failed, is reported by sequence number;
when every record failed, the invocation fails with Powertools' `BatchProcessingError`. Importing
the BatchProcessor itself would load asyncio and every Powertools event class on each cold start.
"""

from __future__ import annotations

import base64
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from types import TracebackType
from typing import Any

from lambdas.ctr_ingest.aggregates import Contribution
from lambdas.ctr_ingest.call_counters import Codec, CounterStore, IngestResult
from lambdas.ctr_ingest.call_homes import Place
from lambdas.ctr_ingest.classify import contribution, summarise_call
from lambdas.ctr_ingest.config import IngestConfig
from lambdas.ctr_ingest.contact_record import CallerHash, ContactRecord, MalformedRecord, parse_record
from lambdas.ctr_ingest.recontacts import contact_of
from lambdas.ctr_ingest.refusals import KeepResult, RefusalStore, Refused, contact_hash
from lambdas.ctr_ingest.segment_state import decode, encode
from lambdas.shared.aws import ClientLimits, LazyClient, make_client
from lambdas.shared.budget import Deadline
from lambdas.shared.container import Container
from lambdas.shared.keyed_hash import CALLER
from lambdas.shared.keyed_hash_secret import KeyedHashSecret
from lambdas.shared.observability import MetricUnit, get_logger, get_metrics, single_metric

SERVICE = "ctr_ingest"
# Background work, not a caller waiting: a few attempts with botocore's backoff are worth it.
DYNAMODB_LIMITS = ClientLimits(connect_timeout=2.0, read_timeout=5.0, max_attempts=4)
SQS_LIMITS = DYNAMODB_LIMITS
SECRETS_LIMITS = ClientLimits(connect_timeout=1.0, read_timeout=2.0, max_attempts=3)
HASH_KEY_BUDGET_MS = 5000  # in the init phase, and again by a batch after a failure
# No caller is waiting and a batch cannot be counted without the key: every batch after a failure
# tries the read again (one GetSecretValue per invocation at most).
HASH_KEY_RETRY_SECONDS = 0

logger = get_logger(SERVICE)
metrics = get_metrics(SERVICE)
ExceptionInfo = tuple[type[BaseException] | None, BaseException | None, TracebackType | None]


@dataclass(frozen=True)
class IngestDeps:
    config: IngestConfig
    store: CounterStore[ContactRecord]
    refusals: RefusalStore
    hash_secret: KeyedHashSecret


def make_codec(zone: tzinfo, service_level_seconds: int) -> Codec[ContactRecord]:
    """How ctr_ingest stores, classifies and indexes a call's contact records."""

    def contribute(segments: Sequence[ContactRecord], recontacted: bool) -> Contribution:
        summary = summarise_call(segments, zone=zone, service_level_seconds=service_level_seconds)
        return contribution(summary, recontacted)

    return Codec(encode=encode, decode=decode, contribute=contribute, contact=contact_of, place=place_of)


def place_of(segment: ContactRecord) -> Place | None:
    """Where the segment's call state lives (call_homes.py): known only for a segment with a caller.
    Only a caller keyed by number is fixed in every version of a record, so only such a record can
    be counted in its caller's item: a chat's CRM id is an attribute a later version may set or change."""
    if segment.caller is None:
        return None
    return Place(segment.caller, segment.initiation, segment.single_segment and segment.caller_by_number)


def build_deps() -> IngestDeps:
    config = IngestConfig.from_env()
    hash_secret = KeyedHashSecret(
        make_client("secretsmanager-slim", SECRETS_LIMITS),
        config.keyed_hash_secret,
        retry_after_seconds=HASH_KEY_RETRY_SECONDS,
    )
    # Read while the rest is built, so the wait on the network overlaps that work; joined before
    # the container is built, so the key is still read in the init phase (a failure is retried by
    # the next batch).
    with hash_secret.read_meanwhile(HASH_KEY_BUDGET_MS):
        codec = make_codec(config.time_zone, config.service_level_seconds)
        dynamodb = make_client("dynamodb-slim", DYNAMODB_LIMITS)
        window = timedelta(hours=config.recontact_window_hours)
        store = CounterStore(dynamodb, config.metrics_table, codec, window)
        refusals = RefusalStore(
            dynamodb,
            LazyClient("sqs-slim", SQS_LIMITS),  # made by the first batch with a refused record
            config.metrics_table,
            config.refused_queue_url,
            config.time_zone,
        )
    return IngestDeps(config, store, refusals, hash_secret)


CONTAINER = Container(build_deps)
CONTAINER.warm()


def _caller_hash(deps: IngestDeps) -> CallerHash:
    """The caller key's hash; raises `CallerKeyUnavailable` while the secret cannot be read."""
    hasher = deps.hash_secret.hasher(Deadline.after_ms(HASH_KEY_BUDGET_MS))
    if hasher is None:
        problem = deps.hash_secret.problem or "UNAVAILABLE"
        logger.warning(
            "keyed-hash secret unavailable; batch left for retry",
            extra={"problem": problem, "error_type": deps.hash_secret.error_type or problem},
        )
        raise CallerKeyUnavailable(problem)
    return partial(hasher.digest, CALLER)


class CallerKeyUnavailable(RuntimeError):
    """The keyed-hash secret cannot be read: no record is counted until it can (Lambda retries)."""


def _parse(record: dict[str, Any], hash_caller: CallerHash) -> ContactRecord | Refused:
    kinesis = record["kinesis"]
    data = base64.b64decode(kinesis["data"])
    try:
        return parse_record(data, hash_caller)
    except MalformedRecord as problem:
        refused = Refused(
            record_id=record.get("eventID") or kinesis["sequenceNumber"],
            sequence_number=kinesis["sequenceNumber"],
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


def _arrival(record: dict[str, Any]) -> datetime:
    # Kinesis always stamps it; the wall clock only stands in for a hand-made event without one.
    stamp = record["kinesis"].get("approximateArrivalTimestamp") or time.time()
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
    hash_caller = _caller_hash(deps)
    outcomes: list[tuple[str, ContactRecord | Refused]] = []
    failures: list[tuple[str, ExceptionInfo]] = []  # (sequence number, why), reported in this order
    for raw in records:
        try:
            outcomes.append((raw["kinesis"]["sequenceNumber"], _parse(raw, hash_caller)))
        except Exception:  # not even readable (e.g. its data is not base64): delivered again
            failures.append((raw["kinesis"]["sequenceNumber"], sys.exc_info()))
    parsed = [(sequence, r) for sequence, r in outcomes if isinstance(r, ContactRecord)]
    refused = [r for _, r in outcomes if isinstance(r, Refused)]
    result = _count(deps, parsed, deps.refusals.keys(refused))
    kept = deps.refusals.keep(refused, result.also_found)
    for raw in records:
        sequence = raw["kinesis"]["sequenceNumber"]
        if sequence in result.failed_items | kept.failed_items:
            failures.append((sequence, (IngestWriteFailed, IngestWriteFailed(sequence), None)))
    if failures and len(failures) == len(records):
        _fail_whole_batch([why for _, why in failures])
    _count_refusals(kept)
    _observe(result, kept, records, len(parsed), started)
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence, _ in failures]}


def _fail_whole_batch(errors: list[ExceptionInfo]) -> None:
    """Every record failed: the invocation fails, as Powertools' BatchProcessor fails it, and
    Kinesis delivers the batch again. Imported here: only this rare path needs the class."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    raise BatchProcessingError(
        msg=f"All records failed processing. {len(errors)} individual errors logged separately below.",
        child_exceptions=errors,
    )


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
    # The net change to the `all` counters: the dashboard's recontact and resolution rates divide these.
    for metric, counter in (
        ("ContactsAdded", "contacts"),
        ("RecontactsAdded", "recontacted"),
        ("ResolvedAdded", "resolved"),
    ):
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=result.added.get(counter, 0))
