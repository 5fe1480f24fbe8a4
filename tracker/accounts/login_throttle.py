"""Sign-in throttling that holds across processes: a counter row per key and window.

Every password check (the sign-in page, the admin's, POST /api/v1/auth/token/; all
go through accounts.backends) first adds one to two counters, one for the
normalised username and one for the client address, with a single
`INSERT … ON CONFLICT DO UPDATE … RETURNING` each. The statement is atomic in
PostgreSQL and SQLite alike, so N concurrent attempts leave the counter at exactly
N and only the first `limit` of them reach the password hasher; the rest are
refused even when the password is right.

Windows are fixed (aligned to multiples of LOGIN_THROTTLE_WINDOW_SECONDS since the
epoch): a refused person waits until the window ends, never longer. The price is
that an attacker may spend a window's allowance at the end of one window and
again at the start of the next. A success clears the username's counters and
takes its own attempt back from the address's, so the address limit counts
failures (an office behind one address signing in at 9:00 is not refused).
"""

import ipaddress
import logging
import math
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework.throttling import BaseThrottle

from tracker.accounts.models import LoginAttemptCounter

logger = logging.getLogger(__name__)

_SALT = "tracker.accounts.login_throttle"


class LoginThrottled(Exception):
    """Too many sign-in attempts for this username or client address."""

    def __init__(self, wait_seconds: int) -> None:
        self.wait_seconds = wait_seconds
        super().__init__(
            f"Too many sign-in attempts. Try again in {wait_phrase(wait_seconds)}."
        )


@dataclass(frozen=True)
class Attempt:
    """The counters one sign-in attempt raised."""

    user_key: str
    ip_key: str | None
    window_start: datetime


def wait_phrase(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def client_address(request: HttpRequest | None) -> str | None:
    """The caller's address as the API throttles see it (REMOTE_ADDR, or the
    X-Forwarded-For entry TRUSTED_PROXY_COUNT proxies in), IPv6 as its /64:
    one machine usually holds a whole /64."""
    if request is None:
        return None
    raw = BaseThrottle().get_ident(request)
    try:
        address = ipaddress.ip_address((raw or "").strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def _key(kind: str, value: str) -> str:
    digest = salted_hmac(_SALT, f"{kind}:{value}", algorithm="sha256").hexdigest()
    return f"{kind}:{digest}"


def _window(now: datetime) -> tuple[datetime, datetime]:
    length = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    start = int(now.timestamp()) // length * length
    begins = datetime.fromtimestamp(start, tz=UTC)
    return begins, begins + timedelta(seconds=length)


def _increment(key: str, window_start: datetime) -> int:
    """Add one to the (key, window) counter; its new value. One statement."""
    table = connection.ops.quote_name(LoginAttemptCounter._meta.db_table)
    key_col, window_col, count_col = (
        connection.ops.quote_name(name) for name in ("key", "window_start", "count")
    )
    sql = (
        f"INSERT INTO {table} ({key_col}, {window_col}, {count_col}) "
        f"VALUES (%s, %s, 1) ON CONFLICT ({key_col}, {window_col}) "
        f"DO UPDATE SET {count_col} = {table}.{count_col} + 1 RETURNING {count_col}"
    )
    window = connection.ops.adapt_datetimefield_value(window_start)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, window])
        count = cursor.fetchone()[0]
    if count == 1:  # a new window for this key: its older ones are spent
        LoginAttemptCounter.objects.filter(
            key=key, window_start__lt=window_start
        ).delete()
    return count


def login_attempt_start(*, username: str, request: HttpRequest | None) -> Attempt:
    """Count an attempt before its password is checked; LoginThrottled when the
    username or the client address is over its limit in this window."""
    begins, ends = _window(timezone.now())
    address = client_address(request)
    attempt = Attempt(
        user_key=_key("user", normalise_username(username)),
        ip_key=_key("ip", address) if address else None,
        window_start=begins,
    )
    over = _increment(attempt.user_key, begins) > settings.LOGIN_THROTTLE_USER_LIMIT
    if attempt.ip_key is not None:
        count = _increment(attempt.ip_key, begins)
        over = over or count > settings.LOGIN_THROTTLE_IP_LIMIT
    if over:
        wait = max(1, math.ceil((ends - timezone.now()).total_seconds()))
        logger.warning("Sign-in refused: too many attempts (from %s)", address)
        raise LoginThrottled(wait)
    return attempt


def login_attempt_succeeded(attempt: Attempt) -> None:
    """The password was right: the username starts afresh, and the address gets
    this attempt back."""
    LoginAttemptCounter.objects.filter(key=attempt.user_key).delete()
    if attempt.ip_key is not None:
        LoginAttemptCounter.objects.filter(
            key=attempt.ip_key, window_start=attempt.window_start, count__gt=0
        ).update(count=F("count") - 1)


def login_counters_purge(*, now: datetime | None = None) -> int:
    """Delete counters of windows that have ended; how many rows went."""
    begins, _ = _window(now or timezone.now())
    deleted, _ = LoginAttemptCounter.objects.filter(window_start__lt=begins).delete()
    return deleted
