"""Business days and review deadlines (tracker time zone, Monday to Friday), in
Python and as SQL (BusinessDeadline, for figures aggregated in the database)."""

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db.models import DateTimeField, Func
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def review_business_days() -> int:
    """Business days after resolution by which a draft should be in review."""
    return settings.POSTMORTEM_REVIEW_BUSINESS_DAYS


def add_business_days(moment: datetime, days: int) -> datetime:
    """`moment` moved forward by `days` working days (Monday to Friday) in the
    tracker's time zone. A moment on a weekend counts from Monday 00:00."""
    local = timezone.localtime(moment)
    if local.weekday() >= 5:
        local = (local + timedelta(days=7 - local.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    if days <= 0:
        return local
    # Counted, not walked day by day (BusinessDeadline does the same in SQL):
    # from weekday w (0 Monday … 4 Friday), each weekend crossed adds two days.
    return local + timedelta(days=days + 2 * ((local.weekday() + days) // 5))


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


class BusinessDeadline(Func):
    """add_business_days(moment, days) in SQL: NULL when `days` is NULL.

    From the moment's weekday w (1 Monday … 5 Friday, a weekend moved to Monday
    00:00), n business days are n + 2·⌊(w − 1 + n) / 5⌋ calendar days; the wall
    time stays, in the tracker's time zone. On SQLite, a Python function
    (register_sqlite_business_deadline) computes it."""

    output_field = DateTimeField()

    def __init__(self, moment, days, **extra):
        super().__init__(moment, days, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        (moment, moment_params), (days, days_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        tz = timezone.get_current_timezone_name()
        local, local_params = f"({moment} AT TIME ZONE %s)", [*moment_params, tz]
        dow = f"EXTRACT(ISODOW FROM {local})"
        weekend = f"{dow} >= 6"
        sql = (
            f"((CASE WHEN {weekend} THEN date_trunc('day', {local}) "
            f"+ (8 - {dow}) * INTERVAL '1 day' ELSE {local} END) "
            f"+ (({days}) + 2 * floor((CASE WHEN {weekend} THEN 0 ELSE {dow} - 1 END "
            f"+ ({days})) / 5)) * INTERVAL '1 day') AT TIME ZONE %s"
        )
        params = [
            *local_params * 4,  # weekend, local, dow, local (the ELSE)
            *days_params,
            *local_params * 2,  # weekend, dow
            *days_params,
            tz,
        ]
        return sql, params

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, function="tracker_business_deadline", **extra
        )


def _sqlite_business_deadline(moment: str | None, days: int | None) -> str | None:
    if moment is None or days is None:
        return None
    aware = parse_datetime(moment).replace(tzinfo=UTC)
    return str(add_business_days(aware, days).astimezone(UTC).replace(tzinfo=None))


def register_sqlite_business_deadline(sender, connection, **kwargs) -> None:
    """connection_created hook: BusinessDeadline's function on SQLite."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "tracker_business_deadline", 2, _sqlite_business_deadline
        )
