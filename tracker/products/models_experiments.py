"""Rollouts and experiments: how a working model reaches its users.

A product's rollout plan is an ordered list of steps (shadow, internal A/B, a
percentage ramp, full) with entry and exit criteria and who decides. An
experiment compares arms ("control", "model") on one of the product's metrics;
measurements taken while it runs may name an arm (Measurement.arm), and its
result is Welch's t interval of each arm's mean against the first arm's
(tracker.products.experiments).

models.py imports this module so Django registers the models with the products app.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

User = settings.AUTH_USER_MODEL


class StepKind(models.TextChoices):
    SHADOW = "shadow", "Shadow"
    INTERNAL_AB = "internal_ab", "Internal A/B"
    RAMP = "ramp", "Percentage ramp"
    FULL = "full", "Full"


class StepStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


class RolloutStep(models.Model):
    """One step of a product's rollout plan, in `position` order."""

    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="rollout_steps"
    )
    position = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Order in the plan (1 first).",
    )
    kind = models.CharField(max_length=20, choices=StepKind)
    percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Share of traffic (1-100); a percentage ramp needs one.",
    )
    entry_criteria = models.TextField(blank=True, help_text="When the step may begin.")
    exit_criteria = models.TextField(blank=True, help_text="When it is done.")
    decider = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who decides to enter and leave the step.",
    )
    status = models.CharField(
        max_length=10, choices=StepStatus, default=StepStatus.PLANNED
    )
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=StepKind.values), name="rollout_step_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=StepStatus.values),
                name="rollout_step_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind=StepKind.RAMP) | Q(percent__isnull=False),
                name="rollout_ramp_has_percent",
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True)
                | (Q(percent__gte=1) & Q(percent__lte=100)),
                name="rollout_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="rollout_step_dates_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.label}"

    def get_absolute_url(self) -> str:
        return reverse("products:rollout", args=[self.product.slug])

    @property
    def label(self) -> str:
        if self.kind == StepKind.RAMP and self.percent:
            return f"Ramp to {self.percent}%"
        return self.get_kind_display()

    def clean(self) -> None:
        errors = {}
        if self.kind == StepKind.RAMP and self.percent is None:
            errors["percent"] = "A percentage ramp needs the percent of traffic."
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = "The step cannot end before it starts."
        if errors:
            raise ValidationError(errors)


class Experiment(models.Model):
    """An A/B comparison of arms on one metric of the product, from `started_at`
    until `ended_at` (open: still running)."""

    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="experiments"
    )
    name = models.CharField(max_length=200)
    metric = models.ForeignKey(
        "products.SuccessMetric", on_delete=models.CASCADE, related_name="experiments"
    )
    hypothesis = models.TextField(blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "name"], name="experiment_name_unique"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True)
                | Q(ended_at__gt=models.F("started_at")),
                name="experiment_ends_after_start",
            ),
        ]
        indexes = [
            # The experiment a measurement's time falls in (experiments.arm_resolve).
            models.Index(fields=["metric", "started_at"], name="experiment_metric_idx")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("products:experiment", args=[self.product.slug, self.pk])

    def clean(self) -> None:
        errors = {}
        if self.ended_at and self.started_at and self.ended_at <= self.started_at:
            errors["ended_at"] = "An experiment ends after it starts."
        if (
            self.metric_id
            and self.product_id
            and (self.metric.product_id != self.product_id)
        ):
            errors["metric"] = "Not a metric of this product."
        if errors:
            raise ValidationError(errors)

    def is_finished(self, now) -> bool:
        return self.ended_at is not None and self.ended_at <= now


class ExperimentArm(models.Model):
    """One arm of an experiment; the first (position 0) is what the others are
    compared against."""

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="arms"
    )
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "name"], name="experiment_arm_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name
