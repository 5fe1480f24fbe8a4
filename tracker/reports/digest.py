"""The weekly leadership digest: on Monday, at each subscriber's local digest
hour, one mail with the portfolio report's "what needs attention" list, as
/reports/portfolio/ shows it to that person (only what they may read).

It reads the report, so it lives here, above reminders: its bookkeeping
(LeadershipDigest, the `leadership_digest` preference) and its claims are the
reminders app's, and it is claimed and sent exactly once like the daily digest
(tracker/reminders/services/outbox.py).
"""

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from tracker.accounts.models import User
from tracker.lib.periods import period_get
from tracker.postmortems.selectors.learning import Learning, learning_for
from tracker.reminders.mail import compose_message
from tracker.reminders.models import LeadershipDigest, NotificationPreferences
from tracker.reminders.selectors import preferences_for_user
from tracker.reminders.services.outbox import claim_lease, digests_pending, unclaimed
from tracker.reports.selectors.portfolio import portfolio_report
from tracker.reports.selectors.rows import Portfolio


def leadership_portfolio(*, user: User, now: datetime) -> Portfolio:
    """The portfolio report as /reports/portfolio/ opens for `user`: no filters,
    the default period, only the products they may read. Its `attention`
    entries (most urgent first) are the digest's list. A fixed number of
    queries, however many products."""
    period = period_get(None, timezone.localdate(now))
    return portfolio_report(filters={}, period=period, user=user, now=now)


def leadership_digest_message(
    digest: LeadershipDigest,
    portfolio: Portfolio,
    prefs: NotificationPreferences,
    learning: Learning | None = None,
) -> EmailMultiAlternatives:
    rows = portfolio.attention
    if rows:
        needs = "1 product needs" if len(rows) == 1 else f"{len(rows)} products need"
    else:
        needs = "no product needs"
    return compose_message(
        subject=f"Portfolio, week {digest.week}: {needs} attention",
        templates=("emails/leadership_digest.txt", "emails/leadership_digest.html"),
        context={
            "digest": digest,
            "recipient": digest.recipient,
            "portfolio": portfolio,
            "rows": rows,
            "needs": needs,
            # What was learned (tracker.postmortems.selectors.learning).
            "learning": learning,
            "violations": sum(row.follow_up_violations for row in portfolio.rows),
            "portfolio_url": settings.SITE_URL + reverse("reports:portfolio"),
        },
        to=digest.recipient.email,
        prefs=prefs,
    )


def send_leadership_digest(
    digest: LeadershipDigest,
    portfolio: Portfolio,
    prefs: NotificationPreferences,
    learning: Learning | None = None,
) -> None:
    leadership_digest_message(digest, portfolio, prefs, learning).send()


def leadership_digests_prepare(*, now: datetime | None = None) -> list[int]:
    """Create this ISO week's leadership digest for every subscriber whose Monday
    digest hour has come (one per person per week: `leadership_digest_once`),
    and return the ids of leadership digests still to send."""
    now = now or timezone.now()
    subscribers = NotificationPreferences.objects.filter(
        leadership_digest=True, email_enabled=True, user__is_active=True
    )
    new = [
        LeadershipDigest(
            recipient_id=prefs.user_id, year=iso[0], week=iso[1], created_at=now
        )
        for prefs in subscribers
        if (iso := prefs.leadership_week(now))
    ]
    LeadershipDigest.objects.bulk_create(new, ignore_conflicts=True)
    return digests_pending(LeadershipDigest, now)


def leadership_digest_send(*, digest_id: int, now: datetime | None = None) -> bool:
    """Claim a leadership digest and send it with the portfolio's attention list
    as it is now. False when it was sent or is being sent, or when the person
    stopped wanting it since it was prepared (the row is dropped, so subscribing
    again that Monday still brings it)."""
    now = now or timezone.now()
    mine = Q(pk=digest_id, claimed_at=now)
    claimed = LeadershipDigest.objects.filter(
        unclaimed(now - claim_lease()), pk=digest_id, sent_at__isnull=True
    ).update(claimed_at=now)
    if not claimed:
        return False
    digest = LeadershipDigest.objects.select_related("recipient").get(pk=digest_id)
    recipient = digest.recipient
    prefs = preferences_for_user(user=recipient)
    wanted = prefs.email_enabled and prefs.leadership_digest
    if not (wanted and recipient.is_active and recipient.email):
        LeadershipDigest.objects.filter(mine).delete()
        return False
    portfolio = leadership_portfolio(user=recipient, now=now)
    learning = learning_for(user=recipient, now=now)
    try:
        send_leadership_digest(digest, portfolio, prefs, learning)
    except Exception as exc:
        LeadershipDigest.objects.filter(mine).update(
            claimed_at=None, attempts=F("attempts") + 1, last_error=str(exc)[:500]
        )
        raise
    LeadershipDigest.objects.filter(mine).update(
        sent_at=timezone.now(), item_count=len(portfolio.attention), last_error=""
    )
    return True
