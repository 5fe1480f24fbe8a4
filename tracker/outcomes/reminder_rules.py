"""The reminder rule of data contracts: a change notice reaches the other side's
owners once each (see tracker/reminders/registry.py for the contract).

An upstream change (a source the product reads) is told to the product's three
owners; a downstream one (an output a consumer relies on) to the consumer's
owner. Posting a notice queues this rule's sweep once the transaction commits;
beat's sweep finds whatever that missed. The `reminder_once` constraint and the
claim before each mail make each person hear of a notice once.
"""

from datetime import datetime, timedelta

from django.db.models import Case, Exists, F, OuterRef, Q, When
from django.urls import reverse
from django.utils.text import Truncator

from tracker.outcomes.models import ContractChange, Side
from tracker.reminders.registry import SUBJECT_ID, Due, not_reminded, recipients, rule

SUBJECT, CHANGE_RULE = "contract_change", "contract_change"
# Notices older than this are not sent any more (a broker down for a week).
NOTIFY_WITHIN = timedelta(days=7)
UPSTREAM_OWNERS = {
    "pm": "product__pm_owner_id",
    "ml": "product__ml_owner_id",
    "eng": "product__eng_owner_id",
}
ROLES = [*UPSTREAM_OWNERS, "consumer_owner"]
COLUMNS = [
    "pk",
    "summary",
    "side",
    "created_at",
    "product_id",
    "product__name",
    "product__slug",
]


def contract_change_current() -> Exists:
    """A notice stays worth telling while it exists."""
    return Exists(ContractChange.objects.filter(pk=SUBJECT_ID))


@rule(
    name=CHANGE_RULE,
    subject_type=SUBJECT,
    label="Data contract change",
    current=contract_change_current,
)
def contract_changes_due(*, now: datetime, after: int, limit: int) -> list[Due]:
    """Notices of the last NOTIFY_WITHIN whose other side's owners were not all
    told."""
    owners = {
        role: Case(When(side=Side.UPSTREAM, then=F(field)))
        for role, field in UPSTREAM_OWNERS.items()
    }
    owners["consumer_owner"] = F("consumer__owner_id")
    pending = {
        f"{role}_pending": not_reminded(
            SUBJECT, role, after=after, occurrence=OuterRef("created_at")
        )
        for role in ROLES
    }
    rows = (
        ContractChange.objects.filter(
            created_at__gte=now - NOTIFY_WITHIN, created_at__lte=now, pk__gt=after
        )
        .annotate(**owners)
        .annotate(**pending)
        .filter(
            Q(pm__isnull=False, pm_pending=True)
            | Q(ml__isnull=False, ml_pending=True)
            | Q(eng__isnull=False, eng_pending=True)
            | Q(consumer_owner__isnull=False, consumer_owner_pending=True)
        )
        .order_by("pk")
        .values(*ROLES, *pending, *COLUMNS)[:limit]
    )
    return [_due(row) for row in rows]


def _due(row: dict) -> Due:
    summary = Truncator(" ".join(row["summary"].split())).chars(160)
    side = "upstream" if row["side"] == Side.UPSTREAM else "downstream"
    return Due(
        subject_id=row["pk"],
        occurrence=row["created_at"],
        recipients=recipients(
            *((row[role], False, row[f"{role}_pending"]) for role in ROLES)
        ),
        title=f"{row['product__name']} · {side} change · {summary}",
        url=reverse("outcomes:contracts", args=[_slug(row)]),
        product_id=row["product_id"],
    )


def _slug(row: dict) -> str:
    return row["product__slug"]
