"""Days and moments as the site writes them: "7 Dec 2026", "7 Dec 2026 21:16".

The same text as the `date` filter's "j M Y" and "j M Y H:i" (month names
from Django's own, translated), written directly: a list writes one or more
per row, and the filter parses its format every time.
Neither converts between time zones: callers pass the moment as it is to be
read (tracker_tags.timestamp converts it to the reader's first).
"""

from datetime import date, datetime

from django.utils.dates import MONTHS_3


def day_text(value: date, *, year: bool = True) -> str:
    """ "7 Dec 2026" (`year=False`: "7 Dec")."""
    text = f"{value.day} {MONTHS_3[value.month].title()}"
    return f"{text} {value.year}" if year else text


def moment_text(value: datetime, *, year: bool = True, seconds: bool = False) -> str:
    """ "7 Dec 2026 21:16" (`year=False`: "7 Dec 21:16"; `seconds`: "21:16:05")."""
    clock = f"{value:%H:%M:%S}" if seconds else f"{value:%H:%M}"
    return f"{day_text(value, year=year)} {clock}"
