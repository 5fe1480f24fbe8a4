"""The API token format: `trk_` + a non-secret lookup part + a random secret.

Only a keyed hash of the whole token is stored (HMAC-SHA256 with a key derived from
SECRET_KEY), so a database leak does not leak usable tokens. The lookup part finds
the row; the hash is then compared in constant time. Rotating SECRET_KEY keeps
tokens working while the old key is listed in SECRET_KEY_FALLBACKS.

A CI token that passed every check is kept for a few seconds in the process that
checked it (recent_ci_token), so a pipeline's burst of status posts does not read
its row each time.
"""

from __future__ import annotations

import re
import secrets
import string
from time import monotonic
from typing import TYPE_CHECKING

from django.conf import settings

from tracker.lib.crypto import keyed_hash, keyed_hash_matches

if TYPE_CHECKING:
    from tracker.accounts.models import ApiToken

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


# --- CI tokens verified moments ago ---------------------------------------------
# lookup → (monotonic deadline, token). Per process: revoking a token forgets it in
# the process that revoked it at once, and in the others when their entry runs
# out, API_CI_TOKEN_CACHE_SECONDS later at most (the bound docs/api.md states).
_recent: dict[str, tuple[float, ApiToken]] = {}
_RECENT_MAX = 1024


def recent_ci_token(raw: str) -> ApiToken | None:
    """The CI token `raw` is, if this process verified it within the last
    API_CI_TOKEN_CACHE_SECONDS; None otherwise (look it up). The secret is still
    compared in constant time; expiry is for the caller to check, as always."""
    entry = _recent.get(token_lookup(raw) or "")
    if entry is None or entry[0] <= monotonic():
        return None
    return entry[1] if token_matches(raw, entry[1].digest) else None


def recent_ci_token_keep(token: ApiToken) -> None:
    """Remember a CI token that passed every check (its product loaded with it)."""
    seconds = settings.API_CI_TOKEN_CACHE_SECONDS
    if seconds <= 0:
        return
    if len(_recent) >= _RECENT_MAX:  # drop the oldest entry: bounded memory
        _recent.pop(next(iter(_recent), ""), None)
    _recent[token.lookup] = (monotonic() + seconds, token)


def recent_ci_token_forget(lookup: str | None = None) -> None:
    """Forget one token (when it is revoked), or all of them."""
    if lookup is None:
        _recent.clear()
    else:
        _recent.pop(lookup, None)
