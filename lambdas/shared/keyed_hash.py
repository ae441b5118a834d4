"""The one keyed hash for caller data: HMAC-SHA256 under a per-deployment secret.

An unkeyed hash of a phone number is no protection: the number space is small enough to hash
every number and look the results up. A keyed hash cannot be reversed that way without the
secret, which lives only in Secrets Manager (`lambdas.shared.keyed_hash_secret` reads it).

Each use derives its own key from the one secret by a purpose label,
`key = HMAC(secret, "tandem-key|" + purpose)`, and hashes with that key,
`digest = HMAC(key, value)`: hashes made for one purpose (callback claims) cannot be joined
with hashes made for another (caller ids, the analytics lake) unless a use means them to be,
and no use ever holds the secret itself in its output.
"""

from __future__ import annotations

import hashlib
import hmac
import re

# The purposes in use; a new use adds its label here, so its hashes never collide with another's.
CALLBACK = "callback"  # the callback de-duplication claim (lambdas/escalation/callback_claims.py)
CALLER = "caller"  # who called, for the recontact index (lambdas/ctr_ingest/recontacts.py)
PURPOSE = re.compile(r"[a-z][a-z0-9-]{0,31}")
# The generated secret is 64 letters and digits (infra/constructs/keyed_hash.py); anything much
# shorter is not the generated secret, and a short key would make the hash guessable again.
MIN_SECRET_CHARS = 32
_KEY_LABEL = b"tandem-key|"


class InvalidSecret(ValueError):
    """The secret's text is not usable as a key; the message says why, never what it holds."""


class KeyedHasher:
    """`digest(purpose, value)`: the hex HMAC-SHA256 of `value` under `purpose`'s derived key."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_CHARS:
            raise InvalidSecret(f"the secret must be at least {MIN_SECRET_CHARS} characters")
        self._secret = secret
        self._keys: dict[str, bytes] = {}

    @classmethod
    def from_secret_string(cls, text: str) -> KeyedHasher:
        """From a Secrets Manager SecretString: one word of visible ASCII, as generated."""
        value = text.strip()
        if not value or not all("!" <= char <= "~" for char in value):
            raise InvalidSecret("the secret must be one word of visible ASCII characters")
        return cls(value.encode("ascii"))

    def key(self, purpose: str) -> bytes:
        if not PURPOSE.fullmatch(purpose):
            raise ValueError(f"a purpose is a short lowercase label such as {CALLBACK!r}, got {purpose!r}")
        key = self._keys.get(purpose)
        if key is None:
            key = hmac.new(self._secret, _KEY_LABEL + purpose.encode("ascii"), hashlib.sha256).digest()
            self._keys[purpose] = key
        return key

    def digest(self, purpose: str, value: str) -> str:
        return hmac.new(self.key(purpose), value.encode("utf-8"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never the secret, should a hasher end up in a log or a traceback
        return "KeyedHasher(<secret>)"
