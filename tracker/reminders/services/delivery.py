"""Delivery of e-mail reminders one by one: the dispatch that picks what may go
out now, and the send, which claims a reminder before mailing it (outbox.py)
so it goes out once."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from tracker.accounts.models import User
from tracker.products.selectors import products_readable_by
from tracker.reminders import mail, registry
from tracker.reminders.models import Reminder
from tracker.reminders.selectors import preferences_by_user, preferences_for_user
from tracker.reminders.services.outbox import (
    NOT_READABLE,
    batch_size,
    claim_lease,
    outbox,
)


def reminders_dispatch(*, now: datetime | None = None) -> list[int]:
    """Ids of e-mail reminders to send now, marked queued so the next run does
    not queue them again before the lease ends. Mail for people in their quiet
    hours or on the daily digest stays in the outbox; mail for people who turned
    e-mail off is cancelled. A few queries per page of REMINDERS_BATCH_SIZE."""
    now = now or timezone.now()
    cutoff, size, after, ready = now - claim_lease(), batch_size(), 0, []
    waiting = outbox(cutoff).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lt=cutoff),
        attempts__lt=settings.REMINDERS_MAX_ATTEMPTS,
    )
    while True:
        page = list(
            waiting.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "recipient_id")[:size]
        )
        if not page:
            break
        prefs = preferences_by_user(uid for _, uid in page)
        off = [pk for pk, uid in page if not prefs[uid].email_enabled]
        now_ids = [pk for pk, uid in page if prefs[uid].mails_each_reminder(now)]
        if off:
            Reminder.objects.filter(pk__in=off, sent_at__isnull=True).update(
                cancelled_at=now, last_error="E-mail turned off by the recipient."
            )
        if now_ids:
            Reminder.objects.filter(pk__in=now_ids).update(queued_at=now)
        ready += now_ids
        if len(page) < size:
            break
        after = page[-1][0]
    return ready


def _may_read(recipient: User, reminder: Reminder) -> bool:
    """Checked again at sending: a team may have gone private since."""
    if reminder.product_id is None:
        return True
    return products_readable_by(recipient).filter(pk=reminder.product_id).exists()


def _still_due(reminder: Reminder) -> bool:
    rule = registry.get_rule(reminder.rule)
    if rule is None:
        return False
    return Reminder.objects.filter(pk=reminder.pk).filter(rule.current()).exists()


def _cancel(reminder_id: int, now: datetime, reason: str) -> None:
    Reminder.objects.filter(pk=reminder_id, sent_at__isnull=True).update(
        cancelled_at=now, claimed_at=None, last_error=reason
    )


def _release(reminder_id: int, claim: datetime, **changes: Any) -> None:
    Reminder.objects.filter(pk=reminder_id, claimed_at=claim).update(
        claimed_at=None, **changes
    )


def reminder_send(*, reminder_id: int, now: datetime | None = None) -> bool:
    """Claim one e-mail reminder and send it; False when there was nothing to do
    (sent or being sent already, no longer due, held for quiet hours or the
    digest). A failed send releases the claim and re-raises, for the task to
    retry with backoff."""
    now = now or timezone.now()
    if not outbox(now - claim_lease()).filter(pk=reminder_id).update(claimed_at=now):
        return False
    reminder = Reminder.objects.select_related("recipient").get(pk=reminder_id)
    recipient = reminder.recipient
    prefs = preferences_for_user(user=recipient)
    if not _still_due(reminder):
        _cancel(reminder_id, now, "No longer due.")
        return False
    if not _may_read(recipient, reminder):
        _cancel(reminder_id, now, NOT_READABLE)
        return False
    if not (recipient.is_active and recipient.email and prefs.email_enabled):
        _cancel(reminder_id, now, "Recipient cannot receive e-mail.")
        return False
    if not prefs.mails_each_reminder(now):
        _release(reminder_id, now, queued_at=None)
        return False
    try:
        mail.send_reminder(reminder, prefs)
    except Exception as exc:
        error = str(exc)[:500]
        _release(reminder_id, now, attempts=F("attempts") + 1, last_error=error)
        raise
    Reminder.objects.filter(
        pk=reminder_id, claimed_at=now, cancelled_at__isnull=True
    ).update(sent_at=timezone.now(), last_error="")
    return True
