"""The rule set, content and calendar an operator can change without a deploy, cached per container.

Documents live in SSM Parameter Store (layout: `storage_format`). A container serves what it
has for `max_age` seconds, then reads the whole path again with one `GetParametersByPath` call.
A document that fails to reassemble or validate is refused — the error names the rule and field —
and the last valid one keeps serving; until the store has a valid document, the defaults packaged
with the function serve. A failed read is retried after a short pause, not on every call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lambdas.ivr_decision.documents import Documents, Parsed, bundled_defaults, parse_text
from lambdas.ivr_decision.storage_format import READ_PAGE_SIZE, StorageFormatError, decode_documents
from lambdas.ivr_decision.validation import DocumentError
from lambdas.shared.aws import ClientLimits, make_client
from lambdas.shared.budget import Deadline, run_within

MAX_PAGES = 10  # 100 parameters: far more than three documents of at most 16 parts need


@dataclass
class RefreshOutcome:
    checked: bool = False  # the store was read (or a read was attempted)
    changed: list[str] = field(default_factory=list)  # documents replaced by a new valid version
    refused: list[tuple[str, str]] = field(default_factory=list)  # (document, first problem)
    failed: str = ""  # error type when the store could not be read


class MalformedReply(RuntimeError):
    """The store answered something that is not a GetParametersByPath page."""


def fetch_parameters(ssm: Any, path: str) -> dict[str, str]:
    """Every parameter under `path` (recursive), as name → value."""
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
        if not token:
            break
    return parameters


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
    ) -> None:
        self._fetch = fetch
        self._path = path
        self._parsed = dict(bundled)
        self._sources = dict.fromkeys(bundled, "bundled")
        self._seen: dict[str, str] = {}  # document → sha256 last read from the store
        self._refused: dict[str, str] = {}  # document → why the store's current version is refused
        self._max_age = max_age_seconds
        self._retry_after = retry_after_failure_seconds
        self._clock = clock
        self._next_check = 0.0  # read on first use

    def due(self) -> bool:
        return self._clock() >= self._next_check

    def get(self, name: str) -> Parsed:
        """The document being served under `name` (store or bundled)."""
        return self._parsed[name]

    def source(self, name: str) -> str:
        return self._sources[name]

    def documents(self) -> Documents:
        return Documents(
            rules=self._parsed["rules"].value,  # type: ignore[arg-type]
            content=self._parsed["content"].value,  # type: ignore[arg-type]
            calendar=self._parsed["calendar"].value,  # type: ignore[arg-type]
            sources=dict(self._sources),
        )

    def refresh(
        self, read: Callable[[Callable[[], dict[str, str]]], dict[str, str]] | None = None
    ) -> RefreshOutcome:
        """Read the store now (through `read`, e.g. a time-budgeted runner) and apply what is valid."""
        outcome = RefreshOutcome(checked=True)
        try:
            parameters = read(self._fetch) if read else self._fetch()
        except Exception as error:  # throttled, unreachable, timed out, access denied
            outcome.failed = type(error).__name__
            self._next_check = self._clock() + self._retry_after
            return outcome
        self._next_check = self._clock() + self._max_age
        for name, stored in decode_documents(self._path, parameters, tuple(self._parsed)).items():
            if isinstance(stored, StorageFormatError):
                outcome.refused.append((name, str(stored)))
                continue
            if self._seen.get(name) == stored.sha256:
                if name in self._refused:  # still refused: report it again, without parsing again
                    outcome.refused.append((name, self._refused[name]))
                continue
            self._seen[name] = stored.sha256
            try:
                parsed = parse_text(stored.text, name)
            except Exception as problem:  # DocumentError, or a validator bug: refuse, never raise
                why = (
                    str(problem)
                    if isinstance(problem, DocumentError)
                    else f"{type(problem).__name__} in validation"
                )
                self._refused[name] = why
                outcome.refused.append((name, why))
                continue
            self._refused.pop(name, None)
            self._parsed[name] = parsed
            self._sources[name] = "store"
            outcome.changed.append(name)
        return outcome


# One attempt: a slow store read is retried on a later call, never while a caller waits.
STORE_LIMITS = ClientLimits(connect_timeout=0.3, read_timeout=0.5, max_attempts=1)


@dataclass(frozen=True)
class StoreReporter:
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
        if outcome.changed:
            self.logger.info(f"{self.subject} store documents loaded", extra={"documents": outcome.changed})


def open_store(
    path: str,
    names: tuple[str, ...],
    *,
    max_age_seconds: float,
    retry_after_failure_seconds: float,
    init_budget_ms: float,
    reporter: StoreReporter,
) -> DocumentStore:
    """A store over `path` serving `names`, read once now (in the init phase, so the first caller
    does not wait for it; bounded, so a stalled store cannot eat the init phase's time limit)."""
    ssm = make_client("ssm-slim", STORE_LIMITS)  # GetParametersByPath only: a faster cold start
    store = DocumentStore(
        fetch=lambda: fetch_parameters(ssm, path),
        path=path,
        bundled=bundled_defaults(names),
        max_age_seconds=max_age_seconds,
        retry_after_failure_seconds=retry_after_failure_seconds,
    )
    refresh_when_due(store, Deadline.after_ms(init_budget_ms), reporter)
    return store


def refresh_when_due(store: DocumentStore, deadline: Deadline, reporter: StoreReporter) -> None:
    if store.due():
        reporter.report(store.refresh(read=lambda fetch: run_within(deadline, fetch)))
