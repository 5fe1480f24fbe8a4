"""Secrets at rest, with keys derived from SECRET_KEY (and SECRET_KEY_FALLBACKS).

- Secrets we only ever compare (API tokens, alert bearer secrets) are stored as a
  keyed hash: `keyed_hash`, checked in constant time by `keyed_hash_matches`.
- Secrets we must use again (an alert integration's HMAC signing key) are stored
  encrypted: `EncryptedTextField` (Fernet: AES-128-CBC with an HMAC-SHA256 tag).

Each use passes its own salt, so one derived key never serves two purposes.
Rotating SECRET_KEY: list the old key in SECRET_KEY_FALLBACKS; hashes made and
values encrypted under it keep working, and encrypted values are re-encrypted
under the new key when next saved.
"""

import base64
import functools
import hmac
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables


def _secret_keys() -> tuple[str, ...]:
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", []))


@sensitive_variables()
def keyed_hash(salt: str, value: str, *, key: str | None = None) -> str:
    """HMAC-SHA256 of `value` under a key derived from SECRET_KEY (or `key`)."""
    return salted_hmac(salt, value, secret=key, algorithm="sha256").hexdigest()


@sensitive_variables()
def keyed_hash_matches(salt: str, value: str, digest: str) -> bool:
    """Constant-time comparison against the current and every fallback key.
    (A loop, not a generator: error reports cannot see that a generator's frame
    belongs here, and would show its variables.)"""
    for key in _secret_keys():
        if digest and hmac.compare_digest(keyed_hash(salt, value, key=key), digest):
            return True
    return False


@functools.lru_cache(maxsize=16)
@sensitive_variables()
def _fernet(salt: str, keys: tuple[str, ...]) -> MultiFernet:
    """Encrypts under the first key, decrypts under any (cached: derivation is
    two HMACs per key, not worth repeating for every row)."""
    fernets = []
    for key in keys:
        derived = salted_hmac(salt, "fernet", secret=key, algorithm="sha256")
        fernets.append(Fernet(base64.urlsafe_b64encode(derived.digest())))
    return MultiFernet(fernets)


@sensitive_variables()
def encrypt(salt: str, plaintext: str) -> str:
    return _fernet(salt, _secret_keys()).encrypt(plaintext.encode()).decode()


@sensitive_variables()
def decrypt(salt: str, token: str) -> str:
    """The plaintext; ValueError if no current or fallback key opens `token`."""
    try:
        return _fernet(salt, _secret_keys()).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "An encrypted value cannot be decrypted: was SECRET_KEY changed "
            "without listing the old key in SECRET_KEY_FALLBACKS?"
        ) from None


class EncryptedTextField(models.TextField):
    """Text stored encrypted and read back in the clear; "" stays "".

    Encryption is randomised, so the column cannot be filtered on; `max_length`
    limits the plaintext (forms and model validation).
    """

    def __init__(self, *args: Any, salt: str, **kwargs: Any) -> None:
        self.salt = salt
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, path, args, {**kwargs, "salt": self.salt}

    def from_db_value(self, value, expression, connection):
        return decrypt(self.salt, value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(self.salt, value) if value else value
