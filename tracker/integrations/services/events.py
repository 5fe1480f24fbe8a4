"""What happened that subscribers hear of, read from the lower apps' own rows
(incident timelines, postmortems, action items, metrics, follow-up policy
violations): this app owns the
reaction, and no lower app knows it exists.

Each occurrence carries a key naming it for good ("timeline-812",
"action-item-5-overdue-2026-07-01"), so finding it again on the next sweep
adds nothing (the delivery row's unique key).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from tracker.incidents.models import EntryKind, Status, TimelineEntry
from tracker.integrations.models import Event
from tracker.postmortems.models import Postmortem
from tracker.postmortems.models.postmortem import Status as PostmortemStatus
from tracker.postmortems.selectors.action_items import action_items_overdue
from tracker.postmortems.selectors.policies import violations
from tracker.products.models import Product, SuccessMetric

# How far back a sweep looks for occurrences: longer than any outage of the
# worker or the broker we expect to ride out, short enough to stay cheap.
LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class Occurrence:
    event: str
    key: str
    at: datetime
    product_id: int
    title: str
    path: str
    data: dict[str, Any]


def occurrences(*, now: datetime) -> list[Occurrence]:
    """Every occurrence of the last LOOKBACK, oldest first: a few queries."""
    since = now - LOOKBACK
    found = [
        *_incidents(since),
        *_postmortems(since),
        *_overdue_action_items(since, now),
        *_overdue_kpis(since, now),
        *_policy_violations(since, now),
    ]
    return sorted(found, key=lambda o: (o.at, o.key))


_INCIDENT_EVENTS = {
    Status.OPEN: Event.INCIDENT_OPENED,
    Status.ACKNOWLEDGED: Event.INCIDENT_ACKNOWLEDGED,
    Status.RESOLVED: Event.INCIDENT_RESOLVED,
}


def _incidents(since: datetime):
    opened = Q(kind=EntryKind.OPENED)
    moved = Q(
        kind=EntryKind.STATUS, new_value__in=[Status.ACKNOWLEDGED, Status.RESOLVED]
    )
    rows = TimelineEntry.objects.filter(
        opened | moved, created_at__gte=since, incident__product__isnull=False
    ).values(
        "pk",
        "created_at",
        "new_value",
        "incident_id",
        "incident__title",
        "incident__severity",
        "incident__product_id",
    )
    for row in rows:
        event = _INCIDENT_EVENTS[row["new_value"] or Status.OPEN]
        yield Occurrence(
            event=event,
            key=f"timeline-{row['pk']}",
            at=row["created_at"],
            product_id=row["incident__product_id"],
            title=f"#{row['incident_id']} {row['incident__title']}",
            path=reverse("incidents:detail", args=[row["incident_id"]]),
            data={
                "incident": row["incident_id"],
                "severity": row["incident__severity"],
                "status": row["new_value"] or Status.OPEN,
            },
        )


def _postmortems(since: datetime):
    rows = Postmortem.objects.filter(
        status=PostmortemStatus.PUBLISHED, published_at__gte=since
    ).values("pk", "title", "product_id", "published_at")
    for row in rows:
        yield Occurrence(
            event=Event.POSTMORTEM_PUBLISHED,
            key=f"postmortem-{row['pk']}-published-{row['published_at'].timestamp():.0f}",
            at=row["published_at"],
            product_id=row["product_id"],
            title=row["title"],
            path=reverse("postmortems:detail", args=[row["pk"]]),
            data={"postmortem": row["pk"]},
        )


def _overdue_action_items(since: datetime, now: datetime):
    """Items that became overdue in the window: the day after the due date."""
    rows = (
        action_items_overdue(now=now)
        .filter(due_date__gte=timezone.localdate(since) - timedelta(days=1))
        .annotate(product_id_=Coalesce("postmortem__product_id", "session__product_id"))
        .select_related("postmortem", "session", "owner")
    )
    for item in rows:
        day_after = item.due_date + timedelta(days=1)
        at = timezone.make_aware(datetime.combine(day_after, time()))
        yield Occurrence(
            event=Event.ACTION_ITEM_OVERDUE,
            key=f"action-item-{item.pk}-overdue-{item.due_date}",
            at=at,
            product_id=item.product_id_,
            title=item.description[:200],
            path=item.get_absolute_url(),
            data={
                "action_item": item.pk,
                "due_date": item.due_date.isoformat(),
                "owner": item.owner.username if item.owner else None,
            },
        )


def _overdue_kpis(since: datetime, now: datetime):
    rows = SuccessMetric.objects.filter(
        next_due_at__gte=since, next_due_at__lt=now
    ).values("pk", "name", "product_id", "product__slug", "next_due_at")
    for row in rows:
        yield Occurrence(
            event=Event.KPI_FOLLOWUP_OVERDUE,
            key=f"metric-{row['pk']}-due-{row['next_due_at'].timestamp():.0f}",
            at=row["next_due_at"],
            product_id=row["product_id"],
            title=row["name"],
            path=reverse(
                "products:metric_detail", args=[row["product__slug"], row["pk"]]
            ),
            data={"metric": row["pk"], "due_at": row["next_due_at"].isoformat()},
        )


def _policy_violations(since: datetime, now: datetime):
    """Postmortems and action items late against their follow-up policy, at
    the deadline they missed (a new deadline, after a policy change, is a new
    violation, as for the reminders)."""
    for v in violations(now=now):
        if v.deadline < since:
            continue
        yield Occurrence(
            event=Event.POLICY_VIOLATION,
            key=f"policy-{v.object_type}-{v.object_id}-late-{v.deadline.timestamp():.0f}",
            at=v.deadline,
            product_id=v.product_id,
            title=f"{v.title}: late against the {v.severity.upper()} follow-up policy",
            path=v.url,
            data={
                "object_type": v.object_type,
                "object_id": v.object_id,
                "status": v.status,
                "severity": v.severity,
                "deadline": v.deadline.isoformat(),
            },
        )


def products_of(occurrences_: list[Occurrence]) -> dict[int, dict[str, Any]]:
    """The products the occurrences name: slug, name and team, in one query."""
    ids = {o.product_id for o in occurrences_}
    rows = Product.objects.filter(pk__in=ids).values(
        "pk", "slug", "name", "team_id", team_slug=F("team__slug")
    )
    return {row["pk"]: row for row in rows}


def document(occurrence: Occurrence, product: dict[str, Any]) -> dict[str, Any]:
    """The event as the generic webhook sends it (docs/integrations.md)."""
    return {
        "id": occurrence.key,
        "event": occurrence.event,
        "occurred_at": occurrence.at.isoformat(),
        "title": occurrence.title,
        "url": f"{settings.SITE_URL}{occurrence.path}",
        "product": {"slug": product["slug"], "name": product["name"]},
        "team": product["team_slug"],
        "data": occurrence.data,
    }
