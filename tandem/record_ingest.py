"""Contact records from files through the real ctr_ingest handler, in Kinesis-sized batches.

Records are read one at a time (`tandem.record_files`) and sent in events of `KINESIS_BATCH`, each
record a Kinesis record whose data is its JSON text and whose sequence number maps back to its file
and position. ctr_ingest counts each call exactly once whatever is sent again, so a run that stops
at an unreadable file (after sending every record before it) can be repeated once the file is
fixed: what was counted stays counted once. Records ctr_ingest reports for retry (a failed write)
are sent again, as Kinesis would, up to `ATTEMPTS` times.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tandem.local.kinesis import KINESIS_BATCH, BatchOutcome, batch_outcome, sequence_number, stream_record
from tandem.record_files import FileRecord, Position, UnreadableFile, read_records

ATTEMPTS = 3  # deliveries of a record ctr_ingest reports as failed, as Kinesis retries
PARTITION_KEY = "tandem-ingest"


class Invoker(Protocol):
    """The sandbox's side of it: call ctr_ingest and show the log lines it wrote."""

    def invoke(self, function_name: str, event: Any) -> dict[str, str]: ...

    @property
    def last(self) -> Any: ...


@dataclass(frozen=True)
class RefusedAt:
    position: Position
    reason: str  # ctr_ingest's code (contact_record.Refusal)
    field: str  # the field's name, never its value

    def to_dict(self) -> dict[str, Any]:
        return {**self.position.to_dict(), "reason": self.reason, "field": self.field}


@dataclass
class FileSummary:
    path: str
    records: int = 0
    unreadable: UnreadableFile | None = None

    def to_dict(self) -> dict[str, Any]:
        problem = self.unreadable
        return {
            "file": self.path,
            "records": self.records,
            "unreadable": None
            if problem is None
            else {**problem.position.to_dict(), "reason": problem.reason},
        }


@dataclass
class IngestSummary:
    files: list[FileSummary] = field(default_factory=list)
    records: int = 0
    events: int = 0
    calls_counted: int = 0  # calls whose counters changed
    calls_unchanged: int = 0  # calls with nothing newer: sent before, or an older version
    refused: list[RefusedAt] = field(default_factory=list)
    failed: list[Position] = field(default_factory=list)  # still failing after ATTEMPTS deliveries

    @property
    def unreadable(self) -> list[UnreadableFile]:
        return [f.unreadable for f in self.files if f.unreadable is not None]

    @property
    def clean(self) -> bool:
        return not (self.refused or self.failed or self.unreadable)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [file.to_dict() for file in self.files],
            "records": self.records,
            "events": self.events,
            "callsCounted": self.calls_counted,
            "callsUnchanged": self.calls_unchanged,
            "refused": [refused.to_dict() for refused in self.refused],
            "failed": [position.to_dict() for position in self.failed],
        }


def ingest_files(box: Invoker, paths: Iterable[Path], *, batch: int = KINESIS_BATCH) -> IngestSummary:
    """Read every file in turn and send its records to ctr_ingest; what happened, file by file."""
    summary = IngestSummary()
    sender = _Sender(box, summary, batch)
    for path in paths:
        sender.send_all(_file_records(path, summary))
    sender.flush()
    return summary


def _file_records(path: Path, summary: IngestSummary) -> Iterator[FileRecord]:
    """The file's records; an unreadable file ends here, noted, with its records before counted."""
    file = FileSummary(str(path))
    summary.files.append(file)
    try:
        for record in read_records(path):
            file.records += 1
            yield record
    except UnreadableFile as problem:
        file.unreadable = problem


class _Sender:
    """Batches records into events; remembers each sent record's position by its sequence number."""

    def __init__(self, box: Invoker, summary: IngestSummary, batch: int) -> None:
        self.box, self.summary, self.batch = box, summary, batch
        self.pending: list[FileRecord] = []
        self.next_index = 0
        # One arrival time for the run: it is when these records reached ctr_ingest.
        self.arrival = time.time()

    def send_all(self, records: Iterable[FileRecord]) -> None:
        for record in records:
            self.pending.append(record)
            if len(self.pending) == self.batch:
                self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        positions: dict[str, Position] = {}
        events: list[dict[str, Any]] = []
        for record in self.pending:
            sequence = sequence_number(self.next_index)
            positions[sequence] = record.position
            events.append(
                stream_record(record.data, self.next_index, arrival=self.arrival, partition_key=PARTITION_KEY)
            )
            self.next_index += 1
        self.summary.records += len(self.pending)
        self.pending = []
        refused: dict[str, RefusedAt] = {}  # a refused record whose keeping failed is sent again
        for attempt in range(1, ATTEMPTS + 1):
            outcome = self._invoke(events)
            self.summary.events += 1
            self.summary.calls_counted += outcome.calls_counted
            self.summary.calls_unchanged += outcome.calls_unchanged
            for sequence, reason, name in outcome.refused:
                refused.setdefault(sequence, RefusedAt(positions[sequence], reason, name))
            events = [e for e in events if e["kinesis"]["sequenceNumber"] in outcome.failed]
            if not events:
                break
            if attempt == ATTEMPTS:
                self.summary.failed += [positions[e["kinesis"]["sequenceNumber"]] for e in events]
        self.summary.refused += refused.values()

    def _invoke(self, events: list[dict[str, Any]]) -> BatchOutcome:
        try:
            answer = self.box.invoke("ctr_ingest", {"Records": events})
        except BatchProcessingError:
            # Every record failed (Powertools then fails the invocation, and Kinesis sends the
            # whole batch again): nothing of it was counted or refused.
            sequences = frozenset(e["kinesis"]["sequenceNumber"] for e in events)
            return BatchOutcome(calls_counted=0, calls_unchanged=0, refused=(), failed=sequences)
        return batch_outcome(answer, self.box.last.log_lines)
