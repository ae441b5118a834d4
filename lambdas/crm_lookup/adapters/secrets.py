"""The CRM bearer token, read from AWS Secrets Manager and cached in the warm container.

The secret's SecretString is either the raw token or a JSON object {"token": "..."} (the shape
the console's key/value editor and most rotation functions produce). Reading it on every call
would add a Secrets Manager round trip to every lookup, so it is cached for `ttl_seconds`: a
rotated token is picked up within that time, or at once after the CRM rejects the old one
(`invalidate`).

Error messages name the secret and what is wrong with its shape, never its value.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.crm_lookup.model import CrmUnavailable

TOKEN_KEY = "token"  # noqa: S105 - the JSON key holding the token, not a credential


class SecretTokenProvider:
    """Thread-safe, TTL-cached bearer token. `client` is a boto3 Secrets Manager client made
    with `lambdas.shared.aws.make_client`, so its timeouts fit inside the lookup's budget."""

    def __init__(
        self,
        secret_arn: str,
        client: Any,
        ttl_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not secret_arn:
            raise ValueError("secret_arn is required")
        if ttl_seconds < 0:
            raise ValueError("ttl_seconds must not be negative")
        self.secret_arn = secret_arn
        self._client = client
        self._ttl = float(ttl_seconds)
        self._clock = clock
        # One lock for read and refresh: concurrent callers on a cold cache wait for one fetch
        # instead of each calling Secrets Manager.
        self._lock = threading.Lock()
        self._token: str | None = None
        self._fetched_at = 0.0
        # The last token the CRM rejected, so that a secret which still holds that token is not
        # refetched on every rejected call (it is refetched once, then again after the TTL).
        self._rejected: str | None = None

    def token(self) -> str:
        """The current token; raises `CrmUnavailable` when it cannot be read or is malformed."""
        with self._lock:
            now = self._clock()
            if self._token is not None and now - self._fetched_at < self._ttl:
                return self._token
            token = parse_secret_string(self.secret_arn, self._fetch())
            self._token = token
            self._fetched_at = now
            return token

    def invalidate(self, rejected: str | None = None) -> None:
        """Forget the cached token so the next call rereads the secret.

        With `rejected` (the token the CRM refused), the cache is dropped only if it still
        holds that token and has not been dropped for it already: one 401 after a rotation
        picks up the new secret, while a secret that was not rotated is not reread on every call.
        """
        with self._lock:
            if rejected is None:
                self._token = None
                return
            if self._token != rejected or self._rejected == rejected:
                return
            self._rejected = rejected
            self._token = None

    def _fetch(self) -> str:
        try:
            response = self._client.get_secret_value(SecretId=self.secret_arn)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "Unknown"))
            raise CrmUnavailable(f"cannot read CRM token secret {self.secret_arn}: {code}") from error
        except BotoCoreError as error:
            # Endpoint and timeout errors; their text names the endpoint, not the secret value.
            raise CrmUnavailable(
                f"cannot read CRM token secret {self.secret_arn}: {type(error).__name__}"
            ) from error
        secret = response.get("SecretString")
        if not isinstance(secret, str):
            raise CrmUnavailable(
                f"CRM token secret {self.secret_arn} has no SecretString (binary secrets are not supported)"
            )
        return secret


def parse_secret_string(secret_arn: str, secret: str) -> str:
    """The bearer token held in a SecretString: the raw token, or JSON {"token": "..."}."""
    text = secret.strip()
    if not text:
        raise CrmUnavailable(f"CRM token secret {secret_arn} is empty")
    if text[0] in "{[":
        try:
            document = json.loads(text)
        except ValueError:
            # `from None`: the decoder's message quotes the secret text.
            raise CrmUnavailable(
                f"CRM token secret {secret_arn} looks like JSON but does not parse"
            ) from None
        if not isinstance(document, dict):
            raise CrmUnavailable(f'CRM token secret {secret_arn} must be a JSON object {{"token": "..."}}')
        if TOKEN_KEY not in document:
            keys = ", ".join(sorted(str(key) for key in document)[:10]) or "none"
            raise CrmUnavailable(f'CRM token secret {secret_arn} has no "token" key (keys: {keys})')
        value = document[TOKEN_KEY]
        if not isinstance(value, str) or not value.strip():
            raise CrmUnavailable(f'CRM token secret {secret_arn}: "token" must be a non-empty string')
        text = value.strip()
    if not all("!" <= char <= "~" for char in text):
        # A bearer token is one word of visible ASCII. Whitespace, control or non-ASCII
        # characters mean the secret holds something else, and would break (or inject into)
        # the request headers.
        raise CrmUnavailable(
            f"CRM token secret {secret_arn}: token must be visible ASCII without spaces or control characters"
        )
    return text
