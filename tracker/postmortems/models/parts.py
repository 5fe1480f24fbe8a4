"""The parts of a postmortem: its timeline, contributing factors and the
blameless check's warnings."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from tracker.postmortems.models.postmortem import Postmortem
from tracker.postmortems.models.sections import SECTION_KEYS, SECTIONS_BY_KEY

User = settings.AUTH_USER_MODEL


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
