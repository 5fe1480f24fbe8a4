"""Human-friendly durations ("15m", "2h", "1d 6h", "1w") for freshness fields.

Accepted everywhere a duration is typed (forms and API) and used for display, so
people never have to write "0 00:15:00".
"""

import re
from datetime import timedelta

from django.utils.dateparse import parse_duration

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_WHOLE = re.compile(r"^(?:\s*\d+(?:\.\d+)?\s*[smhdw]\s*)+$", re.IGNORECASE)
MAX_DURATION = timedelta(days=3660)


def parse_human_duration(text: str) -> timedelta | None:
    """Parse "15m", "1d 6h", ISO 8601 ("PT15M") or Django's "1 00:00:00".

    Returns None when the text is not a duration (callers turn that into a field
    error); never raises on user input.
    """
    text = (text or "").strip()
    if not text:
        return None
    if _WHOLE.match(text):
        seconds = sum(float(n) * _UNITS[u.lower()] for n, u in _PART.findall(text))
        value = timedelta(seconds=seconds)
    else:
        try:
            value = parse_duration(text)
        except (ValueError, OverflowError):
            return None
    if value is None or value < timedelta(0) or value > MAX_DURATION:
        return None
    return value


def format_duration(value: timedelta | None) -> str:
    """The shortest readable form: "15m", "1d 6h", "45s"; "" for None."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0m"
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts)
