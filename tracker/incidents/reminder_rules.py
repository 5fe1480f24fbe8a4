"""The reminder rule of incidents: a product's owners hear, in the app and by
e-mail, when a SEV1 or SEV2 incident opens on it. See
tracker/reminders/registry.py for the contract.

This is the follow-up work of alert ingestion, kept off its path: the incident
itself is the pending state (open, severe, nobody told yet: the NOT EXISTS
anti-joins below), so a delivery needs only the database. Opening one queues a
sweep of this rule once the transaction commits (`incident_announce`, the fast
path, given up at once when Redis is unreachable); beat's sweep every five
minutes finds whatever was not announced. The `reminder_once` constraint and
the claim before each mail make the announcement go out once, however many
sweeps see it and whichever worker dies in between.
"""

from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils.text import Truncator

from tracker.incidents.models import Incident, Severity, Status
from tracker.lib.tasks import enqueue_on_commit
from tracker.products.models import Stage
from tracker.reminders.registry import SUBJECT_ID, Due, not_reminded, recipients, rule
from tracker.reminders.tasks import reminders_sweep

INCIDENT, OPENED = "incident", "incident_opened"
ANNOUNCED = [Severity.SEV1, Severity.SEV2]
# Older incidents are not announced any more: news that stale (a broker down
# for a week, a tracker just upgraded) is noise; the incidents page has them.
ANNOUNCE_WITHIN = timedelta(days=7)
OWNERS = {
    "pm": "product__pm_owner_id",
    "ml": "product__ml_owner_id",
    "eng": "product__eng_owner_id",
}
COLUMNS = ["pk", "title", "severity", "detected_at", "product_id", "product__name"]


def incident_announce(incident: Incident) -> None:
    """Queue this rule's sweep after commit when `incident` is one to announce."""
    if incident.severity in ANNOUNCED and incident.product_id is not None:
        enqueue_on_commit(reminders_sweep, rules=[OPENED])


def incident_opened_current() -> Exists:
    """Worth telling while the incident is open: once someone acknowledged or
    resolved it, mail about it that has not gone out is cancelled."""
    return Exists(Incident.objects.filter(pk=SUBJECT_ID, status=Status.OPEN))


@rule(
    name=OPENED,
    subject_type=INCIDENT,
    label="Incident opened",
    current=incident_opened_current,
)
def incidents_opened(*, now: datetime, after: int, limit: int) -> list[Due]:
    """Open SEV1–2 incidents of products not retired, detected in the last
    ANNOUNCE_WITHIN: the product's three owners (each once)."""
    pending = {
        f"{role}_pending": not_reminded(
            INCIDENT, role, after=after, occurrence=OuterRef("detected_at")
        )
        for role in OWNERS
    }
    rows = (
        Incident.objects.filter(
            status=Status.OPEN,
            severity__in=ANNOUNCED,
            product__isnull=False,
            detected_at__gte=now - ANNOUNCE_WITHIN,
            pk__gt=after,
        )
        .exclude(product__stage=Stage.RETIRED)
        .annotate(**{role: F(field) for role, field in OWNERS.items()}, **pending)
        .filter(
            Q(pm__isnull=False, pm_pending=True)
            | Q(ml__isnull=False, ml_pending=True)
            | Q(eng__isnull=False, eng_pending=True)
        )
        .order_by("pk")
        .values(*OWNERS, *pending, *COLUMNS)[:limit]
    )
    return [_due(row) for row in rows]


def _due(row: dict) -> Due:
    title = Truncator(" ".join(row["title"].split())).chars(200)
    return Due(
        subject_id=row["pk"],
        occurrence=row["detected_at"],
        recipients=recipients(
            *((row[role], False, row[f"{role}_pending"]) for role in OWNERS)
        ),
        title=f"{Severity(row['severity']).label} · {title} · {row['product__name']}",
        url=reverse("incidents:detail", args=[row["pk"]]),
        product_id=row["product_id"],
    )
