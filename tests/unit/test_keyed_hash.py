"""The keyed hash (HMAC-SHA256, keys derived per purpose) and the secret it is read from.

The secret's reads go through a real Secrets Manager client of the trimmed model: botocore's
Stubber answers for it (errors and replies on the real shapes), and a small fake client stands in
where a test needs a reply that takes time.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from typing import Any

import pytest
from botocore.stub import Stubber

from lambdas.shared.aws import make_client
from lambdas.shared.budget import Deadline
from lambdas.shared.keyed_hash import CALLBACK, MIN_SECRET_CHARS, InvalidSecret, KeyedHasher
from lambdas.shared.keyed_hash_secret import PROBLEMS, KeyedHashSecret

SECRET = "0123456789abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHIJklmn"  # 64, as generated
NUMBER = "+12025550101"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:tandem/keyed-hash-AbCdEf"


def test_the_digest_is_hmac_sha256_under_a_key_derived_from_the_purpose() -> None:
    key = hmac.new(SECRET.encode(), b"tandem-key|callback", hashlib.sha256).digest()
    expected = hmac.new(key, NUMBER.encode(), hashlib.sha256).hexdigest()
    assert KeyedHasher.from_secret_string(SECRET).digest(CALLBACK, NUMBER) == expected


def test_each_purpose_and_each_secret_hashes_differently_and_none_is_the_plain_hash() -> None:
    hasher = KeyedHasher.from_secret_string(SECRET)
    other = KeyedHasher.from_secret_string(SECRET[::-1])
    digests = {
        hasher.digest("callback", NUMBER),
        hasher.digest("caller", NUMBER),
        other.digest("callback", NUMBER),
        hashlib.sha256(f"tandem-callback|{NUMBER}".encode()).hexdigest(),  # the old, enumerable key
    }
    assert len(digests) == 4
    assert hasher.digest("callback", NUMBER) == KeyedHasher(SECRET.encode()).digest("callback", NUMBER)


@pytest.mark.parametrize(
    "text", ["", "   ", "x" * (MIN_SECRET_CHARS - 1), "two words " * 8, "é" * 40, "tab\t" * 10]
)
def test_a_secret_that_is_not_the_generated_kind_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(InvalidSecret) as caught:
        KeyedHasher.from_secret_string(text)
    assert text.strip() == "" or text.strip() not in str(caught.value)


@pytest.mark.parametrize("purpose", ["", "Callback", "call back", "tandem-key|x", "a" * 40])
def test_a_purpose_is_a_short_lowercase_label(purpose: str) -> None:
    with pytest.raises(ValueError, match="purpose"):
        KeyedHasher.from_secret_string(SECRET).digest(purpose, NUMBER)


def test_the_hasher_never_shows_its_secret() -> None:
    hasher = KeyedHasher.from_secret_string(SECRET)
    assert SECRET not in repr(hasher) and SECRET not in str(hasher)


# --- reading the secret ---------------------------------------------------------------------------------


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    return make_client("secretsmanager-slim")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def reply(secret: str = SECRET) -> dict[str, Any]:
    return {"ARN": SECRET_ARN, "Name": "tandem/keyed-hash", "SecretString": secret}


def soon() -> Deadline:
    return Deadline.after_ms(1000)


def test_the_secret_is_read_once_per_container(client: Any) -> None:
    source = KeyedHashSecret(client, SECRET_ARN, retry_after_seconds=10)
    with Stubber(client) as stub:
        stub.add_response("get_secret_value", reply(), {"SecretId": SECRET_ARN})
        first, second = source.hasher(soon()), source.hasher(soon())
        stub.assert_no_pending_responses()
    assert first is second and first is not None
    assert first.digest(CALLBACK, NUMBER) == KeyedHasher.from_secret_string(SECRET).digest(CALLBACK, NUMBER)
    assert (source.problem, source.error_type) == ("", "")


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("ThrottlingException", "THROTTLED"),
        ("AccessDeniedException", "ACCESS_DENIED"),
        ("ResourceNotFoundException", "NOT_FOUND"),
        ("DecryptionFailure", "DECRYPTION_FAILED"),
        ("InternalServiceError", "SERVICE_ERROR"),
    ],
)
def test_a_failed_read_says_why_and_is_retried_only_after_the_pause(
    client: Any, code: str, problem: str
) -> None:
    clock = Clock()
    source = KeyedHashSecret(client, SECRET_ARN, retry_after_seconds=10, clock=clock)
    with Stubber(client) as stub:
        stub.add_client_error("get_secret_value", service_error_code=code, http_status_code=400)
        assert source.hasher(soon()) is None
        assert (source.problem, source.error_type) == (problem, code)
        assert problem in PROBLEMS
        # Within the pause: no second request (the Stubber has none queued and would fail)
        clock.now += 9.9
        assert source.hasher(soon()) is None
        stub.assert_no_pending_responses()
        # After it: read again, and this time it answers
        clock.now += 0.2
        stub.add_response("get_secret_value", reply(), {"SecretId": SECRET_ARN})
        assert source.hasher(soon()) is not None
    assert source.problem == ""


def test_a_secret_of_the_wrong_kind_is_invalid_and_not_echoed(client: Any) -> None:
    source = KeyedHashSecret(client, SECRET_ARN, retry_after_seconds=10)
    with Stubber(client) as stub:
        stub.add_response("get_secret_value", reply("short"))
        assert source.hasher(soon()) is None
    assert (source.problem, source.error_type) == ("INVALID_SECRET", "InvalidSecret")


class SlowClient:
    """A fake client whose one reply takes `delay` seconds (Stubber answers at once)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.calls = 0
        self.done = threading.Event()

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        self.calls += 1
        time.sleep(self.delay)
        self.done.set()
        return reply()


def test_a_slow_read_is_cut_at_its_budget_and_its_late_answer_kept() -> None:
    slow = SlowClient(0.3)
    source = KeyedHashSecret(slow, SECRET_ARN, retry_after_seconds=10)
    started = time.perf_counter()
    assert source.hasher(Deadline.after_ms(50)) is None
    assert time.perf_counter() - started < 0.25
    assert (source.problem, source.error_type) == ("TIMEOUT", "BudgetExceeded")
    # When the answer arrives after all / Then the next call has the key, without a second read
    assert slow.done.wait(2)
    waited = time.monotonic() + 2
    while source.problem and time.monotonic() < waited:  # stored just after the reply returns
        time.sleep(0.005)
    assert source.hasher(Deadline.after_ms(50)) is not None
    assert slow.calls == 1 and source.problem == ""


@pytest.mark.parametrize(
    ("answer", "problem"),
    [({"ARN": SECRET_ARN, "SecretBinary": b"k" * 64}, "INVALID_SECRET"), ({"ARN": SECRET_ARN}, "BAD_REPLY")],
)
def test_a_reply_without_a_secret_string_is_refused(
    client: Any, answer: dict[str, Any], problem: str
) -> None:
    source = KeyedHashSecret(client, SECRET_ARN, retry_after_seconds=10)
    with Stubber(client) as stub:
        stub.add_response("get_secret_value", answer)
        assert source.hasher(soon()) is None
    assert source.problem == problem
