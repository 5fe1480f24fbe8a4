"""Blameless postmortems, their timeline, contributing factors and action items.

A postmortem covers one or more incidents of one product and moves
draft → in review → reviewed → published (and back to draft with a reason).
Every move, and every edit made after publishing, is a `PostmortemEvent` row,
so reminders and reports read the history from rows. Action items come from a
postmortem or from a planning session: exactly one of the two (a DB check).
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse

from tracker.incidents.models import validate_http_url

User = settings.AUTH_USER_MODEL


@dataclass(frozen=True)
class Section:
    """One Markdown section of the write-up: its field, heading and prompt."""

    key: str
    title: str
    prompt: str

    @property
    def na_field(self) -> str:
        return f"{self.key}_na"


# The write-up's sections in reading order (Google SRE template and PagerDuty's
# review guide, with the questions an ML product adds). The API, the editor,
# the Markdown export and the publish gate all iterate this list.
SECTIONS = (
    Section(
        "summary",
        "Summary",
        "What happened, for whom and for how long, in a few sentences a reader "
        "outside the team understands.",
    ),
    Section(
        "impact",
        "Business impact",
        "Which KPIs moved and by how much; how many users were affected; how much "
        "SLA error budget was consumed; money, trust or decisions affected.",
    ),
    Section(
        "trigger",
        "Trigger",
        "The change or condition that set it off: a deploy, a data change "
        "upstream, a shift in the input distribution, a retraining.",
    ),
    Section(
        "detection",
        "Detection",
        "How it was noticed (alert, dashboard, a customer?) and which check "
        "— data validation, drift monitor, SLA, canary — would have caught it "
        "earlier.",
    ),
    Section(
        "resolution",
        "Resolution",
        "What stopped the impact (rollback, fallback to the simple baseline, "
        "retraining, a fix) and what made it take as long as it did.",
    ),
    Section(
        "went_well",
        "What went well",
        "Practices, tools and decisions worth keeping.",
    ),
    Section(
        "went_wrong",
        "What went wrong",
        "Conditions in systems and processes that made the failure possible "
        "or worse. Describe mechanisms, not people.",
    ),
    Section(
        "lucky",
        "Where we got lucky",
        "What limited the damage by chance rather than by design.",
    ),
    Section(
        "lessons",
        "Lessons learned",
        "What the team now knows that it did not know before; what other "
        "products should take from this.",
    ),
    Section(
        "links",
        "Supporting links",
        "Dashboards, alerts, runbooks, notebooks, pull requests, chat threads.",
    ),
)
SECTION_KEYS = [section.key for section in SECTIONS]
SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}


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


def _section_field(section: Section) -> models.TextField:
    return models.TextField(section.title, blank=True, help_text=section.prompt)


def _na_field(section: Section) -> models.BooleanField:
    return models.BooleanField(f"{section.title}: not applicable", default=False)


class Postmortem(models.Model):
    """A blameless write-up of one or more incidents of a product.

    Sections are Markdown, rendered sanitized (tracker.lib.markdown). Each can be
    marked not applicable. `search_vector` is maintained on PostgreSQL only
    (services._search_refresh) and stays empty on SQLite, where the library
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
        ]
        indexes = [
            # The library lists published ones newest first (selectors.library).
            models.Index(
                fields=["status", "-published_at"], name="postmortem_status_idx"
            ),
            # A product's postmortems (selectors.postmortem_list, reports).
            models.Index(fields=["product", "status"], name="postmortem_product_idx"),
            # The GIN index on search_vector is created by migration 0002 on
            # PostgreSQL only (selectors.library_search uses it).
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("postmortems:detail", args=[self.pk])

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
    EDITED = "edited", "Edited after publishing"


class PostmortemEvent(models.Model):
    """One entry of a postmortem's history: creation, a status move (old → new,
    with the reason when going back to draft) or an edit after publishing (with
    the fields it changed)."""

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


class MomentKind(models.TextChoices):
    STARTED = "started", "Impact started"
    DETECTED = "detected", "Detected"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    MITIGATED = "mitigated", "Mitigated"
    RESOLVED = "resolved", "Resolved"
    CHANGE = "change", "Change"
    NOTE = "note", "Note"
    OTHER = "other", "Other"


class TimelineEvent(models.Model):
    """One moment of the postmortem's timeline.

    Prefilled from the covered incidents' timelines (`source_entry` keeps which
    row, so prefilling twice adds nothing) and then edited freely. Durations
    are computed from the kinds: started → detected / mitigated / resolved.
    """

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="timeline"
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=MomentKind, default=MomentKind.NOTE)
    description = models.TextField()
    starred = models.BooleanField(default=False)
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_entry = models.ForeignKey(
        "incidents.TimelineEntry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MomentKind.values), name="pm_moment_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(description=""), name="pm_moment_has_description"
            ),
            # Prefill is idempotent (services.timeline_prefill relies on these).
            models.UniqueConstraint(
                fields=["postmortem", "source_entry"],
                condition=Q(source_entry__isnull=False),
                name="pm_moment_one_per_entry",
            ),
            models.UniqueConstraint(
                fields=["postmortem", "incident"],
                condition=Q(kind=MomentKind.STARTED, source_entry__isnull=True)
                & Q(incident__isnull=False),
                name="pm_moment_one_start_per_incident",
            ),
        ]
        indexes = [
            # The postmortem page reads its timeline in order.
            models.Index(fields=["postmortem", "at"], name="pm_moment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.description[:40]}"


class FactorCategory(models.TextChoices):
    DATA = "data", "Data"
    MODEL = "model", "Model"
    CODE = "code", "Code"
    INFRA = "infra", "Infrastructure"
    PROCESS = "process", "Process"
    COMMUNICATION = "communication", "Communication"


class MLKind(models.TextChoices):
    DISTRIBUTION_SHIFT = "distribution_shift", "Distribution shift"
    TRAINING_SERVING_SKEW = "training_serving_skew", "Training/serving skew"
    UPSTREAM_DATA_CHANGE = "upstream_data_change", "Upstream data change"
    LABEL_DELAY = "label_delay", "Label delay"
    FEEDBACK_LOOP = "feedback_loop", "Feedback loop"
    STALE_MODEL = "stale_model", "Stale model"


# ML sub-kinds qualify what the data, the model or the code that computes
# features did; an infra or process factor does not take one.
ML_CATEGORIES = [FactorCategory.DATA, FactorCategory.MODEL, FactorCategory.CODE]


class ContributingFactor(models.Model):
    """A condition that contributed to the incident: a category, an optional
    ML-specific kind, and a description of the mechanism (not of a person)."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="factors"
    )
    category = models.CharField(max_length=15, choices=FactorCategory)
    ml_kind = models.CharField(
        "ML-specific kind", max_length=25, choices=MLKind, blank=True
    )
    description = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=FactorCategory.values),
                name="factor_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(ml_kind="") | Q(ml_kind__in=MLKind.values),
                name="factor_ml_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(ml_kind="") | Q(category__in=ML_CATEGORIES),
                name="factor_ml_kind_needs_ml_category",
                violation_error_message="ML-specific kinds apply to data, model "
                "or code factors.",
            ),
            models.CheckConstraint(
                condition=~Q(description=""), name="factor_has_description"
            ),
        ]
        indexes = [
            # The library filters published postmortems by category.
            models.Index(fields=["category", "postmortem"], name="factor_category_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.description[:40]}"


class Rule(models.TextChoices):
    """Why the blameless check flagged a phrase (tracker/postmortems/blameless.py)."""

    HUMAN_ERROR = "human_error", "“Human error”"
    HINDSIGHT = "hindsight", "Hindsight"
    JUDGEMENT = "judgement", "Judgement of a person"
    BLAME = "blame", "Blame"
    FAILED_TO = "failed_to", "A person “failed to”"
    PERSON = "person", "A person named as the cause"


# What to write instead, shown after the rule's label ("Hindsight. Describe…").
SUGGESTIONS = {
    Rule.HUMAN_ERROR: "It ends the inquiry where it should start. Describe the "
    "condition that let a reasonable action cause harm: a missing guard, a "
    "confusing interface, an unchecked assumption.",
    Rule.HINDSIGHT: "Describe what was known at the time, and what the system "
    "lacked that would have made the right action the easy one.",
    Rule.JUDGEMENT: "Describe the conditions instead: time pressure, missing "
    "checks, unclear ownership, alert fatigue.",
    Rule.BLAME: "Describe the mechanism that failed and the check that would "
    "have caught it.",
    Rule.FAILED_TO: "Describe what the process or tooling did not do (“no step "
    "required checking the schema”), not what a person failed to do.",
    Rule.PERSON: "Name the system step or the role (the deploy job, the on-call "
    "engineer) and what made the action reasonable at the time.",
}


FACTOR_SECTION = "factors"
WARNING_SECTIONS = [*SECTION_KEYS, FACTOR_SECTION]


class BlamelessWarning(models.Model):
    """A phrase the blameless check flagged, where it is, and whether a reviewer
    accepted it. Kept in step with the text by services.warnings_sync: a warning
    whose phrase is gone is deleted (resolved); one that stays keeps its
    acceptance even when the text around it moves."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="warnings"
    )
    section = models.CharField(max_length=12)
    # Set for warnings in a contributing factor's description.
    factor = models.ForeignKey(
        ContributingFactor,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="warnings",
    )
    phrase = models.CharField(max_length=200)
    rule = models.CharField(max_length=12, choices=Rule)
    offset = models.PositiveIntegerField()
    # The n-th time this phrase appears in the section: with the phrase, it
    # identifies the warning across edits that move the text around.
    occurrence = models.PositiveIntegerField(default=0)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["section", "factor_id", "offset", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(section__in=WARNING_SECTIONS),
                name="warning_section_valid",
            ),
            models.CheckConstraint(
                condition=Q(rule__in=Rule.values), name="warning_rule_valid"
            ),
            models.CheckConstraint(
                condition=Q(section=FACTOR_SECTION, factor__isnull=False)
                | (~Q(section=FACTOR_SECTION) & Q(factor__isnull=True)),
                name="warning_factor_iff_factor_section",
            ),
            models.CheckConstraint(
                condition=Q(accepted_by__isnull=True) | Q(accepted_at__isnull=False),
                name="warning_accepted_has_time",
            ),
            # warnings_sync matches stored warnings to fresh findings by these.
            models.UniqueConstraint(
                fields=["postmortem", "section", "phrase", "occurrence"],
                condition=Q(factor__isnull=True),
                name="warning_unique_in_section",
            ),
            models.UniqueConstraint(
                fields=["factor", "phrase", "occurrence"],
                condition=Q(factor__isnull=False),
                name="warning_unique_in_factor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.section}@{self.offset}: {self.phrase}"

    @property
    def is_accepted(self) -> bool:
        return self.accepted_at is not None

    @property
    def rule_label(self) -> str:
        return self.get_rule_display()

    @property
    def suggestion(self) -> str:
        return SUGGESTIONS[Rule(self.rule)]

    @property
    def section_title(self) -> str:
        if self.section == FACTOR_SECTION:
            return "Contributing factor"
        return SECTIONS_BY_KEY[self.section].title


class ActionKind(models.TextChoices):
    PREVENT = "prevent", "Prevent"
    DETECT = "detect", "Detect"
    MITIGATE = "mitigate", "Mitigate"
    PROCESS = "process", "Process"


class Priority(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


class ActionItem(models.Model):
    """Owned, dated work that came out of a postmortem or a planning session.

    Exactly one of `postmortem` and `session` is set (a DB check). Closing an
    item stamps `closed_at`; "won't do" says why.
    """

    postmortem = models.ForeignKey(
        Postmortem,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="action_items",
    )
    session = models.ForeignKey(
        "products.PlanningSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="action_items",
    )
    description = models.TextField()
    kind = models.CharField(max_length=10, choices=ActionKind)
    owner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    due_date = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=6, choices=Priority, default=Priority.MEDIUM)
    status = models.CharField(
        max_length=8, choices=ActionStatus, default=ActionStatus.OPEN
    )
    status_note = models.CharField(
        max_length=500, blank=True, help_text="Why it won't be done, or how it was."
    )
    ticket_url = models.CharField(
        "ticket URL", max_length=2000, blank=True, validators=[validate_http_url]
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(postmortem__isnull=False, session__isnull=True)
                | Q(postmortem__isnull=True, session__isnull=False),
                name="action_item_exactly_one_source",
                violation_error_message="An action item comes from a postmortem "
                "or a planning session: exactly one.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ActionKind.values), name="action_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values),
                name="action_priority_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActionStatus.values),
                name="action_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=ActionStatus.OPEN, closed_at__isnull=True)
                | (~Q(status=ActionStatus.OPEN) & Q(closed_at__isnull=False)),
                name="action_closed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=ActionStatus.WONT_DO) | ~Q(status_note=""),
                name="action_wont_do_has_reason",
                violation_error_message="Say why it won't be done.",
            ),
            models.CheckConstraint(
                condition=~Q(description=""), name="action_has_description"
            ),
        ]
        indexes = [
            # Reminder sweeps: open items by due date (selectors.action_items_due,
            # action_items_overdue).
            models.Index(
                fields=["due_date"],
                condition=Q(status=ActionStatus.OPEN),
                name="action_open_due_idx",
            ),
            # A person's page (selectors.action_items_for_person).
            models.Index(fields=["owner", "status"], name="action_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    def get_absolute_url(self) -> str:
        if self.postmortem_id:
            page = reverse("postmortems:detail", args=[self.postmortem_id])
        else:
            page = self.session.get_absolute_url()
        return f"{page}#action-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < today
