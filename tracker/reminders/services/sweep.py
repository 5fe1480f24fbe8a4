"""The sweep: record what is due. Each rule's due subjects become one row per
(subject, occurrence, recipient, channel); the unique constraint `reminder_once`
turns a repeated or concurrent sweep into a no-op (INSERT ... ON CONFLICT DO
NOTHING). In-app rows are delivered by that insert; e-mail rows wait in the
outbox (outbox.py)."""

from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

from tracker.accounts.models import User
from tracker.products.selectors import private_product_readers
from tracker.reminders import registry
from tracker.reminders.models import Channel, Reminder
from tracker.reminders.registry import Due, Rule
from tracker.reminders.services.outbox import batch_size, claim_lease, in_outbox


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
    size, after = batch_size(), 0
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
    count = stale.filter(in_outbox(now - claim_lease())).update(
        cancelled_at=now, resolved_at=now
    )
    return count + stale.update(resolved_at=now)
