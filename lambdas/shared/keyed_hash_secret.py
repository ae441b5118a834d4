"""The keyed-hash secret, read from Secrets Manager once per container, within a time budget.

The read is meant for the init phase (the handler's `Container` build), so a warm invocation
makes no Secrets Manager call. When it fails or overruns its budget the container goes on without
the key: `hasher()` answers None and `problem` says why, and the read is tried again on a later
call that needs the key, after `retry_after_seconds`, within that call's share of its budget. An
answer that arrives after its budget ran out is still kept for the calls after it.

`problem` is one of a short, fixed set of codes (a metric dimension); `error_type` is the
service's error code or the exception's type. Neither ever holds the secret or the request.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.shared.budget import BudgetExceeded, Deadline, run_within
from lambdas.shared.keyed_hash import InvalidSecret, KeyedHasher

# The secret's ARN (Secrets Manager also takes its name, which the sandbox uses: its ARN has a
# random suffix). Set by infra/constructs/escalation.py for the functions that hash caller data.
SECRET_VAR = "KEYED_HASH_SECRET_ARN"  # noqa: S105 - the variable's name, not a credential
# Secrets Manager's error codes → the problem reported; any other code is SERVICE_ERROR.
_CODES = {
    "ThrottlingException": "THROTTLED",
    "AccessDeniedException": "ACCESS_DENIED",
    "ResourceNotFoundException": "NOT_FOUND",
    "DecryptionFailure": "DECRYPTION_FAILED",
}
PROBLEMS = (*_CODES.values(), "SERVICE_ERROR", "TIMEOUT", "UNREACHABLE", "BAD_REPLY", "INVALID_SECRET")


class KeyedHashSecret:
    def __init__(
        self,
        client: Any,
        secret_id: str,
        *,
        retry_after_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._secret_id = secret_id
        self._retry_after = retry_after_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._hasher: KeyedHasher | None = None
        self._failed_at: float | None = None
        self.problem = ""  # why the key is unavailable; "" once read
        self.error_type = ""

    def hasher(self, deadline: Deadline) -> KeyedHasher | None:
        """The hasher; None when the secret cannot be had now (`problem` says why)."""
        with self._lock:
            if self._hasher is not None:
                return self._hasher
            if self._failed_at is not None and self._clock() - self._failed_at < self._retry_after:
                return None
        try:
            return run_within(deadline, self._read)
        except BudgetExceeded:
            self._failed("TIMEOUT", "BudgetExceeded")
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "Unknown"))
            self._failed(_CODES.get(code, "SERVICE_ERROR"), code)
        except InvalidSecret:
            self._failed("INVALID_SECRET", "InvalidSecret")
        except BotoCoreError as error:  # connection and read timeouts, endpoint errors
            self._failed("UNREACHABLE", type(error).__name__)
        except Exception as error:  # a reply the SDK could not parse
            self._failed("BAD_REPLY", type(error).__name__)
        return None

    @contextlib.contextmanager
    def read_meanwhile(self, budget_ms: float) -> Iterator[None]:
        """Read the key on its own thread while the block runs, and wait for it when the block ends:
        an init phase overlaps its network waits and still has the key (or its failure) when done."""
        read = threading.Thread(target=self.hasher, args=(Deadline.after_ms(budget_ms),), daemon=True)
        read.start()
        try:
            yield
        finally:
            read.join()

    def _read(self) -> KeyedHasher:
        response = self._client.get_secret_value(SecretId=self._secret_id)
        text = response.get("SecretString")
        if not isinstance(text, str):
            if "SecretBinary" in response:
                raise InvalidSecret("the secret is binary; the generated secret is a SecretString")
            raise ValueError("the reply holds no secret")  # garbled: a BAD_REPLY
        hasher = KeyedHasher.from_secret_string(text)
        with self._lock:  # also when the caller stopped waiting: the next call has the key
            self._hasher = hasher
            self._failed_at = None
            self.problem = self.error_type = ""
        return hasher

    def _failed(self, problem: str, error_type: str) -> None:
        with self._lock:
            if self._hasher is None:
                self._failed_at = self._clock()
                self.problem, self.error_type = problem, error_type
