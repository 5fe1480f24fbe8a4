"""Delivery of the daily digest: one mail a day listing the reminders waiting for
a person who chose the digest, claimed like single reminders (outbox.py)."""

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from tracker.products.selectors import readable
from tracker.reminders import mail, registry
from tracker.reminders.models import Digest, NotificationPreferences, Reminder
from tracker.reminders.selectors import preferences_for_user
from tracker.reminders.services.outbox import (
    NOT_READABLE,
    claim_lease,
    digests_pending,
    outbox,
    unclaimed,
)


def digests_prepare(*, now: datetime | None = None) -> list[int]:
    """Create today's digest for everyone on the digest whose digest hour has come
    and who has mail waiting (one per person per local day: `digest_once`), and
    return the ids of digests still to send."""
    now = now or timezone.now()
    cutoff = now - claim_lease()
    waiting = outbox(cutoff).filter(recipient=OuterRef("user_id"))
    subscribers = NotificationPreferences.objects.filter(
        Exists(waiting),
        digest_enabled=True,
        email_enabled=True,
        user__is_active=True,
    )
    new = [
        Digest(recipient_id=prefs.user_id, day=day, created_at=now)
        for prefs in subscribers
        if (day := prefs.digest_day(now))
    ]
    Digest.objects.bulk_create(new, ignore_conflicts=True)
    return digests_pending(Digest, now)


def _current_anywhere() -> Q:
    """True for reminders still due under their own rule."""
    condition = Q(pk__in=[])
    for rule in registry.all_rules():
        condition |= Q(rule=rule.name) & rule.current()
    return condition


def digest_send(*, digest_id: int, now: datetime | None = None) -> bool:
    """Claim a digest, claim the mail waiting for its recipient, send one mail
    listing it all, then mark digest and reminders sent together."""
    now = now or timezone.now()
    cutoff = now - claim_lease()
    claimed = Digest.objects.filter(
        unclaimed(cutoff), pk=digest_id, sent_at__isnull=True
    ).update(claimed_at=now)
    if not claimed:
        return False
    digest = Digest.objects.select_related("recipient").get(pk=digest_id)
    waiting = outbox(cutoff).filter(recipient=digest.recipient)
    # A team may have gone private since: what its reader may not see is dropped.
    waiting.exclude(readable(digest.recipient, "product", unassigned=True)).update(
        cancelled_at=now, last_error=NOT_READABLE
    )
    waiting.filter(_current_anywhere()).update(claimed_at=now)
    items = list(
        Reminder.objects.filter(
            recipient=digest.recipient, claimed_at=now, sent_at__isnull=True
        ).order_by("occurrence", "pk")
    )
    try:
        if items:
            prefs = preferences_for_user(user=digest.recipient)
            mail.send_digest(digest, items, prefs)
    except Exception as exc:
        Reminder.objects.filter(pk__in=[r.pk for r in items]).update(claimed_at=None)
        Digest.objects.filter(pk=digest_id, claimed_at=now).update(
            claimed_at=None, attempts=F("attempts") + 1, last_error=str(exc)[:500]
        )
        raise
    with transaction.atomic():
        Digest.objects.filter(pk=digest_id, claimed_at=now).update(
            sent_at=timezone.now(), item_count=len(items)
        )
        Reminder.objects.filter(pk__in=[r.pk for r in items]).update(
            sent_at=timezone.now(), digest=digest
        )
    return bool(items)
