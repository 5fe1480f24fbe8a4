"""Production readiness: the ML Test Score per product, its history, and the record
of stage moves made despite failing readiness items."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from tracker.readiness.rubric import TESTS


class Level(models.TextChoices):
    NOT_DONE = "not_done", "Not done (0)"
    MANUAL = "manual", "Done manually (0.5)"
    AUTOMATED = "automated", "Automated (1)"


LEVEL_POINTS = {Level.NOT_DONE: 0.0, Level.MANUAL: 0.5, Level.AUTOMATED: 1.0}


class MLTestResult(models.Model):
    """Where one product stands on one test of the rubric.

    A missing row means "not done". When `ci_context` is set, CI decides whether the
    test is automated (selectors.ml_test_scores); a person's level still counts for
    the manual half point.
    """

    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="ml_tests"
    )
    code = models.CharField(max_length=20, choices=[(t.code, t.title) for t in TESTS])
    level = models.CharField(max_length=10, choices=Level, default=Level.NOT_DONE)
    evidence = models.TextField(
        blank=True, help_text="A link or a note showing how the test is done."
    )
    ci_context = models.CharField(
        "CI context",
        max_length=100,
        blank=True,
        help_text="A CI status context (e.g. evaluate) whose repeated successes "
        "mark this test automated.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "ML test result"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "code"], name="mltest_one_per_test"
            ),
            models.CheckConstraint(
                condition=Q(level__in=Level.values), name="mltest_level_valid"
            ),
            # Half a point needs evidence: a claim without it is not a score.
            models.CheckConstraint(
                condition=Q(level=Level.NOT_DONE) | ~Q(evidence=""),
                name="mltest_done_has_evidence",
                violation_error_message="Give a link or note as evidence.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.code} = {self.level}"


class MLTestScoreSnapshot(models.Model):
    """The product's ML Test Score as it stood after a change: the score history."""

    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="ml_test_snapshots"
    )
    recorded_at = models.DateTimeField()
    data = models.FloatField()
    model = models.FloatField()
    infra = models.FloatField()
    monitoring = models.FloatField()
    score = models.FloatField(help_text="The minimum of the four sections.")

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            # Latest score per product (history chart, portfolio report).
            models.Index(
                fields=["product", "-recorded_at"], name="mltest_snapshot_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.score} @ {self.recorded_at:%Y-%m-%d}"


class GateOverride(models.Model):
    """A stage move into pilot or production made while readiness items failed."""

    stage_change = models.OneToOneField(
        "products.StageChange", on_delete=models.CASCADE, related_name="gate_override"
    )
    failing_items = models.JSONField(help_text="Keys and labels of the failing items.")
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Override of {len(self.failing_items)} items by {self.overridden_by}"
