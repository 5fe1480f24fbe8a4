"""The outbox and its claims, shared by every delivery: which e-mail reminders and
digests are still to send and free to claim, and how long a claim lasts.

Exactly once, healthchecks style: a row is *claimed* with a conditional UPDATE
(... WHERE sent_at IS NULL AND claimed_at IS NULL or older than the lease)
before its mail is sent, and marked sent after, so two workers never both send
it; a claim abandoned by a dead worker expires after the lease and the mail
still goes out."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from tracker.reminders.models import Channel, Digest, LeadershipDigest, Reminder

NOT_READABLE = "The recipient may not read its product (a private team's)."


def claim_lease() -> timedelta:
    return timedelta(seconds=settings.REMINDERS_CLAIM_LEASE_SECONDS)


def batch_size() -> int:
    return settings.REMINDERS_BATCH_SIZE


def unclaimed(cutoff: datetime) -> Q:
    """Never claimed, or claimed by a worker whose lease ran out."""
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=cutoff)


def in_outbox(cutoff: datetime) -> Q:
    """E-mail reminders still to send and free to claim (reminder_outbox_idx)."""
    return unclaimed(cutoff) & Q(
        channel=Channel.EMAIL, sent_at__isnull=True, cancelled_at__isnull=True
    )


def outbox(cutoff: datetime) -> QuerySet[Reminder]:
    return Reminder.objects.filter(in_outbox(cutoff))


def digests_pending(model: type[Digest | LeadershipDigest], now: datetime) -> list[int]:
    """Ids of daily or leadership digests not sent yet, free to claim, and not
    given up (digest_pending_idx, leadership_digest_pending_idx)."""
    return list(
        model.objects.filter(
            unclaimed(now - claim_lease()),
            sent_at__isnull=True,
            attempts__lt=settings.REMINDERS_MAX_ATTEMPTS,
        ).values_list("pk", flat=True)
    )
