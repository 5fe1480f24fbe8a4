"""Business days and review deadlines (tracker time zone, Monday to Friday)."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone


def review_business_days() -> int:
    """Business days after resolution by which a draft should be in review."""
    return settings.POSTMORTEM_REVIEW_BUSINESS_DAYS


def add_business_days(moment: datetime, days: int) -> datetime:
    """`moment` moved forward by `days` working days (Monday to Friday) in the
    tracker's time zone. A moment on a weekend counts from Monday 00:00."""
    local = timezone.localtime(moment)
    while local.weekday() >= 5:
        local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0)
        local = local.replace(microsecond=0)
    while days > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    return local


def _resolved_cutoff(now: datetime, days: int) -> datetime:
    """The latest resolution time whose deadline (add_business_days) has passed:
    resolved < cutoff ⇔ add_business_days(resolved, days) < now."""
    local = timezone.localtime(now)
    if local.weekday() >= 5:  # on a weekend: deadlines fall on weekdays only
        local = (local - timedelta(days=local.weekday() - 5)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    while days > 0:
        local -= timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    if local.weekday() == 0 and local.time() == time(0):
        # The weekend before shares Monday 00:00's deadline, which is not late.
        local -= timedelta(days=2)
    return local
