"""The reminder rules of the products domain: KPI follow-up measurements,
post-launch KPI reviews, and data surveys and SLAs due for a fresh look.

A plug-in of the reminders app (discovered like admin.py), so it may import
what it plugs into: the registry, and the follow-up rows reminders keeps for
products (KPIReview, ReviewConfirmation) and their scheduling.

Each finder returns one page of due subjects in one query (annotations and
NOT EXISTS anti-joins against the reminders already recorded); none issues a
query per row. See tracker/reminders/registry.py for the contract.
"""

from datetime import datetime, timedelta

from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse

from tracker.products.models import (
    FeatureSource,
    Product,
    ServiceLevel,
    Stage,
    SuccessMetric,
)
from tracker.reminders.models import KPIReview, ReviewConfirmation
from tracker.reminders.registry import (
    OCCURRENCE,
    SUBJECT_ID,
    Due,
    not_reminded,
    recipients,
    rule,
)
from tracker.reminders.services.reviews import kpi_reviews_schedule, review_period

ONE_DAY = Value(timedelta(days=1), output_field=DurationField())
# Typed as a plain integer: SQLite only multiplies durations by IntegerField.
CADENCE = ExpressionWrapper(F("cadence_days"), output_field=IntegerField())


# --- KPI follow-up measurements -----------------------------------------------------


def metric_followup_current() -> Exists:
    """Still due while the metric's next follow-up is this occurrence: recording
    a measurement moves next_due_at on, which ends the occurrence."""
    return Exists(
        SuccessMetric.objects.filter(pk=SUBJECT_ID, next_due_at=OCCURRENCE).exclude(
            product__stage=Stage.RETIRED
        )
    )


@rule(
    name="metric_followup",
    subject_type="metric",
    label="Measurement due",
    escalation_label="Measurement overdue",
    current=metric_followup_current,
)
def metric_followups_due(*, now: datetime, after: int, limit: int) -> list[Due]:
    """Metrics whose next measurement is due: the metric's owner (the product's
    PM owner when it has none) is reminded; once overdue by more than one
    cadence the PM owner is reminded too (escalation)."""
    due = OuterRef("next_due_at")
    rows = (
        SuccessMetric.objects.filter(pk__gt=after, next_due_at__lte=now)
        .exclude(product__stage=Stage.RETIRED)
        .annotate(
            reminded=Coalesce("owner_id", "product__pm_owner_id"),
            pm=F("product__pm_owner_id"),
            escalate_at=ExpressionWrapper(
                F("next_due_at") + CADENCE * ONE_DAY,
                output_field=DateTimeField(),
            ),
            owner_pending=not_reminded(
                "metric", "reminded", after=after, occurrence=due
            ),
            pm_pending=not_reminded("metric", "pm", after=after, occurrence=due),
        )
        .filter(
            Q(reminded__isnull=False, owner_pending=True)
            | Q(pm__isnull=False, pm_pending=True, escalate_at__lt=now)
        )
        .order_by("pk")
        .values(
            "pk",
            "next_due_at",
            "cadence_days",
            "name",
            "product_id",
            "product__name",
            "product__slug",
            "reminded",
            "owner_pending",
            "pm",
            "pm_pending",
        )[:limit]
    )
    found = []
    for row in rows:
        due_at = row["next_due_at"]
        escalate = due_at + timedelta(days=row["cadence_days"]) < now
        found.append(
            Due(
                subject_id=row["pk"],
                occurrence=due_at,
                recipients=recipients(
                    (row["reminded"], False, row["owner_pending"]),
                    (row["pm"], True, row["pm_pending"] and escalate),
                ),
                title=f"{row['name']} · {row['product__name']}",
                url=reverse(
                    "products:metric_detail", args=[row["product__slug"], row["pk"]]
                ),
                product_id=row["product_id"],
            )
        )
    return found


# --- Post-launch KPI reviews --------------------------------------------------------


def kpi_review_current() -> Exists:
    return Exists(
        KPIReview.objects.filter(
            pk=SUBJECT_ID, due_at=OCCURRENCE, completed_at__isnull=True
        ).exclude(product__stage=Stage.RETIRED)
    )


def _schedule_reviews(*, now: datetime) -> None:
    kpi_reviews_schedule(now=now)


@rule(
    name="kpi_review",
    subject_type="kpi_review",
    label="KPI review due",
    current=kpi_review_current,
    prepare=_schedule_reviews,
)
def kpi_reviews_due(*, now: datetime, after: int, limit: int) -> list[Due]:
    """Open post-launch reviews past their date: the PM and ML owners."""
    due = OuterRef("due_at")
    rows = (
        KPIReview.objects.filter(pk__gt=after, due_at__lte=now, completed_at=None)
        .exclude(product__stage=Stage.RETIRED)
        .annotate(
            pm=F("product__pm_owner_id"),
            ml=F("product__ml_owner_id"),
            pm_pending=not_reminded("kpi_review", "pm", after=after, occurrence=due),
            ml_pending=not_reminded("kpi_review", "ml", after=after, occurrence=due),
        )
        .filter(
            Q(pm__isnull=False, pm_pending=True) | Q(ml__isnull=False, ml_pending=True)
        )
        .order_by("pk")
        .values_list(
            "pk",
            "due_at",
            "weeks",
            "product_id",
            "product__name",
            "product__slug",
            "pm",
            "pm_pending",
            "ml",
            "ml_pending",
        )[:limit]
    )
    return [
        Due(
            subject_id=pk,
            occurrence=due_at,
            recipients=recipients((pm, False, pm_go), (ml, False, ml_go)),
            title=f"{product}: {weeks}-week KPI review",
            url=reverse("reminders:kpi_review", args=[slug, pk]),
            product_id=product_id,
        )
        for pk, due_at, weeks, product_id, product, slug, pm, pm_go, ml, ml_go in rows
    ]


# --- Data surveys and SLAs not reviewed for a while ---------------------------------
# "Reviewed" is the later of the last edit and the last explicit confirmation;
# the occurrence is that moment plus the review period. A reminder belongs to
# the current cycle when its occurrence is after the last review.


def _latest_confirmation(**subject) -> Subquery:
    return Subquery(
        ReviewConfirmation.objects.filter(**subject)
        .order_by("-reviewed_at")
        .values("reviewed_at")[:1],
        output_field=DateTimeField(),
    )


def _reviewed_since(queryset, field: str):
    """Rows of `queryset` whose `field` plus the period is after the occurrence:
    a review after the one the reminder was computed from."""
    return queryset.alias(until=F(field) + review_period()).filter(until__gt=OCCURRENCE)


def survey_review_current() -> Q:
    features = FeatureSource.objects.filter(product=SUBJECT_ID)
    confirmations = ReviewConfirmation.objects.filter(
        product=SUBJECT_ID, sla__isnull=True
    )
    return (
        Exists(Product.objects.filter(pk=SUBJECT_ID).exclude(stage=Stage.RETIRED))
        & Exists(features)
        & ~Exists(_reviewed_since(features, "updated_at"))
        & ~Exists(_reviewed_since(confirmations, "reviewed_at"))
    )


@rule(
    name="survey_review",
    subject_type="survey",
    label="Data survey to review",
    current=survey_review_current,
)
def survey_reviews_due(*, now: datetime, after: int, limit: int) -> list[Due]:
    """Production-data surveys unchanged and unconfirmed for the review period:
    the product's ML owner (or PM owner)."""
    period = review_period()
    edited = Subquery(
        FeatureSource.objects.filter(product=OuterRef("pk"))
        .order_by()
        .values("product")
        .annotate(latest=Max("updated_at"))
        .values("latest"),
        output_field=DateTimeField(),
    )
    confirmed = _latest_confirmation(product=OuterRef("pk"), sla__isnull=True)
    rows = (
        Product.objects.filter(pk__gt=after)
        .exclude(stage=Stage.RETIRED)
        .annotate(
            reviewed=Greatest(edited, Coalesce(confirmed, edited)),
            reminded=Coalesce("ml_owner_id", "pm_owner_id"),
        )
        .filter(reviewed__lte=now - period, reminded__isnull=False)
        .filter(
            not_reminded(
                "survey", "reminded", after=after, occurrence__gt=OuterRef("reviewed")
            )
        )
        .order_by("pk")
        .values_list("pk", "reviewed", "name", "slug", "reminded")[:limit]
    )
    return [
        Due(
            subject_id=pk,
            occurrence=reviewed + period,
            recipients=((reminded, False),),
            title=f"{name}: production-data survey",
            url=reverse("products:survey", args=[slug]),
            product_id=pk,
        )
        for pk, reviewed, name, slug, reminded in rows
    ]


def sla_review_current() -> Q:
    sla = ServiceLevel.objects.filter(pk=SUBJECT_ID).exclude(
        product__stage=Stage.RETIRED
    )
    confirmations = ReviewConfirmation.objects.filter(sla=SUBJECT_ID)
    return (
        Exists(sla)
        & ~Exists(_reviewed_since(sla, "updated_at"))
        & ~Exists(_reviewed_since(confirmations, "reviewed_at"))
    )


@rule(
    name="sla_review",
    subject_type="sla",
    label="SLA to review",
    current=sla_review_current,
)
def sla_reviews_due(*, now: datetime, after: int, limit: int) -> list[Due]:
    """SLAs unchanged and unconfirmed for the review period: the product's
    engineering owner (or PM owner)."""
    period = review_period()
    confirmed = _latest_confirmation(sla=OuterRef("pk"))
    rows = (
        ServiceLevel.objects.filter(pk__gt=after)
        .exclude(product__stage=Stage.RETIRED)
        .annotate(
            reviewed=Greatest("updated_at", Coalesce(confirmed, "updated_at")),
            reminded=Coalesce("product__eng_owner_id", "product__pm_owner_id"),
        )
        .filter(reviewed__lte=now - period, reminded__isnull=False)
        .filter(
            not_reminded(
                "sla", "reminded", after=after, occurrence__gt=OuterRef("reviewed")
            )
        )
        .order_by("pk")
        .values_list(
            "pk",
            "reviewed",
            "name",
            "product_id",
            "product__name",
            "product__slug",
            "reminded",
        )[:limit]
    )
    return [
        Due(
            subject_id=pk,
            occurrence=reviewed + period,
            recipients=((reminded, False),),
            title=f"{name} · {product}",
            url=reverse("products:sla_detail", args=[slug, pk]),
            product_id=product_id,
        )
        for pk, reviewed, name, product_id, product, slug, reminded in rows
    ]
