"""The API token format: `trk_` + a non-secret lookup part + a random secret.

Only a keyed hash of the whole token is stored (HMAC-SHA256 with a key derived from
SECRET_KEY), so a database leak does not leak usable tokens. The lookup part finds
the row; the hash is then compared in constant time. Rotating SECRET_KEY keeps
tokens working while the old key is listed in SECRET_KEY_FALLBACKS.

Every request reads its token's row (one query by the unique lookup part), so a
token revoked or expired is refused on its very next request, in every process.
"""

import re
import secrets
import string

from tracker.lib.crypto import keyed_hash, keyed_hash_matches

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
    return keyed_hash(_SALT, raw, key=secret)


def token_matches(raw: str, digest: str) -> bool:
    """Constant-time comparison against the current and any fallback key."""
    return keyed_hash_matches(_SALT, raw, digest)
