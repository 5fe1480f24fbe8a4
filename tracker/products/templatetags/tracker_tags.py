"""Display helpers used across templates."""

import math
from datetime import date, datetime, timedelta
from decimal import Decimal

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from tracker.lib.dates import day_text, moment_text
from tracker.lib.durations import format_duration

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    return format_duration(value) or "—"


def not_a_figure(value: float | None) -> bool:
    """Nothing to show: None, or NaN / infinity (never printed as such; the
    report's CSV leaves the cell empty). A template's missing attribute arrives
    as "" (a metric without measurement: `metric.latest.value`)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return True
    return not math.isfinite(value)


@register.simple_tag
def timestamp(at: datetime | None, css: str = "", year: bool = True) -> str:
    """A moment as a <time> element in the current time zone: "7 Dec 2026 21:16"
    (`year=False`: "7 Dec 21:16"), with seconds and zone as its title and ISO
    8601 for machines. The same text as the `date` filter's "j M Y H:i", "j M Y
    H:i:s e" and "c", converted once: lists print one per row."""
    if at is None:
        return ""
    at = localtime(at)
    css = f' class="{escape(css)}"' if css else ""
    title = escape(f"{moment_text(at, seconds=True)} {at.tzname() or ''}".rstrip())
    # Safe: the class and the zone's name are escaped; the rest is digits and
    # month names this code wrote.
    return mark_safe(
        f'<time{css} datetime="{at.isoformat()}" title="{title}">'
        f"{moment_text(at, year=year)}</time>"
    )


@register.filter(expects_localtime=True)
def day(value: date | None) -> str:
    """The `date` filter's "j M Y" ("7 Dec 2026"), written directly (a moment:
    its day in the current time zone)."""
    return day_text(value) if isinstance(value, date) else ""


@register.filter(expects_localtime=True)
def moment(value: datetime | None) -> str:
    """The `date` filter's "j M Y H:i" ("7 Dec 2026 21:16"), in the current
    time zone, written directly."""
    return moment_text(value) if isinstance(value, datetime) else ""


@register.filter
def pct(value: float | None, digits: int = 0) -> str:
    """0.42 → "42%"; None (or not a number) → "—"."""
    if not_a_figure(value):
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def signed_pct(value: float | None) -> str:
    if not_a_figure(value):
        return "—"
    return f"{value * 100:+.1f}%"


@register.filter
def num(value: float | None) -> str:
    """Compact number: no trailing zeros, thousands kept readable."""
    if not_a_figure(value):
        return "—"
    return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"


@register.filter
def bar_width(value: float | None) -> float:
    """A progress ratio clamped to 0–100 for SVG bar widths."""
    if value is None:
        return 0
    return round(max(0.0, min(1.0, value)) * 100, 1)


@register.inclusion_tag("includes/field.html")
def field(bound_field, wide: bool = False):
    return {"field": bound_field, "wide": wide}
