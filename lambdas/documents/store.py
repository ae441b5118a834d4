"""The documents an operator can change without a deploy (rules, content, calendar, escalation
policy, experiment), cached per container, with any `extras` parameters read beside them (the
experiment's stop).

Documents live in SSM Parameter Store (layout: `storage_format`). A container serves what it
has for `max_age` seconds, then reads the whole path again with one `GetParametersByPath` call.
A document that fails to reassemble or validate is refused — the error names the rule and field —
and the last valid one keeps serving; until the store has a valid document, the defaults packaged
with the function serve. A failed read is retried after a short pause, not on every call.

One snapshot: what a container serves is one immutable `Snapshot`. A refresh builds the next one
whole — from one read of the store, plus, for a document that read did not validly hold, the
version the previous snapshot served — and installs it with one assignment, so a caller (or any
thread) sees either the old set or the new one, never a mix. A refresh that fails or runs out of
its budget installs nothing: its work, if it finishes later on the budget's daemon thread, is
discarded. Documents are pushed one at a time, so a read during a push may find one document new
and another still old; each one is whole (its head's hash), and the next read completes the set.

Until a read of the store succeeds, everything served is bundled and the snapshot says so
(`STORE_UNAVAILABLE`); when a read succeeded but a document has no valid version in the store
(wrong or empty path, never pushed, refused before any valid push), that document is bundled and
the snapshot says `STORE_INCOMPLETE`. The handlers answer DEGRADED with that reason, and the same
decision, until a read completes the set.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from lambdas.documents.registry import Parsed, bundled_defaults, parse_text
from lambdas.documents.storage_format import (
    READ_PAGE_SIZE,
    StorageFormatError,
    decode_documents,
    head_name,
    holds_documents,
)
from lambdas.policy.validation import DocumentError
from lambdas.shared.aws import ClientLimits, make_client
from lambdas.shared.budget import Deadline, run_within

MAX_PAGES = 10  # 100 parameters: far more than the shipped documents (a few parts each) need

STORE_UNAVAILABLE = "STORE_UNAVAILABLE"  # no read of the store has succeeded: all bundled
STORE_INCOMPLETE = "STORE_INCOMPLETE"  # read, but a document has no valid version there: bundled


class RefreshOutcome(NamedTuple):
    """What one refresh did; each outcome has its own lists."""

    checked: bool  # the store was read (or a read was attempted)
    changed: list[str]  # documents replaced by a new valid version
    refused: list[tuple[str, str]]  # (document, first problem)
    missing: list[str]  # documents the store does not hold at all
    failed: str = ""  # error type when the store could not be read


class MalformedReply(RuntimeError):
    """The store answered something that is not a GetParametersByPath page."""


def fetch_parameters(
    ssm: Any, path: str, names: tuple[str, ...] | None = None, extras: tuple[str, ...] = ()
) -> dict[str, str]:
    """Every parameter under `path` (recursive), as name → value; with `names`, the pages stop as
    soon as those documents are whole (a full page of 10 comes with a token, often to an empty
    page: one store call less, at cold start and on each refresh) and the `extras` parameters
    (`<path>/<extra>`) are read — an absent extra is known absent only at the last page."""
    wanted = [head_name(path, extra) for extra in extras]
    parameters: dict[str, str] = {}
    token = ""
    for _ in range(MAX_PAGES):
        request: dict[str, Any] = {"Path": path, "Recursive": True, "MaxResults": READ_PAGE_SIZE}
        if token:
            request["NextToken"] = token
        page = ssm.get_parameters_by_path(**request)
        if not isinstance(page.get("Parameters"), list):
            # A garbled reply must not pass for an empty store: the read failed.
            raise MalformedReply("GetParametersByPath answered without Parameters")
        for parameter in page["Parameters"]:
            parameters[parameter["Name"]] = parameter["Value"]
        token = page.get("NextToken", "")
        if not token or (
            names is not None
            and holds_documents(path, parameters, names)
            and all(name in parameters for name in wanted)
        ):
            break
    return parameters


class Snapshot(NamedTuple):
    """The documents served together, where each came from, and what the store last held."""

    parsed: Mapping[str, Parsed]
    sources: Mapping[str, str]  # name → "store" | "bundled"
    seen: Mapping[str, str]  # document → sha256 last read from the store
    refused: Mapping[str, str]  # document → why the store's current version is refused
    read: bool = False  # a read of the store has succeeded (for this snapshot or an earlier one)
    # The `extras` parameters the last successful read found (name under the path → value), e.g.
    # the experiment's stop: read with the documents, so they change within the same max age.
    extras: Mapping[str, str] = MappingProxyType({})

    @classmethod
    def bundled(cls, documents: Mapping[str, Parsed]) -> Snapshot:
        return cls(_frozen(documents), _frozen(dict.fromkeys(documents, "bundled")), _frozen({}), _frozen({}))

    def get(self, name: str) -> Parsed:
        return self.parsed[name]

    @property
    def degraded(self) -> str:
        """Why this set is not the store's ("" when it is): STORE_UNAVAILABLE or STORE_INCOMPLETE."""
        if not self.read:
            return STORE_UNAVAILABLE
        return STORE_INCOMPLETE if "bundled" in self.sources.values() else ""

    def after_read(
        self, path: str, parameters: Mapping[str, str], extras: tuple[str, ...] = ()
    ) -> tuple[Snapshot, RefreshOutcome]:
        """The next snapshot from one read of the store (pure: this one is left as it is)."""
        outcome = RefreshOutcome(checked=True, changed=[], refused=[], missing=[])
        parsed, sources = dict(self.parsed), dict(self.sources)
        seen, refused = dict(self.seen), dict(self.refused)
        stored_documents = decode_documents(path, parameters, tuple(parsed))
        outcome.missing.extend(name for name in parsed if name not in stored_documents)
        for name, stored in stored_documents.items():
            if isinstance(stored, StorageFormatError):
                outcome.refused.append((name, str(stored)))
                continue
            if seen.get(name) == stored.sha256:
                if name in refused:  # still refused: report it again, without parsing again
                    outcome.refused.append((name, refused[name]))
                continue
            seen[name] = stored.sha256
            if parsed[name].sha256 == stored.sha256:  # the store holds what is served (the shipped one)
                refused.pop(name, None)
                if sources[name] != "store":
                    sources[name] = "store"
                    outcome.changed.append(name)
                continue
            try:
                document = parse_text(stored.text, name)
            except Exception as problem:  # DocumentError, or a validator bug: refuse, never raise
                why = (
                    str(problem)
                    if isinstance(problem, DocumentError)
                    else f"{type(problem).__name__} in validation"
                )
                refused[name] = why
                outcome.refused.append((name, why))
                continue
            refused.pop(name, None)
            parsed[name], sources[name] = document, "store"
            outcome.changed.append(name)
        found = {
            extra: parameters[head_name(path, extra)]
            for extra in extras
            if head_name(path, extra) in parameters
        }
        return Snapshot(
            _frozen(parsed),
            _frozen(sources),
            _frozen(seen),
            _frozen(refused),
            read=True,
            extras=_frozen(found),
        ), outcome


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


Read = Callable[[Callable[[], tuple[Snapshot, RefreshOutcome]]], tuple[Snapshot, RefreshOutcome]]


class DocumentStore:
    def __init__(
        self,
        *,
        fetch: Callable[[], dict[str, str]],
        path: str,
        bundled: dict[str, Parsed],
        max_age_seconds: float,
        retry_after_failure_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        extras: tuple[str, ...] = (),
    ) -> None:
        self._fetch = fetch
        self._path = path
        self._extras = extras
        self._snapshot = Snapshot.bundled(bundled)
        self._swap = threading.Lock()
        self._max_age = max_age_seconds
        self._retry_after = retry_after_failure_seconds
        self._clock = clock
        self._next_check = 0.0  # read on first use

    def due(self) -> bool:
        return self._clock() >= self._next_check

    def snapshot(self) -> Snapshot:
        """The set being served: take it once per invocation and use only it."""
        return self._snapshot

    def get(self, name: str) -> Parsed:
        """The document being served under `name` (store or bundled)."""
        return self._snapshot.get(name)

    def source(self, name: str) -> str:
        return self._snapshot.sources[name]

    def refresh(self, read: Read | None = None) -> RefreshOutcome:
        """Read the store now and install the next snapshot; `read` runs the read-and-build (e.g.
        within a time budget). A read that fails, or returns after `read` gave up, installs nothing."""
        base = self._snapshot

        def read_and_build() -> tuple[Snapshot, RefreshOutcome]:
            return base.after_read(self._path, self._fetch(), self._extras)

        try:
            candidate, outcome = read(read_and_build) if read else read_and_build()
        except Exception as error:  # throttled, unreachable, timed out, access denied
            self._next_check = self._clock() + self._retry_after
            return RefreshOutcome(
                checked=True, changed=[], refused=[], missing=[], failed=type(error).__name__
            )
        with self._swap:
            if self._snapshot is not base:  # another refresh installed a newer set meanwhile
                return outcome._replace(changed=[])
            self._snapshot = candidate
            self._next_check = self._clock() + self._max_age
        return outcome


# One attempt: a slow store read is retried on a later call, never while a caller waits.
STORE_LIMITS = ClientLimits(connect_timeout=0.2, read_timeout=0.4, max_attempts=1)
# A refresh may take this much of a caller's budget: one attempt of STORE_LIMITS (a slower answer is
# no answer). The rest is kept for the write that records the call; until a read succeeds, the last
# good snapshot serves. Like escalation's METRICS_BUDGET_MS, both fit the budget with room to spare.
REFRESH_BUDGET_MS = 600


class StoreReporter(NamedTuple):
    """How a function names its store in logs and metrics ("rules"/"Rules", "policy"/"Policy")."""

    logger: Any
    metrics: Any
    subject: str
    metric_prefix: str

    def report(self, outcome: RefreshOutcome) -> None:
        if outcome.failed:
            self.logger.warning(
                f"{self.subject} store unreachable; serving the documents held",
                extra={"error_type": outcome.failed},
            )
            self.metrics.add_metric(name=f"{self.metric_prefix}StoreFailures", unit="Count", value=1)
        for document, problem in outcome.refused:
            self.logger.error(
                f"{self.subject} store document refused; the last valid one keeps serving",
                extra={"document": document, "problem": problem},
            )
            self.metrics.add_metric(name=f"{self.metric_prefix}Refused", unit="Count", value=1)
        if outcome.missing:
            # A wrong or empty path reads as an empty store: say so, the bundled documents serve.
            self.logger.warning(
                f"{self.subject} store holds no such document; serving the bundled one",
                extra={"problem": "STORE_DOCUMENT_MISSING", "documents": outcome.missing},
            )
            self.metrics.add_metric(name=f"{self.metric_prefix}StoreMissing", unit="Count", value=1)
        if outcome.changed:
            self.logger.info(f"{self.subject} store documents loaded", extra={"documents": outcome.changed})

    def degraded_reason(self, snapshot: Snapshot) -> str:
        """The answer's `degradedReason` when `snapshot` is not the store's set, "" otherwise;
        counted as `<Prefix>StoreDegraded` (e.g. RULES_STORE_UNAVAILABLE, POLICY_STORE_INCOMPLETE)."""
        if not snapshot.degraded:
            return ""
        self.metrics.add_metric(name=f"{self.metric_prefix}StoreDegraded", unit="Count", value=1)
        return f"{self.metric_prefix.upper()}_{snapshot.degraded}"


def open_store(
    path: str,
    names: tuple[str, ...],
    *,
    max_age_seconds: float,
    retry_after_failure_seconds: float,
    init_budget_ms: float,
    reporter: StoreReporter,
    extras: tuple[str, ...] = (),
) -> StoreOpening:
    """A store over `path` serving `names`, read once in the init phase (so the first caller does
    not wait for it; bounded, so a stalled store cannot eat the init phase's time limit).

    The read starts now; `StoreOpening.open()` waits for it and gives the store. What the init
    phase does in between (parsing the bundled documents, building the function's other clients)
    overlaps the store's answer. The first read gets all of `init_budget_ms` from now, not
    REFRESH_BUDGET_MS: without it the container has only the bundled documents, and the init phase
    is not a caller's budget."""
    ssm = make_client("ssm-slim", STORE_LIMITS)  # GetParametersByPath only: a faster cold start
    deadline = Deadline.after_ms(init_budget_ms)
    first_read = _StartedRead(lambda: fetch_parameters(ssm, path, names, extras))
    return StoreOpening(
        lambda: DocumentStore(
            fetch=first_read,
            path=path,
            bundled=bundled_defaults(names),
            max_age_seconds=max_age_seconds,
            retry_after_failure_seconds=retry_after_failure_seconds,
            extras=extras,
        ),
        deadline,
        reporter,
    )


class StoreOpening:
    """A store whose first read is under way (`open_store`)."""

    def __init__(
        self, build: Callable[[], DocumentStore], deadline: Deadline, reporter: StoreReporter
    ) -> None:
        self._build = build
        self._deadline = deadline
        self._reporter = reporter

    def open(self) -> DocumentStore:
        """The store, once its first read is in (or the init budget is spent): the bundled
        documents are parsed meanwhile."""
        store = self._build()
        self._reporter.report(store.refresh(read=within(self._deadline)))
        return store


class _StartedRead:
    """A store fetch begun on its own thread when created: the first call answers with its outcome
    (waiting for it, within the caller's budget), every later call reads the store again."""

    def __init__(self, fetch: Callable[[], dict[str, str]]) -> None:
        self._fetch = fetch
        self._outcome: dict[str, str] | Exception | None = None
        self._pending: threading.Thread | None = threading.Thread(target=self._run, daemon=True)
        self._pending.start()

    def _run(self) -> None:
        try:
            self._outcome = self._fetch()
        except Exception as error:  # raised to the first caller, as its own read would
            self._outcome = error

    def __call__(self) -> dict[str, str]:
        pending, self._pending = self._pending, None
        if pending is None:
            return self._fetch()
        pending.join()
        outcome, self._outcome = self._outcome, None
        if isinstance(outcome, Exception):
            raise outcome
        assert outcome is not None
        return outcome


def refresh_when_due(store: DocumentStore, deadline: Deadline, reporter: StoreReporter) -> None:
    """Refresh when due, within REFRESH_BUDGET_MS of `deadline`: what is left stays the caller's."""
    if store.due():
        reporter.report(store.refresh(read=within(deadline.sooner(REFRESH_BUDGET_MS))))


def within(deadline: Deadline) -> Read:
    """A refresh's `read` that gives up at `deadline` (its late result is discarded)."""
    return lambda read_and_build: run_within(deadline, read_and_build)
