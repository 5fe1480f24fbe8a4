"""Reporting periods: quarter presets and a rolling year, relative to today."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: datetime
    end: datetime  # exclusive

    def months(self) -> list[date]:
        """First day of every month the period touches, oldest first."""
        first = self.start.date().replace(day=1)
        months = []
        while first < self.end.date():
            months.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
        return months


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _quarter(start: date) -> Period:
    end = (start + timedelta(days=95)).replace(day=1)
    key = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return Period(key, key.replace("-", " "), _aware(start), _aware(end))


def period_choices(today: date | None = None) -> list[Period]:
    """The rolling year first (the default), then this and the previous 4 quarters."""
    today = today or timezone.localdate()
    tomorrow = today + timedelta(days=1)
    rolling = Period(
        "12m",
        "Last 12 months",
        _aware(tomorrow.replace(year=tomorrow.year - 1)),
        _aware(tomorrow),
    )
    quarters, start = [], _quarter_start(today)
    for _ in range(5):
        quarters.append(_quarter(start))
        start = _quarter_start(start - timedelta(days=1))
    return [rolling, *quarters]


def period_get(key: str | None, today: date | None = None) -> Period:
    choices = period_choices(today)
    return next((p for p in choices if p.key == key), choices[0])
