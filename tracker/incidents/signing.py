"""Credentials of alert integrations: bearer secrets and HMAC signatures.

Bearer secrets are random, prefixed (so secret scanners can spot a leaked one) and
stored only as an HMAC-SHA256 keyed from SECRET_KEY (tracker.lib.crypto; they keep
working through a key rotation while the old key is in SECRET_KEY_FALLBACKS). The
HMAC signing key has to be usable, so it is stored encrypted instead (the model's
EncryptedTextField). Signatures follow Grafana's webhook contact point: a hex
HMAC-SHA256 of the raw body, or of `timestamp + ":" + body` when a timestamp header
is configured.
"""

import hashlib
import hmac
import secrets
import time

from django.conf import settings

from tracker.lib.crypto import keyed_hash, keyed_hash_matches

SECRET_PREFIX = "tka_"
_HASH_SALT = "tracker.incidents.AlertIntegration.secret"

SIGNATURE_HEADER = "X-Grafana-Alerting-Signature"
TIMESTAMP_HEADER = "X-Grafana-Alerting-Signature-Timestamp"


def secret_generate() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return keyed_hash(_HASH_SALT, secret)


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison, so response timing does not leak the hash."""
    return keyed_hash_matches(_HASH_SALT, secret, stored_hash)


def bearer_token(authorization: str) -> str | None:
    """The credentials of an `Authorization: Bearer …` header; None otherwise."""
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def signature_for(key: str, body: bytes, timestamp: str | None = None) -> str:
    message = body if timestamp is None else timestamp.encode() + b":" + body
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def signature_valid(
    *, key: str, body: bytes, signature: str, timestamp: str | None
) -> bool:
    """Check a hex signature; a timestamp must be recent (replays are refused)."""
    if not key or not signature:
        return False
    if timestamp is not None and not _timestamp_fresh(timestamp):
        return False
    expected = signature_for(key, body, timestamp)
    return hmac.compare_digest(expected, signature.strip().lower())


def _timestamp_fresh(timestamp: str) -> bool:
    try:
        sent = int(timestamp.strip())
    except ValueError:
        return False
    max_age = settings.ALERT_SIGNATURE_MAX_AGE_SECONDS
    return abs(time.time() - sent) <= max_age
