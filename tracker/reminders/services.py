"""Writes for reminders: the sweep that records what is due, the delivery of
e-mail (one by one, as a daily digest, and the weekly leadership digest),
notifications read, preferences, and the follow-ups people complete (KPI
reviews, survey and SLA confirmations).

Exactly once, healthchecks style:
1. the sweep inserts one row per (subject, occurrence, recipient, channel); the
   unique constraint `reminder_once` turns a repeated or concurrent sweep into a
   no-op (INSERT ... ON CONFLICT DO NOTHING);
2. in-app rows are delivered by that insert; an e-mail row is *claimed* with a
   conditional UPDATE (... WHERE sent_at IS NULL AND claimed_at IS NULL or older
   than the lease) before the mail is sent, and marked sent after, so two workers
   never both send it; a claim abandoned by a dead worker expires after the
   lease and the mail still goes out.
"""

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from tracker.accounts.models import User
from tracker.products.models import Product, ServiceLevel, Stage
from tracker.products.selectors import (
    private_product_readers,
    products_readable_by,
    readable,
)
from tracker.reminders import mail, registry
from tracker.reminders.models import (
    DEFAULT_KPI_REVIEW_WEEKS,
    MAX_REVIEW_WEEKS,
    Channel,
    Digest,
    KPIReview,
    KPIReviewPlan,
    LeadershipDigest,
    NotificationPreferences,
    Reminder,
    ReviewConfirmation,
)
from tracker.reminders.registry import Due, Rule
from tracker.reminders.selectors import (
    leadership_portfolio,
    notification_list,
    preferences_by_user,
    preferences_for_user,
)

logger = logging.getLogger(__name__)


def _lease() -> timedelta:
    return timedelta(seconds=settings.REMINDERS_CLAIM_LEASE_SECONDS)


def _batch_size() -> int:
    return settings.REMINDERS_BATCH_SIZE


def _unclaimed(cutoff: datetime) -> Q:
    """Never claimed, or claimed by a worker whose lease ran out."""
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=cutoff)


def _in_outbox(cutoff: datetime) -> Q:
    """E-mail reminders still to send and free to claim (reminder_outbox_idx)."""
    return _unclaimed(cutoff) & Q(
        channel=Channel.EMAIL, sent_at__isnull=True, cancelled_at__isnull=True
    )


def _outbox(cutoff: datetime) -> QuerySet[Reminder]:
    return Reminder.objects.filter(_in_outbox(cutoff))


def _pending_digests(
    model: type[Digest | LeadershipDigest], now: datetime
) -> list[int]:
    """Ids of daily or leadership digests not sent yet, free to claim, and not
    given up (digest_pending_idx, leadership_digest_pending_idx)."""
    return list(
        model.objects.filter(
            _unclaimed(now - _lease()),
            sent_at__isnull=True,
            attempts__lt=settings.REMINDERS_MAX_ATTEMPTS,
        ).values_list("pk", flat=True)
    )


# --- The sweep: record what is due --------------------------------------------------


def reminders_record_due(
    *, now: datetime | None = None, rules: list[str] | None = None
) -> dict[str, int]:
    """Run every rule (or those named in `rules`): cancel reminders whose
    occurrence stopped being due, then record a reminder for each due
    occurrence, recipient and enabled channel.

    Queries per rule: its `prepare`, two UPDATEs, and four per page of
    REMINDERS_BATCH_SIZE due subjects (find, preferences, private products,
    insert; one more when the page has a private team's product): the count
    does not grow with the number of rows in a page. Safe to run twice or in
    parallel: inserts that already exist are ignored.
    """
    now = now or timezone.now()
    recorded = {}
    for rule in registry.all_rules():
        if rules is not None and rule.name not in rules:
            continue
        if rule.prepare:
            rule.prepare(now=now)
        reminders_resolve_stale(rule=rule, now=now)
        recorded[rule.name] = sum(
            _record(rule, page, now) for page in _due_pages(rule, now)
        )
    return recorded


def _due_pages(rule: Rule, now: datetime) -> Iterator[list[Due]]:
    size, after = _batch_size(), 0
    while True:
        page = rule.due(now=now, after=after, limit=size)
        if page:
            yield page
        if len(page) < size:
            return
        after = page[-1].subject_id


def _channels_by_user(user_ids: set[int]) -> tuple[dict[int, list[str]], set[int]]:
    """The channels each active person gets reminders on, and who of them reads
    every product (staff and superusers), in one query."""
    rows = User.objects.filter(pk__in=user_ids, is_active=True).values_list(
        "pk",
        "email",
        "notification_preferences__in_app_enabled",
        "notification_preferences__email_enabled",
        "is_staff",
        "is_superuser",
    )
    channels, everything = {}, set()
    for pk, email, in_app, by_mail, staff, superuser in rows:
        # No preferences row (None) means the defaults: both channels on.
        wanted = [(Channel.IN_APP, in_app is not False)]
        wanted.append((Channel.EMAIL, by_mail is not False and bool(email)))
        channels[pk] = [channel for channel, on in wanted if on]
        if staff or superuser:
            everything.add(pk)
    return channels, everything


def _readers(page: list[Due], user_ids: set[int], everything: set[int]):
    """Who may hear about each due subject: a private team's products only reach
    their members, owners, staff and superusers (tracker.accounts.selectors)."""
    products = {due.product_id for due in page if due.product_id is not None}
    private = private_product_readers(products, user_ids - everything)

    def may_read(user_id: int, due: Due) -> bool:
        readers = private.get(due.product_id)
        return readers is None or user_id in readers or user_id in everything

    return may_read


def _record(rule: Rule, page: list[Due], now: datetime) -> int:
    user_ids = {uid for due in page for uid, _ in due.recipients}
    channels, everything = _channels_by_user(user_ids)
    may_read = _readers(page, user_ids, everything)
    rows = [
        Reminder(
            rule=rule.name,
            subject_type=rule.subject_type,
            subject_id=due.subject_id,
            occurrence=due.occurrence,
            recipient_id=user_id,
            channel=channel,
            escalation=escalation,
            title=due.title[:300],
            url=due.url,
            product_id=due.product_id,
            created_at=now,
            # An in-app notification is delivered by being recorded.
            sent_at=now if channel == Channel.IN_APP else None,
        )
        for due in page
        for user_id, escalation in due.recipients
        if may_read(user_id, due)
        for channel in channels.get(user_id, ())
    ]
    # 2,000 rows × 19 columns stay under PostgreSQL's 65,535 parameters.
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(rows)


def reminders_resolve_stale(*, rule: Rule, now: datetime) -> int:
    """Reminders whose occurrence is no longer due (the measurement was recorded,
    the review completed, the subject deleted) are resolved; unsent mail for them
    is cancelled, unless a worker is sending it right now."""
    stale = Reminder.objects.filter(rule=rule.name, resolved_at__isnull=True).exclude(
        rule.current()
    )
    count = stale.filter(_in_outbox(now - _lease())).update(
        cancelled_at=now, resolved_at=now
    )
    return count + stale.update(resolved_at=now)


# --- Delivery: one mail per reminder ------------------------------------------------


def reminders_dispatch(*, now: datetime | None = None) -> list[int]:
    """Ids of e-mail reminders to send now, marked queued so the next run does
    not queue them again before the lease ends. Mail for people in their quiet
    hours or on the daily digest stays in the outbox; mail for people who turned
    e-mail off is cancelled. A few queries per page of REMINDERS_BATCH_SIZE."""
    now = now or timezone.now()
    cutoff, size, after, ready = now - _lease(), _batch_size(), 0, []
    waiting = _outbox(cutoff).filter(
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


NOT_READABLE = "The recipient may not read its product (a private team's)."


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
    if not _outbox(now - _lease()).filter(pk=reminder_id).update(claimed_at=now):
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


# --- Delivery: the daily digest -----------------------------------------------------


def digests_prepare(*, now: datetime | None = None) -> list[int]:
    """Create today's digest for everyone on the digest whose digest hour has come
    and who has mail waiting (one per person per local day: `digest_once`), and
    return the ids of digests still to send."""
    now = now or timezone.now()
    cutoff = now - _lease()
    waiting = _outbox(cutoff).filter(recipient=OuterRef("user_id"))
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
    return _pending_digests(Digest, now)


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
    cutoff = now - _lease()
    claimed = Digest.objects.filter(
        _unclaimed(cutoff), pk=digest_id, sent_at__isnull=True
    ).update(claimed_at=now)
    if not claimed:
        return False
    digest = Digest.objects.select_related("recipient").get(pk=digest_id)
    waiting = _outbox(cutoff).filter(recipient=digest.recipient)
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


# --- Delivery: the weekly leadership digest -----------------------------------------


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
    return _pending_digests(LeadershipDigest, now)


def leadership_digest_send(*, digest_id: int, now: datetime | None = None) -> bool:
    """Claim a leadership digest and send it with the portfolio's attention list
    as it is now. False when it was sent or is being sent, or when the person
    stopped wanting it since it was prepared (the row is dropped, so subscribing
    again that Monday still brings it)."""
    now = now or timezone.now()
    mine = Q(pk=digest_id, claimed_at=now)
    claimed = LeadershipDigest.objects.filter(
        _unclaimed(now - _lease()), pk=digest_id, sent_at__isnull=True
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
    try:
        mail.send_leadership_digest(digest, portfolio, prefs)
    except Exception as exc:
        LeadershipDigest.objects.filter(mine).update(
            claimed_at=None, attempts=F("attempts") + 1, last_error=str(exc)[:500]
        )
        raise
    LeadershipDigest.objects.filter(mine).update(
        sent_at=timezone.now(), item_count=len(portfolio.attention), last_error=""
    )
    return True


# --- Notifications and preferences --------------------------------------------------


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


# --- Post-launch KPI reviews --------------------------------------------------------


def kpi_reviews_schedule(
    *, now: datetime | None = None, product_ids: list[int] | None = None
) -> None:
    """Make every launched product's open reviews match its plan: one review per
    planned week, due that many weeks after launch. Runs before each sweep (so a
    product that entered production gets its reviews at the next sweep) and
    when a plan changes. Completed reviews are never touched."""
    now = now or timezone.now()
    products = Product.objects.filter(launched_at__isnull=False).exclude(
        stage=Stage.RETIRED
    )
    if product_ids is not None:
        products = products.filter(pk__in=product_ids)
    size, after = _batch_size(), 0
    while page := list(
        products.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", "launched_at", "kpi_review_plan__weeks")[:size]
    ):
        _schedule_page(page, now)
        after = page[-1][0]


def _schedule_page(page: list[tuple], now: datetime) -> None:
    existing: dict[int, dict[int, KPIReview]] = {}
    for review in KPIReview.objects.filter(product_id__in=[p[0] for p in page]):
        existing.setdefault(review.product_id, {})[review.weeks] = review
    create, move, drop = [], [], []
    for product_id, launched_at, planned in page:
        weeks = DEFAULT_KPI_REVIEW_WEEKS if planned is None else planned
        wanted = {w: launched_at + timedelta(weeks=w) for w in weeks}
        have = existing.get(product_id, {})
        for week, due_at in wanted.items():
            review = have.get(week)
            if review is None:
                create.append(
                    KPIReview(
                        product_id=product_id, weeks=week, due_at=due_at, created_at=now
                    )
                )
            elif not review.is_done and review.due_at != due_at:
                review.due_at = due_at
                move.append(review)
        drop += [r.pk for w, r in have.items() if w not in wanted and not r.is_done]
    KPIReview.objects.bulk_create(create, ignore_conflicts=True)
    KPIReview.objects.bulk_update(move, ["due_at"])
    if drop:
        KPIReview.objects.filter(pk__in=drop, completed_at__isnull=True).delete()


def parse_review_weeks(text: str) -> list[int]:
    """ "2, 6, 13" → [2, 6, 13]; raises ValidationError naming the bad part."""
    weeks = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= MAX_REVIEW_WEEKS:
            raise ValidationError(
                f"“{part}” is not a number of weeks between 1 and {MAX_REVIEW_WEEKS}."
            )
        weeks.add(int(part))
    return sorted(weeks)


@transaction.atomic
def kpi_review_plan_update(
    *, product: Product, weeks: list[int], actor: User | None
) -> KPIReviewPlan:
    """Set when the product's KPIs are reviewed after launch; open reviews follow
    at once, completed ones stay as they are."""
    if any(not 1 <= w <= MAX_REVIEW_WEEKS for w in weeks):
        raise ValidationError(f"Weeks must be between 1 and {MAX_REVIEW_WEEKS}.")
    plan, _ = KPIReviewPlan.objects.update_or_create(
        product=product, defaults={"weeks": sorted(set(weeks)), "updated_by": actor}
    )
    kpi_reviews_schedule(product_ids=[product.pk])
    return plan


def kpi_review_complete(
    *, review: KPIReview, actor: User | None, conclusion: str
) -> KPIReview:
    """Record the review's conclusion; reminders for it stop at the next sweep
    (and unsent mail for it is not sent)."""
    if review.is_done:
        raise ValidationError("This review is already completed.")
    review.conclusion = conclusion.strip()
    if not review.conclusion:
        raise ValidationError({"conclusion": "Write down what the review concluded."})
    review.completed_at = timezone.now()
    review.completed_by = actor
    review.full_clean()
    review.save(update_fields=["conclusion", "completed_at", "completed_by"])
    return review


# --- Survey and SLA reviews ---------------------------------------------------------


def review_confirm(
    *, product: Product, actor: User | None, sla: ServiceLevel | None = None
) -> ReviewConfirmation:
    """Someone checked the product's data survey (or one SLA) and it is still
    right: its review clock restarts now."""
    if sla is not None and sla.product_id != product.pk:
        raise ValidationError("That SLA belongs to another product.")
    return ReviewConfirmation.objects.create(
        product=product, sla=sla, reviewed_at=timezone.now(), reviewed_by=actor
    )
