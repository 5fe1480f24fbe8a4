"""Writes of a person's own notifications (the in-app reminders) and
notification preferences."""

from typing import Any

from django.utils import timezone

from tracker.accounts.models import User
from tracker.reminders.models import NotificationPreferences, Reminder
from tracker.reminders.selectors import notification_list, preferences_for_user


def notification_mark_read(*, notification: Reminder) -> bool:
    """Mark one of the person's notifications read; False if it already was."""
    updated = Reminder.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return bool(updated)


def notifications_mark_all_read(*, user: User) -> int:
    """Mark read what the person's notification list shows."""
    unread = notification_list(user=user).filter(read_at__isnull=True)
    return unread.update(read_at=timezone.now())


PREFERENCE_FIELDS = [
    "email_enabled",
    "in_app_enabled",
    "timezone",
    "quiet_start_hour",
    "quiet_end_hour",
    "digest_enabled",
    "digest_hour",
    "leadership_digest",
]


def preferences_update(*, user: User, data: dict[str, Any]) -> NotificationPreferences:
    """Save a person's preferences. Held mail follows them at the next dispatch
    (quiet hours and the digest are decided when mail is sent)."""
    prefs = preferences_for_user(user=user)
    for field in PREFERENCE_FIELDS:
        if field in data:
            setattr(prefs, field, data[field])
    prefs.full_clean()
    prefs.save()
    return prefs
