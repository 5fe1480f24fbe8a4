"""Validators shared by models and forms of several apps."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

# Clocks drift: a value stamped a few minutes ahead is not "in the future".
CLOCK_SKEW = timedelta(minutes=5)


def not_in_future(moment: datetime | None) -> None:
    if moment is not None and moment > timezone.now() + CLOCK_SKEW:
        raise ValidationError("This cannot be in the future.", code="future")
