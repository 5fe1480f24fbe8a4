"""The postmortem, the KPIs it moved, and its history of status moves and
edits after publishing."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse

from tracker.incidents.models import Severity
from tracker.postmortems.models.sections import SECTIONS, Section

# A postmortem of a product failure has no incident to take a severity from.
PRODUCT_FAILURE_SEVERITY = Severity.SEV2
# Kept by services.followup, never by a save of the row.
FOLLOWUP_FIELDS = ("followup_severity", "followup_from", "followup_deadline")

User = settings.AUTH_USER_MODEL


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    REVIEWED = "reviewed", "Reviewed"
    PUBLISHED = "published", "Published"


STATUS_ORDER = [choice.value for choice in Status]
# Moves a postmortem may make (services.postmortem_transition). Back to draft
# is possible from every later state, with a reason.
TRANSITIONS = {
    Status.DRAFT: {Status.IN_REVIEW},
    Status.IN_REVIEW: {Status.REVIEWED, Status.DRAFT},
    Status.REVIEWED: {Status.PUBLISHED, Status.DRAFT},
    Status.PUBLISHED: {Status.DRAFT},
}


class FailureKind(models.TextChoices):
    """How a product failed without any incident: a postmortem of a product
    failure names one instead of covering incidents."""

    KPI_NOT_MET = "kpi_not_met", "KPI target not met"
    DATA_UNAVAILABLE = (
        "data_unavailable_in_production",
        "Data unavailable in production",
    )
    NOT_ADOPTED = "not_adopted", "Not adopted"
    COST_EXCEEDED_VALUE = "cost_exceeded_value", "Cost exceeded value"
    ABANDONED = "abandoned", "Abandoned"
    OTHER = "other", "Other"


def _section_field(section: Section) -> models.TextField:
    return models.TextField(section.title, blank=True, help_text=section.prompt)


def _na_field(section: Section) -> models.BooleanField:
    return models.BooleanField(f"{section.title}: not applicable", default=False)


class Postmortem(models.Model):
    """A blameless write-up of one or more incidents of a product, or of the
    product's own failure (`failure_kind`: the KPI never moved, nobody adopted
    it...), which covers no incident (services.postmortem_create checks that).

    Sections are Markdown, rendered sanitized (tracker.lib.markdown). Each can be
    marked not applicable. `search_vector` is maintained on PostgreSQL only
    (services.postmortem_search_refresh) and stays empty on SQLite, where the library
    searches with icontains instead.
    """

    product = models.ForeignKey(
        "products.Product", on_delete=models.PROTECT, related_name="postmortems"
    )
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status, default=Status.DRAFT)
    incidents = models.ManyToManyField(
        "incidents.Incident", related_name="postmortems", blank=True
    )
    failure_kind = models.CharField(
        max_length=32,
        choices=FailureKind,
        blank=True,
        help_text="For a product that failed without an incident: how it failed.",
    )
    authors = models.ManyToManyField(
        User, related_name="postmortems_authored", blank=True
    )
    reviewers = models.ManyToManyField(
        User, related_name="postmortems_reviewing", blank=True
    )
    review_owner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="postmortems_owned",
        help_text="Schedules the review meeting and sees it through.",
    )
    review_meeting_at = models.DateTimeField("review meeting", null=True, blank=True)
    review_deadline = models.DateField(
        null=True,
        blank=True,
        help_text="Leave empty for the default: 5 business days after the last "
        "covered incident was resolved.",
    )
    summary = _section_field(SECTIONS[0])
    impact = _section_field(SECTIONS[1])
    trigger = _section_field(SECTIONS[2])
    detection = _section_field(SECTIONS[3])
    resolution = _section_field(SECTIONS[4])
    went_well = _section_field(SECTIONS[5])
    went_wrong = _section_field(SECTIONS[6])
    lucky = _section_field(SECTIONS[7])
    lessons = _section_field(SECTIONS[8])
    links = _section_field(SECTIONS[9])
    summary_na = _na_field(SECTIONS[0])
    impact_na = _na_field(SECTIONS[1])
    trigger_na = _na_field(SECTIONS[2])
    detection_na = _na_field(SECTIONS[3])
    resolution_na = _na_field(SECTIONS[4])
    went_well_na = _na_field(SECTIONS[5])
    went_wrong_na = _na_field(SECTIONS[6])
    lucky_na = _na_field(SECTIONS[7])
    lessons_na = _na_field(SECTIONS[8])
    links_na = _na_field(SECTIONS[9])
    users_affected = models.PositiveIntegerField(null=True, blank=True)
    error_budget_consumed = models.FloatField(
        "SLA error budget consumed (%)",
        null=True,
        blank=True,
        help_text="Share of the window's error budget this incident used.",
    )
    no_action_items = models.BooleanField(
        "no action items",
        default=False,
        help_text="Say so explicitly when the review found nothing to change.",
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)
    # What its follow-up policy's deadline is worked out from, kept in step
    # with its incidents (services/followup.py): the most severe of them (a
    # product failure's, with none), and when the clock started: the last of
    # them resolved, its creation with none, None while one is unresolved.
    followup_severity = models.CharField(
        max_length=4, default=PRODUCT_FAILURE_SEVERITY, editable=False
    )
    followup_from = models.DateTimeField(null=True, blank=True, editable=False)
    # And the deadline its policy sets from them (None: no policy gives one,
    # or an incident is unresolved), kept in step with the policies and its
    # product's risk tier too.
    followup_deadline = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=STATUS_ORDER), name="postmortem_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED) | Q(published_at__isnull=False),
                name="postmortem_published_has_time",
            ),
            models.CheckConstraint(
                condition=Q(error_budget_consumed__isnull=True)
                | Q(error_budget_consumed__gte=0),
                name="postmortem_error_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(failure_kind="") | Q(failure_kind__in=FailureKind.values),
                name="postmortem_failure_kind_valid",
            ),
        ]
        indexes = [
            # The library lists published ones newest first (selectors.library_list).
            models.Index(
                fields=["status", "-published_at"], name="postmortem_status_idx"
            ),
            # A product's postmortems (selectors.postmortem_list, reports).
            models.Index(fields=["product", "status"], name="postmortem_product_idx"),
            # The list's order (selectors.postmortem_list, the list page and the
            # API): a page of it reads only its rows, not every readable one.
            models.Index(
                fields=["-updated_at", "-id"], name="postmortem_list_order_idx"
            ),
            # Insights read the published ones of a period with their product,
            # creation and policy deadline (factors per quarter, published
            # within policy) from this index alone, not from the rows and
            # their long sections.
            models.Index(
                fields=["published_at"],
                include=["id", "product", "created_at", "followup_deadline"],
                condition=Q(status=Status.PUBLISHED),
                name="postmortem_published_idx",
            ),
            # And the product of every postmortem (whose action items count),
            # which the table's rows would give only by reading all of them.
            models.Index(
                fields=["id"], include=["product"], name="postmortem_id_product_idx"
            ),
            # The unpublished ones past their policy's deadline, the latest
            # first (selectors.policies): a page of them from this index.
            models.Index(
                fields=["followup_deadline", "id"],
                include=["product"],
                condition=~Q(status=Status.PUBLISHED)
                & Q(followup_deadline__isnull=False),
                name="postmortem_followup_idx",
            ),
            # The GIN indexes on search_vector (every postmortem's, for the
            # global search; the published ones', for the library) are
            # created by migrations 0002 and 0007 on PostgreSQL only.
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """A save of an existing row writes every field but the follow-up ones:
        services.followup keeps those in SQL, and this instance's copy of them
        may be older (the admin, a plain save())."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in FOLLOWUP_FIELDS
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("postmortems:detail", args=[self.pk])

    @property
    def is_product_failure(self) -> bool:
        return bool(self.failure_kind)

    @property
    def lesson(self) -> str:
        """The lessons section's first line: what the digest quotes."""
        lines = [line.strip(" -*#") for line in self.lessons.splitlines()]
        return next((line for line in lines if line), "")

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def not_applicable(self) -> list[str]:
        return [s.key for s in SECTIONS if getattr(self, s.na_field)]

    @property
    def missing_sections(self) -> list[Section]:
        """Sections neither written nor marked not applicable."""
        return [
            s
            for s in SECTIONS
            if not getattr(self, s.na_field) and not getattr(self, s.key).strip()
        ]


class MetricImpact(models.Model):
    """A KPI the incident moved, and by how much, in words ("-4% approvals for
    3 hours"): the structured part of the business-impact section."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="metric_impacts"
    )
    metric = models.ForeignKey(
        "products.SuccessMetric", on_delete=models.CASCADE, related_name="+"
    )
    change = models.CharField(max_length=200, help_text="How much, in words.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "metric"], name="metric_impact_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}: {self.change}"


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    STATUS = "status", "Status changed"
    # Only in older histories: a published postmortem is read-only now.
    EDITED = "edited", "Edited after publishing"


class PostmortemEvent(models.Model):
    """One entry of a postmortem's history: creation or a status move (old →
    new, with the reason when going back to draft; with the fields it changed
    when a change sent a reviewed one back to review)."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=EventKind)
    old_status = models.CharField(max_length=12, choices=Status, blank=True)
    new_status = models.CharField(max_length=12, choices=Status, blank=True)
    reason = models.TextField(blank=True)
    changed_fields = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="pm_event_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind=EventKind.STATUS)
                | (~Q(old_status="") & ~Q(new_status="")),
                name="pm_event_status_has_values",
            ),
            # Going back to draft always says why (services.postmortem_transition).
            models.CheckConstraint(
                condition=~Q(kind=EventKind.STATUS, new_status=Status.DRAFT)
                | ~Q(reason=""),
                name="pm_event_back_to_draft_has_reason",
            ),
        ]
        indexes = [
            # Stuck-in-draft and report queries read the latest moves.
            models.Index(fields=["postmortem", "at"], name="pm_event_idx"),
        ]

    def __str__(self) -> str:
        if self.kind == EventKind.STATUS:
            return f"{self.postmortem_id}: {self.old_status} → {self.new_status}"
        return f"{self.postmortem_id}: {self.kind}"
