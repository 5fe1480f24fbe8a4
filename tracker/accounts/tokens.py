"""The API token format: `trk_` + a non-secret lookup part + a random secret.

Only a keyed hash of the whole token is stored (HMAC-SHA256 with a key derived from
SECRET_KEY), so a database leak does not leak usable tokens. The lookup part finds
the row; the hash is then compared in constant time. Rotating SECRET_KEY keeps
tokens working while the old key is listed in SECRET_KEY_FALLBACKS.
"""

import hmac
import re
import secrets
import string

from django.conf import settings
from django.utils.crypto import salted_hmac

PREFIX = "trk_"
LOOKUP_LENGTH = 12
SECRET_LENGTH = 40
_ALPHABET = string.ascii_letters + string.digits
_FORMAT = re.compile(
    rf"^{PREFIX}([A-Za-z0-9]{{{LOOKUP_LENGTH}}})[A-Za-z0-9]{{{SECRET_LENGTH}}}$"
)
_SALT = "tracker.accounts.ApiToken"


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def token_generate() -> tuple[str, str]:
    """A new (lookup, token) pair; the token is shown to its owner once."""
    lookup = _random(LOOKUP_LENGTH)
    return lookup, f"{PREFIX}{lookup}{_random(SECRET_LENGTH)}"


def token_lookup(raw: str) -> str | None:
    """The lookup part of a well-formed token, None for anything else."""
    match = _FORMAT.match(raw)
    return match.group(1) if match else None


def token_digest(raw: str, *, secret: str | None = None) -> str:
    return salted_hmac(_SALT, raw, secret=secret, algorithm="sha256").hexdigest()


def token_matches(raw: str, digest: str) -> bool:
    """Constant-time comparison against the current and any fallback key."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        hmac.compare_digest(token_digest(raw, secret=key), digest) for key in keys
    )
